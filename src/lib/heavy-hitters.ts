// A per-key table that is exact up to `capacity` keys and then becomes a Space-Saving sketch
// (Metwally, Agrawal, El Abbadi 2005) with the same number of counters, plus a HyperLogLog for the
// number of distinct keys. Memory is bounded by `capacity` entries whatever the input.
//
// Guarantees once approximate (N = occurrences counted, K = capacity):
// - every key whose true count is above N / K is in the table (no heavy hitter is lost);
// - for a key in the table, count - error <= true count <= count, and error <= N / K;
// - a key admitted before the first eviction has error 0: its count is exact.
// The payload of an evicted key is dropped; a key admitted later starts a fresh payload, so payload
// figures (first seen, failures, ...) are "since the key was last admitted" (lower bounds).
// Pure: no I/O, no module state.
import {HyperLogLog} from './hyperloglog.js'

export interface Counted<T> {
  key: string
  /** Occurrences; an upper bound once `error` > 0. */
  count: number
  /** The most `count` may exceed the true count by (0 = exact). */
  error: number
  value: T
}

interface Entry<T> extends Counted<T> {
  /** Position in the min-heap; -1 while the table is exact (no heap yet). */
  pos: number
}

export interface DistinctCount {
  /** Exact while the table never evicted, else a HyperLogLog estimate. */
  value: number
  exact: boolean
  /** Relative standard error of `value` (0 when exact). */
  standardError: number
}

export class HeavyHitters<T> {
  private readonly map = new Map<string, Entry<T>>()
  /** Min-heap by count, built at the first overflow: exact tables pay nothing for it. */
  private heap: Entry<T>[] | undefined
  private hll: HyperLogLog | undefined
  private n = 0

  constructor(
    readonly capacity: number,
    /** A fresh payload; `recycled` is an evicted key's payload the caller may reset and return (no garbage per eviction). */
    private readonly create: (key: string, recycled?: T) => T,
    /** Called with an entry about to be replaced (to release what its payload holds). */
    private readonly onEvict?: (evicted: Counted<T>) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`)
  }

  /** True once a key had to be evicted: counts may be over, and the table is the top `capacity`. */
  get approximate(): boolean {
    return this.heap !== undefined
  }

  /** Occurrences counted (N). */
  get total(): number {
    return this.n
  }

  get size(): number {
    return this.map.size
  }

  /** Counts one occurrence of `key`; returns its entry, whose payload the caller updates. */
  add(key: string): Counted<T> {
    this.n++
    this.hll?.add(key)
    let entry = this.map.get(key)
    if (entry) {
      entry.count++
      if (this.heap) this.siftDown(entry.pos)
      return entry
    }
    if (this.map.size < this.capacity) {
      entry = {key, count: 1, error: 0, value: this.create(key), pos: -1}
      this.map.set(key, entry)
      if (this.heap) {
        entry.pos = this.heap.length
        this.heap.push(entry)
        this.siftUp(entry.pos)
      }
      return entry
    }
    if (!this.heap) this.overflow()
    // Space-Saving: the new key takes the place of the smallest counter and inherits its count as error.
    const min = this.heap![0]!
    this.onEvict?.(min)
    this.map.delete(min.key)
    min.key = key
    min.error = min.count
    min.count++
    min.value = this.create(key, min.value)
    this.map.set(key, min)
    this.siftDown(0)
    return min
  }

  /** Entries, highest count first (ties by key, for stable output). */
  entries(): Counted<T>[] {
    return [...this.map.values()]
      .map(({key, count, error, value}) => ({key, count, error, value}))
      .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  }

  /** The largest error of any entry: every count is at most this much over (<= N / capacity). */
  maxError(): number {
    let max = 0
    for (const e of this.map.values()) if (e.error > max) max = e.error
    return max
  }

  distinct(): DistinctCount {
    if (!this.hll) return {value: this.map.size, exact: true, standardError: 0}
    return {value: Math.max(this.hll.estimate(), this.map.size), exact: false, standardError: this.hll.standardError}
  }

  private overflow(): void {
    // Until now every key ever seen is in the map: seeding the estimate with them loses nothing.
    this.hll = new HyperLogLog()
    const heap = [...this.map.values()]
    for (const e of heap) this.hll.add(e.key)
    heap.forEach((e, i) => (e.pos = i))
    this.heap = heap
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i)
  }

  private siftDown(i: number): void {
    const heap = this.heap!
    const n = heap.length
    const item = heap[i]!
    for (;;) {
      const l = 2 * i + 1
      if (l >= n) break
      const r = l + 1
      const c = r < n && heap[r]!.count < heap[l]!.count ? r : l
      if (heap[c]!.count >= item.count) break
      heap[i] = heap[c]!
      heap[i]!.pos = i
      i = c
    }
    heap[i] = item
    item.pos = i
  }

  private siftUp(i: number): void {
    const heap = this.heap!
    const item = heap[i]!
    while (i > 0) {
      const p = (i - 1) >> 1
      if (heap[p]!.count <= item.count) break
      heap[i] = heap[p]!
      heap[i]!.pos = i
      i = p
    }
    heap[i] = item
    item.pos = i
  }
}
