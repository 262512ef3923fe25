// Maps an `unused` report onto the dashboard's Unused rows. Kept apart from the report so the UI
// never depends on the service's internal shapes; strings stay raw here and the UI cleans them.
import type {SubjectKind, UnusedRow, UnusedSuggestion, UnusedView} from '../ui/model.js'
import type {Evidence, Suggestion, UnusedReport} from './unused.js'

export async function toUnusedView(report: UnusedReport): Promise<UnusedView> {
  const {suggestionFileText} = await import('./unused.js')
  // Render each suggestion's file once, even when several subjects share it.
  const byId = new Map<string, UnusedSuggestion>()
  for (const s of report.suggestions) byId.set(s.id, await toSuggestion(s, suggestionFileText))
  const suggestionsOf = (ids: readonly string[]) => ids.flatMap((id) => byId.get(id) ?? [])

  const rows: UnusedRow[] = []
  for (const s of report.subjects) {
    rows.push({
      key: `subject:${s.key}`,
      class: s.class === 'used' ? 'can-and-did' : 'can-never-did',
      kind: s.kind,
      name: s.name,
      ...(s.namespace !== undefined ? {namespace: s.namespace} : {}),
      access: accessText(s.access),
      scope: scopeText(s.scope),
      ...evidenceFields(s.evidence),
      suggestions: suggestionsOf(s.suggestions),
      ...(s.notes.length > 0 ? {notes: s.notes} : {}),
    })
  }
  for (const s of report.indirect ?? []) {
    rows.push({
      key: `indirect:${s.key}:${s.path}`,
      class: s.class === 'used' ? 'can-and-did' : 'can-never-did',
      kind: s.kind,
      name: s.name,
      ...(s.namespace !== undefined ? {namespace: s.namespace} : {}),
      access: s.label,
      scope: scopeText(s.scope),
      ...evidenceFields(s.evidence),
      suggestions: [],
      notes: s.explanation,
    })
  }
  for (const n of report.noGrant) {
    rows.push({
      key: `no-grant:${n.user}`,
      class: 'no-grant',
      ...identityOf(n.user),
      access: attempted(n.evidence),
      scope: '-',
      ...evidenceFields(n.evidence),
      suggestions: [],
      notes: [n.explanation],
    })
  }
  for (const d of report.denied) {
    rows.push({
      key: `denied:${d.user}`,
      class: 'denied',
      ...identityOf(d.user),
      access: attempted(d.evidence),
      scope: '-',
      ...evidenceFields(d.evidence),
      suggestions: [],
      ...(d.reasons.length > 0 ? {notes: d.reasons} : {}),
    })
  }
  const w = report.window
  return {rows, window: `${w.from ?? 'start of the log'} .. ${w.to}`}
}

async function toSuggestion(s: Suggestion, fileText: (s: Suggestion) => Promise<string>): Promise<UnusedSuggestion> {
  return {id: s.id, action: s.action, summary: s.summary, yaml: await fileText(s)}
}

function evidenceFields(e: Evidence): {lastAccess?: number; count: number; objects: string[]} {
  const last = e.lastAccess !== undefined ? Date.parse(e.lastAccess) : Number.NaN
  const objects = e.objectCount > e.objects.length ? [...e.objects, `… ${e.objectCount - e.objects.length} more`] : e.objects.slice()
  return {...(Number.isFinite(last) ? {lastAccess: last} : {}), count: e.count, objects}
}

/** Audit usernames as subjects: service accounts recognised, everyone else a User. */
function identityOf(username: string): {kind: SubjectKind; name: string; namespace?: string} {
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username)
  if (sa?.[1] !== undefined && sa[2] !== undefined) return {kind: 'ServiceAccount', namespace: sa[1], name: sa[2]}
  return {kind: 'User', name: username}
}

function attempted(e: Evidence): string {
  return `${e.verbs.join(',') || '-'} ${e.namespaces.length > 0 ? `in ${e.namespaces.map((n) => n || '(cluster)').join(',')}` : ''}`.trim()
}

function scopeText(scope: {clusterWide: boolean; namespaces: string[]}): string {
  if (scope.clusterWide) return 'cluster-wide'
  return scope.namespaces.length > 0 ? scope.namespaces.join(',') : '-'
}

// Same grouping as the table renderer: verbs sharing targets on one line.
function accessText(access: readonly {verb: string; target: string}[]): string {
  const byTarget = new Map<string, string[]>()
  for (const a of access) byTarget.set(a.target, [...(byTarget.get(a.target) ?? []), a.verb])
  const groups = new Map<string, string[]>()
  for (const [target, verbs] of byTarget) groups.set(verbs.join(','), [...(groups.get(verbs.join(',')) ?? []), target])
  return [...groups].map(([verbs, targets]) => `${verbs} ${targets.join(',')}`).join('; ')
}
