// Fuzzing the audit reader with a seeded PRNG: records of the committed sample and of the public
// corpus are mutated (truncation, bit flips, deep nesting, huge strings, wrong types in every leaf,
// invalid UTF-8, NUL bytes, lines over the 16 MiB cap, corrupt gzip) and fed to readAuditEvents
// between valid records. Every case must end in events or counted skips, never an exception, a
// hang or unbounded memory, and every valid record around the bad ones must come out.
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'
import {gzipSync} from 'node:zlib'
import {describe, expect, it} from 'vitest'
import {readAuditEvents} from '../../src/audit/reader.js'
import {CORPUS_AUDIT, FULL, HAS_CORPUS, pick, prng, SAMPLE_LOG} from './helpers.js'

const SEED = 0x5e_c2_e7
const CASES = FULL ? 20_000 : 500
const MiB = 1024 * 1024
const MARK = 'fuzzvalid-'

type Json = null | boolean | number | string | Json[] | {[k: string]: Json}

function seedRecords(): Json[] {
  const lines = readFileSync(SAMPLE_LOG, 'utf8').split('\n').filter((l) => l.trim() !== '')
  const out: Json[] = lines.slice(0, 200).map((l) => JSON.parse(l) as Json)
  if (!HAS_CORPUS) return out
  const files: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name)
      if (statSync(full).isDirectory()) walk(full)
      else if (/\.(jsonl?|log)$/.test(name)) files.push(full)
    }
  }
  walk(CORPUS_AUDIT)
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    // JSON lines, or one JSON value per file (the Falco traces).
    const candidates = text.trimStart().startsWith('{') && !text.includes('}\n{') ? [text] : text.split('\n')
    for (const c of candidates.slice(0, 40)) {
      try {
        const v = JSON.parse(c) as Json
        if (v && typeof v === 'object') out.push(v)
      } catch {
        // not one JSON value per line: the fuzz uses the others
      }
    }
  }
  return out
}

function leafPaths(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (value !== null && typeof value === 'object') {
    if (Array.isArray(value)) value.forEach((v, i) => leafPaths(v, [...prefix, i], out))
    else for (const [k, v] of Object.entries(value)) leafPaths(v, [...prefix, k], out)
  } else out.push(prefix)
  return out
}

function setPath(value: Json, at: (string | number)[], leaf: Json): Json {
  const copy = structuredClone(value)
  let node = copy as Record<string | number, Json>
  for (let i = 0; i < at.length - 1; i++) node = node[at[i] as string] as Record<string | number, Json>
  node[at[at.length - 1] as string] = leaf
  return copy
}

const WRONG: Json[] = [42, [1, 'x'], {a: {b: 1}}, null, true]

interface Case {
  kind: string
  /** The hostile record's bytes (may hold newlines after a bit flip). */
  bad: Buffer
  /** Put the hostile record first, where the reader sniffs the file's shape. */
  badFirst: boolean
  gzip?: 'flip' | 'truncate'
}

function makeCase(i: number, rand: () => number, seeds: Json[], systematic: {record: Json; path: (string | number)[]; leaf: Json}[]): Case {
  const base = pick(rand, seeds)
  const text = Buffer.from(JSON.stringify(base))
  const badFirst = rand() < 0.2
  // The first cases walk every leaf of one record through every wrong type; then random kinds.
  const s = systematic[i]
  if (s) return {kind: 'wrong-type', bad: Buffer.from(JSON.stringify(setPath(s.record, s.path, s.leaf))), badFirst}
  const kinds = ['truncate', 'bitflip', 'wrong-type', 'invalid-utf8', 'nul', 'deep-nesting', 'huge-string', 'line-too-long', 'gzip-flip', 'gzip-truncate']
  // Heavy kinds are rare: they cost seconds and hundreds of MB each.
  const weights = [20, 20, 20, 10, 10, 3, 0.4, 0.3, 8, 8]
  let r = rand() * weights.reduce((a, b) => a + b, 0)
  let kind = kinds[0] as string
  for (let k = 0; k < kinds.length; k++) {
    r -= weights[k] as number
    if (r < 0) {
      kind = kinds[k] as string
      break
    }
  }
  // Right after the systematic cases, each heavy kind runs a few times whatever the draw, so the
  // small run covers them too.
  const forced = ['huge-string', 'line-too-long', 'deep-nesting', 'deep-nesting', 'deep-nesting', 'deep-nesting', 'huge-string', 'line-too-long']
  const f = forced[i - systematic.length]
  if (f) kind = f
  switch (kind) {
    case 'truncate':
      return {kind, bad: text.subarray(0, 1 + Math.floor(rand() * (text.length - 1))), badFirst}
    case 'bitflip': {
      const b = Buffer.from(text)
      const flips = 1 + Math.floor(rand() * 8)
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(rand() * b.length)
        b[at] = (b[at] as number) ^ (1 << Math.floor(rand() * 8))
      }
      return {kind, bad: b, badFirst}
    }
    case 'wrong-type': {
      const paths = leafPaths(base)
      if (paths.length === 0) return {kind, bad: Buffer.from(JSON.stringify(pick(rand, WRONG))), badFirst}
      return {kind, bad: Buffer.from(JSON.stringify(setPath(base, pick(rand, paths), pick(rand, WRONG)))), badFirst}
    }
    case 'invalid-utf8': {
      const junk = pick(rand, [Buffer.from([0xff, 0xfe]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]), Buffer.from([0xe2, 0x82])])
      const at = Math.floor(rand() * text.length)
      return {kind, bad: Buffer.concat([text.subarray(0, at), junk, text.subarray(at)]), badFirst}
    }
    case 'nul': {
      const at = Math.floor(rand() * text.length)
      return {kind, bad: Buffer.concat([text.subarray(0, at), Buffer.alloc(1 + Math.floor(rand() * 4)), text.subarray(at)]), badFirst}
    }
    case 'deep-nesting': {
      const depth = 10_000
      const shape = f ? i % 4 : Math.floor(rand() * 4)
      if (shape === 0) return {kind, bad: Buffer.from('['.repeat(depth) + ']'.repeat(depth)), badFirst}
      if (shape === 1) return {kind, bad: Buffer.from('{"items":['.repeat(depth) + ']}'.repeat(depth)), badFirst}
      if (shape === 2) return {kind, bad: Buffer.from('{"records":['.repeat(depth) + ']}'.repeat(depth)), badFirst}
      const paths = leafPaths(base)
      const deep = JSON.stringify(setPath(base, paths.length > 0 ? pick(rand, paths) : [], 0 as Json)).replace(/:0([,}])/, `:${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}$1`)
      return {kind, bad: Buffer.from(deep), badFirst}
    }
    case 'huge-string': {
      const paths = leafPaths(base)
      const at = paths.length > 0 ? pick(rand, paths) : ['x']
      return {kind, bad: Buffer.from(JSON.stringify(setPath(base, at, 'A'.repeat(10 * MiB)))), badFirst}
    }
    case 'line-too-long':
      return {kind, bad: Buffer.from(`{"verb":"get","user":{"username":"${'x'.repeat(16 * MiB + 1024)}"}}`), badFirst}
    case 'gzip-flip':
      return {kind, bad: text, badFirst, gzip: 'flip'}
    default:
      return {kind, bad: text, badFirst, gzip: 'truncate'}
  }
}

function heavyKind(kind: string): boolean {
  return kind === 'huge-string' || kind === 'line-too-long' || kind === 'deep-nesting'
}

function validLine(template: Json, id: string): Buffer {
  return Buffer.from(JSON.stringify({...(template as Record<string, Json>), auditID: id, stage: 'ResponseComplete'}))
}

interface Outcome {
  markers: number
  others: number
  skipped: number
  duplicates: number
}

async function runCase(input: Buffer, timeoutMs: number): Promise<Outcome | 'hang'> {
  const stream = readAuditEvents(['-'], {stdin: Readable.from([input])})
  const work = (async () => {
    let markers = 0
    let others = 0
    for await (const e of stream) {
      if (e.auditID?.startsWith(MARK)) markers++
      else others++
    }
    return {markers, others, skipped: stream.stats.skipped, duplicates: stream.stats.duplicates}
  })()
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), timeoutMs)))
  try {
    return await Promise.race([work, hang])
  } finally {
    clearTimeout(timer)
  }
}

describe('fuzz: hostile audit input never crashes, hangs or hides valid records', () => {
  it(`${CASES} seeded cases`, {timeout: FULL ? 3_600_000 : 120_000}, async () => {
    const seeds = seedRecords()
    expect(seeds.length).toBeGreaterThan(100)
    const rand = prng(SEED)
    // A sample record known to normalise into exactly one event: the valid neighbour of every case.
    const template = seeds[0] as Json
    const systematic = leafPaths(template).flatMap((p) => WRONG.map((leaf) => ({record: template, path: p, leaf})))
    const stats = {crashes: 0, hangs: 0, lost: 0, vanished: 0, events: 0, skips: 0}
    const problems: string[] = []
    const kinds = new Map<string, number>()
    let peakHeap = 0
    const lostBy = new Map<string, number>()
    for (let i = 0; i < CASES; i++) {
      const c = makeCase(i, rand, seeds, systematic)
      const valid = [0, 1, 2].map((v) => validLine(template, `${MARK}${i}-${v}`))
      const parts = c.badFirst ? [c.bad, valid[0], valid[1], valid[2]] : [valid[0], c.bad, valid[1], valid[2]]
      let input = Buffer.concat(parts.flatMap((p) => [p as Buffer, Buffer.from('\n')]))
      // Framing: most cases are JSON lines; some of the rest are pretty-printed documents (only for
      // mutations that keep brackets balanced: a cut document swallows its neighbours by nature)
      // or an intact gzip of the lines (the reader must see through it).
      const framing = rand()
      if (!c.gzip && c.kind === 'wrong-type' && framing < 0.3) {
        c.kind = 'wrong-type (documents)'
        const pretty = (b: Buffer) => JSON.stringify(JSON.parse(b.toString('utf8')), null, 2)
        input = Buffer.from(parts.map((p) => pretty(p as Buffer)).join('\n') + '\n')
      } else if (!c.gzip && !heavyKind(c.kind) && framing > 0.9) {
        c.kind = `${c.kind} (gzip)`
        input = gzipSync(input)
      }
      if (c.gzip) {
        const gz = gzipSync(input)
        if (c.gzip === 'truncate') input = gz.subarray(0, 10 + Math.floor(rand() * (gz.length - 10)))
        else {
          input = Buffer.from(gz)
          for (let f = 0; f < 1 + Math.floor(rand() * 4); f++) {
            const at = 2 + Math.floor(rand() * (input.length - 2)) // keep the magic bytes: the corruption must reach gunzip
            input[at] = (input[at] as number) ^ (1 + Math.floor(rand() * 255))
          }
        }
      }
      kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1)
      const heavy = input.length > MiB
      let outcome: Outcome | 'hang'
      try {
        outcome = await runCase(input, heavy ? 60_000 : 10_000)
      } catch (error) {
        stats.crashes++
        if (problems.length < 10) problems.push(`case ${i} (${c.kind}): threw ${String(error).slice(0, 200)}`)
        continue
      }
      if (outcome === 'hang') {
        stats.hangs++
        if (problems.length < 10) problems.push(`case ${i} (${c.kind}): no end within the per-case timeout`)
        continue
      }
      stats.events += outcome.markers + outcome.others
      stats.skips += outcome.skipped
      if (!c.gzip) {
        // Gzip damage may destroy the valid records with it; everywhere else they must all survive.
        if (outcome.markers !== 3) {
          stats.lost += 3 - outcome.markers
          const k = `${c.kind}${c.badFirst ? ' (first line)' : ''}`
          lostBy.set(k, (lostBy.get(k) ?? 0) + 3 - outcome.markers)
          if (problems.length < 10) problems.push(`case ${i} (${c.kind}${c.badFirst ? ', first' : ''}): ${outcome.markers}/3 valid events found`)
        }
        const blank = c.bad.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09)
        if (!blank && outcome.others + outcome.skipped + outcome.duplicates === 0) {
          stats.vanished++
          if (problems.length < 10) problems.push(`case ${i} (${c.kind}): neither an event nor a counted skip: ${c.bad.subarray(0, 120).toString('latin1')}`)
        }
      } else if (outcome.markers + outcome.others + outcome.skipped === 0) {
        stats.vanished++
        if (problems.length < 10) problems.push(`case ${i} (${c.kind}): corrupt gzip gave neither events nor a counted skip`)
      }
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)
    }
    const kindText = [...kinds].map(([k, n]) => `${k} ${n}`).join(', ')
    process.stderr.write(
      `hardening fuzz: seed 0x${SEED.toString(16)}, ${CASES} cases (${kindText}), ${stats.crashes} crashes, ${stats.hangs} hangs, valid events lost ${stats.lost}${lostBy.size > 0 ? ` (${[...lostBy].map(([k, n]) => `${k}: ${n}`).join(', ')})` : ''}, ` +
        `unaccounted records ${stats.vanished}, ${stats.events} events, ${stats.skips} skips, peak heap ${Math.round(peakHeap / MiB)} MB\n`,
    )
    expect(problems).toEqual([])
    expect(peakHeap).toBeLessThan(768 * MiB)
  })
})

describe('a damaged first line', () => {
  // The reader sniffs JSON lines vs pretty-printed documents from the first line: one that opens
  // `{` but was cut (log rotation, a partial copy) must not turn the rest of the file into one
  // unterminated "document" and lose every valid record after it.
  it('keeps every valid JSON line after a truncated first line', async () => {
    const template = JSON.parse(readFileSync(SAMPLE_LOG, 'utf8').split('\n')[0] as string) as Json
    const lines = [validLine(template, 'x').subarray(0, 50), validLine(template, `${MARK}a`), validLine(template, `${MARK}b`)]
    const outcome = await runCase(Buffer.from(lines.join('\n') + '\n'), 10_000)
    expect(outcome).toMatchObject({markers: 2, skipped: 1})
  })
})

describe('deep nesting in every framing', () => {
  // 10k levels where the reader takes whole documents (YAML, pretty-printed JSON), not lines:
  // the bad document is a counted skip and the valid one after it is still read.
  const d = 10_000
  const valid = (user: string, yaml: boolean) =>
    yaml
      ? `kind: Event\napiVersion: audit.k8s.io/v1\nverb: get\nuser: {username: ${user}}\nrequestURI: /api/v1/namespaces/a/secrets/b\nobjectRef: {resource: secrets, namespace: a, name: b}\n`
      : JSON.stringify({kind: 'Event', apiVersion: 'audit.k8s.io/v1', verb: 'get', user: {username: user}, requestURI: '/api/v1/namespaces/a/secrets/b', objectRef: {resource: 'secrets', namespace: 'a', name: 'b'}}, null, 2) + '\n'
  const inputs: [string, string][] = [
    ['deep.yaml', `kind: Event\nverb: get\nuser: {username: a}\nx: ${'['.repeat(d)}${']'.repeat(d)}\n---\n${valid('ok', true)}`],
    ['deep-block.yaml', `${valid('ok', true)}---\n${Array.from({length: 3000}, (_, i) => `${'  '.repeat(i)}- \n`).join('')}`],
    ['deep.json', `{\n"items": ${'['.repeat(d)}${']'.repeat(d)}\n}\n${valid('ok', false)}`],
    ['deep-records.json', `{\n"records": ${'[{"records":'.repeat(d)}[]${'}]'.repeat(d)}\n}\n${valid('ok', false)}`],
  ]
  for (const [name, text] of inputs) {
    it(name, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'hardening-deep-'))
      try {
        const file = path.join(dir, name)
        writeFileSync(file, text)
        const stream = readAuditEvents([file])
        const users: string[] = []
        for await (const e of stream) users.push(e.user.username)
        expect(users).toEqual(['ok'])
        expect(stream.stats.skipped).toBe(1)
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    })
  }
})
