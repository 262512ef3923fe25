// The glue between the services and the dashboard: who-can report -> rows, audit sources ->
// events (newest kept when there are very many) and findings. The UI never sees engine types.
import type {AuditEvent} from '../audit/event.js'
import type {FilterSpec} from '../audit/filter.js'
import type {GrantPath as EngineGrantPath, RuleMatch} from '../rbac/who-can.js'
import type {PolicyRule} from '../rbac/types.js'
import type {DashboardData, GrantPath, Subscribe, WhoCanResult, WhoCanRow} from '../ui/model.js'
import {riskText, scopeText} from '../output/who-can.js'
import type {FindingsOptions} from './findings.js'
import type {WhoCanOptions, WhoCanReport} from './who-can.js'

export interface DashboardSources {
  /** Who-can question; omitted when neither manifests nor a cluster are wanted. */
  whoCan?: WhoCanOptions
  /** Audit inputs (files, folders, globs) and the filter of the events shown. */
  audit?: {inputs: string[]; filter: FilterSpec; hideSystem?: boolean; marks?: Map<string, import('../audit/reader.js').FileMark>}
  findings?: FindingsOptions
  /** Most events held for display; the oldest beyond it are dropped (findings still see all). */
  maxEvents?: number
}

export const DEFAULT_MAX_EVENTS = 200_000

export async function loadDashboardData(sources: DashboardSources, progress: (message: string) => void = () => {}): Promise<DashboardData> {
  const data: DashboardData = {events: [], findings: []}
  const notes: string[] = []
  if (sources.whoCan) {
    progress(sources.whoCan.manifests?.length ? 'reading RBAC manifests' : 'reading RBAC objects from the cluster')
    const {runWhoCan} = await import('./who-can.js')
    const report = await runWhoCan({...sources.whoCan, onProgress: progress})
    data.whoCan = toWhoCanResult(report)
    data.context = sourceLabel(report.source)
  }
  if (sources.audit && sources.audit.inputs.length > 0) {
    const {openRecent} = await import('../audit/recent.js')
    const {buildFilter, matches} = await import('../audit/filter.js')
    const shown = buildFilter(sources.audit.filter)
    // Detections need every event; the view shows the filtered ones.
    const stream = openRecent({inputs: sources.audit.inputs, filter: {...sources.audit.filter, resource: 'all'}, ...(sources.audit.marks ? {read: {marks: sources.audit.marks}} : {})})
    const {loadFindingsSettings, startFindings, systemLabeller} = await import('./findings.js')
    const settings = await loadFindingsSettings(sources.findings?.config)
    const keep = await systemLabeller(settings, sources.audit.hideSystem ?? false)
    const findings = await startFindings(sources.findings ?? {}, settings)
    let systemHidden = 0
    const max = sources.maxEvents ?? DEFAULT_MAX_EVENTS
    let read = 0
    let dropped = 0
    for await (const event of stream) {
      findings.observe(event)
      if (++read % 50_000 === 0) progress(`read ${read.toLocaleString('en-US')} events`)
      if (!matches(event, shown)) continue
      if (!keep(event)) {
        systemHidden++
        continue
      }
      data.events.push(event)
      if (data.events.length > max * 1.5) {
        dropped += data.events.length - max
        data.events = newest(data.events, max)
      }
    }
    if (data.events.length > max) {
      dropped += data.events.length - max
      data.events = newest(data.events, max)
    }
    progress('running detections')
    data.findings = (await findings.finish()).findings
    notes.push(`${data.events.length.toLocaleString('en-US')} events from ${sources.audit.inputs.join(', ')}`)
    if (systemHidden > 0) notes.push(`${systemHidden.toLocaleString('en-US')} events of system identities hidden`)
    if (dropped > 0) notes.push(`${dropped.toLocaleString('en-US')} older events not shown`)
    if (stream.stats.skipped > 0) notes.push(`${stream.stats.skipped} bad records skipped`)
  }
  if (notes.length > 0) data.sourceSummary = notes.join('; ')
  return data
}

/**
 * `--follow`: a subscription for the live dashboard on the plain files among the audit inputs,
 * delivering appended events that pass the view's filter.
 */
export async function followSubscription(inputs: string[], filter: FilterSpec, options: {hideSystem?: boolean; config?: string; from?: ReadonlyMap<string, import('../audit/reader.js').FileMark>} = {}): Promise<Subscribe | undefined> {
  const {stat} = await import('node:fs/promises')
  const {followFiles} = await import('../audit/follow.js')
  const {buildFilter, matches} = await import('../audit/filter.js')
  const files: string[] = []
  for (const input of inputs) if ((await stat(input).catch(() => undefined))?.isFile()) files.push(input)
  if (files.length === 0) return undefined
  const shown = buildFilter(filter)
  const {loadFindingsSettings, systemLabeller} = await import('./findings.js')
  const keep = await systemLabeller(await loadFindingsSettings(options.config), options.hideSystem ?? false)
  return (onEvents, onReady) => followFiles(files, onEvents, {accept: (event) => matches(event, shown) && keep(event), ...(onReady ? {onReady} : {}), ...(options.from ? {from: options.from} : {})})
}

function newest(events: AuditEvent[], max: number): AuditEvent[] {
  return events.sort((a, b) => a.time - b.time).slice(-max)
}

/** Where the RBAC objects came from, as the dashboard's title shows it. */
export function sourceLabel(source: {kind: 'manifests'; paths: string[]} | {kind: 'cluster'; server: string; context?: string}): string {
  return source.kind === 'manifests' ? `manifests: ${source.paths.join(', ')}` : (source.context ?? source.server)
}

export function toWhoCanResult(report: WhoCanReport): WhoCanResult {
  const rows: WhoCanRow[] = report.subjects.map((s) => ({
    key: s.key,
    kind: s.kind,
    name: s.name,
    ...(s.namespace !== undefined ? {namespace: s.namespace} : {}),
    verbs: s.verbs,
    resources: s.targets,
    scope: scopeText(s, true),
    confirmation: s.confirmation,
    risks: riskText(s).split(',').filter(Boolean),
    ...(s.broad ? {broad: true} : {}),
    paths: s.paths.map(toGrantPath),
  }))
  const scope = report.query.allNamespaces ? 'all namespaces' : `namespace ${report.query.namespace ?? '(cluster scope)'}`
  return {
    rows,
    question: `who can ${report.query.verbs.join(',')} ${report.query.targets.join(',')} in ${scope}`,
    warnings: report.warnings.map((w) => w.message),
  }
}

function toGrantPath(p: EngineGrantPath): GrantPath {
  const where = p.clusterWide ? 'cluster-wide' : `in ${p.namespace ?? ''}`
  return {
    binding: {
      kind: p.binding.kind,
      name: p.binding.name,
      ...(p.binding.namespace ? {namespace: p.binding.namespace} : {}),
      ...(p.subjectCount !== undefined ? {subjects: p.subjectCount} : {}),
      ...(p.subjectIndex !== undefined ? {subjectIndex: p.subjectIndex} : {}),
    },
    role: {kind: p.role.kind, name: p.role.name, ...(p.role.missing ? {missing: true} : {})},
    rule: p.synthetic ?? p.rules.map((r) => ruleText(r.rule)).join(' | '),
    grants: p.synthetic ? 'everything, everywhere' : `${grantsText(p.rules)} ${where}${p.viaGroup ? ` (via group ${p.viaGroup})` : ''}`,
  }
}

/** One line, as `kubectl describe role` would list it. */
export function ruleText(rule: PolicyRule): string {
  const parts = [`verbs=${rule.verbs.join(',')}`]
  if (rule.nonResourceURLs?.length) parts.push(`nonResourceURLs=${rule.nonResourceURLs.join(',')}`)
  if (rule.apiGroups?.length) parts.push(`apiGroups=${rule.apiGroups.map((g) => (g === '' ? '""' : g)).join(',')}`)
  if (rule.resources?.length) parts.push(`resources=${rule.resources.join(',')}`)
  if (rule.resourceNames?.length) parts.push(`resourceNames=${rule.resourceNames.join(',')}`)
  return parts.join(' ')
}

function grantsText(rules: RuleMatch[]): string {
  const byTarget = new Map<string, Set<string>>()
  for (const r of rules) for (const a of r.answers) byTarget.set(a.target, (byTarget.get(a.target) ?? new Set()).add(a.verb))
  return [...byTarget].map(([target, verbs]) => `${[...verbs].join(',')} ${target}`).join('; ')
}
