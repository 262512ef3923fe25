// Pure derivations behind the dashboard's views: sorting, filtering, summaries, identity matching,
// detail lines and the kubectl commands. No React here, so each piece is tested directly and the
// components only memoise calls to these functions.
import {isAdmissionRefusal, type AuditEvent} from '../audit/event.js'
import {redactEvent} from '../audit/redact-event.js'
import {SEVERITIES, type Finding, type Severity} from '../detect/finding.js'
import type {GrantPath, IdentityRef, RuleInfo, UnusedClass, UnusedRow, WhoCanRow} from './model.js'
import {shellQuote} from '../lib/shell-quote.js'
import {clean, formatTime} from './text.js'

export const WHO_CAN_SORTS = ['risk', 'name', 'kind', 'scope', 'confirmation'] as const
export const EVENT_SORTS = ['newest', 'oldest', 'user', 'verb', 'resource'] as const
export const FINDING_SORTS = ['severity', 'newest', 'rule', 'who', 'count'] as const
export const UNUSED_SORTS = ['class', 'last access', 'name'] as const

export type WhoCanSort = (typeof WHO_CAN_SORTS)[number]
export type EventSort = (typeof EVENT_SORTS)[number]
export type FindingSort = (typeof FINDING_SORTS)[number]
export type UnusedSort = (typeof UNUSED_SORTS)[number]

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

const CONFIRMATION_ORDER = {confirmed: 0, unverified: 1, offline: 2, skipped: 3, partial: 4, denied: 5} as const

export function sortWhoCan(rows: readonly WhoCanRow[], key: WhoCanSort): WhoCanRow[] {
  const out = rows.slice()
  const name = (r: WhoCanRow) => `${r.namespace ?? ''}/${r.name}`
  switch (key) {
    case 'risk':
      // Most risks first; broad grants (wildcards) before narrow ones at equal risk.
      out.sort((a, b) => b.risks.length - a.risks.length || Number(b.broad ?? false) - Number(a.broad ?? false) || byText(name(a), name(b)))
      break
    case 'name':
      out.sort((a, b) => byText(a.name, b.name) || byText(a.namespace ?? '', b.namespace ?? ''))
      break
    case 'kind':
      out.sort((a, b) => byText(a.kind, b.kind) || byText(name(a), name(b)))
      break
    case 'scope':
      // Cluster-wide first: it is the widest exposure.
      out.sort((a, b) => Number(b.scope === 'cluster-wide') - Number(a.scope === 'cluster-wide') || byText(a.scope, b.scope) || byText(name(a), name(b)))
      break
    case 'confirmation':
      out.sort((a, b) => CONFIRMATION_ORDER[a.confirmation] - CONFIRMATION_ORDER[b.confirmation] || byText(name(a), name(b)))
      break
  }
  return out
}

export function sortEvents(events: readonly AuditEvent[], key: EventSort): AuditEvent[] {
  const out = events.slice()
  switch (key) {
    case 'newest':
      out.sort((a, b) => b.time - a.time)
      break
    case 'oldest':
      out.sort((a, b) => a.time - b.time)
      break
    case 'user':
      out.sort((a, b) => byText(a.user.username, b.user.username) || b.time - a.time)
      break
    case 'verb':
      out.sort((a, b) => byText(a.verb, b.verb) || b.time - a.time)
      break
    case 'resource':
      out.sort((a, b) => byText(a.resource ?? '', b.resource ?? '') || b.time - a.time)
      break
  }
  return out
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity)
}

export function sortFindings(findings: readonly Finding[], key: FindingSort): Finding[] {
  const out = findings.slice()
  switch (key) {
    case 'severity':
      out.sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || b.lastSeen - a.lastSeen)
      break
    case 'newest':
      out.sort((a, b) => b.lastSeen - a.lastSeen)
      break
    case 'rule':
      out.sort((a, b) => byText(a.ruleId, b.ruleId) || severityRank(b.severity) - severityRank(a.severity))
      break
    case 'who':
      out.sort((a, b) => byText(a.who, b.who) || severityRank(b.severity) - severityRank(a.severity))
      break
    case 'count':
      out.sort((a, b) => b.count - a.count)
      break
  }
  return out
}

/** Merge a batch of live events into a list already sorted newest first, in O(n + m). */
export function mergeNewestFirst(sorted: readonly AuditEvent[], batch: readonly AuditEvent[]): AuditEvent[] {
  const incoming = batch.slice().sort((a, b) => b.time - a.time)
  const out: AuditEvent[] = new Array(sorted.length + incoming.length)
  let i = 0
  let j = 0
  let k = 0
  while (i < sorted.length || j < incoming.length) {
    const a = sorted[i]
    const b = incoming[j]
    // On equal times the live event goes first: it arrived later.
    if (b !== undefined && (a === undefined || b.time >= a.time)) {
      out[k++] = b
      j++
    } else if (a !== undefined) {
      out[k++] = a
      i++
    }
  }
  return out
}

// Filtering is a case-insensitive substring search over the columns a person sees.
function matcher(query: string): ((text: string) => boolean) | undefined {
  const q = query.trim().toLowerCase()
  if (q === '') return undefined
  return (text) => text.toLowerCase().includes(q)
}

export function filterWhoCan(rows: readonly WhoCanRow[], query: string): readonly WhoCanRow[] {
  const m = matcher(query)
  if (!m) return rows
  return rows.filter((r) =>
    m([r.kind, r.namespace ?? '', r.name, r.verbs.join(','), r.resources.join(','), r.scope, r.confirmation, r.risks.join(',')].join(' ')),
  )
}

export function filterEvents(events: readonly AuditEvent[], query: string): readonly AuditEvent[] {
  const m = matcher(query)
  if (!m) return events
  return events.filter((e) =>
    m(
      [e.user.username, e.user.groups.join(','), e.verb, e.resource ?? '', e.namespace ?? '', e.name ?? '', e.sourceIPs.join(','), e.userAgent ?? '', String(e.code ?? ''), e.requestURI ?? ''].join(' '),
    ),
  )
}

export function filterFindings(findings: readonly Finding[], query: string): readonly Finding[] {
  const m = matcher(query)
  if (!m) return findings
  return findings.filter((f) => m([f.ruleId, f.title, f.severity, f.technique, f.who, f.what].join(' ')))
}

export interface Tally {
  value: string
  count: number
}

export interface EventSummary {
  users: Tally[]
  groups: Tally[]
  sourceIPs: Tally[]
  userAgents: Tally[]
}

/** Top `n` users, groups, source IPs and user agents, in one pass over the events. */
export function summarise(events: readonly AuditEvent[], n: number): EventSummary {
  const users = new Map<string, number>()
  const groups = new Map<string, number>()
  const ips = new Map<string, number>()
  const agents = new Map<string, number>()
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1)
  for (const e of events) {
    bump(users, e.user.username)
    for (const g of e.user.groups) bump(groups, g)
    for (const ip of e.sourceIPs) bump(ips, ip)
    bump(agents, e.userAgent ?? '(none)')
  }
  const top = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1] || byText(a[0], b[0]))
      .slice(0, n)
      .map(([value, count]) => ({value, count}))
  return {users: top(users), groups: top(groups), sourceIPs: top(ips), userAgents: top(agents)}
}

/** The username Kubernetes authenticates a subject as. Groups have none. */
export function usernameOf(identity: IdentityRef): string | undefined {
  if (identity.kind === 'User') return identity.name
  if (identity.kind === 'ServiceAccount') return `system:serviceaccount:${identity.namespace ?? 'default'}:${identity.name}`
  return undefined
}

/** The identity an event acted as, with service-account usernames recognised as such. */
export function identityOfUsername(username: string): IdentityRef {
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username)
  if (sa) return {kind: 'ServiceAccount', namespace: sa[1], name: sa[2] ?? ''}
  return {kind: 'User', name: username}
}

export function identityLabel(identity: IdentityRef): string {
  return identity.kind === 'ServiceAccount' ? `ServiceAccount ${identity.namespace ?? 'default'}/${identity.name}` : `${identity.kind} ${identity.name}`
}

/** What the identity did: its events (as the effective user, or as the group's member). */
export function eventsOfIdentity(events: readonly AuditEvent[], identity: IdentityRef): AuditEvent[] {
  const username = usernameOf(identity)
  if (username !== undefined) return events.filter((e) => e.user.username === username || e.impersonator?.username === username)
  return events.filter((e) => e.user.groups.includes(identity.name))
}

/**
 * What the identity can do: who-can rows whose subject is the identity itself, or a group the
 * identity carries (from its events; service accounts always carry their implicit groups).
 */
export function rowsOfIdentity(rows: readonly WhoCanRow[], identity: IdentityRef, itsEvents: readonly AuditEvent[]): WhoCanRow[] {
  const groups = new Set<string>()
  for (const e of itsEvents) for (const g of e.user.groups) groups.add(g)
  if (identity.kind === 'ServiceAccount') {
    groups.add('system:serviceaccounts')
    groups.add(`system:serviceaccounts:${identity.namespace ?? 'default'}`)
  }
  return rows.filter((r) => {
    if (r.kind === identity.kind && r.name === identity.name && (r.kind !== 'ServiceAccount' || (r.namespace ?? 'default') === (identity.namespace ?? 'default'))) return true
    return identity.kind !== 'Group' && r.kind === 'Group' && groups.has(r.name)
  })
}

// Names from manifests are not guaranteed to be valid Kubernetes names; quote anything a shell
// would interpret so a copied command does exactly what it says.
export {shellQuote} from '../lib/shell-quote.js'

function bindingResource(kind: string): string {
  return kind === 'ClusterRoleBinding' ? 'clusterrolebinding' : 'rolebinding'
}

function nsFlag(namespace: string | undefined): string {
  return namespace ? ` -n ${shellQuote(namespace)}` : ''
}

/** How many subjects a binding carries: the engine's count, else the subjects seen sharing it. */
export function bindingSubjectCount(path: GrantPath, rows: readonly WhoCanRow[]): number {
  if (path.binding.subjects !== undefined) return path.binding.subjects
  const keys = new Set<string>()
  for (const r of rows) {
    for (const p of r.paths) {
      if (p.binding.kind === path.binding.kind && p.binding.name === path.binding.name && (p.binding.namespace ?? '') === (path.binding.namespace ?? '')) {
        keys.add(`${r.kind}/${r.namespace ?? ''}/${r.name}`)
      }
    }
  }
  return Math.max(1, keys.size)
}

export interface PathCommands {
  inspect: string[]
  remove: string[]
  note?: string
}

/** The exact kubectl commands to inspect a grant path and to take the access away. */
export function commandsForPath(path: GrantPath, subjectCount: number): PathCommands {
  const res = bindingResource(path.binding.kind)
  const target = `${res} ${shellQuote(path.binding.name)}${path.binding.kind === 'ClusterRoleBinding' ? '' : nsFlag(path.binding.namespace)}`
  const roleNs = path.role.kind === 'Role' ? nsFlag(path.binding.namespace) : ''
  const inspect = [`kubectl get ${target} -o yaml`]
  if (!path.role.missing) inspect.push(`kubectl get ${path.role.kind === 'Role' ? 'role' : 'clusterrole'} ${shellQuote(path.role.name)}${roleNs} -o yaml`)
  if (subjectCount <= 1) return {inspect, remove: [`kubectl delete ${target}`]}
  // Deleting a binding shared by several subjects would take access from all of them.
  const remove = [`kubectl edit ${target}`]
  if (path.binding.subjectIndex !== undefined) {
    remove.push(`kubectl patch ${target} --type=json -p '[{"op":"remove","path":"/subjects/${path.binding.subjectIndex}"}]'`)
  }
  return {inspect, remove, note: `shared by ${subjectCount} subjects: remove this subject only, do not delete`}
}

export function subjectLabel(r: {kind: string; name: string; namespace?: string}): string {
  return r.kind === 'ServiceAccount' ? `${r.namespace ?? 'default'}/${r.name}` : r.name
}

/** Every line of a who-can row's details, sanitised. */
export function whoCanDetailLines(row: WhoCanRow, allRows: readonly WhoCanRow[]): string[] {
  const lines = [
    `Subject:      ${row.kind} ${clean(subjectLabel(row))}`,
    `Can:          ${clean(row.verbs.join(','))} ${clean(row.resources.join(','))}`,
    `Scope:        ${clean(row.scope)}`,
    `Confirmation: ${row.confirmation.toUpperCase()}`,
    `Risks:        ${row.risks.length > 0 ? clean(row.risks.join(', ')) : 'none'}${row.broad ? ' (broad grant)' : ''}`,
    '',
    `Grant paths (${row.paths.length}):`,
  ]
  row.paths.forEach((p, i) => {
    const b = `${p.binding.kind} ${p.binding.namespace ? `${clean(p.binding.namespace)}/` : ''}${clean(p.binding.name)}`
    const r = `${p.role.kind} ${clean(p.role.name)}${p.role.missing ? ' (MISSING: role not found)' : ''}`
    lines.push('', `${i + 1}. ${b} -> ${r}`, `   rule:   ${clean(p.rule)}`, `   grants: ${clean(p.grants)}`)
    const cmds = commandsForPath(p, bindingSubjectCount(p, allRows))
    lines.push('   inspect:')
    for (const c of cmds.inspect) lines.push(`     ${clean(c)}`)
    lines.push('   remove:')
    if (cmds.note) lines.push(`     # ${cmds.note}`)
    for (const c of cmds.remove) lines.push(`     ${clean(c)}`)
  })
  return lines
}

/** Every field of an event, sanitised. Events never hold bodies, only value-free facts. */
export function eventDetailLines(event: AuditEvent): string[] {
  // Reasons, webhook messages and exec commands may quote a password: shown as `password=…`.
  const e = redactEvent(event)
  const lines: string[] = []
  const add = (label: string, value: string | number | boolean | undefined) => {
    if (value === undefined || value === '') return
    lines.push(`${label.padEnd(14)}${clean(String(value))}`)
  }
  add('Time:', formatTime(e.time))
  add('Audit ID:', e.auditID)
  add('Stage:', e.stage)
  add('Level:', e.level)
  add('Verb:', e.verb)
  add('User:', e.user.username)
  add('Groups:', e.user.groups.join(', '))
  add('UID:', e.user.uid)
  if (e.impersonator) add('Impersonator:', `${e.impersonator.username} (${e.impersonator.groups.join(', ')})`)
  add('Source IPs:', e.sourceIPs.join(', '))
  add('User agent:', e.userAgent)
  add('Request URI:', e.requestURI)
  add('API group:', e.apiGroup === '' ? '(core)' : e.apiGroup)
  add('API version:', e.apiVersion)
  add('Resource:', e.resource)
  add('Subresource:', e.subresource)
  add('Namespace:', e.namespace)
  add('Name:', e.name)
  add('Code:', e.code)
  add('Status:', e.statusReason)
  add('Decision:', isAdmissionRefusal(e) ? 'allow: authorized, then refused by admission (PodSecurity, quota, ...)' : e.decision)
  if (e.system) add('System:', 'yes (systemIdentities: the control plane or a cloud agent)')
  add('Reason:', e.reason)
  if (e.truncated) add('Truncated:', 'yes (cut by the log pipeline)')
  const body = e.body
  if (body) {
    if (body.roleRef) add('Role ref:', `${body.roleRef.kind} ${body.roleRef.name}`)
    if (body.subjects) add('Subjects:', body.subjects.map((s) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`).join(', '))
    for (const r of body.rules ?? []) add('Rule:', `${r.verbs.join(',')} ${(r.resources ?? []).join(',')}${r.resourceNames ? ` names=${r.resourceNames.join(',')}` : ''}`)
    if (body.dataKeys) add('Data keys:', body.dataKeys.join(', '))
    add('Target:', body.target)
    const pod = body.pod
    if (pod) {
      const host = [pod.hostPID && 'hostPID', pod.hostIPC && 'hostIPC', pod.hostNetwork && 'hostNetwork'].filter(Boolean).join(', ')
      add('Privileged:', pod.privileged?.join(', '))
      add('Host namespaces:', host || undefined)
      add('Host paths:', pod.hostPaths?.join(', '))
      add('Capabilities:', pod.capabilities?.join(', '))
      add('Service account:', pod.serviceAccountName)
      add('Secret volumes:', pod.secretVolumes?.join(', '))
    }
  }
  const o = e.origin
  add('Origin:', `${o.format}${o.file ? ` ${o.file}` : ''}${o.line !== undefined ? `:${o.line}` : ''}${o.recordId ? ` (${o.recordId})` : ''}`)
  return lines
}

export function severityLabel(severity: Severity): string {
  return severity.toUpperCase()
}

/**
 * Where an event or a piece of evidence was read (file:line), else its audit ID. Not the audit ID
 * first: kube-apiserver takes a client's own Audit-ID header, so an attacker can give a decoy
 * request the ID of their real one and have the evidence show the decoy.
 */
export function evidenceKey(at: {auditID?: string | undefined; file?: string | undefined; line?: number | undefined}): string | undefined {
  if (at.file !== undefined && at.line !== undefined) return `at\u0000${at.file}\u0000${at.line}`
  return at.auditID !== undefined ? `id\u0000${at.auditID}` : undefined
}

/** Events by where they were read and by audit ID (evidence without a position has only that). */
export function eventsByEvidence(events: readonly AuditEvent[]): Map<string, AuditEvent> {
  const m = new Map<string, AuditEvent>()
  for (const e of events) {
    const at = evidenceKey({file: e.origin.file, line: e.origin.line})
    if (at !== undefined) m.set(at, e)
    const id = evidenceKey({auditID: e.auditID})
    if (id !== undefined && !m.has(id)) m.set(id, e)
  }
  return m
}

/** A finding's explanation and its evidence, matched to the events where they were read. */
export function findingDetailLines(f: Finding, eventsByAuditId: ReadonlyMap<string, AuditEvent>, info: RuleInfo | undefined): string[] {
  const lines = [
    `${severityLabel(f.severity)}  ${clean(f.title)}`,
    `Rule:        ${clean(f.ruleId)}   ATT&CK ${clean(f.technique)}`,
    `Who:         ${clean(f.who)}`,
    `What:        ${clean(f.what)}`,
    `Seen:        ${f.count}x, ${formatTime(f.firstSeen)} .. ${formatTime(f.lastSeen)}`,
  ]
  if (f.detail) lines.push(`Why:         ${clean(f.detail)}`)
  if (info) {
    lines.push('', 'About this rule:', `  ${clean(info.description)}`)
    if (info.falsePositives) lines.push('False positives:', `  ${clean(info.falsePositives)}`)
  }
  lines.push('', `Evidence (${f.evidence.length}):`)
  for (const ev of f.evidence) {
    const key = evidenceKey(ev)
    const e = key !== undefined ? eventsByAuditId.get(key) : undefined
    if (e) lines.push(`  ${eventLine(e)}`)
    else lines.push(`  ${formatTime(ev.time)}  ${ev.auditID ? `audit ${clean(ev.auditID)}` : ''}${ev.file ? ` ${clean(ev.file)}${ev.line !== undefined ? `:${ev.line}` : ''}` : ''} (event not loaded)`)
  }
  return lines
}

export function eventTarget(event: AuditEvent): string {
  const e = redactEvent(event)
  const res = e.resource ? `${e.resource}${e.subresource ? `/${e.subresource}` : ''}` : (e.requestURI ?? '')
  const obj = e.name ? `${e.namespace ? `${e.namespace}/` : ''}${e.name}` : (e.namespace ?? '')
  return obj ? `${res} ${obj}` : res
}

/** One event on one line, for evidence lists. */
export function eventLine(e: AuditEvent): string {
  return `${formatTime(e.time)}  ${clean(e.verb)} ${clean(eventTarget(e))}  by ${clean(e.user.username)}  ${e.code ?? ''}`
}

// ---- Unused (least privilege) ----------------------------------------------------------------

// Unused grants first: they are what the view is for; then reads nobody granted, then denials.
const UNUSED_CLASS_ORDER: Record<UnusedClass, number> = {'can-never-did': 0, 'no-grant': 1, denied: 2, 'can-and-did': 3}

export function sortUnused(rows: readonly UnusedRow[], key: UnusedSort): UnusedRow[] {
  const out = rows.slice()
  const name = (r: UnusedRow) => `${r.namespace ?? ''}/${r.name}`
  switch (key) {
    case 'class':
      out.sort((a, b) => UNUSED_CLASS_ORDER[a.class] - UNUSED_CLASS_ORDER[b.class] || byText(name(a), name(b)) || byText(a.key, b.key))
      break
    case 'last access':
      // Most recent first; never accessed last.
      out.sort((a, b) => (b.lastAccess ?? -Infinity) - (a.lastAccess ?? -Infinity) || byText(name(a), name(b)) || byText(a.key, b.key))
      break
    case 'name':
      out.sort((a, b) => byText(a.name, b.name) || byText(a.namespace ?? '', b.namespace ?? '') || byText(a.key, b.key))
      break
  }
  return out
}

export function filterUnused(rows: readonly UnusedRow[], query: string): readonly UnusedRow[] {
  const m = matcher(query)
  if (!m) return rows
  return rows.filter((r) =>
    m([r.class, r.kind, r.namespace ?? '', r.name, r.access, r.scope, r.objects.join(','), r.suggestions.map((s) => `${s.id} ${s.action}`).join(' ')].join(' ')),
  )
}

/** Every line of an unused row's details: the evidence, then each suggestion and its YAML, sanitised. */
export function unusedDetailLines(row: UnusedRow): string[] {
  const lines = [
    `Subject:      ${row.kind} ${clean(subjectLabel(row))}`,
    `Class:        ${row.class}`,
    `Access:       ${clean(row.access)}`,
    `Scope:        ${clean(row.scope)}`,
    `Last access:  ${row.lastAccess !== undefined ? formatTime(row.lastAccess) : 'never in the window'}`,
    `Count:        ${row.count}`,
    '',
    `Objects (${row.objects.length}):`,
  ]
  if (row.objects.length === 0) lines.push('  none')
  for (const o of row.objects) lines.push(`  ${clean(o)}`)
  if (row.notes && row.notes.length > 0) {
    lines.push('', 'Notes:')
    for (const n of row.notes) lines.push(`  ${clean(n)}`)
  }
  lines.push('', `Suggested changes (${row.suggestions.length}):`)
  if (row.suggestions.length === 0) lines.push('  none')
  row.suggestions.forEach((s, i) => {
    lines.push('', `${i + 1}. ${clean(s.id)} [${clean(s.action)}] ${clean(s.summary)}`)
    // The YAML keeps its indentation: it is meant to be read as the file it will be.
    for (const l of s.yaml.replace(/\n$/, '').split('\n')) lines.push(`   ${clean(l)}`)
  })
  return lines
}
