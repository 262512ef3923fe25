// The dashboard's own input types. They are deliberately independent of the who-can engine's
// internals: the lead's glue maps engine results onto these, so the UI never breaks when the
// engine's shapes change.
import type {AuditEvent} from '../audit/event.js'
import type {Finding} from '../detect/finding.js'

export type SubjectKind = 'User' | 'Group' | 'ServiceAccount'

export type Confirmation = 'confirmed' | 'denied' | 'partial' | 'unverified' | 'offline' | 'skipped'

/** One way a subject gets its access: binding -> role -> rule. */
export interface GrantPath {
  binding: {
    kind: string
    namespace?: string
    name: string
    /**
     * How many subjects the binding lists, when the engine knows. Decides whether removing the
     * subject means deleting the binding or editing it. When absent, the dashboard counts the
     * subjects it can see sharing this binding.
     */
    subjects?: number
    /** Index of this subject in the binding's `subjects`, for an exact JSON patch. */
    subjectIndex?: number
  }
  role: {kind: string; name: string; missing?: boolean}
  /** The rule, rendered on one line. */
  rule: string
  /** What this path grants, e.g. `get,list secrets in payments`. */
  grants: string
}

export interface WhoCanRow {
  key: string
  kind: SubjectKind
  name: string
  namespace?: string
  verbs: string[]
  resources: string[]
  /** 'cluster-wide' or comma-separated namespaces. */
  scope: string
  confirmation: Confirmation
  risks: string[]
  broad?: boolean
  paths: GrantPath[]
}

export interface WhoCanResult {
  rows: WhoCanRow[]
  question: string
  warnings: string[]
}

export interface DashboardData {
  /** Cluster/context name, or `manifests: path`. */
  context?: string
  whoCan?: WhoCanResult
  events: AuditEvent[]
  findings: Finding[]
  sourceSummary?: string
}

/** Live updates for `--follow`: called with each batch; returns the unsubscribe function. */
export type Subscribe = (onEvents: (events: AuditEvent[]) => void) => () => void

export interface RuleInfo {
  description: string
  falsePositives?: string
}

export type RuleInfoLookup = (ruleId: string) => RuleInfo | undefined

/** The identity the Identity view is about. */
export interface IdentityRef {
  kind: SubjectKind
  name: string
  namespace?: string
}

export type ViewId = 'who-can' | 'recent' | 'findings' | 'identity'

export const VIEWS: readonly {id: ViewId; label: string}[] = [
  {id: 'who-can', label: 'Who can'},
  {id: 'recent', label: 'Recent'},
  {id: 'findings', label: 'Findings'},
  {id: 'identity', label: 'Identity'},
]
