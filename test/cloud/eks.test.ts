import {afterEach, describe, expect, it} from 'vitest'
import type {AuditEvent} from '../../src/audit/event.js'
import {CloudSourceError, openCloudSource, type CloudProgress, type CloudQuery} from '../../src/audit/cloud/index.js'
import {eksFilterPattern} from '../../src/audit/cloud/eks.js'
import {BASE, HAS_CORPUS, STEP, argOf, collect, corpusRecords, stubEnv, type StubEnv} from './helpers.js'

type Native = {verb?: string; user?: {username?: string}; objectRef?: {resource?: string; namespace?: string}; requestReceivedTimestamp?: string}

const spec = {kind: 'eks' as const, cluster: 'prod', region: 'eu-west-1', profile: 'audit'}
const fast = {retry: {attempts: 4, baseDelayMs: 5, maxDelayMs: 20}}
const window = (minutes: number): Pick<CloudQuery, 'from' | 'to'> => ({from: new Date(BASE), to: new Date(BASE + minutes * STEP)})

describe.skipIf(!HAS_CORPUS)('EKS through the aws CLI (stub serving panther-analysis/k8s-event.jsonl)', () => {
  let stub: StubEnv
  afterEach(() => stub?.cleanup())
  const records = HAS_CORPUS ? (corpusRecords('panther-analysis/k8s-event.jsonl') as Native[]) : []

  it('pushes resource and verb filters down, pages with nextToken, and yields exactly the matching events', async () => {
    stub = stubEnv({STUB_PAGE: '25', STUB_REQUIRE_PATTERN: '1'})
    const query: CloudQuery = {...window(records.length), resources: ['secrets'], verbs: ['get', 'list', 'watch']}
    const progress: CloudProgress[] = []
    const source = openCloudSource(spec, query, {onProgress: (p) => progress.push({...p})}, {env: stub.env, ...fast})
    const events = await collect(source)

    const expected = records.filter((r) => r.objectRef?.resource === 'secrets' && ['get', 'list', 'watch'].includes(r.verb ?? '') && r.user?.username)
    expect(expected.length).toBeGreaterThan(10)
    expect(events.map((e) => `${e.verb} ${e.user.username} ${e.namespace ?? ''}`).sort()).toEqual(
      expected.map((r) => `${r.verb} ${r.user?.username} ${r.objectRef?.namespace ?? ''}`).sort(),
    )
    for (const e of events) {
      expect(e.origin.format).toBe('eks')
      expect(e.time).toBeGreaterThanOrEqual(BASE) // CloudWatch timestamp fills the events' missing time
    }

    const calls = stub.calls()
    expect(calls.length).toBe(Math.ceil(records.length / 25))
    for (const [i, call] of calls.entries()) {
      expect(call.argv.slice(0, 2)).toEqual(['logs', 'filter-log-events'])
      expect(argOf(call.argv, '--log-group-name')).toBe('/aws/eks/prod/cluster')
      expect(argOf(call.argv, '--filter-pattern')).toBe('{ ($.objectRef.resource = "secrets") && ($.verb = "get" || $.verb = "list" || $.verb = "watch") }')
      expect(argOf(call.argv, '--start-time')).toBe(String(BASE))
      expect(argOf(call.argv, '--end-time')).toBe(String(BASE + records.length * STEP))
      expect(argOf(call.argv, '--region')).toBe('eu-west-1')
      expect(argOf(call.argv, '--profile')).toBe('audit')
      expect(argOf(call.argv, '--next-token')).toBe(i === 0 ? undefined : String(i * 25))
    }
    expect(source.stats).toMatchObject({complete: true, aborted: false, pages: calls.length, events: expected.length})
    expect(source.stats.peakBuffered).toBeLessThanOrEqual(25)
    expect(progress.length).toBe(calls.length)
    expect(progress.at(-1)).toMatchObject({pages: calls.length, events: expected.length})
    expect(progress.at(-1)!.bytes).toBeGreaterThan(0)
  })

  it('filters users locally when a glob cannot be pushed down, and pushes prefix globs', async () => {
    expect(eksFilterPattern({...window(1), resources: ['secrets'], users: ['system:serviceaccount:*']})).toBe(
      '{ ($.objectRef.resource = "secrets") && ($.user.username = "system:serviceaccount:*" || $.impersonatedUser.username = "system:serviceaccount:*") }',
    )
    expect(eksFilterPattern({...window(1), resources: ['*'], users: ['*attacker*']})).toBe('')
    stub = stubEnv()
    const source = openCloudSource(spec, {...window(records.length), resources: ['secrets'], users: ['*@example.com']}, {}, {env: stub.env, ...fast})
    const events = await collect(source)
    const expected = records.filter((r) => r.objectRef?.resource === 'secrets' && r.user?.username?.endsWith('@example.com'))
    expect(events.length).toBe(expected.length)
    expect(source.stats.filteredOut).toBe(records.filter((r) => r.objectRef?.resource === 'secrets').length - expected.length)
  })

  it('retries throttling with backoff and reports the retries', async () => {
    stub = stubEnv({STUB_THROTTLE: '2', STUB_PAGE: '100'})
    const progress: CloudProgress[] = []
    const source = openCloudSource(spec, {...window(records.length), resources: ['secrets']}, {onProgress: (p) => progress.push(p)}, {env: stub.env, ...fast})
    const events = await collect(source)
    expect(events.length).toBe(records.filter((r) => r.objectRef?.resource === 'secrets').length)
    expect(source.stats.retries).toBe(2)
    expect(progress.filter((p) => p.retrying).map((p) => p.retrying!.attempt)).toEqual([1, 2])
  })

  it('gives up on throttling after the bounded attempts with a typed error', async () => {
    stub = stubEnv({STUB_FAIL: 'throttle-always'})
    const source = openCloudSource(spec, {...window(10), resources: ['secrets']}, {}, {env: stub.env, ...fast})
    const error = await collect(source).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CloudSourceError)
    expect((error as CloudSourceError).kind).toBe('throttled')
    expect(stub.calls().length).toBe(4)
  })

  it.each([
    ['no-creds', 'not-signed-in', /aws sso login|aws configure/],
    ['expired', 'not-signed-in', /session expired/],
    ['denied', 'access-denied', /docs\/sources\.md/],
    ['not-found', 'not-found', /log group \/aws\/eks\/prod\/cluster not found/],
  ])('turns %s into a one-line %s error', async (mode, kind, message) => {
    stub = stubEnv({STUB_FAIL: mode})
    const error = await collect(openCloudSource(spec, {...window(10), resources: ['secrets']}, {}, {env: stub.env, ...fast})).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CloudSourceError)
    expect((error as CloudSourceError).kind).toBe(kind)
    expect((error as CloudSourceError).userMessage).toMatch(message)
    expect((error as CloudSourceError).userMessage).not.toMatch(/\n/)
    expect(stub.calls().length).toBe(1) // not retried
  })

  it('says the CLI is missing when aws is not on PATH', async () => {
    stub = stubEnv()
    const env = {...stub.env, PATH: stub.dir}
    const error = await collect(openCloudSource(spec, {...window(10), resources: ['secrets']}, {}, {env, ...fast})).catch((e: unknown) => e)
    expect((error as CloudSourceError).kind).toBe('not-installed')
    expect((error as CloudSourceError).userMessage).toMatch(/`aws` is not installed/)
  })

  it('warns when the window holds no audit event at all (logging off, or wrong window)', async () => {
    stub = stubEnv()
    const warnings: string[] = []
    const later = BASE + 365 * 24 * 3600_000
    const source = openCloudSource(spec, {from: new Date(later), to: new Date(later + STEP), resources: ['secrets']}, {onWarning: (w) => warnings.push(w)}, {env: stub.env, ...fast})
    expect(await collect(source)).toEqual([])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/aws eks update-cluster-config --name prod --logging/)
    expect(source.stats.complete).toBe(true)
  })

  it('rejects an empty window before calling anything', async () => {
    stub = stubEnv()
    const error = await collect(openCloudSource(spec, {from: new Date(BASE), to: new Date(BASE), resources: ['secrets']}, {}, {env: stub.env})).catch((e: unknown) => e)
    expect((error as CloudSourceError).kind).toBe('empty-window')
    expect(stub.calls()).toEqual([])
  })

  it('pulls pages lazily: breaking after the first event stops fetching (pages are not accumulated)', async () => {
    stub = stubEnv({STUB_PAGE: '10'})
    const source = openCloudSource(spec, {...window(records.length), resources: ['*']}, {}, {env: stub.env, ...fast})
    let first: AuditEvent | undefined
    for await (const e of source) {
      first = e
      break
    }
    expect(first).toBeDefined()
    // Only the pages up to the first event were asked for (the first ones hold events outside the window).
    expect(stub.calls().length).toBe(source.stats.pages)
    expect(source.stats.pages).toBeLessThan(Math.ceil(records.length / 10) / 2)
    expect(source.stats.complete).toBe(false)
    expect(source.stats.peakBuffered).toBeLessThanOrEqual(10)
  })

  it('stops cleanly on abort mid-stream and says so in stats', async () => {
    stub = stubEnv({STUB_PAGE: '10'})
    const controller = new AbortController()
    const source = openCloudSource(
      spec,
      {...window(records.length), resources: ['*']},
      {signal: controller.signal, onProgress: (p) => p.pages === 3 && controller.abort()},
      {env: stub.env, ...fast},
    )
    const events = await collect(source)
    expect(source.stats.aborted).toBe(true)
    expect(source.stats.complete).toBe(false)
    expect(source.stats.pages).toBe(3)
    expect(stub.calls().length).toBe(3)
    expect(events.length).toBeLessThanOrEqual(30)
    expect(source.stats.window.coveredTo).toBeLessThan(BASE + records.length * STEP)
  })

  it('abort kills a CLI call in flight and ends with what the earlier pages gave', async () => {
    stub = stubEnv({STUB_PAGE: '100', STUB_SLEEP_MS: '30000'})
    const controller = new AbortController()
    const started = Date.now()
    const source = openCloudSource(spec, {...window(records.length), resources: ['*']}, {signal: controller.signal, onProgress: () => setTimeout(() => controller.abort(), 200)}, {env: stub.env, ...fast})
    const events = await collect(source)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(source.stats).toMatchObject({aborted: true, complete: false, pages: 1})
    expect(events.length).toBe(source.stats.events)
    expect(events.length).toBeGreaterThan(0)
  })

  it('runs CloudWatch Logs Insights per time slice, polling until complete', async () => {
    stub = stubEnv()
    const source = openCloudSource({...spec, insights: true}, {...window(records.length), resources: ['secrets']}, {}, {env: stub.env, ...fast, pollIntervalMs: 5, insightsSliceMs: 60 * STEP})
    const events = await collect(source)
    expect(events.length).toBe(records.filter((r) => r.objectRef?.resource === 'secrets').length)
    const starts = stub.calls().filter((c) => c.argv[1] === 'start-query')
    expect(starts.length).toBe(Math.ceil(records.length / 60))
    expect(argOf(starts[0]!.argv, '--query-string')).toContain('filter objectRef.resource in ["secrets"]')
    expect(argOf(starts[0]!.argv, '--start-time')).toBe(String(BASE / 1000))
    expect(stub.calls().filter((c) => c.argv[1] === 'get-query-results').length).toBe(starts.length * 2)
  })
})

