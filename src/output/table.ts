import {displayWidth} from '../lib/display-width.js'
import {sanitizeForTerminal} from '../lib/sanitize.js'

export interface TableOptions {
  /** Print the header row (kubectl's --no-headers turns it off). */
  headers?: boolean
  /** Spaces between columns; kubectl uses three. */
  gap?: number
}

/**
 * A kubectl-style table: upper-case headers, left-aligned columns, no borders, so it reads like
 * `kubectl get` and survives `awk`/`cut`. Every cell is sanitised here, once, because table cells
 * are where attacker-controlled strings meet the terminal.
 */
export function renderTable(columns: string[], rows: string[][], options: TableOptions = {}): string {
  const gap = ' '.repeat(options.gap ?? 3)
  const showHeaders = options.headers ?? true
  const cells = rows.map((row) => columns.map((_, i) => cleanCell(row[i] ?? '')))
  const head = columns.map((c) => c.toUpperCase())
  // A loop, never Math.max(...cells): spreading a day of kubelet watches (125,000+ rows) into one
  // call overflows the stack.
  const widths = columns.map((_, i) => {
    let width = showHeaders ? displayWidth(head[i] ?? '') : 0
    for (const r of cells) width = Math.max(width, displayWidth(r[i] ?? ''))
    return width
  })
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - displayWidth(cell)))))
      .join(gap)
      .trimEnd()
  const out = showHeaders ? [line(head)] : []
  for (const r of cells) out.push(line(r))
  return out.length > 0 ? out.join('\n') + '\n' : ''
}

function cleanCell(value: string): string {
  return sanitizeForTerminal(value)
}
