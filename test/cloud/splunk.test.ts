import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import {CloudSourceError, openCloudSource, type CloudQuery} from '../../src/audit/cloud/index.js'
import {splunkSearch} from '../../src/audit/cloud/splunk.js'
import {BASE, HAS_CORPUS, STEP, collect, corpusRecords} from './helpers.js'

type Native = {verb?: string; user?: {username?: string}; objectRef?: {resource?: string}}

interface SplunkStub {
  url: string
  requests: {auth?: string; form: URLSearchParams}[]
  close(): Promise<void>
}

/** A stand-in for Splunk's search export endpoint: JSON lines streamed in chunks, with delays. */
async function splunkStub(lines: string[], options: {status?: number; busyFirst?: number; chunk?: number; delayMs?: number} = {}): Promise<SplunkStub> {
  const requests: SplunkStub['requests'] = []
  let busy = options.busyFirst ?? 0
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', async () => {
      const form = new URLSearchParams(body)
      requests.push({auth: req.headers.authorization, form})
      if (req.method !== 'POST' || req.url !== '/services/search/v2/jobs/export') {
        res.writeHead(404).end('{"messages":[{"type":"ERROR","text":"Not Found"}]}')
        return
      }
      if (req.headers.authorization !== 'Bearer tok-123') {
        res.writeHead(401).end('{"messages":[{"type":"WARN","text":"call not properly authenticated"}]}')
        return
      }
      if (options.status) {
        res.writeHead(options.status).end('{"messages":[{"type":"ERROR","text":"forbidden by role"}]}')
        return
      }
      if (busy-- > 0) {
        res.writeHead(503).end('{"messages":[{"type":"ERROR","text":"Search not executed: The maximum number of concurrent searches has been reached."}]}')
        return
      }
      // Emulate the SPL's resource filter: `"objectRef.resource" IN ("secrets")`.
      const wanted = /"objectRef\.resource" IN \(([^)]*)\)/.exec(form.get('search') ?? '')
      const resources = wanted ? JSON.parse(`[${wanted[1]}]`) as string[] : undefined
      const matching = lines.filter((l) => !resources || resources.includes((JSON.parse(l) as Native).objectRef?.resource ?? ''))
      res.writeHead(200, {'Content-Type': 'application/json'})
      const chunk = options.chunk ?? 50
      for (let i = 0; i < matching.length; i += chunk) {
        const part = matching
          .slice(i, i + chunk)
          .map((raw, j) => JSON.stringify({preview: false, offset: i + j, result: {_raw: raw, _time: new Date(BASE + (i + j) * STEP).toISOString()}}))
          .join('\n')
        if (!res.write(part + '\n')) await new Promise((r) => res.once('drain', r))
        if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs))
        if (res.destroyed) return
      }
      res.end(JSON.stringify({preview: false, offset: matching.length, lastrow: true, result: {_raw: 'not json', _time: ''}}) + '\n')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const {port} = server.address() as AddressInfo
  return {url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r()))}
}

describe.skipIf(!HAS_CORPUS)('Splunk search export (local server streaming panther-analysis/k8s-event.jsonl)', () => {
  let stub: SplunkStub | undefined
  afterEach(async () => {
    await stub?.close()
    stub = undefined
  })
  const lines = HAS_CORPUS ? corpusRecords('panther-analysis/k8s-event.jsonl').map((r) => JSON.stringify(r)) : []
  const window: Pick<CloudQuery, 'from' | 'to'> = {from: new Date(BASE), to: new Date(BASE + 24 * 3600_000)}
  const env = {...process.env, SPLUNK_TOKEN: 'tok-123'}
  const fast = {retry: {attempts: 3, baseDelayMs: 5, maxDelayMs: 20}, env}

  it('builds SPL that filters server-side', () => {
    expect(splunkSearch({kind: 'splunk', url: 'x', index: 'k8s_audit', tokenEnv: 'SPLUNK_TOKEN'}, {...window, resources: ['secrets'], verbs: ['get'], users: ['system:serviceaccount:*']})).toBe(
      'search index="k8s_audit" "objectRef.resource" IN ("secrets") verb IN ("get") ("user.username" IN ("system:serviceaccount:*") OR "impersonatedUser.username" IN ("system:serviceaccount:*")) | fields _raw, _time',
    )
  })

  it('streams the export, with the token from the environment and the window as epoch seconds', async () => {
    stub = await splunkStub(lines)
    const source = openCloudSource({kind: 'splunk', url: stub.url, index: 'k8s_audit', tokenEnv: 'SPLUNK_TOKEN'}, {...window, resources: ['secrets']}, {}, {...fast, pageSize: 7})
    const events = await collect(source)
    const expected = lines.map((l) => JSON.parse(l) as Native).filter((e) => e.objectRef?.resource === 'secrets' && e.user?.username)
    expect(events.map((e) => `${e.verb} ${e.user.username}`).sort()).toEqual(expected.map((e) => `${e.verb} ${e.user?.username}`).sort())
    const form = stub.requests[0]!.form
    expect(form.get('output_mode')).toBe('json')
    expect(form.get('earliest_time')).toBe(String(BASE / 1000))
    expect(form.get('latest_time')).toBe(String(BASE / 1000 + 24 * 3600))
    expect(form.get('search')).toContain('"objectRef.resource" IN ("secrets")')
    expect(source.stats.pages).toBe(Math.ceil(expected.length / 7) + (expected.length % 7 === 0 ? 1 : 0))
    expect(source.stats.peakBuffered).toBeLessThanOrEqual(7)
    expect(source.stats.skipped['not-json']).toBe(1)
  })

  it('retries 503 (search concurrency) and then succeeds', async () => {
    stub = await splunkStub(lines, {busyFirst: 2})
    const source = openCloudSource({kind: 'splunk', url: stub.url, tokenEnv: 'SPLUNK_TOKEN'}, {...window, resources: ['secrets']}, {}, fast)
    expect((await collect(source)).length).toBeGreaterThan(0)
    expect(source.stats.retries).toBe(2)
    expect(stub.requests).toHaveLength(3)
  })

  it('needs the token variable and explains 401 and 403', async () => {
    stub = await splunkStub(lines)
    const missing = await collect(openCloudSource({kind: 'splunk', url: stub.url, tokenEnv: 'MY_SPLUNK'}, {...window, resources: ['secrets']}, {}, fast)).catch((e: unknown) => e)
    expect((missing as CloudSourceError).userMessage).toMatch(/set the environment variable MY_SPLUNK/)
    expect(stub.requests).toHaveLength(0)
    const wrong = await collect(openCloudSource({kind: 'splunk', url: stub.url, tokenEnv: 'SPLUNK_TOKEN'}, {...window, resources: ['secrets']}, {}, {...fast, env: {SPLUNK_TOKEN: 'nope'}})).catch((e: unknown) => e)
    expect((wrong as CloudSourceError).kind).toBe('not-signed-in')
    await stub.close()
    stub = await splunkStub(lines, {status: 403})
    const denied = await collect(openCloudSource({kind: 'splunk', url: stub.url, tokenEnv: 'SPLUNK_TOKEN'}, {...window, resources: ['secrets']}, {}, fast)).catch((e: unknown) => e)
    expect((denied as CloudSourceError).kind).toBe('access-denied')
    expect((denied as CloudSourceError).userMessage).toMatch(/search capability/)
  })

  it('aborts mid-stream, keeping what arrived', async () => {
    const many = Array.from({length: 40}, () => lines).flat() // 40 replays: a long stream
    stub = await splunkStub(many, {chunk: 20, delayMs: 10})
    const controller = new AbortController()
    const source = openCloudSource({kind: 'splunk', url: stub.url, tokenEnv: 'SPLUNK_TOKEN'}, {...window, resources: ['*']}, {signal: controller.signal}, {...fast, pageSize: 50})
    let seen = 0
    for await (const _ of source) if (++seen === 60) controller.abort()
    expect(source.stats.aborted).toBe(true)
    expect(seen).toBeGreaterThanOrEqual(60)
    expect(source.stats.records).toBeLessThan(many.length)
  })
})

