import {afterEach, describe, expect, it} from 'vitest'
import {CloudSourceError, openCloudSource, type CloudQuery} from '../../src/audit/cloud/index.js'
import {gkeFilter} from '../../src/audit/cloud/gke.js'
import {BASE, HAS_CORPUS, STEP, argOf, collect, corpusRecords, stubEnv, type StubEnv} from './helpers.js'

type Entry = {timestamp?: string; protoPayload?: {methodName?: string; authenticationInfo?: {principalEmail?: string}}}

const spec = {kind: 'gke' as const, cluster: 'prod-1', project: 'acme-prod', location: 'europe-west1'}
const fast = {retry: {attempts: 3, baseDelayMs: 5, maxDelayMs: 20}}

describe.skipIf(!HAS_CORPUS)('GKE through gcloud logging read (stub serving panther-analysis and khi-gke LogEntries)', () => {
  let stub: StubEnv
  afterEach(() => stub?.cleanup())
  const entries = HAS_CORPUS ? ([...corpusRecords('panther-analysis/gke-logentry.jsonl'), ...corpusRecords('khi-gke/gke-logentries.jsonl')] as Entry[]) : []
  const window: Pick<CloudQuery, 'from' | 'to'> = {from: new Date(BASE), to: new Date(BASE + entries.length * STEP)}
  const methodIs = (e: Entry, re: RegExp) => re.test(e.protoPayload?.methodName ?? '')

  it('builds one filter covering Admin Activity and Data Access, cluster, location and window', () => {
    const filter = gkeFilter(spec, {...window, resources: ['secrets', 'configmaps'], verbs: ['get'], users: ['system:serviceaccount:*']})
    expect(filter.split('\n')).toEqual([
      'resource.type="k8s_cluster"',
      'resource.labels.cluster_name="prod-1"',
      'resource.labels.location="europe-west1"',
      '(logName="projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity" OR logName="projects/acme-prod/logs/cloudaudit.googleapis.com%2Fdata_access")',
      `timestamp>="${window.from.toISOString()}"`,
      `timestamp<="${window.to.toISOString()}"`,
      'protoPayload.methodName=~"^io\\\\.k8s\\\\..*\\\\.(secrets|configmaps)(\\\\.[^.]+)?\\\\.(get)$"',
      '(protoPayload.authenticationInfo.principalEmail=~"^system:serviceaccount:.*$")',
    ])
  })

  it('keyset-pages in time order and yields every matching entry exactly once', async () => {
    stub = stubEnv({STUB_PAGE: '4'})
    const source = openCloudSource(spec, {...window, resources: ['pods']}, {}, {env: stub.env, ...fast, pageSize: 4})
    const events = await collect(source)
    // Entries carrying their own timestamp (2022-2024) fall outside the replay window; the others
    // are replayed one minute apart from BASE.
    const expected = entries.filter((e) => methodIs(e, /^io\.k8s\..*\.pods(\.[^.]+)?\.[^.]+$/) && e.protoPayload?.authenticationInfo?.principalEmail && !e.timestamp)
    expect(expected.length).toBeGreaterThan(8)
    expect(events.length).toBe(expected.length)
    expect(new Set(events.map((e) => e.origin.recordId)).size).toBe(events.length)
    const calls = stub.calls()
    expect(calls.length).toBeGreaterThan(1)
    for (const c of calls) {
      expect(argOf(c.argv, '--project')).toBe('acme-prod')
      expect(argOf(c.argv, '--order')).toBe('asc')
      expect(argOf(c.argv, '--limit')).toBe('4')
    }
    // Every page after the first starts where the previous one ended.
    expect(calls[1]!.argv[2]).toMatch(/timestamp>="2024-06-01T00:\d\d:00\.000Z"/)
    expect(source.stats).toMatchObject({complete: true, warnings: []})
    expect(source.stats.peakBuffered).toBeLessThanOrEqual(4)
  })

  it('does not lose or repeat entries that share one timestamp across a page boundary (khi-gke: three at 01:00:00Z)', async () => {
    stub = stubEnv()
    const khi = corpusRecords('khi-gke/gke-logentries.jsonl') as {insertId: string; timestamp: string}[]
    expect(new Set(khi.map((e) => e.timestamp)).size).toBe(1)
    const at = Date.parse(khi[0]!.timestamp)
    // Their logName names project sample-project, as captured.
    const source = openCloudSource({...spec, project: 'sample-project'}, {from: new Date(at - 1000), to: new Date(at + 1000), resources: ['*']}, {}, {env: stub.env, ...fast, pageSize: 2})
    const events = await collect(source)
    expect(events.map((e) => e.origin.recordId).sort()).toEqual(khi.map((e) => e.insertId).sort())
    expect(stub.calls().map((c) => argOf(c.argv, '--limit'))).toEqual(['2', '2', '4'])
  })

  it('reads secrets get/list through the methodName regex', async () => {
    stub = stubEnv()
    const events = await collect(openCloudSource(spec, {...window, resources: ['secrets'], verbs: ['get', 'list']}, {}, {env: stub.env, ...fast}))
    const expected = entries.filter((e) => methodIs(e, /\.secrets\.(get|list)$/) && e.protoPayload?.authenticationInfo?.principalEmail && !e.timestamp)
    expect(expected.length).toBeGreaterThan(0)
    expect(events.map((e) => `${e.verb} ${e.resource}`).sort()).toEqual(expected.map((e) => `${e.protoPayload!.methodName!.split('.').pop()} secrets`).sort())
  })

  it('warns that Data Access logs are probably disabled when no read comes back', async () => {
    stub = stubEnv({STUB_GKE_NO_DATA_ACCESS: '1'})
    const warnings: string[] = []
    const source = openCloudSource(spec, {...window, resources: ['secrets']}, {onWarning: (w) => warnings.push(w)}, {env: stub.env, ...fast})
    const events = await collect(source)
    expect(events.every((e) => !['get', 'list', 'watch'].includes(e.verb))).toBe(true)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/Data Access audit logs .* probably disabled/)
    expect(warnings[0]).toMatch(/gcloud projects get-iam-policy acme-prod/)
    expect(source.stats.warnings).toEqual(warnings)
  })

  it('retries RESOURCE_EXHAUSTED and recognises gcloud sign-in and permission errors', async () => {
    stub = stubEnv({STUB_THROTTLE: '1'})
    const source = openCloudSource(spec, {...window, resources: ['secrets']}, {}, {env: stub.env, ...fast})
    await collect(source)
    expect(source.stats.retries).toBe(1)
    stub.cleanup()
    for (const [mode, kind, text] of [
      ['no-creds', 'not-signed-in', /gcloud auth login/],
      ['expired', 'not-signed-in', /gcloud auth login/],
      ['denied', 'access-denied', /PERMISSION_DENIED/],
      ['not-found', 'not-found', /not found/],
    ] as const) {
      stub = stubEnv({STUB_FAIL: mode})
      const error = await collect(openCloudSource(spec, {...window, resources: ['secrets']}, {}, {env: stub.env, ...fast})).catch((e: unknown) => e)
      expect(error, mode).toBeInstanceOf(CloudSourceError)
      expect((error as CloudSourceError).kind, mode).toBe(kind)
      expect((error as CloudSourceError).userMessage, mode).toMatch(text)
      stub.cleanup()
    }
  })

  it('aborts between pages and keeps what was fetched', async () => {
    stub = stubEnv()
    const controller = new AbortController()
    const source = openCloudSource(spec, {...window, resources: ['*']}, {signal: controller.signal, onProgress: () => controller.abort()}, {env: stub.env, ...fast, pageSize: 5})
    const events = await collect(source)
    expect(source.stats.aborted).toBe(true)
    expect(stub.calls().length).toBe(1)
    expect(events.length).toBe(source.stats.events)
  })
})

