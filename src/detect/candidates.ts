import type {AuditEvent} from '../audit/event.js'
import type {BaselineView} from './rule.js'

/**
 * Events held for a learning period whose end is known only once the stream is read. Each holds
 * a whole event (~1 KB): past this many per rule the rest are not compared, and the run says so.
 */
export const MAX_CANDIDATES = 100_000

/**
 * The events a novelty rule compares with the baseline. When this run learns nothing (only a prior
 * --state), the baseline's answers are final from the start: each event is checked as it comes and
 * nothing is held. With a learning period (--baseline) they wait for finish(), up to MAX_CANDIDATES.
 */
export class Candidates {
  private readonly held: AuditEvent[] = []
  private dropped = 0

  constructor(
    private readonly ruleId: string,
    private readonly baseline: BaselineView,
    private readonly check: (event: AuditEvent) => void,
    private readonly max = MAX_CANDIDATES,
  ) {}

  push(event: AuditEvent): void {
    if (!this.baseline.enabled) return
    if (this.baseline.final) this.check(event)
    else if (this.held.length < this.max) this.held.push(event)
    else this.dropped++
  }

  /** Checks the held events (call from finish(), once the learning period's end is set). */
  flush(): void {
    for (const event of this.held) this.check(event)
    this.held.length = 0
  }

  limits(): string[] {
    return this.dropped > 0
      ? [`${this.ruleId}: more than ${this.max.toLocaleString('en-US')} events waited for the end of the learning period; ${this.dropped.toLocaleString('en-US')} later ones were not compared with the baseline`]
      : []
  }
}
