// A full garbage collection on demand, for long streams. V8 lets the old space grow to several
// times its live size before collecting it: reading a 5 GB audit log, a working set under 128 MB
// showed as 360 MB of RSS, and 150,000 distinct identities under --findings --state as 477 MB for
// a live set near 150 MB. `gc` is not exposed by default; V8 allows turning the flag on at run
// time and taking the function from a fresh context.
import {getHeapStatistics, setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

export function collectGarbage(): void {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}

export interface MemoryGuardOptions {
  /** JavaScript heap in use past which a full collection runs. Default 160 MiB. */
  budgetBytes?: number
  /** Bytes read between looks at the heap (a cheap call). Default 8 MiB. */
  checkEveryBytes?: number
  /** Bytes read between collections whatever the resident size (streams allocate per chunk). */
  collectEveryBytes?: number
  /** For tests. */
  used?: () => number
  collect?: () => void
}

/**
 * Collects when memory is actually high, not on a timetable alone: the heap in use is looked at
 * every few megabytes read, and past the budget a full collection runs. The heap, not the resident
 * size: V8 keeps the pages it grew into after a collection, so a heap allowed to reach 300 MB for a
 * live set of 100 MB stays at that resident size (measured: 1,000,000 distinct identities under
 * --findings --state, sawtooth 390-496 MB of RSS for 100 MB live). When the live set itself is
 * above the budget (a big detection state), the next collection waits until it has grown by half
 * the budget again, so a large working set costs a few collections, not one per check. Each
 * thread (range workers) has its own heap and its own guard.
 */
export class MemoryGuard {
  private readonly budget: number
  private readonly checkEvery: number
  private readonly collectEvery: number
  private readonly used: () => number
  private readonly collect: () => void
  private sinceCheck = 0
  private sinceCollect = 0
  private trigger: number
  /** Full collections run (for --stats and tests). */
  collections = 0

  constructor(options: MemoryGuardOptions = {}) {
    this.budget = options.budgetBytes ?? 160 * 1024 * 1024
    this.checkEvery = options.checkEveryBytes ?? 8 * 1024 * 1024
    this.collectEvery = options.collectEveryBytes ?? Number.POSITIVE_INFINITY
    this.used = options.used ?? (() => getHeapStatistics().used_heap_size)
    this.collect = options.collect ?? collectGarbage
    this.trigger = this.budget
  }

  /** Call with the bytes just read. */
  read(bytes: number): void {
    this.sinceCheck += bytes
    this.sinceCollect += bytes
    if (this.sinceCollect >= this.collectEvery) {
      this.run()
      return
    }
    if (this.sinceCheck < this.checkEvery) return
    this.sinceCheck = 0
    if (this.used() > this.trigger) this.run()
  }

  private run(): void {
    this.collect()
    this.collections++
    this.sinceCheck = 0
    this.sinceCollect = 0
    this.trigger = Math.max(this.budget, this.used() + this.budget / 2)
  }
}

/** Between the phases of a run (read, then detections, then output): one collection if memory is high. */
export function relieveMemory(budgetBytes = 160 * 1024 * 1024): boolean {
  if (getHeapStatistics().used_heap_size <= budgetBytes) return false
  collectGarbage()
  return true
}
