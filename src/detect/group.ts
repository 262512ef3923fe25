import type {AuditEvent} from '../audit/event.js'
import {SEVERITIES, type Finding, type Severity} from './finding.js'
import {evidenceOf} from './match.js'
import type {RuleDefinition} from './rule.js'

/** Evidence kept per finding: enough to find the records again, bounded for huge logs. */
export const MAX_EVIDENCE = 20

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

  constructor(private readonly rule: Pick<RuleDefinition, 'id' | 'title' | 'severity' | 'technique'>) {}

  add(key: string, event: AuditEvent, init: GroupInit): Finding {
    let f = this.groups.get(key)
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

  findings(): Finding[] {
    return [...this.groups.values()]
  }
}
