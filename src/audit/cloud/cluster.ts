// A self-managed cluster: the API server writes its audit log to a file on each control-plane
// node. The kubelet serves /var/log under /logs/, and the API server proxies to it at
// /api/v1/nodes/NODE/proxy/logs/..., so the log can be read with nothing but kubectl credentials
// that allow nodes/proxy. No server-side filtering exists here: lines are streamed and filtered
// locally, one page at a time.
import {CloudSourceError} from './errors.js'
import {lineSplitter} from './lines.js'

/** Longest line kept (the API server caps an event well below this). */
const MAX_LINE = 16 * 1024 * 1024
import type {PageSource, SourceContext} from './page.js'
import type {ClusterSpec, KubeGet} from './types.js'

/** kubeadm's conventional location (--audit-log-path); others pass auditPath. */
export const DEFAULT_AUDIT_PATH = '/var/log/kubernetes/audit/audit.log'

const CONTROL_PLANE_SELECTOR = 'node-role.kubernetes.io/control-plane'

export function nodeLogPath(node: string, auditPath: string): string {
  const normal = auditPath.replace(/\/+/g, '/')
  if (!normal.startsWith('/var/log/') || normal.split('/').includes('..')) {
    throw new CloudSourceError('bad-config', `the audit log path must be under /var/log (the kubelet serves only that): ${auditPath}`)
  }
  const relative = normal.slice('/var/log/'.length).split('/').map(encodeURIComponent).join('/')
  return `/api/v1/nodes/${encodeURIComponent(node)}/proxy/logs/${relative}`
}

export function clusterSource(spec: ClusterSpec, get?: KubeGet): PageSource {
  return (ctx) => clusterPages(spec, get, ctx)
}

function statusOf(error: unknown): number | undefined {
  const e = error as {code?: unknown; statusCode?: unknown; status?: unknown; response?: {statusCode?: unknown}}
  for (const v of [e?.code, e?.statusCode, e?.status, e?.response?.statusCode]) if (typeof v === 'number') return v
  return undefined
}

async function readAll(stream: AsyncIterable<Uint8Array | string>, max: number): Promise<string> {
  let text = ''
  const decoder = new TextDecoder()
  for await (const piece of stream) {
    text += typeof piece === 'string' ? piece : decoder.decode(piece, {stream: true})
    if (text.length > max) throw new CloudSourceError('bad-output', 'the node list is larger than expected')
  }
  return text
}

async function discoverNodes(get: KubeGet, ctx: SourceContext): Promise<string[]> {
  let body: string
  try {
    body = await readAll(await get(`/api/v1/nodes?labelSelector=${encodeURIComponent(CONTROL_PLANE_SELECTOR)}`, {signal: ctx.signal}), 16 * 1024 * 1024)
  } catch (error) {
    if (error instanceof CloudSourceError) throw error
    if (statusOf(error) === 403) throw new CloudSourceError('access-denied', 'cannot list nodes to find the control plane (403): pass the node names, or get `list nodes` permission')
    throw error
  }
  const list = JSON.parse(body) as {items?: {metadata?: {name?: string}}[]}
  const names = (list.items ?? []).map((n) => n.metadata?.name).filter((n): n is string => typeof n === 'string')
  if (names.length === 0) {
    throw new CloudSourceError(
      'not-found',
      `no node carries the label ${CONTROL_PLANE_SELECTOR}: managed clusters (EKS, GKE, AKS) hide the control plane, so use --source eks|gke|aks; otherwise name the nodes`,
    )
  }
  return names
}

async function* clusterPages(spec: ClusterSpec, get: KubeGet | undefined, ctx: SourceContext) {
  if (!get) throw new CloudSourceError('bad-config', 'reading the audit log from the nodes needs a cluster connection (kubeconfig)')
  const auditPath = spec.auditPath ?? DEFAULT_AUDIT_PATH
  const nodes = spec.nodes?.length ? spec.nodes : await discoverNodes(get, ctx)
  const pageSize = ctx.options.pageSize ?? 2000
  const from = ctx.query.from.getTime()
  for (const node of nodes) {
    const path = nodeLogPath(node, auditPath)
    let stream: AsyncIterable<Uint8Array | string>
    try {
      stream = await get(path, {signal: ctx.signal})
    } catch (error) {
      if (ctx.signal?.aborted) throw error
      const status = statusOf(error)
      if (status === 403) {
        throw new CloudSourceError('access-denied', `reading ${auditPath} on node ${node} was forbidden (403): your identity lacks get on nodes/proxy (grant it only to auditors: it reaches the kubelet API)`)
      }
      if (status === 404) {
        throw new CloudSourceError('not-found', `no audit log at ${auditPath} on node ${node} (404): pass the path the API server's --audit-log-path names`)
      }
      throw new CloudSourceError('failed', `reading ${auditPath} on node ${node} failed: ${(error as Error)?.message ?? String(error)}`)
    }
    const decoder = new TextDecoder()
    const splitter = lineSplitter(MAX_LINE)
    let records: unknown[] = []
    let bytes = 0
    const take = (line: string) => {
      if (line.trim() === '') return
      // Cheap pre-filter: the log is in time order, so lines before the window are skipped
      // without parsing when their timestamp says so.
      const m = /"requestReceivedTimestamp":"([^"]+)"/.exec(line)
      if (m && Date.parse(m[1] ?? '') < from) return
      try {
        records.push(JSON.parse(line))
      } catch {
        ctx.stats.skipped['not-json'] = (ctx.stats.skipped['not-json'] ?? 0) + 1
      }
    }
    for await (const piece of stream) {
      bytes += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.byteLength
      for (const line of splitter.push(typeof piece === 'string' ? piece : decoder.decode(piece, {stream: true}))) {
        take(line)
        if (records.length >= pageSize) {
          yield {records, bytes, format: 'k8s' as const}
          records = []
          bytes = 0
        }
      }
    }
    for (const line of [...splitter.push(decoder.decode()), ...splitter.end()]) take(line)
    if (splitter.dropped > 0) ctx.stats.skipped['line-too-long'] = (ctx.stats.skipped['line-too-long'] ?? 0) + splitter.dropped
    yield {records, bytes, format: 'k8s' as const}
  }
  ctx.warn(`read only the current ${auditPath} on ${nodes.length} node(s): rotated files (audit-*.log) are not read`)
}
