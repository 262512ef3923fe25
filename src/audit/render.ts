// Rows and documents for `recent` output. Every attacker-controlled string reaches a terminal only
// through renderTable (sanitised there) or the JSON/YAML/CSV encoders (escaped there); events
// carry no body values by construction (normalise.ts), so nothing here can print one. Reasons,
// response messages and request URIs are someone else's words: credentials in them are redacted
// (redact-event.ts) in every format.
import {renderCsv, renderJson, renderJsonLine, renderYaml, type OutputFormat} from '../output/formats.js'
import {renderTable} from '../output/table.js'
import {sanitizeForTerminal} from '../lib/sanitize.js'
import {decisionText, type AuditEvent} from './event.js'
import {redactEvent} from './redact-event.js'
import type {CountRow, Summary, SummaryTable, TableApproximation} from './summary.js'

export const EVENT_COLUMNS = ['time', 'user', 'verb', 'resource', 'object', 'code', 'decision', 'source']
export const WIDE_COLUMNS = [...EVENT_COLUMNS, 'impersonator', 'groups', 'reason', 'user-agent', 'origin']
export const CSV_COLUMNS = [
  'time', 'user', 'impersonator', 'groups', 'verb', 'resource', 'subresource', 'namespace', 'name', 'code', 'decision',
  'reason', 'sourceIPs', 'userAgent', 'auditID', 'file', 'line', 'system',
]

export function formatTime(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString() : '-'
}

export function eventRow(event: AuditEvent, wide: boolean): string[] {
  const e = redactEvent(event)
  const resource = e.resource ? `${e.resource}${e.subresource ? `/${e.subresource}` : ''}` : (e.requestURI ?? '')
  const object = `${e.namespace ? `${e.namespace}/` : ''}${e.name ?? (e.resource ? '*' : '')}`
  const row = [
    formatTime(e.time),
    e.impersonator ? `${e.user.username} (by ${e.impersonator.username})` : e.user.username,
    e.verb,
    resource,
    object,
    e.code === undefined ? '' : String(e.code),
    decisionText(e),
    e.sourceIPs.join(','),
  ]
  if (!wide) return row
  return [
    ...row,
    e.impersonator?.username ?? '',
    e.user.groups.join(','),
    e.reason ?? e.statusReason ?? '',
    e.userAgent ?? '',
    e.origin.file ? `${e.origin.file}${e.origin.line ? `:${e.origin.line}` : ''}` : '',
  ]
}

export function csvRow(event: AuditEvent): string[] {
  const e = redactEvent(event)
  // renderCsv escapes control characters but not the bidi overrides: sanitise every cell here.
  return [
    formatTime(e.time), e.user.username, e.impersonator?.username ?? '', e.user.groups.join(' '), e.verb, e.resource ?? '',
    e.subresource ?? '', e.namespace ?? '', e.name ?? '', e.code === undefined ? '' : String(e.code), e.decision ?? '',
    e.reason ?? e.statusReason ?? '', e.sourceIPs.join(' '), e.userAgent ?? '', e.auditID ?? '', e.origin.file ?? '',
    e.origin.line === undefined ? '' : String(e.origin.line), e.system ? 'true' : '',
  ].map(sanitizeForTerminal)
}

/** Table or wide table of events, oldest first (newest last, like logs). */
export function renderEventTable(events: AuditEvent[], options: {wide?: boolean; headers?: boolean} = {}): string {
  const sorted = [...events].sort((a, b) => a.time - b.time)
  const wide = options.wide ?? false
  return renderTable(wide ? WIDE_COLUMNS : EVENT_COLUMNS, sorted.map((e) => eventRow(e, wide)), {headers: options.headers ?? true})
}

/** The event as machine formats print it: the AuditEvent plus its time in RFC 3339, for people and jq. */
export function outputEvent(e: AuditEvent): AuditEvent & {timestamp: string} {
  return {timestamp: formatTime(e.time), ...redactEvent(e)}
}

/** A streaming writer for formats that can stream (json lines, csv); others buffer. */
export interface EventSink {
  add(e: AuditEvent): string
  end(): string
}

export function createEventSink(format: OutputFormat, options: {headers?: boolean} = {}): EventSink {
  const headers = options.headers ?? true
  const held: AuditEvent[] = []
  let first = true
  switch (format) {
    case 'json':
      return {add: (e) => renderJsonLine(outputEvent(e)), end: () => ''}
    case 'csv':
      return {
        add(e) {
          const out = renderCsv(CSV_COLUMNS, [csvRow(e)], {headers: headers && first})
          first = false
          return out
        },
        end: () => (first && headers ? renderCsv(CSV_COLUMNS, [], {headers: true}) : ''),
      }
    case 'yaml':
      return {add: (e) => (held.push(e), ''), end: () => (held.length > 0 ? renderYaml(held.map(outputEvent)) : '[]\n')}
    default:
      return {
        add: (e) => (held.push(e), ''),
        end: () => renderEventTable(held, {wide: format === 'wide', headers}),
      }
  }
}

function countTable(title: string, keyName: string, rows: CountRow[], headers: boolean, limit: number, approx?: TableApproximation): string {
  const shown = rows.slice(0, limit)
  const body = renderTable(
    [keyName, approx ? 'count (<=)' : 'count', 'users', 'failures', 'denied', 'first seen', 'last seen'],
    shown.map((r) => [r.key === '' ? '(none)' : r.key, approx && r.error ? `${r.count} (-${r.error})` : String(r.count), usersText(r), String(r.failures), String(r.denied), formatTime(r.firstSeen), formatTime(r.lastSeen)]),
    {headers},
  )
  const more = rows.length > limit ? `(${rows.length - limit} more; ${approx ? '-o wide shows the rest of the top' : '-o json for all'})\n` : ''
  return `${approx ? `${title} (${approximationText(approx)})` : title}\n${body}${more}\n`
}

/**
 * One line that lets a reader judge an approximate table: what is kept, how far counts may be off,
 * how many keys there were.
 */
export function approximationText(a: TableApproximation): string {
  return (
    `approx.: top ${a.counters.toLocaleString('en-US')} of ≈${a.distinct.toLocaleString('en-US')} distinct (±${(2 * a.distinctError * 100).toFixed(1)}%); ` +
    `counts are upper bounds, over by at most ${a.maxError.toLocaleString('en-US')}; other figures count from when a key entered the table`
  )
}

/** The summary as tables (table/wide), or as one JSON/YAML document. */
export function renderSummary(summary: Summary, format: OutputFormat, options: {headers?: boolean; limit?: number} = {}): string {
  if (format === 'json') return renderJson(summary)
  if (format === 'yaml') return renderYaml(summary)
  const headers = options.headers ?? true
  const limit = options.limit ?? (format === 'wide' ? Number.POSITIVE_INFINITY : 20)
  if (format === 'csv') {
    const rows: string[][] = []
    // maxError and distinct are empty for exact tables; in an approximate one, every row says how
    // far its count may be over and how many distinct keys the table had (estimate).
    const add = (kind: string, list: CountRow[], table: SummaryTable) => {
      const approx = summary.approximate?.[table]
      const distinct = approx ? String(approx.distinct) : ''
      for (const r of list) rows.push([kind, sanitizeForTerminal(r.key), String(r.count), usersText(r), String(r.failures), String(r.denied), formatTime(r.firstSeen), formatTime(r.lastSeen), approx ? String(r.error ?? 0) : '', distinct])
    }
    add('user', summary.users, 'users')
    add('systemUser', summary.systemUsers, 'systemUsers')
    add('group', summary.groups, 'groups')
    add('sourceIP', summary.sourceIPs, 'sourceIPs')
    add('userAgent', summary.userAgents, 'userAgents')
    add('object', summary.objects, 'objects')
    return renderCsv(['kind', 'key', 'count', 'users', 'failures', 'denied', 'firstSeen', 'lastSeen', 'maxError', 'distinct'], rows, {headers})
  }
  let out = `${summary.events} events from ${formatTime(summary.firstSeen ?? 0)} to ${formatTime(summary.lastSeen ?? 0)}\n\n`
  const approx = summary.approximate ?? {}
  out += countTable('Users', 'user', summary.users, headers, limit, approx.users)
  if (summary.systemUsers.length > 0) out += countTable('Control plane and system identities (--no-system hides them)', 'user', summary.systemUsers, headers, limit, approx.systemUsers)
  out += countTable('Groups', 'group', summary.groups, headers, limit, approx.groups)
  out += countTable('Source IPs', 'source ip', summary.sourceIPs, headers, limit, approx.sourceIPs)
  out += countTable('User agents', 'user agent', summary.userAgents, headers, limit, approx.userAgents)
  out += countTable('Objects', 'object', summary.objects, headers, limit, approx.objects)
  out += 'Client types\n'
  out += renderTable(
    ['type', 'count', 'users'],
    summary.agentTypes.map((t) => [t.type, String(t.count), t.users.length > 5 ? `${t.users.slice(0, 5).join(',')},+${t.users.length - 5}${t.usersCapped ? '+' : ''}` : t.users.join(',')]),
    {headers},
  )
  out += `\nService accounts with unusual activity${approx.serviceAccounts ? ` (the ${approx.serviceAccounts.counters.toLocaleString('en-US')} most active of ≈${approx.serviceAccounts.distinct.toLocaleString('en-US')} service accounts)` : ''}\n`
  out +=
    summary.unusualServiceAccounts.length === 0
      ? '(none)\n'
      : renderTable(
          ['service account', 'count', 'objects', 'namespaces', 'failures', 'why'],
          summary.unusualServiceAccounts.map((s) => [s.serviceAccount, String(s.count), String(s.objects), String(s.namespaces), String(s.failures), s.reasons.join('; ')]),
          {headers},
        )
  return out
}


/** `32+` once a row has more distinct users than the summary counts exactly. */
function usersText(r: CountRow): string {
  return r.usersCapped ? `${r.users}+` : String(r.users)
}
