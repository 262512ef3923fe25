// Bounded memory on an endless stream: a child process writes synthetic audit lines to the CLI's
// stdin (`recent -f -`), 200 MB in the everyday run and 5 GB under HARDENING_SCALE=full, and the
// CLI's peak RSS (GNU time %M, else /proc polling) must stay under 300 MB. Prints bytes, MB/s, RSS.
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, FULL, requireBuild, ROOT, userEnv} from './helpers.js'

const BYTES = FULL ? 5 * 1024 ** 3 : 200 * 1024 ** 2
const LIMIT_MB = 300
const tmp = mkdtempSync(path.join(tmpdir(), 'hardening-memory-'))
const GENERATOR = path.join(tmp, 'generate.mjs')
const results: string[] = []

// Plain JavaScript run by node directly: no TypeScript loader between the generator and the pipe.
// Realistic variety: 400 users, 60 namespaces, a tenth of the requests on secrets or configmaps,
// unique auditIDs (so nothing is merged away), time moving forward.
const GENERATOR_SOURCE = `
const total = Number(process.argv[2])
const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']
const resources = ['pods', 'pods', 'pods', 'services', 'deployments', 'events', 'nodes', 'endpoints', 'secrets', 'configmaps']
let written = 0
let n = 0
const t0 = Date.UTC(2026, 10, 1)
function line() {
  n++
  const r = resources[n % resources.length]
  const ns = 'ns-' + (n % 60)
  const name = r + '-' + (n % 997)
  const user = n % 7 === 0 ? 'system:serviceaccount:' + ns + ':sa-' + (n % 5) : 'user-' + (n % 400) + '@example.com'
  return '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"' + n.toString(16).padStart(12, '0') +
    '-0000-4000-8000-000000000000","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/' + ns + '/' + r + '/' + name +
    '","verb":"' + verbs[n % verbs.length] + '","user":{"username":"' + user + '","groups":["system:authenticated"]},"sourceIPs":["10.' + (n % 250) + '.0.' + (n % 199) +
    '"],"userAgent":"kubectl/v1.31.0 (linux/amd64) kubernetes/abc","objectRef":{"resource":"' + r + '","namespace":"' + ns + '","name":"' + name +
    '","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"' + new Date(t0 + n * 10).toISOString() +
    '","stageTimestamp":"' + new Date(t0 + n * 10 + 3).toISOString() + '","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}\\n'
}
function pump() {
  while (written < total) {
    let chunk = ''
    while (chunk.length < 1 << 20) chunk += line()
    written += Buffer.byteLength(chunk)
    if (!process.stdout.write(chunk)) return void process.stdout.once('drain', pump)
  }
  process.stderr.write(JSON.stringify({bytes: written, lines: n}))
}
process.stdout.on('error', () => process.exit(1))
pump()
`

beforeAll(() => {
  requireBuild()
  writeFileSync(GENERATOR, GENERATOR_SOURCE)
})
afterAll(() => {
  rmSync(tmp, {recursive: true, force: true})
  if (results.length > 0) process.stderr.write(results.map((r) => `hardening memory: ${r}`).join('\n') + '\n')
})

const HAS_TIME = existsSync('/usr/bin/time')

/** Run generator | CLI, the CLI's stdout to /dev/null; peak RSS of the CLI in MB. */
async function measure(cliArgs: string[]): Promise<{bytes: number; lines: number; seconds: number; peakMb: number; stats: string; exitCode: number | undefined}> {
  const rssFile = path.join(tmp, 'rss')
  const genStats = path.join(tmp, 'gen.json')
  const cliErr = path.join(tmp, 'cli.err')
  const cli = ['node', BIN, 'recent', '-f', '-', '--stats', ...cliArgs].map((a) => `'${a}'`).join(' ')
  const measured = HAS_TIME ? `/usr/bin/time -f %M -o '${rssFile}' ${cli}` : `${cli} & echo $! > '${rssFile}.pid'; wait $!`
  let peakKb = 0
  let poll: NodeJS.Timeout | undefined
  if (!HAS_TIME) {
    // No GNU time: sample VmHWM (the kernel's own peak) of the CLI process while it runs.
    poll = setInterval(() => {
      try {
        const pid = readFileSync(`${rssFile}.pid`, 'utf8').trim()
        const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
        if (hwm) peakKb = Math.max(peakKb, Number(hwm))
      } catch {
        // not started yet, or already gone
      }
    }, 50)
  }
  const started = performance.now()
  const r = await execa('bash', ['-o', 'pipefail', '-c', `node '${GENERATOR}' ${BYTES} 2> '${genStats}' | ${measured} > /dev/null 2> '${cliErr}'`], {cwd: ROOT, reject: false, env: userEnv(), extendEnv: false, timeout: FULL ? 3_600_000 : 300_000})
  const seconds = (performance.now() - started) / 1000
  if (poll) clearInterval(poll)
  if (HAS_TIME) peakKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop())
  const gen = JSON.parse(readFileSync(genStats, 'utf8')) as {bytes: number; lines: number}
  return {...gen, seconds, peakMb: peakKb / 1024, stats: readFileSync(cliErr, 'utf8').trim(), exitCode: r.exitCode}
}

describe(`recent -f - over a ${FULL ? '5 GB' : '200 MB'} generated stream stays under ${LIMIT_MB} MB`, () => {
  // The default resources (secrets, configmaps) take the byte prefilter; `--resource all` parses
  // every line and is several times slower, so it runs at full scale only.
  const modes: [string, string[]][] = [
    ['-o json', ['-o', 'json']],
    ['--summary', ['--summary']],
    ...(FULL ? ([['-o json --resource all', ['-o', 'json', '--resource', 'all']]] as [string, string[]][]) : []),
  ]
  for (const [label, args] of modes) {
    it(label, {timeout: FULL ? 3_600_000 : 300_000}, async () => {
      const m = await measure(args)
      expect(m.exitCode, m.stats).toBe(0)
      // Everything written was read: the stats line counts the records.
      expect(m.stats).toContain(`read ${m.lines} records`)
      const mbs = m.bytes / 1024 ** 2 / m.seconds
      results.push(`${label}: ${(m.bytes / 1024 ** 2).toFixed(0)} MB (${m.lines.toLocaleString('en-US')} lines) in ${m.seconds.toFixed(1)} s, ${mbs.toFixed(0)} MB/s, peak RSS ${m.peakMb.toFixed(0)} MB (${HAS_TIME ? 'GNU time' : '/proc VmHWM'})`)
      expect(m.peakMb).toBeGreaterThan(10) // a real measurement, not an empty file
      expect(m.peakMb).toBeLessThan(LIMIT_MB)
    })
  }
})
