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
  /** Least-privilege view (`unused`): who can, and did or never did, read secrets/configmaps. */
  unused?: UnusedView
}

export type UnusedClass = 'can-and-did' | 'can-never-did' | 'no-grant' | 'denied'

/** One suggested RBAC change, with the text of the file to review. */
export interface UnusedSuggestion {
  id: string
  action: string
  summary: string
  /** The ready-to-review YAML file text. */
  yaml: string
}

export interface UnusedRow {
  key: string
  class: UnusedClass
  kind: SubjectKind
  name: string
  namespace?: string
  /** What RBAC grants (or, for no-grant and denied, what was attempted), on one line. */
  access: string
  /** 'cluster-wide', comma-separated namespaces, or '-' when no RBAC grant is known. */
  scope: string
  /** Epoch milliseconds of the last access in the window. */
  lastAccess?: number
  count: number
  objects: string[]
  suggestions: UnusedSuggestion[]
  /** Why, in words: no-grant explanations, denial reasons, notes on manual changes. */
  notes?: string[]
}

export interface UnusedView {
  rows: UnusedRow[]
  /** The audit window, in words: "never did" means never in it. */
  window?: string
}

/** Live updates for `--follow`: called with each batch (onReady once following has begun); returns the unsubscribe function. */
export type Subscribe = (onEvents: (events: AuditEvent[]) => void, onReady?: () => void) => () => void

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

export type ViewId = 'who-can' | 'recent' | 'findings' | 'identity' | 'unused'

export const VIEWS: readonly {id: ViewId; label: string}[] = [
  {id: 'who-can', label: 'Who can'},
  {id: 'recent', label: 'Recent'},
  {id: 'findings', label: 'Findings'},
  {id: 'identity', label: 'Identity'},
  // Shown only when the data has an `unused` part (see viewsFor).
  {id: 'unused', label: 'Unused'},
]

/** The views a data set offers: Unused only with unused data, so the others keep their numbers. */
export function viewsFor(data: Pick<DashboardData, 'unused'>): readonly {id: ViewId; label: string}[] {
  return data.unused ? VIEWS : VIEWS.filter((v) => v.id !== 'unused')
}
