// Splunk: the export endpoint streams results as they are found, one JSON object per line, so no
// job is left behind and nothing is held beyond the current chunk. The SPL does the filtering.
// The token comes from an environment variable whose name is given, never from a flag value, so it
// stays out of shell history and process listings.
import {CloudSourceError} from './errors.js'

/** Longest line kept (the API server caps an event well below this). */
const MAX_LINE = 16 * 1024 * 1024
import {sleep} from './exec.js'
import {lineSplitter} from './lines.js'
import {allResources} from './query.js'
import type {PageSource, SourceContext} from './page.js'
import type {CloudQuery, SplunkSpec} from './types.js'

function splQuote(value: string): string {
  // Splunk's search language: double quotes, backslash escapes; `*` stays a wildcard.
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

export function splunkSearch(spec: SplunkSpec, query: CloudQuery): string {
  const terms = ['search']
  if (spec.index) terms.push(`index=${splQuote(spec.index)}`)
  if (!allResources(query)) terms.push(`"objectRef.resource" IN (${query.resources.map(splQuote).join(', ')})`)
  if (query.verbs?.length) terms.push(`verb IN (${query.verbs.map(splQuote).join(', ')})`)
  if (query.namespaces?.length) terms.push(`"objectRef.namespace" IN (${query.namespaces.map(splQuote).join(', ')})`)
  if (query.users?.length) {
    const list = query.users.map(splQuote).join(', ')
    terms.push(`("user.username" IN (${list}) OR "impersonatedUser.username" IN (${list}))`)
  }
  return `${terms.join(' ')} | fields _raw, _time`
}

export function splunkToken(spec: SplunkSpec, env: NodeJS.ProcessEnv = process.env): string {
  const name = spec.tokenEnv || 'SPLUNK_TOKEN'
  const token = env[name]
  if (!token) throw new CloudSourceError('not-signed-in', `no Splunk token: set the environment variable ${name} to a Splunk authentication token`)
  return token
}

export function splunkSource(spec: SplunkSpec): PageSource {
  return (ctx) => splunkPages(spec, ctx)
}

/** Records per yielded page: the stream is cut into pages so progress and abort work as elsewhere. */
const CHUNK = 500

async function* splunkPages(spec: SplunkSpec, ctx: SourceContext) {
  const token = splunkToken(spec, ctx.env)
  let endpoint: URL
  try {
    endpoint = new URL('services/search/v2/jobs/export', spec.url.endsWith('/') ? spec.url : spec.url + '/')
  } catch {
    throw new CloudSourceError('bad-config', `not a valid Splunk URL: ${spec.url}`)
  }
  const body = new URLSearchParams({
    search: splunkSearch(spec, ctx.query),
    output_mode: 'json',
    earliest_time: String(ctx.query.from.getTime() / 1000),
    latest_time: String(ctx.query.to.getTime() / 1000),
  })
  const chunk = ctx.options.pageSize ?? CHUNK
  let response: Response
  for (let attempt = 1; ; attempt++) {
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/x-www-form-urlencoded'},
        body,
        signal: ctx.signal,
      })
    } catch (error) {
      if (ctx.signal?.aborted) throw error
      throw new CloudSourceError('failed', `cannot reach Splunk at ${endpoint.host}: ${(error as Error).cause ? String((error as {cause: unknown}).cause) : (error as Error).message}`)
    }
    if ((response.status === 429 || response.status === 503) && attempt < ctx.retry.attempts) {
      await response.body?.cancel()
      const delay = Math.min(ctx.retry.maxDelayMs, ctx.retry.baseDelayMs * 2 ** (attempt - 1))
      ctx.onRetry(attempt, delay)
      await sleep(delay, ctx.signal)
      continue
    }
    break
  }
  if (!response.ok) {
    const text = (await response.text().catch(() => '')).slice(0, 300)
    const detail = messageOf(text) || `HTTP ${response.status}`
    if (response.status === 401) throw new CloudSourceError('not-signed-in', `Splunk rejected the token in ${spec.tokenEnv || 'SPLUNK_TOKEN'} (401): ${detail}`)
    if (response.status === 403) throw new CloudSourceError('access-denied', `Splunk denied the search (403): the role needs the search capability and access to the index: ${detail}`)
    if (response.status === 404) throw new CloudSourceError('not-found', `Splunk export endpoint not found at ${endpoint.host} (404): is this the management port (8089)? ${detail}`)
    if (response.status === 429 || response.status === 503) throw new CloudSourceError('throttled', `Splunk is busy (${response.status}) after ${ctx.retry.attempts} attempts: ${detail}`)
    throw new CloudSourceError('failed', `Splunk search failed (HTTP ${response.status}): ${detail}`)
  }
  if (!response.body) return
  const decoder = new TextDecoder()
  const splitter = lineSplitter(MAX_LINE)
  let records: unknown[] = []
  let bytes = 0
  let lastTime: number | undefined
  const take = (line: string) => {
    if (line.trim() === '') return
    let obj: {result?: {_raw?: unknown; _time?: unknown}; messages?: {type?: string; text?: string}[]}
    try {
      obj = JSON.parse(line)
    } catch {
      ctx.stats.skipped['not-json'] = (ctx.stats.skipped['not-json'] ?? 0) + 1
      return
    }
    for (const m of obj.messages ?? []) {
      if (m.type === 'FATAL' || m.type === 'ERROR') throw new CloudSourceError('failed', `Splunk search error: ${m.text ?? 'unknown'}`)
      if (m.type === 'WARN' && m.text) ctx.warn(`Splunk: ${m.text}`)
    }
    const raw = obj.result?._raw
    if (typeof raw !== 'string') return
    try {
      records.push(JSON.parse(raw))
    } catch {
      ctx.stats.skipped['not-json'] = (ctx.stats.skipped['not-json'] ?? 0) + 1
    }
    const t = Date.parse(String(obj.result?._time ?? ''))
    if (Number.isFinite(t)) lastTime = t
  }
  for await (const piece of response.body as AsyncIterable<Uint8Array>) {
    bytes += piece.byteLength
    for (const line of splitter.push(decoder.decode(piece, {stream: true}))) {
      take(line)
      if (records.length >= chunk) {
        yield {records, bytes, format: 'k8s' as const}
        records = []
        bytes = 0
      }
    }
  }
  for (const line of [...splitter.push(decoder.decode()), ...splitter.end()]) take(line)
  if (splitter.dropped > 0) ctx.stats.skipped['line-too-long'] = (ctx.stats.skipped['line-too-long'] ?? 0) + splitter.dropped
  yield {records, bytes, format: 'k8s' as const, coveredTo: lastTime}
}

function messageOf(text: string): string {
  try {
    const parsed = JSON.parse(text) as {messages?: {text?: string}[]}
    return parsed.messages?.map((m) => m.text).filter(Boolean).join('; ') ?? ''
  } catch {
    return text.replace(/\s+/g, ' ').trim()
  }
}
