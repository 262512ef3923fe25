// EKS: the control plane's audit log lives in CloudWatch Logs, group /aws/eks/CLUSTER/cluster,
// streams kube-apiserver-audit-*. FilterLogEvents takes a JSON filter pattern, so resource, verb,
// user and namespace are selected server-side; Logs Insights is offered for long windows.
import {runCli, parseJsonOutput, sleep} from './exec.js'
import {CloudSourceError} from './errors.js'
import {allResources, isGlob} from './query.js'
import type {PageSource, SourceContext} from './page.js'
import type {CloudQuery, EksSpec} from './types.js'

/** CloudWatch rejects filter patterns longer than this. */
const MAX_PATTERN = 1024

export function eksLogGroup(spec: EksSpec): string {
  return `/aws/eks/${spec.cluster}/cluster`
}

function globalArgs(spec: EksSpec): string[] {
  const args = ['--output', 'json']
  if (spec.region) args.push('--region', spec.region)
  if (spec.profile) args.push('--profile', spec.profile)
  return args
}

// Values are quoted; CloudWatch accepts a trailing `*` wildcard in a quoted value. Anything the
// pattern language cannot say exactly (inner wildcards, quotes) is left to the local filter.
function cwValue(value: string): string | undefined {
  if (/["\\]/.test(value)) return undefined
  if (isGlob(value) && !/^[^*?]*\*$/.test(value)) return undefined
  return `"${value}"`
}

function anyOf(fields: string[], values: string[]): string | undefined {
  const parts: string[] = []
  for (const v of values) {
    const quoted = cwValue(v)
    if (quoted === undefined) return undefined
    for (const f of fields) parts.push(`${f} = ${quoted}`)
  }
  return parts.length === 0 ? undefined : `(${parts.join(' || ')})`
}

/** The JSON filter pattern for FilterLogEvents; clauses that do not fit are dropped (filtered locally). */
export function eksFilterPattern(query: CloudQuery): string {
  const clauses: (string | undefined)[] = [
    allResources(query) ? undefined : anyOf(['$.objectRef.resource'], query.resources),
    query.verbs?.length ? anyOf(['$.verb'], query.verbs) : undefined,
    query.namespaces?.length ? anyOf(['$.objectRef.namespace'], query.namespaces) : undefined,
    query.users?.length ? anyOf(['$.user.username', '$.impersonatedUser.username'], query.users) : undefined,
  ]
  // Drop the least selective clauses first until the pattern fits.
  for (const drop of [-1, 3, 2, 1]) {
    if (drop >= 0) clauses[drop] = undefined
    const kept = clauses.filter((c): c is string => c !== undefined)
    const pattern = kept.length === 0 ? '' : `{ ${kept.join(' && ')} }`
    if (pattern.length <= MAX_PATTERN) return pattern
  }
  return ''
}

export function eksInsightsQuery(query: CloudQuery, limit: number): string {
  const lines = ['fields @timestamp, @message, @logStream', 'filter @logStream like /^kube-apiserver-audit/']
  const list = (values: string[]) => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`
  if (!allResources(query)) lines.push(`filter objectRef.resource in ${list(query.resources)}`)
  if (query.verbs?.length) lines.push(`filter verb in ${list(query.verbs)}`)
  if (query.namespaces?.length) lines.push(`filter objectRef.namespace in ${list(query.namespaces)}`)
  const exact = query.users?.filter((u) => !isGlob(u) && !/["\\]/.test(u))
  if (query.users?.length && exact?.length === query.users.length) {
    lines.push(`filter user.username in ${list(exact)} or impersonatedUser.username in ${list(exact)}`)
  }
  lines.push('sort @timestamp asc', `limit ${limit}`)
  return lines.join(' | ')
}

export function eksSource(spec: EksSpec): PageSource {
  return spec.insights ? (ctx) => insightsPages(spec, ctx) : (ctx) => filterPages(spec, ctx)
}

async function* filterPages(spec: EksSpec, ctx: SourceContext) {
  const group = eksLogGroup(spec)
  const pattern = eksFilterPattern(ctx.query)
  const limit = ctx.options.pageSize ?? 5000
  let token: string | undefined
  let pages = 0
  do {
    // --no-paginate: one API call per run, so each run returns one page and the service's own
    // nextToken (the CLI would otherwise fetch every page before printing anything).
    const args = [
      'logs', 'filter-log-events',
      '--log-group-name', group,
      '--log-stream-name-prefix', 'kube-apiserver-audit',
      '--start-time', String(ctx.query.from.getTime()),
      '--end-time', String(ctx.query.to.getTime()),
      '--limit', String(limit),
      '--no-paginate',
      ...globalArgs(spec),
    ]
    if (pattern) args.push('--filter-pattern', pattern)
    if (token) args.push('--next-token', token)
    const {stdout} = await runCli({cli: 'aws', args, context: `log group ${group}`, env: ctx.env, signal: ctx.signal, retry: ctx.retry, onRetry: ctx.onRetry})
    const page = parseJsonOutput(stdout, 'aws', `log group ${group}`) as {events?: unknown[]; nextToken?: string; NextToken?: string} | null
    const events = Array.isArray(page?.events) ? page.events : []
    let maxTs: number | undefined
    for (const e of events) {
      const ts = (e as {timestamp?: unknown}).timestamp
      if (typeof ts === 'number' && (maxTs === undefined || ts > maxTs)) maxTs = ts
    }
    pages++
    yield {records: events, bytes: Buffer.byteLength(stdout), format: 'eks' as const, coveredTo: maxTs, recordTime: cloudWatchTime}
    token = page?.nextToken ?? page?.NextToken
  } while (token)
  if (pages > 0 && ctx.stats.records === 0) {
    ctx.warn(`no audit events matched in ${group}: check that audit logging is enabled (aws eks update-cluster-config --name ${spec.cluster} --logging '{"clusterLogging":[{"types":["audit"],"enabled":true}]}')`)
  }
}

interface InsightsResult {
  status?: string
  results?: {field?: string; value?: string}[][]
}

async function* insightsPages(spec: EksSpec, ctx: SourceContext) {
  const group = eksLogGroup(spec)
  const limit = Math.min(ctx.options.pageSize ?? 10_000, 10_000)
  const sliceMs = ctx.options.insightsSliceMs ?? 6 * 3600_000
  const poll = ctx.options.pollIntervalMs ?? 1000
  const from = ctx.query.from.getTime()
  const to = ctx.query.to.getTime()
  // Slices are processed in time order; a slice that hits the row cap is split in two.
  const pending: [number, number][] = []
  for (let s = from; s < to; s += sliceMs) pending.push([s, Math.min(to, s + sliceMs)])
  pending.reverse()
  const queryString = eksInsightsQuery(ctx.query, limit)
  while (pending.length > 0) {
    const [start, end] = pending.pop() as [number, number]
    const run = (args: string[]) =>
      runCli({cli: 'aws', args: [...args, ...globalArgs(spec)], context: `log group ${group}`, env: ctx.env, signal: ctx.signal, retry: ctx.retry, onRetry: ctx.onRetry})
    // Insights takes seconds; widen outward so no millisecond of the slice is lost.
    const started = await run([
      'logs', 'start-query', '--log-group-name', group,
      '--start-time', String(Math.floor(start / 1000)), '--end-time', String(Math.ceil(end / 1000)),
      '--query-string', queryString, '--limit', String(limit),
    ])
    const queryId = (parseJsonOutput(started.stdout, 'aws', `log group ${group}`) as {queryId?: string} | null)?.queryId
    if (!queryId) throw new CloudSourceError('bad-output', 'aws logs start-query returned no queryId')
    let result: InsightsResult | null = null
    let output = ''
    try {
      for (;;) {
        output = (await run(['logs', 'get-query-results', '--query-id', queryId])).stdout
        result = parseJsonOutput(output, 'aws', `query ${queryId}`) as InsightsResult | null
        const status = result?.status ?? 'Unknown'
        if (status === 'Complete') break
        if (status === 'Failed' || status === 'Cancelled' || status === 'Timeout') {
          throw new CloudSourceError('failed', `CloudWatch Logs Insights query ${queryId} ended with status ${status}`)
        }
        await sleep(poll, ctx.signal)
      }
    } catch (error) {
      // Abort or failure: stop the query so it does not keep scanning (and billing).
      if (ctx.signal?.aborted) await runCli({cli: 'aws', args: ['logs', 'stop-query', '--query-id', queryId, ...globalArgs(spec)], context: 'stop-query', env: ctx.env, retry: {...ctx.retry, attempts: 1}}).catch(() => undefined)
      throw error
    }
    const rows = result?.results ?? []
    if (rows.length >= limit && end - start > 60_000) {
      const mid = start + Math.floor((end - start) / 2)
      pending.push([mid, end], [start, mid])
      continue
    }
    if (rows.length >= limit) ctx.warn(`more than ${limit} events in the minute from ${new Date(start).toISOString()}: the rest of that minute was not fetched (use FilterLogEvents paging instead of --insights)`)
    const records = rows.map((row) => {
      const field = (name: string) => row.find((c) => c.field === name)?.value
      return {message: field('@message') ?? '', eventId: field('@ptr'), timestamp: Date.parse((field('@timestamp') ?? '').replace(' ', 'T') + 'Z')}
    })
    yield {records, bytes: Buffer.byteLength(output), format: 'eks' as const, coveredTo: end, recordTime: cloudWatchTime}
  }
}

function cloudWatchTime(record: unknown): number | undefined {
  const ts = (record as {timestamp?: unknown} | null)?.timestamp
  return typeof ts === 'number' && Number.isFinite(ts) ? ts : undefined
}
