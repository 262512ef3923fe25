// `recent` with cloud sources, end to end through the built executable (`npm run build` first):
// the stub aws/gcloud/az CLIs (test/cloud/stubs) serve the public corpus and record their argv;
// the fake API server stands in for --from-cluster; a local HTTP server stands in for Splunk HEC.
// Expected counts are derived here from the corpus records, independently of the plugin's code.
import {execa} from 'execa'
import {existsSync, mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import {tmpdir} from 'node:os'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import {BASE, CORPUS_MISSING, HAS_CORPUS, STEP, argOf, corpusRecords, stubEnv, type StubEnv} from '../cloud/helpers.js'
import {startFakeApiServer, type FakeApiServer} from '../fake-apiserver/index.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(here, '../..')
const RUN = path.join(ROOT, 'bin/run.js')
const SAMPLE = path.join(ROOT, 'samples/audit/sample-audit.log')

type Native = {verb?: string; user?: {username?: string}; objectRef?: {resource?: string; namespace?: string}}

function run(args: string[], env: NodeJS.ProcessEnv) {
  return execa('node', [RUN, 'recent', ...args], {cwd: ROOT, reject: false, env: {...env, NO_COLOR: '1'}, extendEnv: false})
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

const iso = (ms: number) => new Date(ms).toISOString()

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist/commands/recent.js'))) throw new Error('dist/ is missing: run `npm run build` before the end-to-end tests')
})

if (!HAS_CORPUS) process.stderr.write(`SKIPPING recent cloud e2e tests: ${CORPUS_MISSING}\n`)

describe.skipIf(!HAS_CORPUS)('recent with cloud sources (built executable, stub CLIs)', () => {
  let stub: StubEnv
  afterEach(() => stub?.cleanup())
  const eksRecords = HAS_CORPUS ? (corpusRecords('panther-analysis/k8s-event.jsonl') as Native[]) : []
  const eksWindow = ['--from', iso(BASE), '--to', iso(BASE + eksRecords.length * STEP)]
  const eksSecretGets = eksRecords.filter((r) => r.objectRef?.resource === 'secrets' && r.verb === 'get' && r.user?.username)

  it('--eks pushes the filter pattern and window down to aws and prints the matching events', async () => {
    stub = stubEnv({STUB_PAGE: '20'})
    const r = await run(['--eks', 'prod', '--region', 'eu-west-1', '--profile', 'audit', ...eksWindow, '--resource', 'secrets', '--verb', 'get', '-o', 'json'], stub.env)
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/)
    expect(r.exitCode).toBe(0)
    const calls = stub.calls()
    expect(calls.length).toBe(Math.ceil(eksRecords.length / 20))
    for (const call of calls) {
      expect(call.argv.slice(0, 2)).toEqual(['logs', 'filter-log-events'])
      expect(argOf(call.argv, '--log-group-name')).toBe('/aws/eks/prod/cluster')
      expect(argOf(call.argv, '--filter-pattern')).toBe('{ ($.objectRef.resource = "secrets") && ($.verb = "get") }')
      expect(argOf(call.argv, '--start-time')).toBe(String(BASE))
      expect(argOf(call.argv, '--end-time')).toBe(String(BASE + eksRecords.length * STEP))
      expect(argOf(call.argv, '--region')).toBe('eu-west-1')
      expect(argOf(call.argv, '--profile')).toBe('audit')
    }
    const events = jsonLines(r.stdout)
    expect(eksSecretGets.length).toBeGreaterThan(5)
    expect(events.map((e) => `${(e.user as {username: string}).username} ${e.namespace ?? ''}`).sort()).toEqual(
      eksSecretGets.map((x) => `${x.user?.username} ${x.objectRef?.namespace ?? ''}`).sort(),
    )
    for (const e of events) expect(e).toMatchObject({verb: 'get', resource: 'secrets', origin: {format: 'eks', file: 'eks:prod'}})
    // A window was given: no default-window note; stderr is not a TTY and no --progress: no progress.
    expect(r.stderr).not.toContain('last 24h')
    expect(r.stderr).not.toMatch(/page/)
  })

  it('--progress prints one progress line per page on a pipe, with events, bytes and the window covered', async () => {
    stub = stubEnv({STUB_PAGE: '50'})
    const r = await run(['--eks', 'prod', ...eksWindow, '--progress', '-o', 'json'], stub.env)
    expect(r.exitCode).toBe(0)
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('eks:prod: '))
    expect(lines.length).toBe(stub.calls().length)
    expect(lines.at(-1)).toMatch(/^eks:prod: \d+ pages, \d+ events, [\d.]+ KiB, window covered to 2024-06-01T/)
  })

  it('--gke and --aks pass cluster, project/workspace and window to gcloud and az, and print their events', async () => {
    stub = stubEnv()
    const window = ['--from', '2024-06-01T00:00:00Z', '--to', '2024-06-02T00:00:00Z']
    const gke = await run(['--gke', 'prod-1', '--project', 'acme-prod', '--location', 'europe-west1', ...window, '--resource', 'all', '-o', 'json'], stub.env)
    expect(gke.exitCode).toBe(0)
    const gkeCall = stub.calls().find((c) => c.cli === 'gcloud')!
    expect(gkeCall.argv.slice(0, 2)).toEqual(['logging', 'read'])
    const filter = gkeCall.argv[2]!
    expect(filter).toContain('resource.labels.cluster_name="prod-1"')
    expect(filter).toContain('resource.labels.location="europe-west1"')
    expect(filter).toContain('timestamp>="2024-06-01T00:00:00.000Z"')
    expect(filter).toContain('timestamp<="2024-06-02T00:00:00.000Z"')
    expect(argOf(gkeCall.argv, '--project')).toBe('acme-prod')
    const gkeEvents = jsonLines(gke.stdout)
    expect(gkeEvents.length).toBeGreaterThan(0)
    for (const e of gkeEvents) expect(e.origin).toMatchObject({format: 'gke', file: 'gke:acme-prod/prod-1'})

    const aks = await run(['--aks', 'aks-prod', '--workspace', '11111111-2222-3333-4444-555555555555', '--subscription', 'sub-1', ...window, '--resource', 'all', '-o', 'json'], stub.env)
    expect(aks.exitCode).toBe(0)
    const azCalls = stub.calls().filter((c) => c.cli === 'az')
    expect(azCalls.length).toBeGreaterThan(0)
    for (const c of azCalls) {
      expect(c.argv.slice(0, 3)).toEqual(['monitor', 'log-analytics', 'query'])
      expect(argOf(c.argv, '--workspace')).toBe('11111111-2222-3333-4444-555555555555')
      expect(argOf(c.argv, '--subscription')).toBe('sub-1')
    }
    const kql = azCalls.map((c) => argOf(c.argv, '--analytics-query')!).find((q) => /TimeGenerated >= datetime/.test(q))!
    expect(kql).toContain('TimeGenerated >= datetime(2024-06-01T00:00:00.000Z) and TimeGenerated <= datetime(2024-06-02T00:00:00.000Z)')
    expect(kql).toMatch(/"aks-prod"/)
    const aksEvents = jsonLines(aks.stdout)
    const aksRecords = corpusRecords('panther-analysis/aks-diagnostic.jsonl')
    expect(aksEvents.length).toBeGreaterThan(0)
    expect(aksEvents.length).toBeLessThanOrEqual(aksRecords.length)
    for (const e of aksEvents) expect((e.origin as {file: string}).file).toBe('aks:aks-prod')
  })

  it('-f combines with a cloud source: the rows are those of each source alone', async () => {
    stub = stubEnv()
    const args = [...eksWindow, '--resource', 'secrets', '-o', 'json']
    const fileOnly = await run(['-f', SAMPLE, ...args], stub.env)
    const eksOnly = await run(['--eks', 'prod', ...args], stub.env)
    const both = await run(['-f', SAMPLE, '--eks', 'prod', ...args], stub.env)
    expect(both.exitCode).toBe(0)
    const [f, e, b] = [jsonLines(fileOnly.stdout), jsonLines(eksOnly.stdout), jsonLines(both.stdout)]
    expect(e.length).toBeGreaterThan(0)
    // The sample lies in 2026, outside the 2024 window: widen to see the file's own events too.
    const wide = ['--from', '2024-01-01T00:00:00Z', '--to', '2027-01-01T00:00:00Z', '--resource', 'secrets', '-o', 'json']
    const fileWide = jsonLines((await run(['-f', SAMPLE, ...wide], stub.env)).stdout)
    const bothWide = jsonLines((await run(['-f', SAMPLE, '--eks', 'prod', ...wide], stub.env)).stdout)
    expect(fileWide.length).toBeGreaterThan(0)
    expect(b.length).toBe(f.length + e.length)
    expect(bothWide.length).toBe(fileWide.length + e.length)
    expect(bothWide.filter((x) => (x.origin as {format: string}).format === 'eks').length).toBe(e.length)
  })

  it('without --since/--from/--to, cloud sources read the last 24h and say so on stderr', async () => {
    stub = stubEnv()
    const before = Date.now()
    const r = await run(['--eks', 'prod', '-o', 'json'], stub.env)
    expect(r.exitCode).toBe(0)
    const m = /cloud sources: no --since\/--from\/--to given, reading the last 24h \((\S+) to (\S+)\)/.exec(r.stderr)
    expect(m).not.toBeNull()
    const [from, to] = [Date.parse(m![1]!), Date.parse(m![2]!)]
    expect(to - from).toBe(24 * 3_600_000)
    expect(to).toBeGreaterThanOrEqual(before)
    expect(argOf(stub.calls()[0]!.argv, '--start-time')).toBe(String(from))
    // The corpus lies in 2024: nothing in the last 24h.
    expect(r.stdout).toBe('')
  })

  it('a usage error (exit 2) without any source, and for a companion flag without its source', async () => {
    stub = stubEnv()
    const none = await run([], stub.env)
    expect(none.exitCode).toBe(2)
    expect(none.stderr).toMatch(/no audit source: give -f FILE/)
    const orphan = await run(['-f', SAMPLE, '--project', 'x'], stub.env)
    expect(orphan.exitCode).toBe(2)
    expect(orphan.stderr).toContain('--project only applies with --gke')
    const gkeAlone = await run(['--gke', 'c'], stub.env)
    expect(gkeAlone.exitCode).toBe(2)
    expect(gkeAlone.stderr).toContain('--gke needs --project')
    expect(stub.calls()).toEqual([])
  })

  it.each([
    ['expired', 5, /^Error: aws: not signed in or the session expired: run `aws sso login`/],
    ['denied', 6, /^Error: aws: access denied reading log group \/aws\/eks\/prod\/cluster; see docs\/sources\.md/],
    ['not-found', 7, /^Error: aws: log group \/aws\/eks\/prod\/cluster not found/],
  ])('a cloud error (%s) prints one line and exits %i, never a stack trace', async (mode, code, message) => {
    stub = stubEnv({STUB_FAIL: mode})
    const r = await run(['--eks', 'prod', ...eksWindow], stub.env)
    expect(r.exitCode).toBe(code)
    const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('Error'))
    expect(errorLines).toHaveLength(1)
    expect(errorLines[0]).toMatch(message)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.stdout).toBe('')
  })

  it('throttling: a transient throttle is retried; one that lasts ends in one line and exit 7', async () => {
    stub = stubEnv({STUB_THROTTLE: '1'})
    const once = await run(['--eks', 'prod', ...eksWindow, '--resource', 'secrets', '--verb', 'get', '-o', 'json'], stub.env)
    expect(once.exitCode).toBe(0)
    expect(jsonLines(once.stdout)).toHaveLength(eksSecretGets.length)
    stub.cleanup()
    stub = stubEnv({STUB_FAIL: 'throttle-always'})
    const always = await run(['--eks', 'prod', ...eksWindow], stub.env)
    expect(always.exitCode).toBe(7)
    expect(always.stderr.split('\n').filter((l) => l.startsWith('Error'))).toEqual([expect.stringMatching(/^Error: aws: throttled by the service while reading log group \/aws\/eks\/prod\/cluster \(retries exhausted\)/)])
    expect(stub.calls().length).toBe(5)
  }, 60_000)

  it('-o cim prints events, and findings with --findings, as JSON lines with CIM field names', async () => {
    stub = stubEnv()
    const events = await run(['--eks', 'prod', ...eksWindow, '--resource', 'secrets', '--verb', 'get', '-o', 'cim'], stub.env)
    expect(events.exitCode).toBe(0)
    const lines = jsonLines(events.stdout)
    expect(lines).toHaveLength(eksSecretGets.length)
    for (const l of lines) {
      expect(l).toMatchObject({app: 'kubernetes', action: 'read', object_category: 'secrets', vendor_product: 'kubectl-sensitive-access', dest: 'prod', signature: 'get secrets'})
      expect(typeof l.user).toBe('string')
      expect(Array.isArray(l.user_groups)).toBe(true)
    }
    const findings = await run(['--eks', 'prod', ...eksWindow, '--findings', '-o', 'cim'], stub.env)
    expect(findings.exitCode).toBe(0)
    const asJson = jsonLines((await run(['--eks', 'prod', ...eksWindow, '--findings', '-o', 'json'], stub.env)).stdout)
    const cim = jsonLines(findings.stdout)
    expect(cim.length).toBeGreaterThan(0)
    expect(cim.map((f) => f.signature_id)).toEqual(asJson.map((f) => f.ruleId))
    for (const f of cim) expect(f).toMatchObject({type: 'alert', app: 'kubernetes', vendor_product: 'kubectl-sensitive-access', dest: 'prod'})
  })

  it('-o cim with --summary is a usage error', async () => {
    stub = stubEnv()
    const r = await run(['-f', SAMPLE, '--summary', '-o', 'cim'], stub.env)
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('--summary has no CIM form')
  })

  it('Ctrl-C stops the fetch, prints what was fetched and says it was interrupted (exit 130)', async () => {
    stub = stubEnv({STUB_PAGE: '25', STUB_SLEEP_MS: '30000'})
    const child = execa('node', [RUN, 'recent', '--eks', 'prod', ...eksWindow, '--resource', 'all', '-o', 'json'], {cwd: ROOT, reject: false, env: {...stub.env, NO_COLOR: '1'}, extendEnv: false})
    // The first page comes at once; the second call hangs: interrupt while it does.
    const deadline = Date.now() + 20_000
    while (stub.calls().length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(stub.calls().length).toBe(2)
    const started = Date.now()
    child.kill('SIGINT')
    const r = await child
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(r.exitCode).toBe(130)
    expect(r.stderr).toContain('interrupted: stopping the fetch')
    expect(r.stderr).toMatch(/eks:prod: interrupted after 1 page\(s\) and \d+ events; .* the output is incomplete/)
    const interrupted = jsonLines(r.stdout)
    expect(interrupted.length).toBeGreaterThan(0)
    // What was printed is exactly the first page: the same run, uninterrupted, over the first 25 minutes.
    const firstPage = await run(['--eks', 'prod', '--from', iso(BASE), '--to', iso(BASE + 24 * STEP), '--resource', 'all', '-o', 'json'], {...stub.env, STUB_SLEEP_MS: '0'})
    expect(interrupted).toEqual(jsonLines(firstPage.stdout))
  }, 60_000)
})

describe.skipIf(!HAS_CORPUS)('recent --hec-url (local HTTP server standing in for Splunk HEC)', () => {
  let hec: http.Server
  let url: string
  const received: {auth: string | undefined; path: string; items: Record<string, unknown>[]}[] = []
  beforeAll(async () => {
    hec = http.createServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString('utf8')))
      req.on('end', () => {
        received.push({auth: req.headers.authorization, path: req.url ?? '', items: jsonLines(body)})
        res.writeHead(200, {'Content-Type': 'application/json'})
        res.end('{"text":"Success","code":0}')
      })
    })
    await new Promise<void>((resolve) => hec.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(hec.address() as AddressInfo).port}`
  })
  afterAll(async () => new Promise<void>((resolve) => hec.close(() => resolve())))
  let stub: StubEnv
  afterEach(() => {
    stub?.cleanup()
    received.length = 0
  })

  const eksRecords = HAS_CORPUS ? corpusRecords('panther-analysis/k8s-event.jsonl') : []
  const eksWindow = ['--from', iso(BASE), '--to', iso(BASE + eksRecords.length * STEP)]

  it('sends the findings (implied by --hec-url) with CIM fields, and reports the count', async () => {
    stub = stubEnv({SPLUNK_HEC_TOKEN: 'hec-token-123'})
    const expected = jsonLines((await run(['--eks', 'prod', ...eksWindow, '--findings', '-o', 'json'], stub.env)).stdout)
    expect(expected.length).toBeGreaterThan(0)
    const r = await run(['--eks', 'prod', ...eksWindow, '--hec-url', url, '--hec-index', 'k8s', '-o', 'json'], stub.env)
    expect(r.exitCode).toBe(0)
    expect(r.stderr).toContain(`sent ${expected.length} findings to HEC`)
    expect(r.stderr).not.toContain('hec-token-123')
    const items = received.flatMap((b) => b.items)
    expect(received.every((b) => b.auth === 'Splunk hec-token-123' && b.path === '/services/collector/event')).toBe(true)
    expect(items).toHaveLength(expected.length)
    for (const item of items) {
      expect(item).toMatchObject({index: 'k8s', sourcetype: 'kubectl:sensitive-access:finding'})
      expect(item.event).toMatchObject({type: 'alert', app: 'kubernetes', vendor_product: 'kubectl-sensitive-access', dest: 'prod'})
    }
    expect(items.map((i) => (i.event as {signature_id: string}).signature_id)).toEqual(expected.map((f) => f.ruleId))
  })

  it('--hec-events also sends the shown events; a missing token is one line, exit 5, nothing sent', async () => {
    stub = stubEnv({MY_HEC: 'tok'})
    // The events wait in a temporary file until the run ends; it is gone afterwards.
    const spoolDir = mkdtempSync(path.join(tmpdir(), 'hec-spool-'))
    const r = await run(['--eks', 'prod', ...eksWindow, '--resource', 'secrets', '--hec-url', url, '--hec-token-env', 'MY_HEC', '--hec-events', '-o', 'json'], {...stub.env, TMPDIR: spoolDir})
    expect(r.exitCode).toBe(0)
    expect(readdirSync(spoolDir)).toEqual([])
    const m = /sent (\d+) findings and (\d+) events to HEC/.exec(r.stderr)
    expect(m).not.toBeNull()
    const events = received.flatMap((b) => b.items).filter((i) => i.sourcetype === 'kubectl:sensitive-access:event')
    const secretEvents = eksRecords.filter((x) => (x as Native).objectRef?.resource === 'secrets' && (x as Native).user?.username)
    expect(events).toHaveLength(secretEvents.length)
    expect(Number(m![2])).toBe(secretEvents.length)
    for (const e of events) expect(e.event).toMatchObject({object_category: 'secrets', app: 'kubernetes'})
    received.length = 0

    const noToken = await run(['--eks', 'prod', ...eksWindow, '--hec-url', url, '--hec-token-env', 'UNSET_HEC_TOKEN_VAR'], stub.env)
    expect(noToken.exitCode).toBe(5)
    expect(noToken.stderr).toContain('Error: no HEC token: set the environment variable UNSET_HEC_TOKEN_VAR')
    expect(received).toEqual([])
  })
})

describe('recent --from-cluster (fake API server, node logs through nodes/proxy)', () => {
  let server: FakeApiServer | undefined
  afterEach(async () => {
    await server?.stop()
    server = undefined
  })
  const log = readFileSync(SAMPLE)
  const wide = ['--from', '2026-01-01T00:00:00Z', '--to', '2027-01-01T00:00:00Z']

  it('reads the audit log of the control-plane nodes with the kubeconfig and prints its events', async () => {
    server = await startFakeApiServer({nodeLogs: {'cp-1': {'kubernetes/audit/audit.log': log}}})
    const env = {PATH: process.env.PATH ?? ''}
    const r = await run(['--from-cluster', '--kubeconfig', server.kubeconfigPath, ...wide, '--resource', 'secrets', '--user', 'system:serviceaccount:*', '-o', 'json'], env)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.exitCode).toBe(0)
    const paths = server.requests.map((q) => q.path)
    expect(paths).toEqual(['/api/v1/nodes', '/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/audit.log'])
    expect(server.requests[0]!.query.labelSelector).toBe('node-role.kubernetes.io/control-plane')
    const events = jsonLines(r.stdout)
    expect(events.length).toBeGreaterThan(0)
    for (const e of events) {
      expect(e).toMatchObject({resource: 'secrets', origin: {file: 'cluster:node-proxy'}})
      const who = [(e.user as {username: string}).username, (e.impersonator as {username?: string} | undefined)?.username]
      expect(who.some((u) => u?.startsWith('system:serviceaccount:'))).toBe(true)
    }
    // Same rows as reading the file itself (the file reader also merges stages; compare audit IDs).
    const fromFile = jsonLines((await run(['-f', SAMPLE, ...wide, '--resource', 'secrets', '--user', 'system:serviceaccount:*', '-o', 'json'], env)).stdout)
    expect(new Set(events.map((e) => e.auditID))).toEqual(new Set(fromFile.map((e) => e.auditID)))
    expect(r.stderr).toContain('rotated files (audit-*.log) are not read')
  })

  it('--node and --audit-path pick the node and file; --user and -n stay filters, not kubeconfig options', async () => {
    server = await startFakeApiServer({nodeLogs: {'cp-1': {}, 'cp-2': {'k8s/audit.log': log}}})
    const r = await run(['--from-cluster', '--kubeconfig', server.kubeconfigPath, '--node', 'cp-2', '--audit-path', '/var/log/k8s/audit.log', ...wide, '-n', 'payments', '-o', 'json'], {PATH: process.env.PATH ?? ''})
    expect(r.exitCode).toBe(0)
    expect(server.requests.map((q) => q.path)).toEqual(['/api/v1/nodes/cp-2/proxy/logs/k8s/audit.log'])
    const events = jsonLines(r.stdout)
    expect(events.length).toBeGreaterThan(0)
    for (const e of events) expect(e.namespace).toBe('payments')
  })

  it('403 on nodes/proxy gives the nodes/proxy message and exit 6', async () => {
    server = await startFakeApiServer({
      nodeLogs: {'cp-1': {'kubernetes/audit/audit.log': log}},
      authorize: (_user, attributes) => !(attributes.kind === 'resource' && attributes.resource === 'nodes' && attributes.subresource === 'proxy'),
    })
    const r = await run(['--from-cluster', '--kubeconfig', server.kubeconfigPath, ...wide], {PATH: process.env.PATH ?? ''})
    expect(r.exitCode).toBe(6)
    expect(r.stderr.split('\n').filter((l) => l.startsWith('Error'))).toHaveLength(1)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.stderr).toContain('Error: reading /var/log/kubernetes/audit/audit.log on node cp-1 was forbidden (403): your identity lacks get on nodes/proxy')
    expect(r.stdout).toBe('')
  })
})
