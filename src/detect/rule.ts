import type {AuditEvent} from '../audit/event.js'
import type {RuleContext, Severity} from './finding.js'
import type {DetectSettings} from './settings-types.js'

/** How a rule's setting is validated and shown: the kind decides the parser in settings.ts. */
export type RuleSettingKind = 'positiveInt' | 'duration' | 'stringList' | 'boolean'

export type RuleSettingValue = number | string | boolean | string[]

export interface RuleSettingSpec {
  name: string
  kind: RuleSettingKind
  default: RuleSettingValue
  description: string
}

export interface Technique {
  /** MITRE ATT&CK technique id, e.g. T1552.007. */
  id: string
  name: string
}

/**
 * What a rule may ask about the learned baseline. Answers depend on where the learning part of
 * the window ends, which is only known once the whole stream has been read: rules ask in finish().
 */
export interface BaselineView {
  /**
   * False when there is nothing to compare with at all (no prior state, no learning period):
   * novelty rules then skip buffering candidates instead of keeping them for a silent finish().
   */
  readonly enabled: boolean
  /**
   * True when the answers cannot change during the run (no learning period: only the prior state
   * counts), so rules may check each event as it comes instead of holding it for finish().
   */
  readonly final: boolean
  /** True when this value was seen before for this identity: in the prior state, or in the learning part. */
  known(kind: BaselineKind, identity: string, value: string): boolean
  /** True when the identity itself was seen in `kind` before. */
  knownIdentity(kind: BaselineKind, identity: string): boolean
  /** True when there is anything to compare with (no cold start). */
  hasHistory(kind: BaselineKind): boolean
  /** True when an event at this time is learning data only (not checked for novelty). */
  isLearning(time: number): boolean
}

export type BaselineKind = 'sensitiveAgents' | 'sensitiveGroups' | 'sensitiveNetworks' | 'kubectlNetworks' | 'rbacReasons'

export interface AuditLevelNeed {
  needs: 'Metadata' | 'Request'
  /** For rules that need Request: what is blind at Metadata level. */
  metadataLimits?: string
}

export interface RuleDefinition {
  /** Stable kebab-case id; settings files and `detections RULE-ID` use it. */
  id: string
  title: string
  /** The base severity; some rules raise it for worse cases (documented in `description`). */
  severity: Severity
  technique: Technique
  description: string
  /** Audit fields the rule reads, as named in audit.k8s.io/v1 Event. */
  fields: string[]
  falsePositives: string[]
  settings: RuleSettingSpec[]
  /**
   * When true, events from the system identities in settings (control plane, managed-cloud
   * agents) never reach this rule while `excludeSystemIdentities` is on.
   */
  excludesSystemIdentities: boolean
  /**
   * The audit level the rule needs on the resources it reads (a policy's level per rule), and what it
   * cannot see below it: the Metadata level logs no request body.
   */
  auditLevel: AuditLevelNeed
  create(settings: DetectSettings, baseline: BaselineView): RuleContext
}

export type {AuditEvent}
