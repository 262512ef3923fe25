import type {AuditEvent} from '../audit/event.js'

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical'

export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical']

export interface Evidence {
  auditID?: string
  file?: string
  line?: number
  time: number
}

export interface Finding {
  ruleId: string
  title: string
  severity: Severity
  /** MITRE ATT&CK technique id, e.g. T1552.007. */
  technique: string
  /** The identity the finding is about (effective user). */
  who: string
  /** What was touched, in words: `get secrets kube-system/db-password`. */
  what: string
  firstSeen: number
  lastSeen: number
  count: number
  evidence: Evidence[]
  /** One sentence of why this fired. */
  detail?: string
  /**
   * Set on the one finding that stands for the keys past a rule's cap (MAX_GROUPS in group.ts):
   * about how many distinct keys (identities, objects, addresses) were folded into it.
   */
  folded?: number
}

/** How a rule sees the stream: one event at a time, then a final flush. */
export interface RuleContext {
  onEvent(event: AuditEvent): void
  finish(): Finding[]
  /** Bounds this rule hit (state pruned, values not kept), one sentence each; asked after finish(). */
  limits?(): string[]
}
