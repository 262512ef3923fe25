// End-to-end through the built executable: `node bin/run.js recent ...` (run `npm run build` first;
// `npm test` does). Expected counts on the sample were derived with jq, independently of the code:
//   jq -s '[.[] | select(.objectRef.resource=="secrets" or .objectRef.resource=="configmaps")
//          | [.auditID,.verb,.requestURI]] | unique | length' samples/audit/sample-audit.log   -> 256
//   same without the resource filter -> 568; with `select(.impersonatedUser)` -> 2;
//   secrets answered 403 (ResponseComplete) -> 9.
import {execa} from 'execa'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {gzipSync} from 'node:zlib'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {makeSample, PLANTED_SECRET_VALUE} from './make-sample.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(here, '../..')
const RUN = path.join(ROOT, 'bin/run.js')
const SAMPLE = path.join(ROOT, 'samples/audit/sample-audit.log')
const CORPUS = path.resolve(ROOT, '../shared/corpus/audit')
const tmp = mkdtempSync(path.join(tmpdir(), 'recent-e2e-'))
afterAll(() => rmSync(tmp, {recursive: true, force: true}))

function run(args: string[], input?: string | Buffer) {
  return execa('node', [RUN, 'recent', ...args], {cwd: ROOT, reject: false, input, env: {NO_COLOR: '1'}})
}

const FORBIDDEN = [PLANTED_SECRET_VALUE, Buffer.from(PLANTED_SECRET_VALUE).toString('base64'), 'last-applied-configuration', 'postgres://']

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist/commands/recent.js'))) throw new Error('dist/ is missing: run `npm run build` before the end-to-end tests')
})

describe('recent (built executable)', () => {
  it('the committed sample is what the generator makes, and it holds the planted value', () => {
    const text = readFileSync(SAMPLE, 'utf8')
    expect(text).toBe(makeSample())
    expect(text).toContain(PLANTED_SECRET_VALUE)
  })

  it('prints a table of secret and configmap accesses, newest last', async () => {
    const r = await run(['-f', SAMPLE])
    expect(r.exitCode).toBe(0)
    expect(r.stderr).toBe('')
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^TIME\s+USER\s+VERB\s+RESOURCE\s+OBJECT\s+CODE\s+DECISION\s+SOURCE$/)
    expect(lines).toHaveLength(257)
    const times = lines.slice(1).map((l) => l.split(' ')[0] ?? '')
    expect([...times].sort()).toEqual(times)
    expect(r.stdout).toContain('system:serviceaccount:payments:payments-api (by bob@example.com)')
  })

  it('-o json streams one object per line with the counts jq finds', async () => {
    const r = await run(['-f', SAMPLE, '-o', 'json'])
    const events = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))
    expect(events).toHaveLength(256)
    expect(events.filter((e) => e.impersonator)).toHaveLength(2)
    expect(events.filter((e) => e.resource === 'secrets' && e.code === 403)).toHaveLength(9)
    const created = events.find((e) => e.verb === 'create' && e.resource === 'secrets')
    expect(created.body.dataKeys).toEqual(['password', 'username'])
    const all = await run(['-f', SAMPLE, '-o', 'json', '--resource', 'all'])
    expect(all.stdout.trimEnd().split('\n')).toHaveLength(568)
  })

  it('labels the system identities\' requests, and --no-system hides exactly those; the settings decide who is system', async () => {
    const all = (await run(['-f', SAMPLE, '-o', 'json'])).stdout.trimEnd().split('\n').map((l) => JSON.parse(l))
    const routine = (u: string) => u.startsWith('system:node:') || u.startsWith('system:serviceaccount:kube-system:')
    const expected = all.filter((e) => routine(e.user.username))
    expect(expected.length).toBeGreaterThan(100)
    expect(all.filter((e) => e.system === true)).toEqual(expected)
    const hidden = await run(['-f', SAMPLE, '-o', 'json', '--no-system', '--stats'])
    expect(hidden.exitCode).toBe(0)
    const shown = hidden.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))
    expect(shown).toHaveLength(all.length - expected.length)
    expect(shown.some((e) => e.system || routine(e.user.username))).toBe(false)
    expect(hidden.stderr).toContain(`${shown.length} matched (and ${expected.length} of system identities hidden)`)
    const csv = (await run(['-f', SAMPLE, '-o', 'csv'])).stdout.trimEnd().split('\n')
    expect(csv[0]!.endsWith(',system')).toBe(true)
    expect(csv.filter((line) => line.endsWith(',true'))).toHaveLength(expected.length)

    const config = path.join(tmp, 'system-alice.yaml')
    writeFileSync(config, 'systemIdentities:\n  users: ["alice*"]\n  groups: []\n')
    const relabelled = (await run(['-f', SAMPLE, '-o', 'json', '--config', config])).stdout.trimEnd().split('\n').map((l) => JSON.parse(l))
    const labelled = relabelled.filter((e) => e.system)
    expect(labelled.length).toBeGreaterThan(0)
    expect(labelled.every((e) => e.user.username.startsWith('alice'))).toBe(true)
    const broken = path.join(tmp, 'system-broken.yaml')
    writeFileSync(broken, 'systemIdentities: [\n')
    const refused = await run(['-f', SAMPLE, '--config', broken])
    expect(refused.exitCode).toBe(2)
    expect(refused.stderr).toContain('system-broken.yaml')
  })

  it('no output format ever carries a secret value', async () => {
    const runs = [
      ...['table', 'wide', 'json', 'yaml', 'csv'].map((o) => ['-f', SAMPLE, '-o', o, '--resource', 'all']),
      ...['table', 'wide', 'json', 'yaml', 'csv'].map((o) => ['-f', SAMPLE, '-o', o, '--summary', '--resource', 'all']),
    ]
    for (const args of runs) {
      const r = await run(args)
      expect(r.exitCode, args.join(' ')).toBe(0)
      expect(r.stdout.length, args.join(' ')).toBeGreaterThan(100)
      for (const bad of FORBIDDEN) {
        expect(r.stdout, `${args.join(' ')} leaks ${bad}`).not.toContain(bad)
        expect(r.stderr).not.toContain(bad)
      }
    }
  })

  it('reads stdin, gzip by magic bytes, and reports a corrupt gzip with its position', async () => {
    const text = readFileSync(SAMPLE)
    const viaStdin = await run(['-f', '-', '-o', 'json'], text)
    expect(viaStdin.stdout.trimEnd().split('\n')).toHaveLength(256)

    const gz = path.join(tmp, 'audit.log.1')
    writeFileSync(gz, gzipSync(text))
    const viaGz = await run(['-f', gz, '-o', 'json'])
    expect(viaGz.stdout.trimEnd().split('\n')).toHaveLength(256)

    const zipped = gzipSync(text)
    const corrupt = path.join(tmp, 'corrupt.log.gz')
    writeFileSync(corrupt, zipped.subarray(0, Math.floor(zipped.length / 2)))
    const bad = await run(['-f', corrupt, '-o', 'json'])
    expect(bad.exitCode).toBe(0)
    const got = bad.stdout.trimEnd().split('\n').length
    expect(got).toBeGreaterThan(20)
    expect(got).toBeLessThan(256)
    expect(bad.stderr).toMatch(/skipped 1 bad record \(1 corrupt-gzip\)/)
    expect(bad.stderr).toMatch(new RegExp(`at ${corrupt.replace(/[.]/g, '\\.')}:\\d+: corrupt-gzip`))
    expect(bad.stderr).not.toMatch(/\n\s+at .*\.js:\d+:\d+/) // no stack trace

    const strict = await run(['-f', corrupt, '--strict', '-o', 'json'])
    expect(strict.exitCode).toBe(1)
    expect(strict.stdout.trimEnd().split('\n').length).toBe(got)
  })

  it('--strict parses every line: bad input hidden from the prefilter still fails the run', async () => {
    const p = path.join(tmp, 'with-garbage.log')
    writeFileSync(p, readFileSync(SAMPLE, 'utf8') + 'this is not an audit event\n\u0000\u0001binary\n')
    const loose = await run(['-f', p, '-o', 'json'])
    expect(loose.exitCode).toBe(0)
    expect(loose.stderr).toBe('') // prefiltered: never parsed, not judged (documented)
    const strict = await run(['-f', p, '-o', 'json', '--strict'])
    expect(strict.exitCode).toBe(1)
    expect(strict.stderr).toContain('skipped 2 bad records (2 not-json)')
    expect(strict.stdout.trimEnd().split('\n')).toHaveLength(256)
  })

  it.skipIf(!existsSync(CORPUS))('the deliberate bad corpus record is counted, not fatal, unless --strict', async () => {
    const dir = path.join(CORPUS, 'falco-trace-files')
    const r = await run(['-f', dir, '--resource', 'all', '-o', 'json'])
    expect(r.exitCode).toBe(0)
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(50) // 45 files of one event, one of six, minus 1 merged stage (the same pod create in two files; the namespace creates of some-user and of system:anonymous share an auditID but are two requests)
    expect(r.stderr).toContain('fal_01_003.json:1: unknown-shape')
    const strict = await run(['-f', dir, '--resource', 'all', '--strict', '-o', 'json'])
    expect(strict.exitCode).toBe(1)
  })

  it('filters: user (also the impersonator), time range, verb, namespace, name', async () => {
    const byBob = await run(['-f', SAMPLE, '--user', 'bob@*', '-o', 'json'])
    const bob = byBob.stdout.trimEnd().split('\n').map((l) => JSON.parse(l))
    expect(bob.map((e) => e.user.username).sort()).toEqual(['bob@example.com', 'system:admin', 'system:serviceaccount:payments:payments-api'])
    const window = await run(['-f', SAMPLE, '--from', '2026-11-26T10:11:00Z', '--to', '2026-11-26T10:20:00Z', '--user', 'system:serviceaccount:ci:*', '--verb', 'get,list', '-o', 'json'])
    expect(window.stdout.trimEnd().split('\n')).toHaveLength(8)
    const named = await run(['-f', SAMPLE, '-n', 'payments', '--name', 'stripe-*', '--resource', 'secret', '-o', 'csv', '--no-headers'])
    expect(named.stdout.trimEnd().split('\n')).toHaveLength(2)
    expect(named.stdout).not.toContain('time,user')
  })

  it.skipIf(!existsSync(CORPUS))('a reader closing the pipe early is not an error', async () => {
    const csv = path.join(CORPUS, 'hkerma-kubernetes-event-dataset/audit-logs.csv')
    const r = await execa('sh', ['-c', `node ${RUN} recent -f ${csv} --resource all -o json | head -1`], {cwd: ROOT, reject: false})
    expect(r.exitCode).toBe(0)
    expect(JSON.parse(r.stdout).origin.format).toBe('csv')
    expect(r.stderr).toBe('')
  })

  it('missing inputs: said plainly; nothing readable fails (1), a missing log beside good ones is incomplete (8)', async () => {
    const none = await run(['-f', path.join(tmp, 'nope.log')])
    expect(none.exitCode).toBe(1)
    expect(none.stderr).toContain(`error: ${path.join(tmp, 'nope.log')}: no such file or folder`)
    const some = await run(['-f', path.join(tmp, 'nope.log'), '-f', path.join(tmp, 'none-*.log'), '-f', SAMPLE, '-o', 'json'])
    expect(some.exitCode).toBe(8)
    expect(some.stdout.trimEnd().split('\n')).toHaveLength(256)
    expect(some.stderr).toContain('the pattern matched no file')
    expect(some.stderr).toContain('incomplete: 2 inputs were not read')
    // --fail-on's answer (9) outranks the incomplete read.
    const gate = await run(['-f', path.join(tmp, 'nope.log'), '-f', SAMPLE, '--fail-on', 'high', '-o', 'json'])
    expect(gate.exitCode).toBe(9)
  })

  it.skipIf(!existsSync(CORPUS))('the parallel scan (worker threads over byte ranges) gives exactly the sequential result', async () => {
    const rows = readFileSync(path.join(CORPUS, 'hkerma-kubernetes-event-dataset/audit-logs.csv'), 'utf8').split('\n')
    // Bad lines that hold a needle are parsed, so they are reported with their line numbers.
    rows.splice(4999, 0, '{"garbage": "secrets"') // becomes line 5000
    rows.splice(11999, 0, 'not a record about secrets') // becomes line 12000
    const p = path.join(tmp, 'parallel.csv')
    writeFileSync(p, rows.join('\n'))
    // Workers are used only with the byte prefilter (not with --strict or --resource all).
    const args = ['recent', '-f', p, '-o', 'json', '--stats']
    const opts = (min: string) => ({cwd: ROOT, reject: false, env: {KUBECTL_SENSITIVE_ACCESS_PARALLEL_MIN_BYTES: min}})
    const parallel = await execa('node', [RUN, ...args], opts('1'))
    const sequential = await execa('node', [RUN, ...args], opts('999999999999'))
    expect(parallel.exitCode).toBe(0)
    expect(sequential.exitCode).toBe(0)
    expect(parallel.stderr).toMatch(/ \([2-4] worker threads\)$/)
    expect(sequential.stderr).not.toContain('worker threads')
    expect(parallel.stdout).toBe(sequential.stdout)
    expect(parallel.stderr.replace(/ \(\d worker threads\)/, '')).toBe(sequential.stderr)
    // 1,256 secrets and 295 configmaps events in the corpus (see corpus.test.ts).
    expect(parallel.stdout.trimEnd().split('\n')).toHaveLength(1256 + 295)
    expect(parallel.stderr).toContain(`${p}:5000: not-json`)
    expect(parallel.stderr).toContain(`${p}:12000: not-json`)
    // Every line is counted, prefiltered or not: the corpus's 16,564 rows and the 2 inserted.
    expect(parallel.stderr).toContain('read 16566 records')
  })

  it('bad flag values: a clear message and exit 2, no stack trace', async () => {
    const r = await run(['-f', SAMPLE, '--since', 'yesterday'])
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('--since: "yesterday" is not a duration')
    expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/)
  })

  it('attacker-controlled strings cannot reach the terminal raw', async () => {
    const p = path.join(tmp, 'evil.log')
    const evil = {
      kind: 'Event', auditID: 'evil', stage: 'ResponseComplete', verb: 'get', requestURI: '/api/v1/namespaces/x/secrets/s',
      user: {username: 'mallory\u001b]0;pwned\u0007\u202e', groups: ['g\u009b31m']}, sourceIPs: ['1.2.3.4'], userAgent: 'ua\u001b[2J',
      objectRef: {resource: 'secrets', namespace: 'x', name: 's\u001b[31m'}, responseStatus: {code: 200}, requestReceivedTimestamp: '2024-05-01T00:00:00Z',
    }
    writeFileSync(p, JSON.stringify(evil) + '\n')
    for (const o of ['table', 'wide', 'json', 'yaml', 'csv']) {
      for (const extra of [[], ['--summary']]) {
        const r = await run(['-f', p, '-o', o, ...extra])
        expect(r.stdout, o).toContain('mallory')
        expect(r.stdout, `${o} ${extra.join('')}`).not.toMatch(/[\u001b\u0007\u009b\u202e]/)
      }
    }
  })
})
