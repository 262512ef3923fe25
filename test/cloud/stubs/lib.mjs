// Shared by the stub CLIs: where the corpus is, how calls are recorded, which failure to inject.
// Environment: STUB_DIR (scratch dir: calls.jsonl, counters), STUB_CORPUS (../shared/corpus/audit),
// STUB_FAIL (no-creds | expired | denied | not-found | throttle-always), STUB_THROTTLE (fail the
// first N calls with the service's throttling error), STUB_PAGE (max records per page).
import fs from 'node:fs'
import path from 'node:path'

export const BASE = Date.parse('2024-06-01T00:00:00Z')
export const STEP = 60_000

export function recordCall(cli) {
  const dir = process.env.STUB_DIR
  if (!dir) fail('stub: STUB_DIR not set', 2)
  fs.appendFileSync(path.join(dir, 'calls.jsonl'), JSON.stringify({cli, argv: process.argv.slice(2)}) + '\n')
  const n = Number(fs.existsSync(path.join(dir, 'count')) ? fs.readFileSync(path.join(dir, 'count'), 'utf8') : '0') + 1
  fs.writeFileSync(path.join(dir, 'count'), String(n))
  return n
}

export function corpusLines(relative) {
  const file = path.join(process.env.STUB_CORPUS ?? '', relative)
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '')
}

export function fail(message, code = 1) {
  process.stderr.write(message + '\n')
  process.exit(code)
}

/** Inject the configured failure; `messages` maps a failure name to the CLI's own words. */
export function injectFailures(callNumber, messages) {
  const mode = process.env.STUB_FAIL
  if (mode && messages[mode]) fail(messages[mode][0], messages[mode][1])
  const throttle = Number(process.env.STUB_THROTTLE ?? '0')
  if (callNumber <= throttle) fail(messages.throttle[0], messages.throttle[1])
}

export function arg(argv, name) {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}

export function requireArg(argv, name) {
  const v = arg(argv, name)
  if (v === undefined) fail(`stub: missing required ${name}`, 2)
  return v
}

export function pageSize(requested) {
  const cap = Number(process.env.STUB_PAGE ?? '0')
  return cap > 0 ? Math.min(cap, requested) : requested
}

/** CloudWatch-style wildcard comparison: a trailing `*` in the pattern value matches any suffix. */
export function wildEquals(actual, expected) {
  if (typeof actual !== 'string') return false
  return expected.endsWith('*') ? actual.startsWith(expected.slice(0, -1)) : actual === expected
}

export function get(obj, dotted) {
  return dotted.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj)
}
