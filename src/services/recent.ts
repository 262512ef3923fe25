// `recent` end to end: one pass over the audit sources feeds the events shown (or the summary)
// and, with --findings, the detection engine, which sees every event of the window because
// detections need exec, RBAC and anonymous traffic too, not only the resources displayed.
import type {AuditEvent} from '../audit/event.js'
import type {FilterSpec} from '../audit/filter.js'
import type {ReadStats} from '../audit/reader.js'
import type {Finding, Severity} from '../detect/finding.js'
import type {FindingsOptions} from './findings.js'

/** `cim`: JSON lines with Splunk CIM field names (src/output/cim.ts). */
export type RecentFormat = 'table' | 'wide' | 'json' | 'yaml' | 'csv' | 'cim'

export interface RecentRunOptions {
  inputs: string[]
  strict: boolean
  filter: FilterSpec
  summary: boolean
  format: RecentFormat
  headers: boolean
  /** Set to report findings (`--findings`). */
  findings?: FindingsOptions
  /** `--config`: the settings file whose systemIdentities label events (`system: true`). */
  config?: string
  /** `--no-system`: leave out the events of systemIdentities (they still feed the findings). */
  hideSystem?: boolean
  failOn?: Severity | 'none'
  /** Extra event sources (cloud), already filtered by their own query. */
  extraSources?: AsyncIterable<AuditEvent>[]
  write: (text: string) => Promise<void>
  /** Each event shown (for `--hec-events`). */
  onShown?: (event: AuditEvent) => void
  /** Cluster name for the CIM `dest` field (`-o cim`). */
  cimDest?: string
  /** `--follow`: filled with where the read of each regular file ended (see ReadOptions.marks). */
  marks?: Map<string, import('../audit/reader.js').FileMark>
}

export interface RecentRunResult {
  stats: ReadStats
  matched: number
  /** Events that matched but were left out by --no-system. */
  systemHidden: number
  findings?: Finding[]
  /** Findings at or above --fail-on. */
  failing: number
  /**
   * With --findings: the rules that need request bodies saw none, because every event that said its
   * level was logged at Metadata level (their ids). Empty when bodies were there or levels unknown.
   */
  blindRules: string[]
  /**
   * Bounds reached, one sentence each, for stderr: detections that capped or pruned their state, and
   * summary tables that became approximate. The output says so too; this is the one-time heads-up.
   */
  notices: string[]
}

export async function runRecent(options: RecentRunOptions): Promise<RecentRunResult> {
  const {openRecent} = await import('../audit/recent.js')
  const {buildFilter, matches} = await import('../audit/filter.js')
  const {createEventSink, renderSummary} = await import('../audit/render.js')
  const {createSummary} = await import('../audit/summary.js')
  const withFindings = options.findings !== undefined
  // For findings, read every resource in the window; the display filter is applied here.
  const readFilter: FilterSpec = withFindings ? {since: options.filter.since, from: options.filter.from, to: options.filter.to, resource: 'all'} : options.filter
  const shown = buildFilter(options.filter)
  const stream = openRecent({inputs: options.inputs, strict: options.strict, filter: readFilter, ...(options.marks ? {read: {marks: options.marks}} : {})})
  const {loadFindingsSettings, startFindings, systemLabeller} = await import('./findings.js')
  // One read of the settings file serves the system label and the detections.
  const settings = await loadFindingsSettings(options.findings?.config ?? options.config)
  const keep = await systemLabeller(settings, options.hideSystem ?? false)
  const findings = withFindings ? await startFindings(options.findings!, settings) : undefined

  const summary = options.summary ? createSummary() : undefined
  const cim = options.format === 'cim' ? await import('../output/cim.js') : undefined
  const cimOptions = options.cimDest ? {dest: options.cimDest} : {}
  if (cim && options.summary) {
    const {FilterError} = await import('../audit/filter.js')
    throw new FilterError('--summary has no CIM form: use -o json with --summary, or -o cim without it')
  }
  // CIM lines stream one per event, like -o json.
  const sink = options.summary
    ? undefined
    : cim
      ? {add: (event: AuditEvent) => cim.renderCimLines([event], cimOptions), end: () => ''}
      : createEventSink(withFindings ? tableOnly(options.format as Exclude<RecentFormat, 'cim'>) : (options.format as Exclude<RecentFormat, 'cim'>), {headers: options.headers})
  // Table output of findings goes above the events, so the events wait; machine formats with
  // --findings print the findings only, and events are not rendered at all.
  const eventsVisible = !withFindings || options.format === 'table' || options.format === 'wide'
  let matched = 0
  let systemHidden = 0
  let metadataEvents = 0
  let bodyEvents = 0
  // Synchronous per event: on big logs an await per event costs more than the event's own work.
  const take = (event: AuditEvent, readerFiltered: boolean): string | undefined => {
    if (findings) {
      findings.observe(event)
      if (event.level === 'Metadata') metadataEvents++
      else if (event.level === 'Request' || event.level === 'RequestResponse') bodyEvents++
    }
    if (withFindings || !readerFiltered) {
      if (!matches(event, shown)) return undefined
    }
    if (!keep(event)) {
      systemHidden++
      return undefined
    }
    matched++
    options.onShown?.(event)
    if (summary) summary.add(event)
    else if (eventsVisible && sink) return sink.add(event) || undefined
    return undefined
  }
  for await (const batch of stream.batches()) {
    let text = ''
    for (const event of batch) text += take(event, true) ?? ''
    if (text) await options.write(text)
  }
  for (const source of options.extraSources ?? []) {
    for await (const event of source) {
      const text = take(event, false)
      if (text) await options.write(text)
    }
  }

  const result: RecentRunResult = {stats: stream.stats, matched, systemHidden, failing: 0, blindRules: [], notices: []}
  if (findings && metadataEvents > 0 && bodyEvents === 0) {
    const {RULES} = await import('../detect/catalog.js')
    result.blindRules = RULES.filter((rule) => rule.auditLevel.needs === 'Request').map((rule) => rule.id)
  }
  let body = ''
  const summarised = summary?.result()
  if (summarised?.approximate) {
    const {approximationText} = await import('../audit/render.js')
    for (const [table, approx] of Object.entries(summarised.approximate)) result.notices.push(`--summary: the ${table} table is approximate (${approximationText(approx)})`)
  }
  if (summarised) body = renderSummary(summarised, withFindings ? tableOnly(options.format as Exclude<RecentFormat, 'cim'>) : (options.format as Exclude<RecentFormat, 'cim'>), {headers: options.headers})
  else if (eventsVisible && sink) body = sink.end()

  if (findings) {
    const done = await findings.finish()
    result.findings = done.findings
    result.notices.push(...done.limits)
    if (options.failOn) {
      const {failingFindings} = await import('../detect/fail-on.js')
      result.failing = failingFindings(done.findings, options.failOn).length
    }
    await options.write(cim ? cim.renderCimLines(done.findings, cimOptions) : await renderFindings(done.findings, options.format as Exclude<RecentFormat, 'cim'>, options.headers))
    if (options.format === 'table' || options.format === 'wide') await options.write(body === '' ? '' : `\n${body}`)
  } else {
    await options.write(body)
  }
  return result
}

function tableOnly(format: Exclude<RecentFormat, 'cim'>): Exclude<RecentFormat, 'cim'> {
  return format === 'wide' ? 'wide' : 'table'
}

async function renderFindings(findings: Finding[], format: Exclude<RecentFormat, 'cim'>, headers: boolean): Promise<string> {
  const {FINDING_COLUMNS, FINDING_WIDE_COLUMNS, findingRow} = await import('../detect/describe.js')
  const {renderCsv, renderJsonLine, renderYaml} = await import('../output/formats.js')
  const {renderTable} = await import('../output/table.js')
  switch (format) {
    case 'json':
      return findings.map((f) => renderJsonLine(f)).join('')
    case 'yaml':
      return renderYaml(findings)
    case 'csv':
      return renderCsv([...FINDING_WIDE_COLUMNS], findings.map((f) => findingRow(f, {wide: true})), {headers})
    default: {
      if (findings.length === 0) return 'No findings.\n'
      const wide = format === 'wide'
      return renderTable([...(wide ? FINDING_WIDE_COLUMNS : FINDING_COLUMNS)], findings.map((f) => findingRow(f, {wide})), {headers})
    }
  }
}
