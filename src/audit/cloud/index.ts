// One entry point for every remote audit source. A source yields raw pages; here each page is
// normalised (src/audit/normalise.ts), filtered locally against the query, counted and released
// before the next page is asked for, so memory holds one page whatever the window.
import type {AuditEvent} from '../event.js'
import {normaliseRecord, type SkipReason} from '../normalise.js'
import {aksSource} from './aks.js'
import {clusterSource} from './cluster.js'
import {eksSource} from './eks.js'
import {AbortedError, retryPolicy} from './exec.js'
import {gkeSource} from './gke.js'
import type {PageSource, SourceContext} from './page.js'
import {eventMatcher, validateQuery} from './query.js'
import {splunkSource} from './splunk.js'
import type {CloudHooks, CloudOptions, CloudQuery, CloudSource, CloudSourceSpec, CloudStats} from './types.js'

export type * from './types.js'
export {CloudSourceError, type CloudErrorKind, CLOUD_EXIT_CODES} from './errors.js'
export {sendToHec, type HecOptions, type HecResult} from './hec.js'

export function describeSpec(spec: CloudSourceSpec): string {
  switch (spec.kind) {
    case 'eks':
      return `eks:${spec.cluster}`
    case 'gke':
      return `gke:${spec.project}/${spec.cluster}`
    case 'aks':
      return `aks:${spec.cluster}`
    case 'splunk':
      return `splunk:${safeUrl(spec.url)}`
    case 'cluster':
      return 'cluster:node-proxy'
  }
}

function safeUrl(url: string): string {
  try {
    const u = new URL(url)
    return u.host
  } catch {
    return 'invalid-url'
  }
}

function pageSource(spec: CloudSourceSpec, options: CloudOptions): PageSource {
  switch (spec.kind) {
    case 'eks':
      return eksSource(spec)
    case 'gke':
      return gkeSource(spec)
    case 'aks':
      return aksSource(spec)
    case 'splunk':
      return splunkSource(spec)
    case 'cluster':
      return clusterSource(spec, options.kubeGet)
  }
}

/**
 * Fetch audit events from where they live, filtered server-side as far as each service allows.
 * Iterating pulls pages lazily; `stats` is live and final once iteration ends. Aborting through
 * `hooks.signal` ends the iteration normally with `stats.aborted = true`; other failures throw a
 * CloudSourceError from the iterator.
 */
export function openCloudSource(spec: CloudSourceSpec, query: CloudQuery, hooks: CloudHooks = {}, options: CloudOptions = {}): CloudSource {
  const source = describeSpec(spec)
  const stats: CloudStats = {
    source,
    pages: 0,
    records: 0,
    events: 0,
    skipped: {},
    filteredOut: 0,
    bytes: 0,
    requests: 0,
    retries: 0,
    peakBuffered: 0,
    window: {from: query.from.getTime(), to: query.to.getTime()},
    aborted: false,
    complete: false,
    warnings: [],
  }
  const iterate = async function* (): AsyncGenerator<AuditEvent, void, void> {
    validateQuery(query)
    const matches = eventMatcher(query)
    const ctx: SourceContext = {
      query,
      options,
      retry: retryPolicy(options.retry),
      stats,
      signal: hooks.signal,
      env: options.env,
      warn: (message) => {
        stats.warnings.push(message)
        hooks.onWarning?.(message)
      },
      onRetry: (attempt, delayMs) => {
        stats.retries++
        hooks.onProgress?.({...progressOf(stats), retrying: {attempt, delayMs}})
      },
    }
    const pages = pageSource(spec, options)(ctx)
    try {
      for await (const page of pages) {
        stats.pages++
        stats.requests += page.requests ?? 1
        stats.bytes += page.bytes
        stats.records += page.records.length
        stats.peakBuffered = Math.max(stats.peakBuffered, page.records.length)
        if (page.coveredTo !== undefined) stats.window.coveredTo = Math.max(stats.window.coveredTo ?? 0, page.coveredTo)
        const origin = {format: page.format, file: source}
        let out: AuditEvent[] = []
        for (const record of page.records) {
          const inner: SkipReason[] = []
          const result = normaliseRecord(record, origin, inner)
          for (const reason of inner) count(stats, reason)
          if (typeof result === 'string') {
            count(stats, result)
            continue
          }
          for (const event of result) {
            if (event.time === 0 && page.recordTime) event.time = page.recordTime(record) ?? 0
            if (matches(event)) out.push(event)
            else stats.filteredOut++
          }
        }
        // The page's raw records are dropped here; only its matching events are yielded.
        page.records.length = 0
        for (const event of out) {
          stats.events++
          yield event
          if (hooks.signal?.aborted) break
        }
        out = []
        hooks.onProgress?.(progressOf(stats))
        if (hooks.signal?.aborted) throw new AbortedError()
      }
      stats.complete = true
      stats.window.coveredTo = stats.window.to
    } catch (error) {
      if (error instanceof AbortedError || hooks.signal?.aborted) {
        stats.aborted = true
        return
      }
      throw error
    } finally {
      await pages.return(undefined).catch(() => undefined)
    }
  }
  return {
    stats,
    [Symbol.asyncIterator]: () => iterate(),
  }
}

function count(stats: CloudStats, reason: string): void {
  stats.skipped[reason] = (stats.skipped[reason] ?? 0) + 1
}

function progressOf(stats: CloudStats) {
  return {
    source: stats.source,
    pages: stats.pages,
    records: stats.records,
    events: stats.events,
    bytes: stats.bytes,
    coveredTo: stats.window.coveredTo,
    from: stats.window.from,
    to: stats.window.to,
  }
}
