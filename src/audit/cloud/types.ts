// The shapes every cloud source shares: what to fetch (spec + query), how to report, what happened.
import type {AuditEvent} from '../event.js'

export interface EksSpec {
  kind: 'eks'
  cluster: string
  region?: string
  profile?: string
  /** Use CloudWatch Logs Insights (one query per time slice) instead of FilterLogEvents paging. */
  insights?: boolean
}

export interface GkeSpec {
  kind: 'gke'
  cluster: string
  project: string
  location?: string
}

export interface AksSpec {
  kind: 'aks'
  cluster: string
  /** Log Analytics workspace id (the customer id GUID `az monitor log-analytics query -w` takes). */
  workspace: string
  subscription?: string
  /** Force a table instead of probing which one holds rows. */
  table?: 'AKSAudit' | 'AzureDiagnostics'
}

export interface SplunkSpec {
  kind: 'splunk'
  /** Management endpoint, e.g. https://splunk.example.com:8089 */
  url: string
  index?: string
  /** Name of the environment variable holding the token (default SPLUNK_TOKEN); never the token itself. */
  tokenEnv: string
}

/** Reads a path on the API server and streams the body (the lead's kube client provides it). */
export type KubeGet = (path: string, options?: {signal?: AbortSignal}) => Promise<AsyncIterable<Uint8Array | string>>

export interface ClusterSpec {
  kind: 'cluster'
  /** Audit log path on the control-plane node (must live under /var/log). */
  auditPath?: string
  /** Control-plane node names; discovered by label when absent. */
  nodes?: string[]
}

export type CloudSourceSpec = EksSpec | GkeSpec | AksSpec | SplunkSpec | ClusterSpec

export interface CloudQuery {
  from: Date
  to: Date
  /** Plural resource names (`secrets`, `configmaps`) or `*`. */
  resources: string[]
  /** Username globs (`*` matches any run of characters). */
  users?: string[]
  verbs?: string[]
  namespaces?: string[]
}

export interface CloudProgress {
  source: string
  pages: number
  records: number
  events: number
  bytes: number
  /** Epoch ms up to which the window is covered (sources that go in time order), else undefined. */
  coveredTo?: number
  from: number
  to: number
  /** A retry is in progress after throttling. */
  retrying?: {attempt: number; delayMs: number}
}

export interface CloudStats {
  source: string
  pages: number
  /** Records the cloud returned. */
  records: number
  /** Events that passed the local filter and were yielded. */
  events: number
  /** Records that could not be normalised, by reason. */
  skipped: Record<string, number>
  /** Records normalised but outside the query (the server filter is a superset). */
  filteredOut: number
  bytes: number
  requests: number
  retries: number
  /** Most records held in memory at once: one page, never the whole window. */
  peakBuffered: number
  /** The window really covered (ms); `coveredTo < to` when aborted. */
  window: {from: number; to: number; coveredTo?: number}
  aborted: boolean
  complete: boolean
  warnings: string[]
  /** For AKS/EKS: which table or API was used. */
  via?: string
}

export interface CloudHooks {
  onProgress?: (progress: CloudProgress) => void
  /** Warnings also land in stats.warnings; this lets a command print them as they happen. */
  onWarning?: (message: string) => void
  signal?: AbortSignal
}

/** Tunables, mostly for tests: page sizes and retry backoff. */
export interface CloudOptions {
  pageSize?: number
  retry?: {attempts?: number; baseDelayMs?: number; maxDelayMs?: number}
  /** Environment for child CLIs (PATH); defaults to process.env. */
  env?: NodeJS.ProcessEnv
  /** Injected API server reader for `cluster`. */
  kubeGet?: KubeGet
  /** Insights: how often to poll get-query-results. */
  pollIntervalMs?: number
  /** Insights: the time slice per query (a query returns at most 10,000 rows). */
  insightsSliceMs?: number
}

export type CloudSource = AsyncIterable<AuditEvent> & {readonly stats: CloudStats}
