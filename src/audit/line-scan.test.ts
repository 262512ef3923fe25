import {describe, expect, it} from 'vitest'
import {compileLineScanWat} from '../../scripts/build-wasm.js'
import {LINE_SCAN_WASM_BASE64} from './line-scan-wasm.js'
import {chooseProbes, createLineScanner, lineHasNeedle, type LineScanner} from './line-scan.js'

interface Result {
  lines: number
  records: number
  reported: [number, number, number][]
}

function run(scanner: LineScanner, input: Buffer, start = 0, end = input.length): Result {
  input.copy(scanner.window, 0)
  const reported: [number, number, number][] = []
  const counts = scanner.scan(start, end, (s, e, i) => reported.push([s, e, i]))
  return {...counts, reported}
}

function both(needles: string[] | undefined, input: Buffer, start = 0, end = input.length): {wasm: Result; js: Result} {
  const bufs = needles?.map((n) => Buffer.from(n))
  const capacity = Math.max(1024, input.length)
  const wasm = createLineScanner(bufs, {capacity, engine: 'wasm'})
  expect(wasm.engine).toBe('wasm')
  return {wasm: run(wasm, input, start, end), js: run(createLineScanner(bufs, {capacity, engine: 'js'}), input, start, end)}
}

/** Deterministic PRNG. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

describe('line scanner', () => {
  it('the committed kernel is the compiled line-scan.wat', async () => {
    const compiled = await compileLineScanWat()
    expect(Buffer.from(LINE_SCAN_WASM_BASE64, 'base64').equals(compiled)).toBe(true)
  })

  it('reports the lines holding a needle, with their positions and indexes, and counts the rest', () => {
    const text = ['{"resource":"pods"}', '', '   ', '{"resource":"secrets"}', 'x configmaps', '\t\r', 'secret', 'secretssecrets', ''].join('\n')
    const input = Buffer.from(text)
    const {wasm, js} = both(['secrets', 'configmaps'], input)
    const lines = text.split('\n')
    const at = (i: number) => lines.slice(0, i).reduce((n, l) => n + l.length + 1, 0)
    const expected: [number, number, number][] = [3, 4, 7].map((i) => [at(i), at(i) + (lines[i] as string).length, i])
    expect(wasm).toEqual({lines: 8, records: 2, reported: expected}) // pods and `secret`: non-blank, not reported
    expect(js).toEqual(wasm)
  })

  it('without needles reports every line, blank ones too', () => {
    const input = Buffer.from('a\n\n  \nb\n')
    const {wasm, js} = both(undefined, input)
    expect(wasm).toEqual({lines: 4, records: 0, reported: [[0, 1, 0], [2, 2, 1], [3, 5, 2], [6, 7, 3]]})
    expect(js).toEqual(wasm)
  })

  it('an empty needle is in every line: every line is reported, as by lineHasNeedle', () => {
    const input = Buffer.from('a\nsecrets\n\n')
    const {wasm, js} = both(['', 'secrets'], input)
    expect(wasm).toEqual(both(undefined, input).wasm)
    expect(js).toEqual(wasm)
    expect(lineHasNeedle(Buffer.from('a'), [Buffer.from(''), Buffer.from('secrets')])).toBe(true)
  })

  it('finds needles at every offset of a 64-byte block and across block edges', () => {
    for (let pad = 0; pad < 140; pad++) {
      const input = Buffer.from(`${'x'.repeat(pad)}secrets${'y'.repeat(150 - pad)}\nsecret\n${'z'.repeat(pad)}configmaps\n`)
      const {wasm, js} = both(['secrets', 'configmaps'], input)
      expect(wasm.reported.map((r) => r[2])).toEqual([0, 2])
      expect(js).toEqual(wasm)
    }
  })

  it('ignores what lies past the end of the region, and scans from any start', () => {
    const input = Buffer.from('aaa\nsecrets\nbbb\nsecrets\n')
    const {wasm, js} = both(['secrets'], input, 4, 16) // `secrets\nbbb\n`
    expect(wasm).toEqual({lines: 2, records: 1, reported: [[4, 11, 0]]})
    expect(js).toEqual(wasm)
    // A needle cut by the region's end is not a hit (the bytes after it are stale window content).
    const cut = both(['secrets'], Buffer.from('\nsecr\nsecrets\n'), 0, 6)
    expect(cut.wasm).toEqual({lines: 2, records: 1, reported: []})
  })

  it('resumes when more lines are reported than one call can hold', () => {
    const input = Buffer.from('s\n'.repeat(50_000))
    const {wasm, js} = both(['s'], input)
    expect(wasm.reported).toHaveLength(50_000)
    expect(wasm.reported[49_999]).toEqual([99_998, 99_999, 49_999])
    expect(js).toEqual(wasm)
    const all = both(undefined, input)
    expect(all.wasm.reported).toHaveLength(50_000)
    expect(all.js).toEqual(all.wasm)
  })

  it('agrees with the JavaScript engine on random input (seeded)', () => {
    const rand = rng(0x5ca9)
    const pieces = ['secrets', 'configmaps', 'secret', 'configmap', 'crets', 's', 'c', '"', '{"a":1}', '\n', '\n', '\r\n', ' ', '\t', 'credential-id', 'é', '\u0000', 'x'.repeat(70)]
    for (let round = 0; round < 300; round++) {
      let text = ''
      const n = Math.floor(rand() * 120)
      for (let i = 0; i < n; i++) text += pieces[Math.floor(rand() * pieces.length)]
      text += '\n'
      const needles = round % 7 === 0 ? undefined : round % 3 === 0 ? ['secrets'] : ['secrets', 'configmaps', 'x"']
      const input = Buffer.from(text)
      const start = round % 5 === 0 ? Math.min(input.indexOf(10) + 1, input.length) : 0
      const {wasm, js} = both(needles, input, start)
      expect(wasm).toEqual(js)
    }
  })

  it('probes a pair of needle bytes that rarely occur together in the input', () => {
    // `c` and `r` are the rarest bytes of `secrets` here, but `cr` begins every credential-id.
    const sample = Buffer.from('{"extra":{"authentication.kubernetes.io/credential-id":["JTI=1"]},"verb":"get"}\n'.repeat(200))
    const [a, b] = chooseProbes(Buffer.from('secrets'), sample)
    expect([a, b]).not.toEqual([2, 3])
    const needle = 'secrets'
    let together = 0
    for (let p = 0; p + b < sample.length; p++) if (sample[p + a] === needle.charCodeAt(a) && sample[p + b] === needle.charCodeAt(b)) together++
    expect(together).toBe(0)
    expect(chooseProbes(Buffer.from('s'), sample)).toEqual([0, 0])
  })
})
