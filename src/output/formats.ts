import {stringify as yamlStringify} from 'yaml'

/** Machine formats shared by every command; `table` and `wide` are rendered by each command. */
export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'csv'

/**
 * JSON output keeps the data exact (machines read it), but strings still pass through the escape
 * rules of JSON, which already turn every control character into `\uXXXX`: a raw ESC can never
 * reach a terminal through `JSON.stringify`.
 */
export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

/** One compact JSON document per line, for streams (`jq`, log shippers). */
export function renderJsonLine(value: unknown): string {
  return JSON.stringify(value) + '\n'
}

/**
 * YAML double-quotes any string holding a control character and escapes it, so, like JSON,
 * it is terminal-safe by construction.
 */
export function renderYaml(value: unknown): string {
  return yamlStringify(value, {lineWidth: 0, aliasDuplicateObjects: false})
}

/**
 * RFC 4180 CSV. Cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) get a
 * leading apostrophe: audit logs are attacker-controlled and CSV is opened in spreadsheets.
 * Control characters are escaped as in the table output.
 */
export function renderCsv(columns: string[], rows: string[][], options: {headers?: boolean} = {}): string {
  const lines: string[] = []
  if (options.headers ?? true) lines.push(columns.map(csvCell).join(','))
  for (const row of rows) lines.push(columns.map((_, i) => csvCell(row[i] ?? '')).join(','))
  return lines.length > 0 ? lines.join('\n') + '\n' : ''
}

export function csvCell(value: string): string {
  // eslint-disable-next-line no-control-regex
  let cell = value.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)
  if (/^[=+\-@\t\r]/.test(cell)) cell = `'${cell}`
  return /[",\n\r]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell
}
