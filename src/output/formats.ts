import {stringify as yamlStringify} from 'yaml'
import {sanitizeForTerminal} from '../lib/sanitize.js'

/** Machine formats shared by every command; `table` and `wide` are rendered by each command. */
export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'csv'

// JSON.stringify escapes C0 controls but leaves C1 controls (U+0080-U+009F, which include CSI),
// DEL and the bidi overrides as raw characters. Re-escaping them keeps the JSON equivalent.
// eslint-disable-next-line no-control-regex
const JSON_UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** Escape what JSON.stringify leaves raw and a terminal would interpret; the JSON means the same. */
export function escapeJsonForTerminal(json: string): string {
  return json.replace(JSON_UNSAFE, (ch) => `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`)
}

/**
 * JSON output keeps the data exact (machines read it), with every character a terminal would
 * interpret escaped as `\uXXXX`: a raw ESC or CSI never reaches a terminal through it.
 */
export function renderJson(value: unknown): string {
  return escapeJsonForTerminal(JSON.stringify(value, null, 2)) + '\n'
}

/** One compact JSON document per line, for streams (`jq`, log shippers). */
export function renderJsonLine(value: unknown): string {
  return escapeJsonForTerminal(JSON.stringify(value)) + '\n'
}

/**
 * The YAML encoder escapes C0 controls itself but prints C1 controls and bidi overrides raw, and
 * inside a plain scalar an escape would not be decoded: such strings get the visible escapes of
 * the table output instead.
 */
export function yamlSafe<T>(value: T): T {
  if (typeof value === 'string') {
    JSON_UNSAFE.lastIndex = 0
    return (JSON_UNSAFE.test(value) ? sanitizeForTerminal(value) : value) as T
  }
  if (Array.isArray(value)) return value.map((v) => yamlSafe(v)) as T
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [yamlSafe(k), yamlSafe(v)])) as T
  }
  return value
}

export function renderYaml(value: unknown): string {
  return yamlStringify(yamlSafe(value), {lineWidth: 0, aliasDuplicateObjects: false})
}

/**
 * RFC 4180 CSV. Cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) get a
 * leading apostrophe: audit logs are attacker-controlled and CSV is opened in spreadsheets.
 * Control characters, line breaks included, are escaped as in the table output: a raw carriage
 * return in a quoted cell is valid CSV but rewrites the line on a terminal.
 */
export function renderCsv(columns: string[], rows: string[][], options: {headers?: boolean} = {}): string {
  const lines: string[] = []
  if (options.headers ?? true) lines.push(columns.map(csvCell).join(','))
  for (const row of rows) lines.push(columns.map((_, i) => csvCell(row[i] ?? '')).join(','))
  return lines.length > 0 ? lines.join('\n') + '\n' : ''
}

export function csvCell(value: string): string {
  let cell = sanitizeForTerminal(value)
  if (/^[=+\-@\t\r]/.test(cell)) cell = `'${cell}`
  return /[",\n\r]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell
}
