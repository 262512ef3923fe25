// A distinct-count estimate in fixed memory (HyperLogLog, Flajolet et al. 2007), for tables that
// stop keeping every key: 2^precision one-byte registers whatever the number of keys.
// Pure: no I/O, no module state.

/** Registers = 2^14 = 16 KiB; relative standard error 1.04 / sqrt(2^14) ≈ 0.81 %. */
export const HLL_PRECISION = 14

export class HyperLogLog {
  private readonly registers: Uint8Array
  private readonly m: number

  constructor(private readonly precision = HLL_PRECISION) {
    if (!Number.isInteger(precision) || precision < 4 || precision > 18) throw new RangeError(`HyperLogLog precision must be 4..18, got ${precision}`)
    this.m = 1 << precision
    this.registers = new Uint8Array(this.m)
  }

  /** Relative standard error of estimate(): about two thirds of estimates are within it, 95 % within twice it. */
  get standardError(): number {
    return 1.04 / Math.sqrt(this.m)
  }

  add(key: string): void {
    // Two independent 32-bit hashes: the first picks the register, the second gives the rank, so
    // the rank has 32 bits of its own and no large-range correction is needed below ~10^11 keys.
    const index = hash32(key, 0x9747b28c) >>> (32 - this.precision)
    const w = hash32(key, 0x85ebca6b)
    const rank = w === 0 ? 33 : Math.clz32(w) + 1
    if (rank > this.registers[index]!) this.registers[index] = rank
  }

  estimate(): number {
    const m = this.m
    let sum = 0
    let zeros = 0
    for (let i = 0; i < m; i++) {
      const r = this.registers[i]!
      sum += 2 ** -r
      if (r === 0) zeros++
    }
    const alpha = 0.7213 / (1 + 1.079 / m)
    const raw = (alpha * m * m) / sum
    // Small range: linear counting is far more accurate while many registers are still empty.
    if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros))
    return Math.round(raw)
  }
}

/** MurmurHash3 (x86, 32-bit) over UTF-16 code units: fast, well mixed, seedable. */
export function hash32(key: string, seed: number): number {
  let h = seed >>> 0
  const n = key.length
  let i = 0
  for (; i + 1 < n; i += 2) {
    let k = (key.charCodeAt(i) & 0xffff) | ((key.charCodeAt(i + 1) & 0xffff) << 16)
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, 0x1b873593)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  if (i < n) {
    let k = key.charCodeAt(i) & 0xffff
    k = Math.imul(k, 0xcc9e2d51)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, 0x1b873593)
    h ^= k
  }
  h ^= n
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
