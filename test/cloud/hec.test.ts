import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import type {AuditEvent} from '../../src/audit/event.js'
import type {Finding} from '../../src/detect/finding.js'
import {CloudSourceError, sendToHec} from '../../src/audit/cloud/index.js'
import {FINDING_SOURCETYPE, EVENT_SOURCETYPE} from '../../src/audit/cloud/hec.js'

interface HecStub {
  url: string
  batches: {auth?: string; items: Record<string, unknown>[]}[]
  close(): Promise<void>
}

/** A stand-in HEC: answers each request with the next scripted status (then 200). */
async function hecStub(script: {status: number; retryAfter?: string}[] = []): Promise<HecStub> {
  const batches: HecStub['batches'] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      const step = script.shift()
      if (req.url !== '/services/collector/event') {
        res.writeHead(404).end('{"text":"The requested URL was not found on this server.","code":404}')
        return
      }
      if (req.headers.authorization !== 'Splunk hec-abc') {
        res.writeHead(403).end('{"text":"Invalid token","code":4}')
        return
      }
      if (step && step.status !== 200) {
        res.writeHead(step.status, step.retryAfter ? {'Retry-After': step.retryAfter} : {}).end(
          step.status === 503 ? '{"text":"Server is busy","code":9}' : step.status === 400 ? '{"text":"Invalid data format","code":6}' : '{"text":"Too many requests"}',
        )
        return
      }
      // HEC takes several event objects concatenated in one body.
      const items = body.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)
      batches.push({auth: req.headers.authorization, items})
      res.writeHead(200).end('{"text":"Success","code":0}')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const {port} = server.address() as AddressInfo
  return {url: `http://127.0.0.1:${port}`, batches, close: () => new Promise((r) => server.close(() => r()))}
}

function finding(i: number): Finding {
  return {
    ruleId: 'secret-read-by-human',
    title: 'A person read a secret',
    severity: 'medium',
    technique: 'T1552.007',
    who: `user${i}@example.com`,
    what: `get secrets prod/db-password-${i}`,
    firstSeen: Date.parse('2024-06-01T00:00:00Z'),
    lastSeen: Date.parse('2024-06-01T01:00:00Z') + i * 1000,
    count: 2,
    evidence: [{auditID: `a-${i}`, time: Date.parse('2024-06-01T00:00:00Z')}],
    detail: 'a human identity read a secret outside a deployment',
  }
}

const event: AuditEvent = {
  time: Date.parse('2024-06-01T00:05:00Z'),
  verb: 'list',
  user: {username: 'system:serviceaccount:ci:deployer', groups: ['system:serviceaccounts']},
  sourceIPs: ['10.1.2.3'],
  resource: 'secrets',
  namespace: 'prod',
  code: 403,
  origin: {format: 'k8s'},
}

describe('Splunk HTTP Event Collector sender', () => {
  let stub: HecStub | undefined
  afterEach(async () => {
    await stub?.close()
    stub = undefined
  })
  const env = {SPLUNK_HEC_TOKEN: 'hec-abc'}
  const fast = {retry: {attempts: 4, baseDelayMs: 5, maxDelayMs: 50}, env}

  it('sends findings and events in batches, with CIM fields beside the originals', async () => {
    stub = await hecStub()
    const items = [...Array.from({length: 5}, (_, i) => finding(i)), event]
    const result = await sendToHec(items, {url: stub.url, index: 'k8s', dest: 'prod-cluster', batchSize: 2, ...fast})
    expect(result).toEqual({sent: 6, batches: 3, retries: 0, aborted: false})
    expect(stub.batches.map((b) => b.items.length)).toEqual([2, 2, 2])
    const first = stub.batches[0]!.items[0]!
    expect(first).toMatchObject({time: finding(0).lastSeen / 1000, sourcetype: FINDING_SOURCETYPE, index: 'k8s'})
    expect(first.event).toMatchObject({
      ruleId: 'secret-read-by-human', who: 'user0@example.com', what: 'get secrets prod/db-password-0',
      user: 'user0@example.com', action: 'read', object: 'prod/db-password-0', object_category: 'secrets',
      signature: 'A person read a secret', signature_id: 'secret-read-by-human', app: 'kubernetes', dest: 'prod-cluster', mitre_technique_id: 'T1552.007',
    })
    const last = stub.batches[2]!.items[1]!
    expect(last.sourcetype).toBe(EVENT_SOURCETYPE)
    expect(last.event).toMatchObject({user: 'system:serviceaccount:ci:deployer', user_groups: ['system:serviceaccounts'], src: '10.1.2.3', status: 'failure', action: 'read', object: 'prod', object_category: 'secrets', verb: 'list'})
  })

  it('backs off on 503 and 429 (honouring Retry-After), bounded', async () => {
    stub = await hecStub([{status: 503}, {status: 429, retryAfter: '0.01'}])
    const result = await sendToHec([finding(1)], {url: stub.url, ...fast})
    expect(result).toMatchObject({sent: 1, retries: 2})
    await stub.close()
    stub = await hecStub(Array.from({length: 10}, () => ({status: 503})))
    const error = await sendToHec([finding(1)], {url: stub.url, ...fast}).catch((e: unknown) => e)
    expect((error as CloudSourceError).kind).toBe('throttled')
    expect(stub.batches).toHaveLength(0)
  })

  it('fails at once on a bad token or a refused batch, and without the token variable', async () => {
    stub = await hecStub([{status: 400}])
    const refused = await sendToHec([finding(1)], {url: stub.url, ...fast}).catch((e: unknown) => e)
    expect((refused as CloudSourceError).userMessage).toMatch(/Invalid data format \(code 6\)/)
    const badToken = await sendToHec([finding(1)], {url: stub.url, ...fast, env: {SPLUNK_HEC_TOKEN: 'wrong'}}).catch((e: unknown) => e)
    expect((badToken as CloudSourceError).kind).toBe('access-denied')
    const none = await sendToHec([finding(1)], {url: stub.url, ...fast, env: {}}).catch((e: unknown) => e)
    expect((none as CloudSourceError).userMessage).toMatch(/SPLUNK_HEC_TOKEN/)
  })

  it('stops on abort and reports how much was sent', async () => {
    stub = await hecStub()
    const controller = new AbortController()
    const result = await sendToHec(Array.from({length: 50}, (_, i) => finding(i)), {
      url: stub.url, batchSize: 10, signal: controller.signal, ...fast,
      onProgress: (p) => p.batches === 2 && controller.abort(),
    })
    expect(result).toMatchObject({aborted: true, sent: 20, batches: 2})
  })
})
