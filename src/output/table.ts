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
  const widths = columns.map((_, i) =>
    Math.max(showHeaders ? displayWidth(head[i] ?? '') : 0, ...cells.map((r) => displayWidth(r[i] ?? ''))),
  )
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

// East Asian wide characters take two columns; everything we emit after sanitising is printable.
function displayWidth(text: string): number {
  let width = 0
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0
    width += code >= 0x1100 && isWide(code) ? 2 : 1
  }
  return width
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1faff) ||
    (code >= 0x20000 && code <= 0x3fffd)
  )
}
