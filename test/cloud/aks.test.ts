import {afterEach, describe, expect, it} from 'vitest'
import {CloudSourceError, openCloudSource, type CloudQuery} from '../../src/audit/cloud/index.js'
import {BASE, HAS_CORPUS, STEP, argOf, collect, corpusRecords, stubEnv, type StubEnv} from './helpers.js'

type Native = {verb?: string; user?: {username?: string}; objectRef?: {resource?: string}}

const spec = {kind: 'aks' as const, cluster: 'aks-prod', workspace: '11111111-2222-3333-4444-555555555555', subscription: 'sub-1'}
const fast = {retry: {attempts: 3, baseDelayMs: 5, maxDelayMs: 20}}

describe.skipIf(!HAS_CORPUS)('AKS through az monitor log-analytics query (stub serving panther-analysis/aks-diagnostic.jsonl)', () => {
  let stub: StubEnv
  afterEach(() => stub?.cleanup())
  const inner = HAS_CORPUS
    ? (corpusRecords('panther-analysis/aks-diagnostic.jsonl') as {properties?: {log?: unknown}}[]).map((r) =>
        (typeof r.properties?.log === 'string' ? JSON.parse(r.properties.log) : r.properties?.log) as Native,
      )
    : []
  const window: Pick<CloudQuery, 'from' | 'to'> = {from: new Date(BASE), to: new Date(BASE + inner.length * STEP)}
  const expectedFor = (resource: string) => inner.filter((e) => e.objectRef?.resource === resource && e.user?.username)

  it.each(['AzureDiagnostics', 'AKSAudit'])('probes, picks %s, and keyset-pages the filtered rows', async (table) => {
    stub = stubEnv({STUB_AKS_TABLES: table})
    const source = openCloudSource(spec, {...window, resources: ['pods']}, {}, {env: stub.env, ...fast, pageSize: 3})
    const events = await collect(source)
    const expected = expectedFor('pods')
    expect(expected.length).toBeGreaterThan(3)
    expect(events.map((e) => `${e.verb} ${e.user.username}`).sort()).toEqual(expected.map((e) => `${e.verb} ${e.user?.username}`).sort())
    expect(events.every((e) => e.origin.format === 'aks')).toBe(true)
    expect(source.stats.via).toBe(table)
    const calls = stub.calls()
    expect(argOf(calls[0]!.argv, '--analytics-query')).toMatch(/^union isfuzzy=true/)
    for (const c of calls) {
      expect(argOf(c.argv, '--workspace')).toBe(spec.workspace)
      expect(argOf(c.argv, '--subscription')).toBe('sub-1')
    }
    const kql = argOf(calls[1]!.argv, '--analytics-query')!
    expect(kql).toContain(table === 'AKSAudit' ? 'tostring(ObjectRef.resource) in ("pods")' : 'tostring(_e.objectRef.resource) in ("pods")')
    expect(argOf(calls[2]!.argv, '--analytics-query')).toMatch(/TimeGenerated >= datetime\(2024-06-01T00:\d\d:00\.000Z\)/)
    expect(source.stats.peakBuffered).toBeLessThanOrEqual(3)
  })

  it('warns that reads are invisible when only kube-audit-admin is collected', async () => {
    stub = stubEnv({STUB_AKS_TABLES: 'admin-only'})
    const warnings: string[] = []
    const source = openCloudSource(spec, {...window, resources: ['secrets']}, {onWarning: (w) => warnings.push(w)}, {env: stub.env, ...fast})
    await collect(source)
    expect(warnings.join('\n')).toMatch(/only the kube-audit-admin category, which drops get and list/)
    expect(argOf(stub.calls()[1]!.argv, '--analytics-query')).toContain('Category == "kube-audit-admin"')
  })

  it('reports an empty window when no table has audit rows', async () => {
    stub = stubEnv({STUB_AKS_TABLES: 'none'})
    const error = await collect(openCloudSource(spec, {...window, resources: ['secrets']}, {}, {env: stub.env, ...fast})).catch((e: unknown) => e)
    expect((error as CloudSourceError).kind).toBe('empty-window')
    expect((error as CloudSourceError).userMessage).toMatch(/diagnostic setting/)
  })

  it('retries TooManyRequests and recognises az login, access and workspace errors', async () => {
    stub = stubEnv({STUB_THROTTLE: '1', STUB_AKS_TABLES: 'AzureDiagnostics'})
    const source = openCloudSource(spec, {...window, resources: ['secrets']}, {}, {env: stub.env, ...fast})
    expect((await collect(source)).length).toBe(expectedFor('secrets').length)
    expect(source.stats.retries).toBe(1)
    stub.cleanup()
    for (const [mode, kind, text] of [
      ['no-creds', 'not-signed-in', /az login/],
      ['expired', 'not-signed-in', /az login/],
      ['denied', 'access-denied', /insufficient access/i],
      ['not-found', 'not-found', /workspace 11111111-2222-3333-4444-555555555555 not found/],
    ] as const) {
      stub = stubEnv({STUB_FAIL: mode})
      const error = await collect(openCloudSource(spec, {...window, resources: ['secrets']}, {}, {env: stub.env, ...fast})).catch((e: unknown) => e)
      expect((error as CloudSourceError).kind, mode).toBe(kind)
      expect((error as CloudSourceError).userMessage, mode).toMatch(text)
      stub.cleanup()
    }
  })
})

