// How an `unused` report reads on a terminal: one section per class. JSON and YAML print the
// report itself. Every cell goes through renderTable, which makes it terminal-safe.
import type {Evidence, UnusedReport} from '../services/unused.js'
import {renderTable} from './table.js'

export function renderUnusedTable(report: UnusedReport, options: {headers: boolean}): string {
  const h = {headers: options.headers}
  const sections: string[] = []
  sections.push(
    'Can read secrets/configmaps (RBAC), with the audit evidence:\n' +
      renderTable(
        ['class', 'kind', 'subject', 'access', 'scope', 'last access', 'count', 'objects', 'suggestion'],
        report.subjects.map((s) => [
          s.class === 'used' ? 'can-and-did' : 'can-never-did',
          s.kind,
          s.kind === 'ServiceAccount' ? `${s.namespace}/${s.name}` : s.name,
          accessText(s.access),
          s.scope.clusterWide ? 'cluster-wide' : s.scope.namespaces.join(','),
          s.evidence.lastAccess ?? '-',
          String(s.evidence.count),
          objectsText(s.evidence),
          s.suggestions.join(',') || (s.notes.length > 0 ? 'manual (see -o json notes)' : '-'),
        ]),
        h,
      ),
  )
  if (report.indirect) {
    sections.push(
      'Indirect paths to secrets (kept apart from direct grants), with the audit evidence:\n' +
        renderTable(
          ['class', 'kind', 'subject', 'path', 'how', 'last use', 'count'],
          report.indirect.map((s) => [
            s.class === 'used' ? 'can-and-did' : 'can-never-did',
            s.kind,
            s.kind === 'ServiceAccount' ? `${s.namespace}/${s.name}` : s.name,
            s.label,
            s.explanation.join('; '),
            s.evidence.lastAccess ?? '-',
            String(s.evidence.count),
          ]),
          h,
        ),
    )
  }
  sections.push(
    'Read secrets/configmaps but no RBAC grant found:\n' +
      (report.noGrant.length === 0
        ? '(none)\n'
        : renderTable(
            ['user', 'count', 'last access', 'objects', 'why'],
            report.noGrant.map((n) => [n.user, String(n.evidence.count), n.evidence.lastAccess ?? '-', objectsText(n.evidence), n.explanation]),
            h,
          )),
  )
  sections.push(
    'Tried and was denied:\n' +
      (report.denied.length === 0
        ? '(none)\n'
        : renderTable(
            ['user', 'count', 'last attempt', 'verbs', 'objects'],
            report.denied.map((d) => [d.user, String(d.evidence.count), d.evidence.lastAccess ?? '-', d.evidence.verbs.join(','), objectsText(d.evidence)]),
            h,
          )),
  )
  sections.push(
    'Suggested RBAC changes (--write-suggestions DIR writes them as YAML):\n' +
      (report.suggestions.length === 0
        ? '(none)\n'
        : renderTable(
            ['id', 'action', 'summary'],
            report.suggestions.map((s) => [s.id, s.action, s.summary]),
            h,
          )),
  )
  return sections.join('\n')
}

function accessText(access: {verb: string; target: string}[]): string {
  const byTarget = new Map<string, string[]>()
  for (const a of access) byTarget.set(a.target, [...(byTarget.get(a.target) ?? []), a.verb])
  const groups = new Map<string, string[]>()
  for (const [target, verbs] of byTarget) groups.set(verbs.join(','), [...(groups.get(verbs.join(',')) ?? []), target])
  return [...groups].map(([verbs, targets]) => `${verbs} ${targets.join(',')}`).join('; ')
}

function objectsText(e: Evidence): string {
  if (e.objectCount === 0) return '-'
  const shown = e.objects.slice(0, 3).join(',')
  return e.objectCount > 3 ? `${shown} +${e.objectCount - 3} more` : shown
}

/** stderr lines: what the reader should know about the completeness of the join. */
export function unusedDiagnostics(report: UnusedReport): string[] {
  const lines: string[] = []
  if (report.incomplete) lines.push('warning: the answer is INCOMPLETE: some RBAC objects could not be read or were malformed (named above), so subjects may be missing')
  for (const w of report.warnings) lines.push(`warning: ${w}`)
  const w = report.window
  const span = w.firstEvent ? `events from ${w.firstEvent} to ${w.lastEvent}` : 'no events'
  lines.push(`note: window ${w.from ?? 'start of the log'} .. ${w.to}: ${report.audit.sensitiveEvents} secret/configmap events (${span}); "never did" means never in this window`)
  if (report.audit.sensitiveEvents === 0) lines.push('note: no secret or configmap events in the window: every grant shows as never used')
  return lines
}
