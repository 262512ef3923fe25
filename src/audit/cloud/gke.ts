// GKE: audit entries live in Cloud Logging under resource.type="k8s_cluster". Writes are in the
// Admin Activity log (always on); reads of secrets and configmaps are Data Access entries, which
// are off unless the project's audit config enables them for k8s.io.
//
// Paging: `gcloud logging read` follows page tokens internally and prints the whole result at the
// end, and does not expose a page token. So each call asks for at most `pageSize` entries in
// ascending time order and the next call starts at the last timestamp seen (keyset paging),
// skipping the insertIds already seen at that timestamp. Memory is one page; a crash or abort loses
// at most one page; and the window covered so far is known exactly.
import {runCli, parseJsonOutput} from './exec.js'
import {allResources, globToRegexSource, isGlob} from './query.js'
import type {PageSource, SourceContext} from './page.js'
import type {CloudQuery, GkeSpec} from './types.js'

const READ_VERBS = new Set(['get', 'list', 'watch'])

function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

function reEscape(value: string): string {
  return value.replace(/[.+*?^${}()|[\]\\]/g, '\\$&')
}

/** The Logging query language filter; `since` overrides the lower bound for keyset paging. */
export function gkeFilter(spec: GkeSpec, query: CloudQuery, since?: string): string {
  const lines = [
    'resource.type="k8s_cluster"',
    `resource.labels.cluster_name=${quote(spec.cluster)}`,
  ]
  if (spec.location) lines.push(`resource.labels.location=${quote(spec.location)}`)
  lines.push(
    `(logName=${quote(`projects/${spec.project}/logs/cloudaudit.googleapis.com%2Factivity`)} OR logName=${quote(`projects/${spec.project}/logs/cloudaudit.googleapis.com%2Fdata_access`)})`,
    `timestamp>=${quote(since ?? query.from.toISOString())}`,
    `timestamp<=${quote(query.to.toISOString())}`,
  )
  // methodName is io.k8s.<group>.<version>.<resource>[.<subresource>].<verb>: one RE2 regex says
  // both which resources and which verbs.
  const resources = allResources(query) ? '[^.]+' : `(${query.resources.map(reEscape).join('|')})`
  const verbs = query.verbs?.length ? `(${query.verbs.map(reEscape).join('|')})` : '[^.]+'
  if (!allResources(query) || query.verbs?.length) {
    lines.push(`protoPayload.methodName=~${quote(`^io\\.k8s\\..*\\.${resources}(\\.[^.]+)?\\.${verbs}$`)}`)
  }
  if (query.namespaces?.length) {
    // resourceName: core/v1/namespaces/NS/secrets/NAME
    lines.push(`(${query.namespaces.map((ns) => `protoPayload.resourceName:${quote(`/namespaces/${ns}/`)}`).join(' OR ')})`)
  }
  if (query.users?.length) {
    const terms = query.users.map((u) =>
      isGlob(u) ? `protoPayload.authenticationInfo.principalEmail=~${quote(globToRegexSource(u))}` : `protoPayload.authenticationInfo.principalEmail=${quote(u)}`,
    )
    lines.push(`(${terms.join(' OR ')})`)
  }
  return lines.join('\n')
}

export function gkeSource(spec: GkeSpec): PageSource {
  return (ctx) => gkePages(spec, ctx)
}

interface LogEntry {
  insertId?: string
  timestamp?: string
  protoPayload?: {methodName?: string}
}

async function* gkePages(spec: GkeSpec, ctx: SourceContext) {
  let limit = ctx.options.pageSize ?? 1000
  let since: string | undefined
  let seenAtSince = new Set<string>()
  let reads = 0
  for (;;) {
    const filter = gkeFilter(spec, ctx.query, since)
    const args = ['logging', 'read', filter, '--project', spec.project, '--format', 'json', '--order', 'asc', '--limit', String(limit)]
    const context = `Cloud Logging of project ${spec.project}`
    const {stdout} = await runCli({cli: 'gcloud', args, context, env: ctx.env, signal: ctx.signal, retry: ctx.retry, onRetry: ctx.onRetry})
    const parsed = parseJsonOutput(stdout, 'gcloud', context)
    const entries = (Array.isArray(parsed) ? parsed : []) as LogEntry[]
    const fresh = entries.filter((e) => !(e.timestamp === since && e.insertId !== undefined && seenAtSince.has(e.insertId)))
    for (const e of fresh) {
      const verb = e.protoPayload?.methodName?.split('.').pop()
      if (verb && READ_VERBS.has(verb)) reads++
    }
    const last = entries[entries.length - 1]?.timestamp
    const coveredTo = entries.length < limit ? ctx.query.to.getTime() : last ? Date.parse(last) : undefined
    yield {records: fresh, bytes: Buffer.byteLength(stdout), format: 'gke' as const, coveredTo}
    if (entries.length < limit || !last) break
    if (last === since && fresh.length === 0) {
      // A full page all at one timestamp, all seen: widen the page rather than loop forever.
      limit *= 2
      continue
    }
    if (last !== since) seenAtSince = new Set()
    for (const e of entries) if (e.timestamp === last && e.insertId) seenAtSince.add(e.insertId)
    since = last
  }
  const wantsReads = (!ctx.query.verbs?.length || ctx.query.verbs.some((v) => READ_VERBS.has(v))) &&
    (allResources(ctx.query) || ctx.query.resources.some((r) => r === 'secrets' || r === 'configmaps'))
  if (wantsReads && reads === 0) {
    ctx.warn(
      `no get/list/watch entries came back from ${spec.project}/${spec.cluster}: Data Access audit logs for Kubernetes Engine are probably disabled. ` +
        `Check with \`gcloud projects get-iam-policy ${spec.project} --format=json\` (auditConfigs for service k8s.io or allServices needs DATA_READ), ` +
        `enable them in IAM > Audit Logs > Kubernetes Engine API (Data Read), and read them with roles/logging.privateLogViewer`,
    )
  }
}
