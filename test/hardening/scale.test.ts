// Tables at the scale of a real day: a kubelet watch per pod per few minutes is hundreds of
// thousands of rows. Every table printer (events, wide events, findings, the summary) must print
// them all; spreading rows into one call (Math.max(...rows)) overflowed the stack at ~125,000.
import {execa} from 'execa'
import {createReadStream} from 'node:fs'
import {appendFile, mkdtemp, rm} from 'node:fs/promises'
import {createInterface} from 'node:readline'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {TABLE_EXACT_KEYS} from '../../src/audit/summary.js'
import {MAX_GROUPS} from '../../src/detect/group.js'
import {renderTable} from '../../src/output/table.js'
import {BIN, FULL, requireBuild, STACK_TRACE, userEnv} from './helpers.js'

const ROWS = FULL ? 1_000_000 : 150_000

/** One distinct user per event, each reading one secret: as many table rows as events everywhere. */
function auditLine(i: number, t0: number): string {
  return JSON.stringify({
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: `a-${i}`, stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/ns-${i % 50}/secrets/s-${i}`, verb: 'get',
    user: {username: `user-${i}`, groups: ['system:authenticated']}, sourceIPs: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
    userAgent: 'kubectl/v1.34.4 (linux/amd64) kubernetes/abc',
    objectRef: {resource: 'secrets', namespace: `ns-${i % 50}`, name: `s-${i}`, apiVersion: 'v1'},
    responseStatus: {metadata: {}, code: 200}, requestReceivedTimestamp: new Date(t0 + i).toISOString(),
    annotations: {'authorization.k8s.io/decision': 'allow'},
  })
}

/** Written in slices: a million lines are more than one string may hold. */
async function writeAuditLog(file: string, events: number): Promise<void> {
  const t0 = Date.parse('2026-11-26T00:00:00Z')
  for (let from = 0; from < events; from += 50_000) {
    const lines: string[] = []
    for (let i = from; i < Math.min(events, from + 50_000); i++) lines.push(auditLine(i, t0))
    await appendFile(file, lines.join('\n') + '\n')
  }
}

describe(`tables of ${ROWS.toLocaleString('en-US')} rows`, () => {
  let dir: string
  let log: string
  beforeAll(async () => {
    requireBuild()
    dir = await mkdtemp(path.join(tmpdir(), 'ksa-scale-'))
    log = path.join(dir, 'day.log')
    await writeAuditLog(log, ROWS)
  }, 120_000)
  afterAll(async () => rm(dir, {recursive: true, force: true}))

  it('renderTable prints every row', () => {
    const rows = Array.from({length: ROWS}, (_, i) => [`user-${i}`, String(i)])
    const out = renderTable(['user', 'count'], rows)
    expect(out.split('\n').length - 1).toBe(ROWS + 1)
  })

  it('recent prints every event as a table and a wide table, the findings (capped per rule) and the summary (capped per table)', async () => {
    const figures: string[] = []
    // Output goes to a file and is counted there: a million wide rows are more than a test process
    // should hold.
    const out = path.join(dir, 'out.txt')
    const count = async (args: string[]) => {
      // Redirected by the shell: execa's own capture (even to a file) stops at maxBuffer (100 MB).
      const result = await execa('bash', ['-c', 'exec node "$0" recent -f "$1" --no-interactive "${@:2}" > "$OUT"', BIN, log, ...args], {reject: false, env: userEnv({OUT: out}), extendEnv: false, timeout: 600_000})
      expect(String(result.stderr)).not.toMatch(STACK_TRACE)
      expect(result.exitCode, String(result.stderr).slice(0, 500)).toBe(0)
      let lines = 0
      for await (const line of createInterface({input: createReadStream(out)})) if (line !== '') lines++
      figures.push(`${args.join(' ') || 'table'}: ${lines.toLocaleString('en-US')} lines`)
      return lines
    }
    expect(await count([])).toBe(ROWS + 1)
    expect(await count(['-o', 'wide'])).toBe(ROWS + 1)
    // Findings above the events: one info summary finding per reader up to the rule's cap
    // (MAX_GROUPS), the rest folded into one, and the detection-limits notice.
    const findings = await count(['--findings'])
    expect(findings).toBeGreaterThan(ROWS + MAX_GROUPS)
    expect(findings).toBeLessThan(ROWS + MAX_GROUPS + 100)
    // --summary -o wide prints the tables unlimited, and each table holds at most TABLE_EXACT_KEYS
    // keys: users, IPs and objects are full (and approximate), groups and agents have one row.
    const summary = await count(['--summary', '-o', 'wide'])
    expect(summary).toBeGreaterThan(3 * Math.min(ROWS, TABLE_EXACT_KEYS))
    expect(summary).toBeLessThan(3 * Math.min(ROWS, TABLE_EXACT_KEYS) + 100)
    process.stderr.write(`scale: largest tables printed from ${ROWS.toLocaleString('en-US')} events: ${figures.join('; ')}\n`)
  }, 900_000)
})
