// `recent`'s remote sources: the CLOUD / SIEM flags become CloudSourceSpecs and one CloudQuery,
// fetches report progress on stderr, Ctrl-C aborts them through one AbortSignal (what was fetched
// is still shown), and findings/events go back to a Splunk HEC after the run.
import type {AuditEvent} from '../audit/event.js'
import type {FilterSpec} from '../audit/filter.js'
import type {CloudProgress, CloudQuery, CloudSource, CloudSourceSpec, CloudStats, KubeGet} from '../audit/cloud/types.js'
import type {Finding} from '../detect/finding.js'
import type {KubeOptions} from '../kube/flags.js'

/** The CLOUD / SIEM flag values as oclif parses them. */
export interface CloudFlagValues {
  eks?: string
  region?: string
  profile?: string
  insights?: boolean
  gke?: string
  project?: string
  location?: string
  aks?: string
  workspace?: string
  subscription?: string
  splunk?: string
  'splunk-index'?: string
  'splunk-token-env'?: string
  'from-cluster'?: boolean
  'audit-path'?: string
  node?: string[]
}

/** A flag combination that cannot work: the command exits 2 with this message. */
export class CloudUsageError extends Error {}

const DAY_MS = 24 * 3_600_000

/** One spec per cloud flag given; companions without their source flag are usage errors. */
export function cloudSpecsFromFlags(flags: CloudFlagValues): CloudSourceSpec[] {
  const specs: CloudSourceSpec[] = []
  const orphan = (companion: string, owner: string) => {
    throw new CloudUsageError(`${companion} only applies with ${owner}`)
  }
  if (flags.eks !== undefined) {
    specs.push({kind: 'eks', cluster: flags.eks, ...(flags.region ? {region: flags.region} : {}), ...(flags.profile ? {profile: flags.profile} : {}), ...(flags.insights ? {insights: true} : {})})
  } else {
    if (flags.region !== undefined) orphan('--region', '--eks')
    if (flags.profile !== undefined) orphan('--profile', '--eks')
    if (flags.insights) orphan('--insights', '--eks')
  }
  if (flags.gke !== undefined) {
    if (!flags.project) throw new CloudUsageError('--gke needs --project (the Google Cloud project that holds the cluster)')
    specs.push({kind: 'gke', cluster: flags.gke, project: flags.project, ...(flags.location ? {location: flags.location} : {})})
  } else {
    if (flags.project !== undefined) orphan('--project', '--gke')
    if (flags.location !== undefined) orphan('--location', '--gke')
  }
  if (flags.aks !== undefined) {
    if (!flags.workspace) throw new CloudUsageError('--aks needs --workspace (the Log Analytics workspace id the diagnostic settings send to)')
    specs.push({kind: 'aks', cluster: flags.aks, workspace: flags.workspace, ...(flags.subscription ? {subscription: flags.subscription} : {})})
  } else {
    if (flags.workspace !== undefined) orphan('--workspace', '--aks')
    if (flags.subscription !== undefined) orphan('--subscription', '--aks')
  }
  if (flags.splunk !== undefined) {
    specs.push({kind: 'splunk', url: flags.splunk, tokenEnv: flags['splunk-token-env'] || 'SPLUNK_TOKEN', ...(flags['splunk-index'] ? {index: flags['splunk-index']} : {})})
  } else if (flags['splunk-index'] !== undefined) {
    orphan('--splunk-index', '--splunk')
  }
  if (flags['from-cluster']) {
    specs.push({kind: 'cluster', ...(flags['audit-path'] ? {auditPath: flags['audit-path']} : {}), ...(flags.node && flags.node.length > 0 ? {nodes: flags.node} : {})})
  } else {
    if (flags['audit-path'] !== undefined) orphan('--audit-path', '--from-cluster')
    if (flags.node !== undefined && flags.node.length > 0) orphan('--node', '--from-cluster')
  }
  return specs
}

export interface CloudQueryResult {
  query: CloudQuery
  /** No --since/--from/--to was given: the last 24 hours are used. */
  defaultWindow: boolean
}

/**
 * The query pushed to the services. With findings, every resource, user and verb of the window
 * is fetched (the rules need exec, RBAC and anonymous traffic too); the display filter is then
 * applied locally by runRecent, as it is for files.
 */
export async function cloudQueryFromFilter(filter: FilterSpec, options: {findings: boolean; now?: number}): Promise<CloudQueryResult> {
  const {buildFilter} = await import('../audit/filter.js')
  const now = options.now ?? Date.now()
  const defaultWindow = filter.since === undefined && filter.from === undefined && filter.to === undefined
  const parsed = buildFilter(filter, now)
  const to = parsed.to ?? now
  const from = parsed.from ?? (defaultWindow ? now - DAY_MS : to - DAY_MS)
  const query: CloudQuery = {from: new Date(from), to: new Date(to), resources: ['*']}
  if (options.findings) return {query, defaultWindow}
  if (parsed.resources) query.resources = [...parsed.resources]
  const list = (values: string[] | undefined) => (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '')
  const users = list(filter.user)
  if (users.length > 0) query.users = users
  const verbs = list(filter.verb).map((v) => v.toLowerCase())
  if (verbs.length > 0) query.verbs = verbs
  if (filter.namespace) query.namespaces = [filter.namespace]
  return {query, defaultWindow}
}

/** Ctrl-C once: abort the fetches and let the run print what it has. Twice: leave at once. */
export interface Interrupt {
  signal: AbortSignal
  readonly interrupted: boolean
  dispose(): void
}

export function installInterrupt(write: (text: string) => void = (text) => process.stderr.write(text)): Interrupt {
  const controller = new AbortController()
  let count = 0
  const onSigint = () => {
    count++
    if (count === 1) {
      write('\ninterrupted: stopping the fetch and printing what was fetched (Ctrl-C again to quit now)\n')
      controller.abort()
    } else {
      process.exit(130)
    }
  }
  process.on('SIGINT', onSigint)
  return {
    signal: controller.signal,
    get interrupted() {
      return count > 0
    },
    dispose: () => {
      process.off('SIGINT', onSigint)
    },
  }
}

export interface OpenCloudOptions {
  signal?: AbortSignal
  /** Show progress lines on stderr. */
  progress: boolean
  /** stderr is a terminal: progress rewrites one line instead of printing one per page. */
  tty: boolean
  write: (text: string) => void
  env?: NodeJS.ProcessEnv
  kubeGet?: KubeGet
}

export interface OpenedCloud {
  sources: CloudSource[]
  /** End the progress line (call once the run is over). */
  done(): void
}

/** Open every source (lazily: nothing is fetched until runRecent iterates it). */
export async function openCloudSources(specs: CloudSourceSpec[], query: CloudQuery, options: OpenCloudOptions): Promise<OpenedCloud> {
  const {openCloudSource} = await import('../audit/cloud/index.js')
  const {sanitizeForTerminal} = await import('../lib/sanitize.js')
  let lineOpen = false
  const progress = (p: CloudProgress) => {
    if (!options.progress) return
    const text = sanitizeForTerminal(describeProgress(p))
    if (options.tty) {
      options.write(`\r\x1b[2K${text}`)
      lineOpen = true
    } else {
      options.write(`${text}\n`)
    }
  }
  // On a terminal the progress line is transient: cleared before output and warnings.
  const endLine = () => {
    if (lineOpen) options.write('\r\x1b[2K')
    lineOpen = false
  }
  const sources = specs.map((spec) =>
    openCloudSource(
      spec,
      query,
      {
        onProgress: progress,
        onWarning: (message) => {
          endLine()
          options.write(`warning: ${sanitizeForTerminal(message)}\n`)
        },
        ...(options.signal ? {signal: options.signal} : {}),
      },
      {...(options.env ? {env: options.env} : {}), ...(options.kubeGet ? {kubeGet: options.kubeGet} : {})},
    ),
  )
  return {sources, done: endLine}
}

export function describeProgress(p: CloudProgress): string {
  const parts = [`${p.source}: ${p.pages} page${p.pages === 1 ? '' : 's'}`, `${p.events} event${p.events === 1 ? '' : 's'}`, formatBytes(p.bytes)]
  if (p.coveredTo !== undefined && p.to > p.from) {
    const share = Math.min(100, Math.max(0, Math.round(((p.coveredTo - p.from) / (p.to - p.from)) * 100)))
    parts.push(`window covered to ${new Date(p.coveredTo).toISOString()} (${share}%)`)
  }
  if (p.retrying) parts.push(`throttled, retry ${p.retrying.attempt} in ${(p.retrying.delayMs / 1000).toFixed(1)}s`)
  return parts.join(', ')
}

/** The `--stats` line of one source, and the interrupted note that says how far it got. */
export function describeCloudStats(stats: CloudStats): string {
  const skipped = Object.values(stats.skipped).reduce((a, b) => a + b, 0)
  return `${stats.source}: ${stats.requests} request(s), ${stats.pages} page(s), ${stats.records} records (${formatBytes(stats.bytes)}), ${stats.events} events kept, ${stats.filteredOut} outside the query, ${skipped} skipped, ${stats.retries} retries${stats.via ? `, via ${stats.via}` : ''}\n`
}

export function describeInterrupted(stats: CloudStats): string {
  const from = new Date(stats.window.from).toISOString()
  const covered = stats.window.coveredTo !== undefined ? `up to ${new Date(stats.window.coveredTo).toISOString()}` : 'an unknown part'
  return `${stats.source}: interrupted after ${stats.pages} page(s) and ${stats.events} events; the window from ${from} is covered ${covered} of ${new Date(stats.window.to).toISOString()}: the output is incomplete\n`
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`
}

/** A kube client's streaming GET, for `--from-cluster`; close() when the run is over. */
export async function clusterKubeGet(options: KubeOptions, onWarning: (message: string) => void): Promise<{get: KubeGet; close(): void}> {
  const {createKubeClient} = await import('../kube/client.js')
  const client = await createKubeClient(options, {onWarning})
  return {get: (path, o) => client.stream(path, o?.signal ? {signal: o.signal} : {}), close: () => client.close()}
}

export interface HecSendOptions {
  url: string
  tokenEnv?: string
  index?: string
  /** Cluster name for the CIM `dest` field. */
  dest?: string
  signal?: AbortSignal
}

/** Send findings, then (with --hec-events) the shown events; returns the line for stderr. */
export async function sendRunToHec(findings: Finding[], events: Iterable<AuditEvent> | AsyncIterable<AuditEvent> | undefined, options: HecSendOptions): Promise<string> {
  const {sendToHec} = await import('../audit/cloud/hec.js')
  const common = {
    url: options.url,
    ...(options.tokenEnv ? {tokenEnv: options.tokenEnv} : {}),
    ...(options.index ? {index: options.index} : {}),
    ...(options.dest ? {dest: options.dest} : {}),
    ...(options.signal ? {signal: options.signal} : {}),
  }
  const sentFindings = await sendToHec(findings, common)
  let line = `sent ${sentFindings.sent} findings`
  if (events) {
    const sentEvents = await sendToHec(events, common)
    line += ` and ${sentEvents.sent} events`
    if (sentEvents.aborted) line += ' (interrupted)'
  } else if (sentFindings.aborted) line += ' (interrupted)'
  return `${line} to HEC\n`
}

/** The cluster name for CIM `dest`, when exactly one named cluster is read. */
export function cimDest(specs: CloudSourceSpec[]): string | undefined {
  const named = specs.filter((s): s is Extract<CloudSourceSpec, {cluster: string}> => 'cluster' in s && typeof s.cluster === 'string')
  return named.length === 1 && specs.length === 1 ? named[0]!.cluster : undefined
}
