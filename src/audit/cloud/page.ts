// What a source hands the engine: one page of raw records at a time. The engine normalises,
// filters and counts; sources only know how to ask their service for the next page.
import type {AuditFormat} from '../event.js'
import type {RetryPolicy} from './exec.js'
import type {CloudOptions, CloudQuery, CloudStats} from './types.js'

export interface RawPage {
  records: unknown[]
  bytes: number
  format: AuditFormat
  /** Records of this page are in time order up to here (epoch ms). */
  coveredTo?: number
  /** The service's own time for a record (CloudWatch ingestion timestamp), used when the event has none. */
  recordTime?: (record: unknown) => number | undefined
  /** Counts as a request to the service (Insights polls and probes count, but yield no page). */
  requests?: number
}

export interface SourceContext {
  query: CloudQuery
  options: CloudOptions
  retry: RetryPolicy
  stats: CloudStats
  signal?: AbortSignal
  env?: NodeJS.ProcessEnv
  warn(message: string): void
  onRetry(attempt: number, delayMs: number): void
}

export type PageSource = (ctx: SourceContext) => AsyncGenerator<RawPage, void, void>
