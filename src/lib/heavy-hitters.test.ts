import {describe, expect, it} from 'vitest'
import {HeavyHitters} from './heavy-hitters.js'
import {HyperLogLog} from './hyperloglog.js'
import {prng} from './prng.js'

/** A Zipf-like stream: a few heavy keys and a long tail of rare ones, like users or IPs in a log. */
function stream(seed: number, length: number, keys: number): string[] {
  const rnd = prng(seed)
  return Array.from({length}, () => `k${Math.floor(keys ** rnd()) - 1}`)
}

describe('HeavyHitters', () => {
  it('is exact up to its capacity: every key, exact counts, exact distinct', () => {
    const hh = new HeavyHitters<number>(100, () => 0)
    const truth = new Map<string, number>()
    for (const k of stream(1, 20_000, 100)) {
      hh.add(k)
      truth.set(k, (truth.get(k) ?? 0) + 1)
    }
    expect(hh.approximate).toBe(false)
    expect(hh.maxError()).toBe(0)
    expect(hh.distinct()).toEqual({value: truth.size, exact: true, standardError: 0})
    for (const e of hh.entries()) expect(e.count).toBe(truth.get(e.key))
    expect(hh.entries()).toHaveLength(truth.size)
  })

  for (const seed of [7, 11, 2026]) {
    it(`keeps the Space-Saving bounds past its capacity (seed ${seed})`, () => {
      const K = 500
      const hh = new HeavyHitters<{first: number}>(K, () => ({first: -1}))
      const truth = new Map<string, number>()
      const data = stream(seed, 200_000, 50_000)
      data.forEach((k) => {
        hh.add(k)
        truth.set(k, (truth.get(k) ?? 0) + 1)
      })
      const N = data.length
      expect(hh.approximate).toBe(true)
      expect(hh.total).toBe(N)
      expect(hh.size).toBe(K)
      const entries = hh.entries()
      const kept = new Map(entries.map((e) => [e.key, e]))
      for (const e of entries) {
        const t = truth.get(e.key)!
        expect(e.count).toBeGreaterThanOrEqual(t)
        expect(e.count - e.error).toBeLessThanOrEqual(t)
        expect(e.error).toBeLessThanOrEqual(N / K)
      }
      expect(hh.maxError()).toBeLessThanOrEqual(N / K)
      // No heavy hitter is lost: every key above N/K is monitored.
      for (const [k, t] of truth) if (t > N / K) expect(kept.has(k), k).toBe(true)
      const d = hh.distinct()
      expect(d.exact).toBe(false)
      expect(Math.abs(d.value - truth.size) / truth.size).toBeLessThan(4 * d.standardError)
    })
  }

  it('tells the payload owner which entry it evicts', () => {
    const evicted: string[] = []
    const hh = new HeavyHitters<null>(2, () => null, (e) => evicted.push(e.key))
    for (const k of ['a', 'a', 'b', 'c']) hh.add(k)
    expect(evicted).toEqual(['b'])
    expect(hh.entries().map((e) => [e.key, e.count, e.error])).toEqual([['a', 2, 0], ['c', 2, 1]])
  })
})

describe('HyperLogLog', () => {
  for (const n of [1_000, 30_000, 300_000]) {
    it(`estimates ${n} distinct keys within 3 standard errors`, () => {
      const h = new HyperLogLog()
      for (let i = 0; i < n; i++) {
        h.add(`user-${i}@example.com`)
        h.add(`user-${i}@example.com`) // repeats change nothing
      }
      const rel = Math.abs(h.estimate() - n) / n
      expect(rel).toBeLessThan(3 * h.standardError)
    })
  }
  it('starts at zero', () => expect(new HyperLogLog().estimate()).toBe(0))
})
