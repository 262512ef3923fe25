// The dashboard's content as plain text, for when there is no terminal to draw on.
import {eventRow, EVENT_COLUMNS} from '../audit/render.js'
import {FINDING_COLUMNS, findingRow} from '../detect/describe.js'
import type {DashboardData} from '../ui/model.js'
import {renderTable} from './table.js'

export function renderOverview(data: DashboardData): string {
  const parts: string[] = []
  if (data.whoCan) {
    parts.push(`# ${data.whoCan.question}${data.context ? ` (${data.context})` : ''}`)
    parts.push(
      renderTable(
        ['kind', 'subject', 'verbs', 'resources', 'scope', 'confirmed', 'risk'],
        data.whoCan.rows.map((r) => [r.kind, r.namespace ? `${r.namespace}/${r.name}` : r.name, r.verbs.join(','), r.resources.join(','), r.scope, r.confirmation, r.risks.join(',')]),
      ),
    )
  }
  if (data.findings.length > 0) {
    parts.push(`# findings (${data.findings.length})`)
    parts.push(renderTable([...FINDING_COLUMNS], data.findings.map((f) => findingRow(f))))
  }
  if (data.events.length > 0) {
    parts.push(`# recent access (${data.events.length})${data.sourceSummary ? `: ${data.sourceSummary}` : ''}`)
    const newestFirst = [...data.events].sort((a, b) => b.time - a.time)
    parts.push(renderTable([...EVENT_COLUMNS], newestFirst.map((e) => eventRow(e, false))))
  }
  return parts.join('\n')
}
