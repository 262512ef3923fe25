// Fixed-width text for the dashboard. Rows are pre-formatted into exact-width strings so a frame
// never wraps: a wrapped row would push the layout past the terminal's height and scroll it.
import {charDisplayWidth, displayWidth} from '../lib/display-width.js'
import {sanitizeForTerminal} from '../lib/sanitize.js'

/** Sanitise any attacker-controlled value before it is measured or shown. */
export function clean(value: string | number | undefined | null): string {
  if (value === undefined || value === null) return ''
  return sanitizeForTerminal(String(value))
}

export {displayWidth}

/** Cut to `width` columns (with an ellipsis when cut) and pad with spaces to exactly `width`. */
export function fit(text: string, width: number): string {
  if (width <= 0) return ''
  let out = ''
  let used = 0
  const total = displayWidth(text)
  const limit = total > width ? width - 1 : width
  for (const ch of text) {
    const w = charDisplayWidth(ch)
    if (used + w > limit) break
    out += ch
    used += w
  }
  if (total > width) {
    out += '…'
    used += 1
  }
  return out + ' '.repeat(Math.max(0, width - used))
}

/** Hard-wrap lines at `width` columns so the number of screen lines is known in advance. */
export function wrapLines(lines: string[], width: number): string[] {
  const out: string[] = []
  const w = Math.max(1, width)
  for (const line of lines) {
    if (displayWidth(line) <= w) {
      out.push(line)
      continue
    }
    let current = ''
    let used = 0
    for (const ch of line) {
      const cw = charDisplayWidth(ch)
      if (used + cw > w) {
        out.push(current)
        // Continuation lines are indented so a wrapped value reads as one.
        current = '  '
        used = 2
      }
      current += ch
      used += cw
    }
    if (current.trim() !== '') out.push(current)
  }
  return out
}

/** A row of columns, each fitted to its width; the last column takes what is left. */
export function columns(cells: string[], widths: number[], total: number): string {
  let used = 0
  let out = ''
  cells.forEach((cell, i) => {
    const isLast = i === cells.length - 1
    const w = isLast ? Math.max(0, total - used) : (widths[i] ?? 0)
    const piece = fit(cell, isLast ? w : Math.max(0, w - 1)) + (isLast ? '' : ' ')
    out += piece
    used += w
  })
  return fit(out, total)
}

export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return '-'
  // Without the date part when it is today would be friendlier, but tests and screenshots need
  // stable output; UTC keeps it identical on every machine.
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}
