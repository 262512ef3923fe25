import type {AuditEvent} from '../audit/event.js'
import {HyperLogLog} from '../lib/hyperloglog.js'
import {SEVERITIES, type Finding, type Severity} from './finding.js'
import {evidenceOf} from './match.js'
import type {RuleDefinition} from './rule.js'

/** Evidence kept per finding: enough to find the records again, bounded for huge logs. */
export const MAX_EVIDENCE = 20

/**
 * Findings one rule keeps apart. A cluster has thousands of identities; a crafted log (or a flood
 * of anonymous addresses) millions, and one finding each would both exhaust memory (~2 KB each with
 * evidence) and bury the report. Past the cap, new keys fold into one finding per rule that says
 * how many keys it stands for; keys already kept go on counting exactly.
 */
export const MAX_GROUPS = 10_000

export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITIES.indexOf(a) >= SEVERITIES.indexOf(b) ? a : b
}

export interface GroupInit {
  who: string
  what: string
  severity?: Severity
  detail?: string
}

/**
 * Folds many matching events into one finding per key (identity + object, usually): a report of
 * 500 identical execs is one line with count 500, not 500 lines.
 */
export class FindingGroups {
  private readonly groups = new Map<string, Finding>()
  private overflow: Finding | undefined
  private foldedKeys: HyperLogLog | undefined

  constructor(
    private readonly rule: Pick<RuleDefinition, 'id' | 'title' | 'severity' | 'technique'>,
    private readonly maxGroups = MAX_GROUPS,
  ) {}

  /** The finding for `key`; past the cap, the rule's one folded finding (its `folded` is set). */
  add(key: string, event: AuditEvent, init: GroupInit): Finding {
    let f = this.groups.get(key)
    if (!f && this.groups.size >= this.maxGroups) return this.fold(key, event, init)
    if (!f) {
      f = {
        ruleId: this.rule.id,
        title: this.rule.title,
        severity: init.severity ?? this.rule.severity,
        technique: this.rule.technique.id,
        who: init.who,
        what: init.what,
        firstSeen: event.time,
        lastSeen: event.time,
        count: 0,
        evidence: [],
      }
      if (init.detail !== undefined) f.detail = init.detail
      this.groups.set(key, f)
    } else if (init.severity) {
      const raised = maxSeverity(f.severity, init.severity)
      // The detail that explains the highest severity wins.
      if (raised !== f.severity && init.detail !== undefined) f.detail = init.detail
      f.severity = raised
    }
    f.count++
    f.firstSeen = Math.min(f.firstSeen, event.time)
    f.lastSeen = Math.max(f.lastSeen, event.time)
    if (f.evidence.length < MAX_EVIDENCE) f.evidence.push(evidenceOf(event))
    return f
  }

  get size(): number {
    return this.groups.size
  }

  /** Every finding; the folded one last, with its wording filled in. */
  findings(): Finding[] {
    const out = [...this.groups.values()]
    if (this.overflow && this.foldedKeys) {
      const n = Math.max(1, this.foldedKeys.estimate())
      this.overflow.folded = n
      this.overflow.who = `(≈${n.toLocaleString('en-US')} more)`
      this.overflow.what = `≈${n.toLocaleString('en-US')} more findings folded into this one`
      this.overflow.detail = `${this.rule.id} keeps ${this.maxGroups.toLocaleString('en-US')} findings apart; the rest are counted here. ${this.overflow.detail ?? ''}`.trim()
      out.push(this.overflow)
    }
    return out
  }

  private fold(key: string, event: AuditEvent, init: GroupInit): Finding {
    ;(this.foldedKeys ??= new HyperLogLog()).add(key)
    let f = this.overflow
    if (!f) {
      f = this.overflow = {
        ruleId: this.rule.id,
        title: this.rule.title,
        severity: init.severity ?? this.rule.severity,
        technique: this.rule.technique.id,
        who: '',
        what: '',
        firstSeen: event.time,
        lastSeen: event.time,
        count: 0,
        evidence: [],
        detail: `First: ${init.who}: ${init.what}.`,
        folded: 1,
      }
    } else if (init.severity) {
      // The most severe folded key decides: --fail-on must still see it.
      f.severity = maxSeverity(f.severity, init.severity)
    }
    f.count++
    f.firstSeen = Math.min(f.firstSeen, event.time)
    f.lastSeen = Math.max(f.lastSeen, event.time)
    if (f.evidence.length < MAX_EVIDENCE) f.evidence.push(evidenceOf(event))
    return f
  }
}
