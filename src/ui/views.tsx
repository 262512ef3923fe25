// Presentational pieces of the dashboard. Every row arrives here already sliced to the visible
// window and every string is sanitised before it is measured, so these components stay cheap and
// a hostile user name cannot drive the terminal.
import {Box, Text} from 'ink'
import type {AuditEvent} from '../audit/event.js'
import type {Finding, Severity} from '../detect/finding.js'
import type {EventSummary, Tally} from './derive.js'
import {eventTarget, identityLabel, severityLabel, subjectLabel} from './derive.js'
import type {Confirmation, IdentityRef, UnusedClass, UnusedRow, WhoCanRow} from './model.js'
import {clean, columns, fit} from './text.js'

type Colour = string | undefined

const SEVERITY_COLOURS: Record<Severity, string> = {critical: 'magenta', high: 'red', medium: 'yellow', low: 'cyan', info: 'gray'}
const CONFIRMATION_COLOURS: Record<Confirmation, string> = {confirmed: 'green', denied: 'red', partial: 'red', unverified: 'yellow', offline: 'gray', skipped: 'gray'}

function paint(enabled: boolean, colour: string): Colour {
  return enabled ? colour : undefined
}

/** `11-27 12:41:20`: enough to read a recent timeline in 14 columns. */
function shortTime(ms: number): string {
  if (!Number.isFinite(ms)) return '-'
  const iso = new Date(ms).toISOString()
  return `${iso.slice(5, 10)} ${iso.slice(11, 19)}`
}

function kindShort(kind: string): string {
  return kind === 'ServiceAccount' ? 'SA' : kind
}

export function Line({text, width, inverse, colour, bold}: {text: string; width: number; inverse?: boolean; colour?: Colour; bold?: boolean}) {
  return (
    <Text inverse={inverse} color={colour} bold={bold} wrap="truncate">
      {fit(text, width)}
    </Text>
  )
}

// ---- Who can ------------------------------------------------------------------------------

function whoCanWidths(width: number): number[] {
  // marker, kind, subject, can, scope, confirmation; risk takes the rest.
  const fixed = 2 + 6 + 18 + 14 + 11
  const subject = Math.max(12, width - fixed - 12)
  return [2, 6, subject, 18, 14, 11]
}

export function WhoCanHeader({width}: {width: number}) {
  return <Line text={columns(['', 'KIND', 'SUBJECT', 'CAN', 'SCOPE', 'CONFIRM', 'RISK'], whoCanWidths(width), width)} width={width} bold />
}

export function WhoCanRowLine({row, selected, width, colour}: {row: WhoCanRow; selected: boolean; width: number; colour: boolean}) {
  const widths = whoCanWidths(width)
  const risk = row.risks.length > 0 ? clean(row.risks.join(',')) : '-'
  const firstFive = widths.slice(0, 5)
  const head =
    columns(
      [selected ? '>' : '', kindShort(row.kind), clean(subjectLabel(row)), `${clean(row.verbs.join(','))} ${clean(row.resources.join(','))}`, clean(row.scope)],
      firstFive,
      firstFive.reduce((a, b) => a + b, 0) - 1,
    ) + ' '
  const conf = fit(row.confirmation.toUpperCase(), (widths[5] ?? 11) - 1) + ' '
  const rest = Math.max(0, width - widths.reduce((a, b) => a + b, 0))
  return (
    <Text inverse={selected} wrap="truncate">
      {head}
      <Text color={paint(colour, CONFIRMATION_COLOURS[row.confirmation])}>{conf}</Text>
      <Text color={row.risks.length > 0 ? paint(colour, 'red') : undefined}>{fit(risk, rest)}</Text>
    </Text>
  )
}

// ---- Recent events --------------------------------------------------------------------------

function eventWidths(width: number): number[] {
  // marker, time, verb, user; target then code.
  const user = Math.max(12, Math.floor((width - 2 - 15 - 8 - 5) * 0.4))
  return [2, 15, 8, user]
}

export function EventHeader({width}: {width: number}) {
  const w = eventWidths(width)
  const head = columns(['', 'TIME (UTC)', 'VERB', 'USER', 'TARGET'], [...w, width], width - 5)
  return <Line text={head + ' CODE'} width={width} bold />
}

export function EventRowLine({event, selected, width, colour}: {event: AuditEvent; selected: boolean; width: number; colour: boolean}) {
  const w = eventWidths(width)
  const head = columns([selected ? '>' : '', shortTime(event.time), clean(event.verb), clean(event.user.username), clean(eventTarget(event))], [...w, width], width - 5)
  const code = event.code
  const denied = code === 401 || code === 403
  return (
    <Text inverse={selected} wrap="truncate">
      {head}
      <Text color={denied ? paint(colour, 'red') : undefined}>{fit(` ${code ?? ''}`, 5)}</Text>
    </Text>
  )
}

function TallyPanel({title, tallies, width, lines}: {title: string; tallies: Tally[]; width: number; lines: number}) {
  const items: string[] = []
  for (let i = 0; i < lines; i++) {
    const t = tallies[i]
    if (!t) {
      items.push('')
      continue
    }
    const count = String(t.count)
    items.push(fit(clean(t.value), Math.max(1, width - count.length - 2)) + ' ' + count)
  }
  return (
    <Box flexDirection="column" width={width}>
      <Text bold wrap="truncate">{fit(title, width - 1)}</Text>
      {items.map((text, i) => (
        <Text key={i} wrap="truncate">{fit(text, width - 1)}</Text>
      ))}
    </Box>
  )
}

export function SummaryPanels({summary, width, lines}: {summary: EventSummary; width: number; lines: number}) {
  const w = Math.floor(width / 4)
  return (
    <Box flexDirection="row" height={lines + 1}>
      <TallyPanel title="TOP USERS" tallies={summary.users} width={w} lines={lines} />
      <TallyPanel title="TOP GROUPS" tallies={summary.groups} width={w} lines={lines} />
      <TallyPanel title="TOP SOURCE IPS" tallies={summary.sourceIPs} width={w} lines={lines} />
      <TallyPanel title="TOP USER AGENTS" tallies={summary.userAgents} width={width - 3 * w} lines={lines} />
    </Box>
  )
}

// ---- Findings -------------------------------------------------------------------------------

function findingWidths(width: number): number[] {
  // marker, severity, count, rule, who; what takes the rest.
  const flex = Math.max(24, width - 2 - 9 - 6)
  return [2, 9, 6, Math.floor(flex * 0.3), Math.floor(flex * 0.3)]
}

export function FindingHeader({width}: {width: number}) {
  return <Line text={columns(['', 'SEVERITY', 'COUNT', 'RULE', 'WHO', 'WHAT'], findingWidths(width), width)} width={width} bold />
}

export function FindingRowLine({finding, selected, width, colour}: {finding: Finding; selected: boolean; width: number; colour: boolean}) {
  const w = findingWidths(width)
  const sev = fit(severityLabel(finding.severity), (w[1] ?? 9) - 1) + ' '
  const restWidth = width - (w[0] ?? 2) - (w[1] ?? 9)
  const rest = columns([String(finding.count), clean(finding.ruleId), clean(finding.who), clean(finding.what)], w.slice(2), restWidth)
  return (
    <Text inverse={selected} wrap="truncate">
      {selected ? '> ' : '  '}
      <Text color={paint(colour, SEVERITY_COLOURS[finding.severity])} bold={finding.severity === 'critical' || finding.severity === 'high'}>
        {sev}
      </Text>
      {rest}
    </Text>
  )
}

// ---- Unused (least privilege) -----------------------------------------------------------------

const UNUSED_CLASS_COLOURS: Record<UnusedClass, string> = {'can-never-did': 'yellow', 'can-and-did': 'green', 'no-grant': 'magenta', denied: 'red'}

function unusedWidths(width: number): number[] {
  // marker, class, subject, access; then last access (14) and count (6).
  const flex = Math.max(20, width - 2 - 14 - 15 - 6)
  // The subject is what a reader scans for; the access is in the details in full.
  const subject = Math.ceil(flex * 0.55)
  return [2, 14, subject, flex - subject]
}

export function UnusedHeader({width}: {width: number}) {
  const w = unusedWidths(width)
  const head = columns(['', 'CLASS', 'SUBJECT', 'ACCESS'], [...w, width], width - 22) + ' '
  return <Line text={`${head}${fit('LAST ACCESS', 15)}${fit('COUNT', 6)}`} width={width} bold />
}

export function UnusedRowLine({row, selected, width, colour}: {row: UnusedRow; selected: boolean; width: number; colour: boolean}) {
  const w = unusedWidths(width)
  const cls = fit(row.class, (w[1] ?? 14) - 1) + ' '
  // One space before LAST ACCESS: the last column of columns() has no trailing gap.
  const rest = columns([clean(`${kindShort(row.kind)} ${subjectLabel(row)}`), clean(row.access)], w.slice(2), width - 22 - (w[0] ?? 2) - (w[1] ?? 14)) + ' '
  const last = fit(row.lastAccess !== undefined ? shortTime(row.lastAccess) : 'never', 14) + ' '
  return (
    <Text inverse={selected} wrap="truncate">
      {selected ? '> ' : '  '}
      <Text color={paint(colour, UNUSED_CLASS_COLOURS[row.class])}>{cls}</Text>
      {rest}
      {last}
      {fit(String(row.count), 6)}
    </Text>
  )
}

// ---- Shared panes ---------------------------------------------------------------------------

/** A block of pre-sanitised text lines, windowed by `offset`, exactly `height` lines tall. */
export function TextPane({lines, offset, height, width}: {lines: readonly string[]; offset: number; height: number; width: number}) {
  const shown = lines.slice(offset, offset + height)
  const pad = Math.max(0, height - shown.length)
  return (
    <Box flexDirection="column" height={height}>
      {shown.map((line, i) => (
        <Text key={i} wrap="truncate">{fit(line, width)}</Text>
      ))}
      {pad > 0 ? <Text>{Array.from({length: pad}, () => '').join('\n')}</Text> : null}
    </Box>
  )
}

export function identityCanLines(identity: IdentityRef, rows: readonly WhoCanRow[], hasWhoCan: boolean): string[] {
  if (!hasWhoCan) return ['(no who-can data loaded)']
  if (rows.length === 0) return [`nothing on secrets/configmaps for ${clean(identityLabel(identity))}`]
  return rows.map(
    (r) => `${r.kind === identity.kind && r.name === identity.name ? 'self ' : `via ${kindShort(r.kind)} ${clean(r.name)}: `}${clean(r.verbs.join(','))} ${clean(r.resources.join(','))} in ${clean(r.scope)} [${r.confirmation.toUpperCase()}]`,
  )
}

export const HELP_LINES = [
  'Views      Tab / Shift-Tab cycle, 1 Who can, 2 Recent, 3 Findings, 4 Identity, 5 Unused (with unused data)',
  'Move       Up/Down or j/k, PgUp/PgDn, g/G or Home/End',
  'Details    Enter opens the selected row, Esc goes back',
  'Filter     / then type, Enter applies, Esc clears',
  'Sort       s cycles the sort key of the current view',
  'Identity   i opens the selected row\'s identity: what it can do and what it did',
  'Help       ? shows or hides this help',
  'Quit       q or Ctrl-C',
  '',
  'Severity and confirmation are written as words, so no colour is needed to read them.',
  'Set NO_COLOR=1 to turn colours off.',
]
