import {describe, expect, it} from 'vitest'
import {MemoryGuard} from './collect-garbage.js'

const MiB = 1024 * 1024

describe('MemoryGuard', () => {
  it('collects only past the budget, looking every checkEvery bytes', () => {
    let rss = 100 * MiB
    let collected = 0
    const guard = new MemoryGuard({budgetBytes: 200 * MiB, checkEveryBytes: 8 * MiB, used: () => rss, collect: () => collected++})
    for (let i = 0; i < 100; i++) guard.read(MiB)
    expect(collected).toBe(0)
    rss = 250 * MiB
    // 100 MiB read so far: the look at 104 MiB sees the growth.
    for (let i = 0; i < 3; i++) guard.read(MiB)
    expect(collected).toBe(0)
    guard.read(MiB)
    expect(collected).toBe(1)
  })

  it('when the live set itself is above the budget, waits for growth before collecting again (no thrash)', () => {
    let rss = 300 * MiB
    let collected = 0
    const guard = new MemoryGuard({budgetBytes: 200 * MiB, checkEveryBytes: MiB, used: () => rss, collect: () => collected++})
    guard.read(MiB)
    expect(collected).toBe(1)
    // Still 300 MiB after the collection: the next one waits until 300 + 100 MiB.
    for (let i = 0; i < 50; i++) guard.read(MiB)
    expect(collected).toBe(1)
    rss = 401 * MiB
    guard.read(MiB)
    expect(collected).toBe(2)
  })

  it('also collects every collectEveryBytes whatever the size (streams allocate a buffer per chunk)', () => {
    let collected = 0
    const guard = new MemoryGuard({budgetBytes: 1e12, collectEveryBytes: 256 * MiB, used: () => 0, collect: () => collected++})
    for (let i = 0; i < 1024; i++) guard.read(MiB)
    expect(collected).toBe(4)
    expect(guard.collections).toBe(4)
  })
})
