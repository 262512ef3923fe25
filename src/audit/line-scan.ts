// Finds, in a window of line-oriented input, the lines worth parsing: those holding one of the
// prefilter's needles (every line when there are none), and counts the rest. This is where
// `recent` spends its time on big logs, so it runs as a WebAssembly SIMD kernel (line-scan.wat)
// reading the window in place; a plain JavaScript engine gives the same answers where WebAssembly
// SIMD is missing and serves as the reference the kernel is tested against.
import {LINE_SCAN_WASM_BASE64} from './line-scan-wasm.js'

export interface ScanCounts {
  /** Lines ended in the region (its newlines). */
  lines: number
  /** Non-blank lines that were not reported: the prefiltered ones. */
  records: number
}

/** Called per reported line: [start, end) in the window (end is its newline), index from the region's first line. */
export type OnLine = (start: number, end: number, index: number) => void

export interface LineScanner {
  readonly engine: 'wasm' | 'js'
  /** Input goes into window[0, capacity); the bytes after it are the kernel's slack. */
  readonly window: Buffer
  readonly capacity: number
  /** Scan window[start, end), where end is just after a newline. */
  scan(start: number, end: number, onLine: OnLine): ScanCounts
}

export interface LineScannerOptions {
  /** Window size. Default 4 MiB. */
  capacity?: number
  /** Force an engine (tests, and KUBECTL_SENSITIVE_ACCESS_SCAN_ENGINE=js to rule the kernel out). */
  engine?: 'wasm' | 'js'
}

const NEWLINE = 0x0a
const DEFAULT_CAPACITY = 4 * 1024 * 1024

// Kernel memory layout (see line-scan.wat).
const TABLE = 0
const MAX_NEEDLES = 64
const NEEDLE_BYTES = TABLE + MAX_NEEDLES * 64
const MAX_NEEDLE_LENGTH = 256
const HITS = 64 * 1024
const HIT_CAPACITY = 16 * 1024
const DATA = HITS + HIT_CAPACITY * 12
/** Past the region's end the kernel reads up to 64 + 16 bytes beyond a probe offset. */
const SLACK = 512

/**
 * The needles that narrow anything down: none (every line is reported) when there are none, or
 * when one of them is empty, since the empty string is in every line.
 */
export function narrowingNeedles(needles: readonly Buffer[] | undefined): Buffer[] {
  return !needles || needles.some((n) => n.length === 0) ? [] : [...needles]
}

export function createLineScanner(needles: readonly Buffer[] | undefined, options: LineScannerOptions = {}): LineScanner {
  const capacity = options.capacity ?? DEFAULT_CAPACITY
  const list = narrowingNeedles(needles)
  const wanted = options.engine ?? (process.env.KUBECTL_SENSITIVE_ACCESS_SCAN_ENGINE === 'js' ? 'js' : 'wasm')
  if (wanted === 'wasm' && list.length <= MAX_NEEDLES && list.every((n) => n.length <= MAX_NEEDLE_LENGTH)) {
    const kernel = instantiateKernel(capacity)
    if (kernel) return new WasmLineScanner(kernel, list, capacity)
  }
  return new JsLineScanner(list, capacity)
}

// ---------------------------------------------------------------------------------------------
// The WebAssembly engine.

// The few WebAssembly APIs used, typed here: the project's libs (ES2023 + Node) do not declare them.
interface WasmApi {
  validate(bytes: Uint8Array): boolean
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object) => {exports: unknown}
}

interface KernelGlobal {
  value: number
}

interface KernelExports {
  memory: {buffer: ArrayBuffer; grow(pages: number): number}
  lines: KernelGlobal
  records: KernelGlobal
  pos: KernelGlobal
  scan(start: number, end: number, table: number, count: number, all: number, out: number, cap: number): number
}

function instantiateKernel(capacity: number): KernelExports | undefined {
  try {
    const bytes = Buffer.from(LINE_SCAN_WASM_BASE64, 'base64')
    // Compiling 1 KB is cheap; validate() is false where SIMD is missing (old CPUs, --no-wasm-simd).
    const wasm = (globalThis as unknown as {WebAssembly?: WasmApi}).WebAssembly
    if (!wasm?.validate(bytes)) return undefined
    const instance = new wasm.Instance(new wasm.Module(bytes))
    const exports = instance.exports as unknown as KernelExports
    const needed = DATA + capacity + SLACK
    const have = exports.memory.buffer.byteLength
    if (needed > have) exports.memory.grow(Math.ceil((needed - have) / 65536))
    return exports
  } catch {
    return undefined
  }
}

class WasmLineScanner implements LineScanner {
  readonly engine = 'wasm' as const
  readonly window: Buffer
  private readonly hits: Int32Array
  private probed = false

  constructor(
    private readonly kernel: KernelExports,
    private readonly needles: readonly Buffer[],
    readonly capacity: number,
  ) {
    // The memory never grows again, so these views stay valid.
    this.window = Buffer.from(kernel.memory.buffer, DATA, capacity + SLACK)
    this.hits = new Int32Array(kernel.memory.buffer, HITS, HIT_CAPACITY * 3)
  }

  scan(start: number, end: number, onLine: OnLine): ScanCounts {
    if (!this.probed) {
      this.writeTable(this.window.subarray(start, Math.min(end, start + PROBE_SAMPLE)))
      this.probed = true
    }
    const k = this.kernel
    k.lines.value = 0
    k.records.value = 0
    let at = start
    while (at < end) {
      const n = k.scan(DATA + at, DATA + end, TABLE, this.needles.length, this.needles.length === 0 ? 1 : 0, HITS, HIT_CAPACITY)
      const hits = this.hits
      for (let h = 0; h < n; h++) onLine((hits[h * 3] as number) - DATA, (hits[h * 3 + 1] as number) - DATA, hits[h * 3 + 2] as number)
      at = k.pos.value - DATA
    }
    return {lines: k.lines.value, records: k.records.value}
  }

  /** Needles and their probes, chosen on the first region seen (see chooseProbes). */
  private writeTable(sample: Buffer): void {
    const memory = Buffer.from(this.kernel.memory.buffer)
    let bytesAt = NEEDLE_BYTES
    this.needles.forEach((needle, k) => {
      const entry = TABLE + k * 64
      const [a, b] = chooseProbes(needle, sample)
      memory.fill(needle[a] as number, entry, entry + 16)
      memory.fill(needle[b] as number, entry + 16, entry + 32)
      memory.writeInt32LE(a, entry + 32)
      memory.writeInt32LE(b, entry + 36)
      memory.writeInt32LE(needle.length, entry + 40)
      memory.writeInt32LE(bytesAt, entry + 44)
      needle.copy(memory, bytesAt)
      bytesAt += needle.length
    })
  }
}

/** Bytes of input the probes are chosen on: enough to see every kind of line a log repeats. */
const PROBE_SAMPLE = 64 * 1024

/**
 * The two offsets of a needle whose bytes occur together least often in the sample. Rare single
 * bytes are not enough: `c` and `r` are rare in audit JSON, yet `cr` opens every `credential-id`,
 * so pairs among the needle's four rarest bytes are counted on the input itself.
 */
export function chooseProbes(needle: Buffer, sample: Buffer): [number, number] {
  if (needle.length === 1) return [0, 0]
  const freq = new Uint32Array(256)
  for (let i = 0; i < sample.length; i++) {
    const c = sample[i] as number
    freq[c] = (freq[c] as number) + 1
  }
  const rarity = (offset: number) => freq[needle[offset] as number] as number
  const offsets = [...needle.keys()].sort((x, y) => rarity(x) - rarity(y) || x - y).slice(0, 4)
  let best: [number, number] = [0, needle.length - 1]
  let bestCount = Number.POSITIVE_INFINITY
  for (let i = 0; i < offsets.length; i++) {
    for (let j = i + 1; j < offsets.length; j++) {
      const a = Math.min(offsets[i] as number, offsets[j] as number)
      const b = Math.max(offsets[i] as number, offsets[j] as number)
      const count = countPairs(sample, needle[a] as number, needle[b] as number, b - a)
      if (count < bestCount || (count === bestCount && b - a > best[1] - best[0])) {
        best = [a, b]
        bestCount = count
      }
    }
  }
  return best
}

/** Positions p with sample[p] = x and sample[p + distance] = y. */
function countPairs(sample: Buffer, x: number, y: number, distance: number): number {
  let count = 0
  for (let p = 0; p + distance < sample.length; p++) if (sample[p] === x && sample[p + distance] === y) count++
  return count
}

// ---------------------------------------------------------------------------------------------
// The JavaScript engine: Buffer.indexOf per line and per needle, exactly the kernel's answers.

class JsLineScanner implements LineScanner {
  readonly engine = 'js' as const
  readonly window: Buffer
  constructor(
    private readonly needles: Buffer[],
    readonly capacity: number,
  ) {
    this.window = Buffer.alloc(capacity + SLACK)
  }

  scan(start: number, end: number, onLine: OnLine): ScanCounts {
    const buf = this.window
    const needles = this.needles
    const nextHit = needles.map(() => -2)
    let lines = 0
    let records = 0
    for (let at = start; at < end; ) {
      const nl = buf.indexOf(NEWLINE, at)
      if (nl < 0 || nl >= end) break
      if (needles.length === 0 || anyNeedle(buf, needles, nextHit, at, nl)) onLine(at, nl, lines)
      else if (!isBlank(buf, at, nl)) records++
      lines++
      at = nl + 1
    }
    return {lines, records}
  }
}

/** Whether any needle occurs in buf[start, end); nextHit caches each needle's next position (-1: none left). */
function anyNeedle(buf: Buffer, needles: Buffer[], nextHit: number[], start: number, end: number): boolean {
  for (let i = 0; i < needles.length; i++) {
    let hit = nextHit[i] ?? -2
    if (hit === -1) continue
    if (hit < start) {
      hit = buf.indexOf(needles[i] as Buffer, start)
      nextHit[i] = hit
      if (hit === -1) continue
    }
    if (hit < end) return true
  }
  return false
}

/** Whether one line (outside any window) holds a needle: for the few lines too long for a window. */
export function lineHasNeedle(line: Buffer, needles: readonly Buffer[]): boolean {
  return needles.length === 0 || needles.some((n) => n.length === 0 || line.includes(n))
}

export function isBlank(buf: Buffer, start: number, end: number): boolean {
  return firstNonBlank(buf, start, end) === -1
}

/** The first byte other than space, tab, CR, LF in buf[start, end), or -1. */
export function firstNonBlank(buf: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const c = buf[i] as number
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return c
  }
  return -1
}
