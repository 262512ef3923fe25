import fs from 'node:fs'
import path from 'node:path'
import {Readable} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {CloudSourceError, openCloudSource, type KubeGet} from '../../src/audit/cloud/index.js'
import {nodeLogPath} from '../../src/audit/cloud/cluster.js'
import {CORPUS, HAS_CORPUS, collect} from './helpers.js'

type Native = {verb?: string; requestReceivedTimestamp?: string; timestamp?: string; objectRef?: {resource?: string}; impersonatedUser?: {username?: string}}

class HttpError extends Error {
  constructor(readonly statusCode: number) {
    super(`HTTP ${statusCode}`)
  }
}

/** An API server reached through node proxy: serves demo.log as cp-1's audit log, in small chunks. */
function fakeApi(log: Buffer, calls: string[], options: {forbid?: boolean} = {}): KubeGet {
  return async (p) => {
    calls.push(p)
    if (p.startsWith('/api/v1/nodes?')) {
      return Readable.from([JSON.stringify({kind: 'NodeList', items: [{metadata: {name: 'cp-1'}}]})])
    }
    if (options.forbid) throw new HttpError(403)
    if (p === '/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/audit.log') {
      const chunks: Buffer[] = []
      for (let i = 0; i < log.length; i += 1000) chunks.push(log.subarray(i, i + 1000))
      return Readable.from(chunks)
    }
    throw new HttpError(404)
  }
}

describe.skipIf(!HAS_CORPUS)('cluster: the audit log read through the API server node proxy (audit2rbac/demo.log)', () => {
  const log = HAS_CORPUS ? fs.readFileSync(path.join(CORPUS, 'audit2rbac', 'demo.log')) : Buffer.alloc(0)
  const records = log.toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Native)
  // demo.log predates requestReceivedTimestamp: its events carry the v1beta1 `timestamp`.
  const times = records.map((r) => Date.parse(r.requestReceivedTimestamp ?? r.timestamp ?? ''))
  const from = new Date(Math.min(...times))
  const to = new Date(Math.max(...times))

  it('maps the audit path under /var/log to the kubelet /logs/ proxy path, and refuses others', () => {
    expect(nodeLogPath('cp-1', '/var/log/kubernetes/audit/audit.log')).toBe('/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/audit.log')
    expect(() => nodeLogPath('cp-1', '/etc/kubernetes/audit.log')).toThrow(/must be under \/var\/log/)
    expect(() => nodeLogPath('cp-1', '/var/log/../etc/shadow')).toThrow(CloudSourceError)
  })

  it('discovers the control plane, streams the log in pages and filters locally (impersonated users included)', async () => {
    const calls: string[] = []
    const source = openCloudSource({kind: 'cluster'}, {from, to, resources: ['*'], users: ['bob']}, {}, {kubeGet: fakeApi(log, calls), pageSize: 10})
    const events = await collect(source)
    expect(calls[0]).toBe('/api/v1/nodes?labelSelector=node-role.kubernetes.io%2Fcontrol-plane')
    expect(events.length).toBe(records.filter((r) => r.impersonatedUser?.username === 'bob').length)
    expect(events.every((e) => e.user.username === 'bob' && e.impersonator?.username === 'system:admin')).toBe(true)
    expect(source.stats.pages).toBe(Math.ceil(records.length / 10))
    expect(source.stats.peakBuffered).toBeLessThanOrEqual(10)
    expect(source.stats.warnings.join()).toMatch(/rotated files/)
  })

  it('narrows by time: a window after the first half drops the early lines', async () => {
    const mid = new Date(times.slice().sort((a, b) => a - b)[Math.floor(times.length / 2)]!)
    const source = openCloudSource({kind: 'cluster', nodes: ['cp-1']}, {from: mid, to, resources: ['*']}, {}, {kubeGet: fakeApi(log, [])})
    const events = await collect(source)
    expect(events.length).toBe(times.filter((t) => t >= mid.getTime()).length)
    expect(events.length).toBeLessThan(records.length)
  })

  it('says what is missing on 403 (nodes/proxy) and 404 (wrong path)', async () => {
    const forbidden = await collect(openCloudSource({kind: 'cluster'}, {from, to, resources: ['secrets']}, {}, {kubeGet: fakeApi(log, [], {forbid: true})})).catch((e: unknown) => e)
    expect((forbidden as CloudSourceError).kind).toBe('access-denied')
    expect((forbidden as CloudSourceError).userMessage).toMatch(/nodes\/proxy/)
    const wrong = await collect(openCloudSource({kind: 'cluster', auditPath: '/var/log/audit.log'}, {from, to, resources: ['secrets']}, {}, {kubeGet: fakeApi(log, [])})).catch((e: unknown) => e)
    expect((wrong as CloudSourceError).kind).toBe('not-found')
    expect((wrong as CloudSourceError).userMessage).toMatch(/--audit-log-path/)
  })

  it('drops an endless line instead of buffering it, and keeps reading', async () => {
    const huge = Buffer.concat([log.subarray(0, log.indexOf(10) + 1), Buffer.alloc(17 * 1024 * 1024, 0x61), Buffer.from('\n'), log])
    const source = openCloudSource({kind: 'cluster', nodes: ['cp-1']}, {from, to, resources: ['*']}, {}, {kubeGet: fakeApi(huge, [])})
    const events = await collect(source)
    expect(source.stats.skipped['line-too-long']).toBe(1)
    expect(events.length).toBe(records.length + 1)
  })

  it('needs a cluster connection', async () => {
    const error = await collect(openCloudSource({kind: 'cluster'}, {from, to, resources: ['secrets']})).catch((e: unknown) => e)
    expect((error as CloudSourceError).kind).toBe('bad-config')
  })
})

