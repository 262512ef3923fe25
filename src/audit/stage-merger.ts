// One request logged at several stages (RequestReceived, ResponseStarted, ResponseComplete, Panic)
// counts once. ResponseComplete and Panic end a request: such a record goes out at once, and a
// stage of the same request seen later is a duplicate; so does a record without a stage (sources
// that log one record per request). RequestReceived and ResponseStarted wait in a bounded window
// for a later stage (the latest wins) and go out when it arrives or when they leave the window.
// Stages of one request sit close together in a log, so the window is enough; keys of requests
// already out are kept eight windows long (keys are small) to recognise stages that come late.
//
// Holding only the requests that are not complete keeps this cheap on big logs: almost every
// event passes straight through instead of staying alive for thousands of events (which made the
// garbage collector copy the window over and over).
import type {AuditEvent} from './event.js'

const STAGE_RANK: Record<string, number> = {ResponseComplete: 4, Panic: 3, ResponseStarted: 2, RequestReceived: 1}

export interface MergeCounts {
  /** Extra stages (or re-shipped copies) of a request already counted. */
  duplicates: number
}

export class StageMerger {
  private readonly pending = new Map<string, AuditEvent>()
  private readonly emitted = new Set<string>()
  // Insertion order kept apart: taking the oldest with map.keys().next() walks over every entry
  // deleted since V8 last rehashed the table.
  private readonly pendingOrder: KeyRing
  private readonly emittedOrder: KeyRing
  private serial = 0

  constructor(
    private readonly window: number,
    private readonly counts: MergeCounts,
  ) {
    this.pendingOrder = new KeyRing(window + 1)
    this.emittedOrder = new KeyRing(Math.max(1, window * 8))
  }

  /** The events of a batch that go out, in order. */
  addAll(batch: readonly AuditEvent[]): AuditEvent[] {
    const out: AuditEvent[] = []
    for (const event of batch) {
      const ready = this.add(event)
      if (ready) out.push(ready)
    }
    return out
  }

  /** What is still waiting, oldest first. */
  flush(): AuditEvent[] {
    const out = [...this.pending.values()]
    this.pending.clear()
    this.pendingOrder.clear()
    return out
  }

  /** The event that goes out because of this one (itself, or the oldest one waiting), if any. */
  private add(event: AuditEvent): AuditEvent | undefined {
    // The key is more than the auditID: kube-apiserver takes a client's own Audit-ID header as the
    // auditID, so an attacker can reuse the ID of another user's request to have a read merged away
    // (and shippers and test data reuse IDs too). Stages of one request share the sender, the
    // identity acted as, the client and the request itself.
    const key = event.auditID ? stageKey(event) : `\u0001${this.serial++}`
    const held = this.pending.get(key)
    if (held) {
      this.counts.duplicates++
      if (rank(event) < rank(held)) return undefined
      if (!isFinal(event)) {
        this.pending.set(key, event)
        return undefined
      }
      this.pending.delete(key) // its key stays in pendingOrder, skipped when reached
      this.remember(key, event)
      return event
    }
    if (event.auditID && this.emitted.has(key)) {
      this.counts.duplicates++
      return undefined
    }
    if (isFinal(event)) {
      this.remember(key, event)
      return event
    }
    this.pending.set(key, event)
    if (this.pendingOrder.full) this.pendingOrder.reset(this.pending.keys())
    else this.pendingOrder.push(key)
    if (this.pending.size <= this.window) return undefined
    return this.evictOldest()
  }

  private evictOldest(): AuditEvent | undefined {
    while (this.pendingOrder.size > 0) {
      const key = this.pendingOrder.shift()
      const oldest = this.pending.get(key)
      if (!oldest) continue // went out when its final stage arrived
      this.pending.delete(key)
      this.remember(key, oldest)
      return oldest
    }
    return undefined
  }

  private remember(key: string, event: AuditEvent): void {
    if (!event.auditID || this.emitted.has(key)) return
    this.emitted.add(key)
    if (this.emittedOrder.full) this.emitted.delete(this.emittedOrder.shift())
    this.emittedOrder.push(key)
  }
}

function rank(e: AuditEvent): number {
  return STAGE_RANK[e.stage ?? ''] ?? 0
}

/** Nothing better can follow: the request ended, or the source logs one record per request. */
function isFinal(e: AuditEvent): boolean {
  return e.stage === undefined || e.stage === 'ResponseComplete' || e.stage === 'Panic'
}

/** A first-in first-out queue of keys in a fixed ring. */
export class KeyRing {
  private keys: (string | undefined)[]
  private head = 0
  size = 0

  constructor(private readonly capacity: number) {
    this.keys = new Array<string | undefined>(capacity).fill(undefined)
  }

  get full(): boolean {
    return this.size === this.capacity
  }

  push(key: string): void {
    if (this.full) throw new Error('KeyRing is full')
    this.keys[(this.head + this.size) % this.capacity] = key
    this.size++
  }

  shift(): string {
    const key = this.keys[this.head] as string
    this.keys[this.head] = undefined
    this.head = (this.head + 1) % this.capacity
    this.size--
    return key
  }

  /** Start again from these keys, in order (at most `capacity` of them). */
  reset(keys: Iterable<string>): void {
    this.clear()
    for (const key of keys) this.push(key)
  }

  clear(): void {
    this.keys = new Array<string | undefined>(this.capacity).fill(undefined)
    this.head = 0
    this.size = 0
  }
}

function stageKey(event: AuditEvent): string {
  return [event.auditID, event.verb, event.requestURI ?? '', event.user.username, event.impersonator?.username ?? '', event.sourceIPs.join(','), event.userAgent ?? ''].join('\u0000')
}
