// Prints how long the dashboard takes with large data: first frame, and one keypress (a move, a
// view switch, a filter) with 100,000 events and 10,000 who-can subjects. Figures only, no
// pass/fail: run with `npx tsx test/ui/bench-dashboard.ts`.
import {createElement} from 'react'
import {render} from 'ink-testing-library'
import {Dashboard} from '../../src/ui/dashboard.js'
import type {WhoCanRow} from '../../src/ui/model.js'
import {DATA, manyEvents} from './fixtures/dashboard-data.js'

function manyRows(n: number): WhoCanRow[] {
  return Array.from({length: n}, (_, i) => ({
    key: `User//u${i}`,
    kind: 'User' as const,
    name: `user-${i}`,
    verbs: ['get', 'list'],
    resources: ['secrets'],
    scope: `ns-${i % 40}`,
    confirmation: 'confirmed' as const,
    risks: i % 10 === 0 ? ['wildcard'] : [],
    paths: [{binding: {kind: 'RoleBinding', namespace: `ns-${i % 40}`, name: `rb-${i}`}, role: {kind: 'Role', name: 'reader'}, rule: 'get,list secrets', grants: 'get,list secrets'}],
  }))
}

const data = {...DATA, events: manyEvents(100_000), whoCan: {rows: manyRows(10_000), question: 'get secrets', warnings: []}}

// Time until the frame changes after a key (Ink renders on a later tick).
// CPU time rather than wall time: the figure should not depend on what else the machine runs.
async function timeKey(app: ReturnType<typeof render>, key: string): Promise<number> {
  const before = app.lastFrame()
  const start = performance.now()
  const cpu = process.cpuUsage()
  app.stdin.write(key)
  while (app.lastFrame() === before && performance.now() - start < 5000) await new Promise((r) => setImmediate(r))
  const used = process.cpuUsage(cpu)
  return (used.user + used.system) / 1000
}

const t0 = process.cpuUsage()
const app = render(createElement(Dashboard, {data, width: 80, height: 23, input: true, colour: false}))
while (!app.lastFrame()) await new Promise((r) => setImmediate(r))
const firstCpu = process.cpuUsage(t0)
const first = (firstCpu.user + firstCpu.system) / 1000
await new Promise((r) => setTimeout(r, 50))

const figures: [string, number][] = [['first frame (10,000 subjects, 100,000 events)', first]]
figures.push(['who-can: j (move)', await timeKey(app, 'j')])
figures.push(['who-can: PgDn', await timeKey(app, '\u001b[6~')])
figures.push(['who-can: s (re-sort 10,000)', await timeKey(app, 's')])
figures.push(['switch to Recent (summaries of 100,000)', await timeKey(app, '2')])
const moves: number[] = []
for (let i = 0; i < 20; i++) moves.push(await timeKey(app, 'j'))
moves.sort((a, b) => a - b)
figures.push(['recent: j (median of 20)', moves[10] ?? NaN])
figures.push(['recent: G (end of 100,000)', await timeKey(app, 'G')])
app.stdin.write('/')
for (const ch of 'user-42') app.stdin.write(ch)
await new Promise((r) => setTimeout(r, 50))
figures.push(['recent: apply filter over 100,000', await timeKey(app, '\r')])
figures.push(['recent: s (re-sort 100,000 by user)', await timeKey(app, 's')])
app.unmount()

// The same move on the 5-event fixture: the floor set by Ink and the machine, whatever the data.
const small = render(createElement(Dashboard, {data: DATA, width: 80, height: 23, input: true, colour: false}))
while (!small.lastFrame()) await new Promise((r) => setImmediate(r))
await new Promise((r) => setTimeout(r, 50))
const smallMoves: number[] = []
for (let i = 0; i < 20; i++) smallMoves.push(await timeKey(small, i % 2 === 0 ? 'j' : 'k'))
smallMoves.sort((a, b) => a - b)
figures.push(['baseline: j on 5 subjects (median of 20)', smallMoves[10] ?? NaN])
small.unmount()

for (const [label, ms] of figures) process.stdout.write(`${label.padEnd(50)} ${ms.toFixed(1).padStart(8)} ms CPU\n`)
process.exit(0)
