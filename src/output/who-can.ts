// How a who-can report reads on a terminal. JSON and YAML print the report itself; these tables
// are the human view: one row per subject, the grant paths in `-o wide`.
import type {GrantPath, SubjectGrant} from '../rbac/who-can.js'
import type {ReportedSubject, WhoCanReport} from '../services/who-can.js'
import {renderTable} from './table.js'

const RISK_LABEL: Record<string, string> = {
  superuser: 'superuser',
  'default-service-account': 'default-sa',
  'wildcard-rule': 'wildcard',
  'broad-group': 'broad-group',
  'list-watch': 'list/watch',
  'cluster-wide': 'cluster-wide',
}

export function renderWhoCanTable(report: WhoCanReport, options: {wide: boolean; headers: boolean}): string {
  const columns = ['kind', 'subject', 'access', 'scope', 'confirmed', 'risk']
  if (options.wide) columns.push('via')
  const rows = report.subjects.map((s) => {
    const row = [s.kind, subjectName(s), accessText(s), scopeText(s, options.wide), s.confirmation, riskText(s)]
    if (options.wide) row.push(viaText(s.paths))
    return row
  })
  let out = renderTable(columns, rows, {headers: options.headers})
  if (report.serverOnly.length > 0) {
    out += '\nAllowed by the API server but by no RBAC object (a webhook authorizer, or a binding outside RBAC):\n'
    out += renderTable(
      ['kind', 'subject', 'access', 'reason'],
      report.serverOnly.map((g) => [
        g.kind,
        `${g.namespace}/${g.name}`,
        g.checks.map((c) => `${c.verb} ${c.target}${c.namespace ? ` in ${c.namespace}` : ''}`).join('; '),
        [...new Set(g.checks.map((c) => c.reason ?? ''))].filter(Boolean).join('; '),
      ]),
      {headers: options.headers},
    )
  }
  if (report.indirect) {
    out += '\nIndirect paths to secrets (not direct grants: each path spelled out):\n'
    out += renderTable(
      ['kind', 'subject', 'path', 'confirmed', 'how'],
      report.indirect.map((g) => [g.kind, subjectName(g), g.label, g.confirmation, g.explanation.join('; ')]),
      {headers: options.headers},
    )
  }
  return out
}

export function subjectName(s: Pick<SubjectGrant, 'kind' | 'name' | 'namespace'>): string {
  return s.kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name
}

/** `get,list,watch secrets,configmaps`, or per target when the verbs differ: `get secrets; list configmaps`. */
export function accessText(s: SubjectGrant): string {
  const byTarget = new Map<string, string[]>()
  for (const a of s.access) byTarget.set(a.target, [...(byTarget.get(a.target) ?? []), a.verb])
  const groups = new Map<string, string[]>()
  for (const [target, verbs] of byTarget) {
    const key = verbs.join(',')
    groups.set(key, [...(groups.get(key) ?? []), target])
  }
  return [...groups].map(([verbs, targets]) => `${verbs} ${targets.join(',')}`).join('; ')
}

export function scopeText(s: SubjectGrant, wide: boolean): string {
  if (s.scope.clusterWide) return s.scope.namespaces.length > 0 && wide ? `cluster-wide (+${s.scope.namespaces.join(',')})` : 'cluster-wide'
  const ns = s.scope.namespaces
  if (wide || ns.length <= 3) return ns.join(',')
  return `${ns.slice(0, 3).join(',')} +${ns.length - 3} more`
}

export function riskText(s: SubjectGrant): string {
  return [...new Set(s.risks.map((r) => RISK_LABEL[r.code] ?? r.code))].join(',')
}

export function pathText(p: GrantPath): string {
  if (p.synthetic) return `${p.binding.name} (superuser, outside RBAC)`
  const binding = p.binding.namespace ? `${p.binding.kind}/${p.binding.namespace}/${p.binding.name}` : `${p.binding.kind}/${p.binding.name}`
  const role = `${p.role.kind}/${p.role.name}${p.role.missing ? ' (missing)' : ''}`
  return `${binding} -> ${role}${p.viaGroup ? ` (via group ${p.viaGroup})` : ''}`
}

function viaText(paths: GrantPath[]): string {
  return paths.map(pathText).join('; ')
}

const MAX_SKIPPED_LINES = 20

/** Lines for stderr: what the user should know about the answer's completeness and the policy. */
export function whoCanDiagnostics(report: WhoCanReport): string[] {
  const lines: string[] = []
  if (report.incomplete) {
    lines.push(report.incomplete.missing.length > 0
      ? 'warning: the answer is INCOMPLETE: some RBAC objects could not be read, so subjects may be missing:'
      : 'warning: the answer is INCOMPLETE: some inputs were malformed or unreadable and were skipped, so subjects may be missing:')
    for (const m of report.incomplete.missing) lines.push(`  cannot ${m.description}: ${m.reason}`)
    const skipped = report.incomplete.skipped ?? []
    if (skipped.length > 0) {
      lines.push(`  ${skipped.length} malformed or unreadable input${skipped.length === 1 ? '' : 's'} skipped:`)
      // Thousands of malformed objects must not drown the terminal: the rest is in -o json.
      for (const s of skipped.slice(0, MAX_SKIPPED_LINES)) lines.push(`    ${s.source}: ${s.reason}`)
      if (skipped.length > MAX_SKIPPED_LINES) lines.push(`    ... and ${skipped.length - MAX_SKIPPED_LINES} more (all of them under incomplete.skipped in -o json)`)
    }
  }
  if (report.confirmation.unverifiedReason) lines.push(`note: answers are unverified: ${report.confirmation.unverifiedReason}`)
  const failed = report.confirmation.failed
  if (failed && failed.count > 0) {
    const causes = failed.causes.map((c) => `${c.count} ${c.cause}`).join('; ')
    lines.push(`warning: ${failed.count} of ${failed.asked} SubjectAccessReview${failed.asked === 1 ? '' : 's'} could not be used (${causes}): the subjects they concern are unverified`)
  }
  for (const w of report.warnings) lines.push(`warning: ${w.message}`)
  const denied = report.subjects.filter((s: ReportedSubject) => s.confirmation === 'denied' || s.confirmation === 'partial')
  if (denied.length > 0) {
    lines.push(`note: the API server denies ${denied.length} access(es) that RBAC grants (a webhook authorizer or an explicit deny); see -o json for each check`)
  }
  return lines
}
