// Back into the SIEM: findings (and, if asked, the events behind them) go to a Splunk HTTP Event
// Collector in batches, each item carrying the CIM field names beside its own. Batches are retried
// with bounded backoff when HEC says it is busy (429, 503) or hiccups (5xx); a rejected token or a
// malformed batch fails at once, with one line saying which.
import type {AuditEvent} from '../event.js'
import type {Finding} from '../../detect/finding.js'
import {eventToCim, findingToCim, isFinding} from '../../output/cim.js'
import {CloudSourceError} from './errors.js'
import {AbortedError, backoff, retryPolicy, sleep, type RetryPolicy} from './exec.js'

export interface HecOptions {
  /** HEC base URL, e.g. https://splunk.example.com:8088 */
  url: string
  /** Environment variable holding the HEC token (default SPLUNK_HEC_TOKEN); never the token itself. */
  tokenEnv?: string
  index?: string
  source?: string
  host?: string
  /** Cluster name, for the CIM `dest` field. */
  dest?: string
  /** Items per request (default 100). */
  batchSize?: number
  /** Bytes per request before a batch is cut early (default 512 KiB). */
  maxBatchBytes?: number
  retry?: Partial<RetryPolicy>
  signal?: AbortSignal
  env?: NodeJS.ProcessEnv
  onProgress?: (progress: {sent: number; batches: number; retries: number}) => void
}

export interface HecResult {
  sent: number
  batches: number
  retries: number
  /** True when the signal stopped sending; `sent` says how much got there. */
  aborted: boolean
}

export const FINDING_SOURCETYPE = 'kubectl:sensitive-access:finding'
export const EVENT_SOURCETYPE = 'kubectl:sensitive-access:event'

/** One HEC event envelope (`/services/collector/event` format). */
export function hecEnvelope(item: Finding | AuditEvent, options: Pick<HecOptions, 'index' | 'source' | 'host' | 'dest'> = {}): Record<string, unknown> {
  const finding = isFinding(item)
  const envelope: Record<string, unknown> = {
    time: (finding ? item.lastSeen : item.time) / 1000,
    source: options.source ?? 'kubectl-sensitive-access',
    sourcetype: finding ? FINDING_SOURCETYPE : EVENT_SOURCETYPE,
    event: finding ? findingToCim(item, {dest: options.dest}) : eventToCim(item, {dest: options.dest}),
  }
  if (options.index) envelope.index = options.index
  if (options.host) envelope.host = options.host
  return envelope
}

function hecToken(options: HecOptions): string {
  const name = options.tokenEnv || 'SPLUNK_HEC_TOKEN'
  const token = (options.env ?? process.env)[name]
  if (!token) throw new CloudSourceError('not-signed-in', `no HEC token: set the environment variable ${name} to a Splunk HTTP Event Collector token`)
  return token
}

function endpointOf(url: string): URL {
  try {
    return new URL('services/collector/event', url.endsWith('/') ? url : url + '/')
  } catch {
    throw new CloudSourceError('bad-config', `not a valid HEC URL: ${url}`)
  }
}

/** Send items (findings and/or events), streaming: at most one batch is held at a time. */
export async function sendToHec(items: Iterable<Finding | AuditEvent> | AsyncIterable<Finding | AuditEvent>, options: HecOptions): Promise<HecResult> {
  const token = hecToken(options)
  const endpoint = endpointOf(options.url)
  const policy = retryPolicy(options.retry)
  const batchSize = options.batchSize ?? 100
  const maxBytes = options.maxBatchBytes ?? 512 * 1024
  const result: HecResult = {sent: 0, batches: 0, retries: 0, aborted: false}
  let batch: string[] = []
  let bytes = 0

  const flush = async () => {
    if (batch.length === 0) return
    await postBatch(endpoint, token, batch.join('\n'), policy, options, result)
    result.sent += batch.length
    result.batches++
    options.onProgress?.({sent: result.sent, batches: result.batches, retries: result.retries})
    batch = []
    bytes = 0
  }

  try {
    for await (const item of items as AsyncIterable<Finding | AuditEvent>) {
      if (options.signal?.aborted) throw new AbortedError()
      const line = JSON.stringify(hecEnvelope(item, options))
      if (batch.length > 0 && bytes + line.length > maxBytes) await flush()
      batch.push(line)
      bytes += line.length + 1
      if (batch.length >= batchSize) await flush()
    }
    await flush()
  } catch (error) {
    if (error instanceof AbortedError || options.signal?.aborted) {
      result.aborted = true
      return result
    }
    throw error
  }
  return result
}

async function postBatch(endpoint: URL, token: string, body: string, policy: RetryPolicy, options: HecOptions, result: HecResult): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let response: Response
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: {Authorization: `Splunk ${token}`, 'Content-Type': 'application/json'},
        body,
        signal: options.signal,
      })
    } catch (error) {
      if (options.signal?.aborted) throw new AbortedError()
      if (attempt < policy.attempts) {
        result.retries++
        await sleep(backoff(policy, attempt), options.signal)
        continue
      }
      const cause = (error as {cause?: {code?: string; message?: string}}).cause
      throw new CloudSourceError('failed', `cannot reach the HEC at ${endpoint.host}: ${cause?.code ?? cause?.message ?? (error as Error).message}`)
    }
    const text = await response.text().catch(() => '')
    if (response.ok) return
    const detail = hecMessage(text) || `HTTP ${response.status}`
    const transient = response.status === 429 || response.status >= 500
    if (transient && attempt < policy.attempts) {
      result.retries++
      const retryAfter = Number(response.headers.get('retry-after'))
      const delay = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(policy.maxDelayMs, retryAfter * 1000) : backoff(policy, attempt)
      await sleep(delay, options.signal)
      continue
    }
    if (response.status === 401 || response.status === 403) {
      throw new CloudSourceError(response.status === 401 ? 'not-signed-in' : 'access-denied', `the HEC rejected the token in ${options.tokenEnv || 'SPLUNK_HEC_TOKEN'} (${response.status}): ${detail}`)
    }
    if (transient) throw new CloudSourceError('throttled', `the HEC stayed busy (${response.status}) after ${policy.attempts} attempts: ${detail}`)
    throw new CloudSourceError('failed', `the HEC refused a batch (HTTP ${response.status}): ${detail}`)
  }
}

function hecMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as {text?: string; code?: number}
    return parsed.text ? `${parsed.text}${parsed.code !== undefined ? ` (code ${parsed.code})` : ''}` : ''
  } catch {
    return text.replace(/\s+/g, ' ').trim().slice(0, 200)
  }
}
