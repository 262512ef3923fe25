// Streams audit events out of files, folders, globs, gzip files and stdin, in every shape
// normaliseRecord knows. Built for disk speed on big logs: line-oriented input is read into one
// window, where a SIMD kernel (line-scan.ts) picks the lines holding a prefilter needle before any
// decoding or JSON.parse; big plain files are split over worker threads. Memory stays bounded
// whatever the input size: the window, one over-long line (capped), and the stage merger's window.
import {createReadStream, promises as fsp} from 'node:fs'
import {availableParallelism} from 'node:os'
import path from 'node:path'
import {Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'
import type {AuditEvent, EventOrigin} from './event.js'
import {MemoryGuard} from '../lib/collect-garbage.js'
import {createLineScanner, firstNonBlank, isBlank, lineHasNeedle, narrowingNeedles, type LineScanner} from './line-scan.js'
import {normaliseCsvRow, normaliseRecord, type SkipReason} from './normalise.js'
import {StageMerger} from './stage-merger.js'
import {MAX_YAML_ALIAS_COUNT, MAX_YAML_DEPTH, splitYamlDocuments, yamlNestingExceeds} from '../lib/yaml-bounds.js'

/** A regular file as it was when the read opened it: a follower starts exactly where the read ended. */
export interface FileMark {
  size: number
  ino: number
  dev: number
}

export interface ReadOptions {
  /**
   * Filled as regular files are opened (keyed by absolute path): each is then read up to its size
   * at that moment, so lines appended during the read are left to `--follow`, not read twice or lost.
   */
  marks?: Map<string, FileMark>
  /**
   * Byte strings of which a line must contain at least one to be parsed (line-oriented inputs
   * only). Lines without any are counted in `stats.prefiltered` and never parsed, so bad input
   * inside them is not detected: pass no prefilter when every line must be validated (`--strict`).
   */
  prefilter?: string[]
  /** Longest line accepted; longer lines are skipped as `line-too-long`. Default 16 MiB. */
  maxLineBytes?: number
  /**
   * Largest whole-document input (YAML, pretty-printed JSON value), and largest single element of
   * a streamed envelope array (EventList items, CloudWatch events, LogEntry entries). Default 64 MiB.
   */
  maxDocumentBytes?: number
  /** How many recent requests are held to merge their stages. Default 8192. */
  dedupeWindow?: number
  /** Merge stages of one request (same auditID). Default true. */
  dedupe?: boolean
  /** Where `-` reads from; default process.stdin. */
  stdin?: NodeJS.ReadableStream
  /** How many skip positions to keep for the report. Default 5. */
  maxSkipPositions?: number
  /**
   * Worker threads for big plain files (JSON lines / CSV) read with a prefilter: the file is split
   * into byte ranges aligned to newlines, scanned in parallel, and merged back in order. Default:
   * the number of cores, at most 4; 1 turns it off.
   */
  workers?: number
  /** Smallest file scanned in parallel. Default 64 MiB (env KUBECTL_SENSITIVE_ACCESS_PARALLEL_MIN_BYTES). */
  parallelMinBytes?: number
}

export interface ReadStats {
  /** Inputs opened (files, stdin). */
  inputs: number
  bytes: number
  /** Lines (line-oriented inputs) or documents (YAML, pretty-printed JSON) read, blank lines excluded. */
  records: number
  /** Lines dropped unparsed by the byte prefilter. */
  prefiltered: number
  /** Events yielded, after merging stages. */
  events: number
  /** Extra stages (or re-shipped copies) of a request already counted. */
  duplicates: number
  /** Records that gave no event: bad input. Includes truncated ones. */
  skipped: number
  skipReasons: Partial<Record<SkipReason, number>>
  /** Records cut by the log pipeline (CloudWatch `[Truncated...]`). */
  truncated: number
  /** The first few skips as `file:line: reason`. */
  skipPositions: string[]
  /** Most worker threads one input was scanned with (0: all read on the main thread). */
  workers: number
  /**
   * Entries of other services in a shared export (GCP services other than k8s.io, AKS categories
   * other than kube-audit, CloudWatch streams other than kube-apiserver-audit): not Kubernetes
   * audit, so neither events nor bad records (never counted in `skipped`).
   */
  otherServices: number
  /**
   * Inputs of which nothing was read because every record was refused by a limit (a YAML alias
   * bomb, nesting deeper than any audit record, one document or array element over the size cap):
   * the answer is incomplete, as for a missing file.
   */
  refusedInputs: number
  /** The first few refused inputs as `file: reason`. */
  refusedPositions: string[]
}

export interface AuditStream extends AsyncIterable<AuditEvent> {
  /** Complete once iteration has ended. */
  readonly stats: ReadStats
  /** The same events in the arrays they are read in: one await per batch rather than per event. */
  batches(): AsyncIterable<AuditEvent[]>
}

const MiB = 1024 * 1024
const NEWLINE = 0x0a

/** Skip reasons that refuse a record for a limit, not for being malformed: an input lost to them is lost whole. */
const REFUSALS: ReadonlySet<SkipReason> = new Set(['document-too-large', 'element-too-large', 'too-deep', 'too-many-aliases'])

/** Bytes of each prefiltered region kept, to find again the start of a value open across regions. */
const TAIL_BYTES = 256 * 1024

/** Most lines joined to recover one multi-line value inside a JSON-lines input. */
const MAX_JOIN_LINES = 2_000_000
/** Lines re-read after failed joins allowed beyond one per line read: keeps hostile input linear. */
const JOIN_SLACK_LINES = 100_000

/** Keys of the envelopes whose array is streamed element by element (see readDocuments). */
const ENVELOPE_KEYS: ReadonlySet<string> = new Set(['items', 'events', 'entries', 'records', 'logEvents'])

export function readAuditEvents(inputs: string[], options: ReadOptions = {}): AuditStream {
  const stats: ReadStats = emptyStats()
  return {
    stats,
    batches: () => iterate(inputs, options, stats),
    [Symbol.asyncIterator]: () => eachEvent(iterate(inputs, options, stats))[Symbol.asyncIterator](),
  }
}

/** Batches of events, one by one. */
export async function* eachEvent<T>(batches: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const batch of batches) yield* batch
}

async function* iterate(inputs: string[], options: ReadOptions, stats: ReadStats): AsyncGenerator<AuditEvent[]> {
  const reader = new SourceReader(options, stats)
  const dedupe = options.dedupe === false ? undefined : new StageMerger(options.dedupeWindow ?? 8192, stats)
  for await (const source of expandInputs(inputs, reader)) {
    const batches = (await parallelEligible(source, options)) ? readParallel(source, options, stats, reader) : reader.read(source)
    for await (const batch of batches) {
      const out = dedupe ? dedupe.addAll(batch) : batch
      stats.events += out.length
      if (out.length > 0) yield out
    }
  }
  if (dedupe) {
    const out = dedupe.flush()
    stats.events += out.length
    if (out.length > 0) yield out
  }
}

// ---------------------------------------------------------------------------------------------
// Inputs: files, folders (recursive), globs, `-`.

async function* expandInputs(inputs: string[], reader: SourceReader): AsyncGenerator<string> {
  for (const input of inputs) {
    if (input === '-') {
      yield '-'
      continue
    }
    let stat
    try {
      stat = await fsp.stat(input)
    } catch {
      stat = undefined
    }
    if (stat?.isDirectory()) {
      yield* walk(input)
    } else if (stat) {
      yield input
    } else if (/[*?[]/.test(input)) {
      const matches = await expandGlob(input)
      if (matches.length === 0) reader.skip('glob-matched-nothing', input, 0)
      for (const m of matches) yield m
    } else {
      reader.skip('no-such-file', input, 0)
    }
  }
}

/**
 * Files under a folder, sorted. Symlinks are followed (log folders are often links to rotated
 * files); each real folder is entered once, so a link back up cannot loop.
 */
async function* walk(dir: string, seen = new Set<string>()): AsyncGenerator<string> {
  const real = await fsp.realpath(dir).catch(() => dir)
  if (seen.has(real)) return
  seen.add(real)
  let entries
  try {
    entries = await fsp.readdir(dir, {withFileTypes: true})
  } catch {
    return
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const e of entries) {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) yield* walk(full, seen)
    else if (e.isFile()) yield full
    else if (e.isSymbolicLink()) {
      const target = await fsp.stat(full).catch(() => undefined)
      if (target?.isDirectory()) yield* walk(full, seen)
      else if (target?.isFile()) yield full
    }
  }
}

/** `*`, `?`, `[...]` within a segment and `**` across folders; hidden files match only explicitly. */
export async function expandGlob(pattern: string): Promise<string[]> {
  const absolute = path.isAbsolute(pattern)
  const segments = pattern.split(/[\\/]+/).filter((s, i) => s !== '' || i === 0)
  let bases = [absolute ? path.sep : '.']
  let i = absolute ? 1 : 0
  if (!absolute && segments[0] === '') i = 1
  for (; i < segments.length; i++) {
    const seg = segments[i] ?? ''
    const next: string[] = []
    if (seg === '**') {
      for (const b of bases) next.push(b, ...(await allDirs(b)))
    } else if (!/[*?[]/.test(seg)) {
      for (const b of bases) next.push(path.join(b, seg))
    } else {
      const re = globSegment(seg)
      for (const b of bases) {
        let names: string[] = []
        try {
          names = await fsp.readdir(b)
        } catch {
          continue
        }
        for (const n of names.sort()) if (re.test(n) && (!n.startsWith('.') || seg.startsWith('.'))) next.push(path.join(b, n))
      }
    }
    bases = next
  }
  const files: string[] = []
  for (const b of [...new Set(bases)]) {
    try {
      if ((await fsp.stat(b)).isFile()) files.push(b)
    } catch {
      // matched nothing real
    }
  }
  return files
}

async function allDirs(dir: string): Promise<string[]> {
  const out: string[] = []
  let entries
  try {
    entries = await fsp.readdir(dir, {withFileTypes: true})
  } catch {
    return out
  }
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue
    const full = path.join(dir, e.name)
    out.push(full, ...(await allDirs(full)))
  }
  return out
}

function globSegment(seg: string): RegExp {
  let re = ''
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] ?? ''
    if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else if (c === '[') {
      const end = seg.indexOf(']', i + 1)
      if (end < 0) re += '\\['
      else {
        re += '[' + seg.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']'
        i = end
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

// ---------------------------------------------------------------------------------------------
// One source: bytes (gunzipped when the magic bytes say so) -> records -> events.

type Mode = 'lines' | 'documents' | 'yaml'

class SourceReader {
  /** Full collections when the heap is high, and every COLLECT_EVERY_BYTES read. */
  private readonly guard = new MemoryGuard({collectEveryBytes: COLLECT_EVERY_BYTES})
  private readonly maxLine: number
  private readonly maxDoc: number
  private readonly maxPositions: number
  /** The prefilter's needles; none: every line is parsed. */
  private readonly needles: Buffer[]
  /** Structured copy of the first skips, for workers whose line numbers are shifted later. */
  readonly skipLog: {reason: SkipReason; line: number}[] = []
  /** Lines seen by the last readLines (newlines, plus a final unterminated line). */
  lines = 0
  /** The first limit a record of the current input was refused for. */
  private refusal: SkipReason | undefined
  /**
   * Line-reading state, reset per input. `wholeLines`: every line goes through handleLine (no
   * prefilter, or a prefiltered input that turned out to hold multi-line values); otherwise only
   * lines holding a needle do, and one that is not a whole record sets `triggered`.
   */
  private wholeLines = true
  private triggered = false
  /** A value spread over several lines, being joined. */
  private pending: PendingValue | undefined
  /** Lines to read again (in pop order) after a join failed: they are read one by one. */
  private replay: HeldLine[] = []
  private linesFed = 0
  private joinWaste = 0
  /** Joins started in the current region (see backToPrefilter). */
  private joinsStarted = 0
  private tailBuffer: Buffer | undefined
  private get tail(): Buffer {
    return (this.tailBuffer ??= Buffer.allocUnsafe(TAIL_BYTES))
  }
  /** Reading the lines of a value cut at the end of the input (see endPending). */
  private folding = false

  constructor(
    private readonly options: ReadOptions,
    private readonly stats: ReadStats,
    /** Shared by the ranges one worker scans: its kernel and probes are set up once. */
    private scanner?: LineScanner,
  ) {
    // The environment caps let the hardening suites scale a 120 MB case down tenfold, cap included.
    this.maxLine = options.maxLineBytes ?? envBytes('KUBECTL_SENSITIVE_ACCESS_MAX_LINE_BYTES') ?? 16 * MiB
    this.maxDoc = options.maxDocumentBytes ?? envBytes('KUBECTL_SENSITIVE_ACCESS_MAX_DOCUMENT_BYTES') ?? 64 * MiB
    this.maxPositions = options.maxSkipPositions ?? 5
    this.needles = needlesOf(options)
  }

  skip(reason: SkipReason, file: string, line: number): void {
    const s = this.stats
    if (reason === 'other-service') {
      s.otherServices++
      return
    }
    if (REFUSALS.has(reason)) this.refusal ??= reason
    s.skipped++
    s.skipReasons[reason] = (s.skipReasons[reason] ?? 0) + 1
    if (reason === 'truncated') s.truncated++
    if (s.skipPositions.length < this.maxPositions) {
      s.skipPositions.push(`${file}${line > 0 ? `:${line}` : ''}: ${reason}`)
      this.skipLog.push({reason, line})
    }
  }

  /** Workers: scan one byte range [start, end) of a plain file, line numbers relative to the range. */
  async *readRange(file: string, start: number, end: number): AsyncGenerator<AuditEvent[]> {
    const source = await fileRangeSource(file, start, end)
    try {
      yield* this.readLines(file, source)
    } finally {
      await source.close()
    }
  }

  /**
   * One input. When it gave no event and no line was prefiltered, yet a record of it was refused
   * for a limit, the whole input is lost: said as such (exit 8), not as one bad record among many.
   */
  async *read(file: string): AsyncGenerator<AuditEvent[]> {
    const prefiltered = this.stats.prefiltered
    this.refusal = undefined
    let events = 0
    for await (const batch of this.readInput(file)) {
      events += batch.length
      yield batch
    }
    if (this.refusal && events === 0 && this.stats.prefiltered === prefiltered) {
      this.stats.refusedInputs++
      if (this.stats.refusedPositions.length < this.maxPositions) this.stats.refusedPositions.push(`${file}: ${this.refusal}`)
    }
  }

  private async *readInput(file: string): AsyncGenerator<AuditEvent[]> {
    this.stats.inputs++
    let chunks: AsyncIterable<Buffer>
    try {
      chunks = await openChunks(file, this.options.stdin, this.options.marks)
    } catch {
      this.skip('read-error', file, 0)
      return
    }
    const it = chunks[Symbol.asyncIterator]()
    let first: IteratorResult<Buffer>
    try {
      first = await it.next()
    } catch (error) {
      this.skip(isGzipError(error) ? 'corrupt-gzip' : 'read-error', file, 1)
      return
    }
    if (first.done) return
    // What this reader cannot decode is named, never read as garbage lines (0 events and no word).
    const foreign = foreignEncoding(first.value)
    if (foreign) {
      this.stats.bytes += first.value.length
      this.skip(foreign, file, 1)
      await it.return?.()
      return
    }
    // A UTF-8 byte-order mark (Windows editors, PowerShell) is not part of the first record.
    if (first.value[0] === 0xef && first.value[1] === 0xbb && first.value[2] === 0xbf) {
      this.stats.bytes += 3
      first = {done: false, value: first.value.subarray(3)}
    }
    const mode = sniffMode(file, first.value)
    const rest: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => ({
        next: () => it.next(),
        return: async () => (it.return ? it.return() : {done: true, value: undefined}),
      }),
    }
    const all = prepend(first.value, rest)
    if (mode === 'lines') {
      const source = streamSource(all)
      try {
        yield* this.readLines(file, source)
      } finally {
        await source.close()
      }
    } else if (mode === 'documents') yield* this.readDocuments(file, all)
    else yield* this.readYaml(file, all)
  }

  /**
   * JSON lines and CSV rows, detected per line. A JSON value spread over several lines (`jq .`
   * output appended to a log, an event wrapped by an editor or a mail client) is joined back, as
   * long as its braces balance within a bound; a line that cannot be completed stays one counted
   * skip and the lines after it are read on their own.
   */
  private async *readLines(file: string, source: ChunkSource): AsyncGenerator<AuditEvent[]> {
    const stats = this.stats
    const scanner = (this.scanner ??= createLineScanner(this.needles))
    const win = scanner.window
    const capacity = scanner.capacity
    // With a prefilter the scanner hands over only lines holding a needle: fast, but the lines of a
    // multi-line value are not all seen. The first needle line that is not a whole record switches
    // this input to reading every line (the region it was found in is read again).
    this.wholeLines = this.needles.length === 0
    this.triggered = false
    this.pending = undefined
    this.replay = []
    this.linesFed = 0
    this.joinWaste = 0
    let filled = 0 // window[0, filled) holds the start of a line not ended yet
    let lineNo = 0
    // A line longer than the window, kept in pieces outside it until its newline.
    let long: LongLine | undefined
    let out: AuditEvent[] = []
    let base = 0
    // The last bytes of the previous region, while lines are prefiltered (see reopenFromTail).
    let tailLength = 0
    const onLine = (start: number, end: number, index: number) => {
      if (!this.triggered) this.feed(win, start, end, file, base + index + 1, out)
    }
    for (;;) {
      let n: number
      try {
        n = await source.read(win, filled, capacity - filled)
      } catch (error) {
        this.skip(isGzipError(error) ? 'corrupt-gzip' : 'read-error', file, lineNo + 1)
        this.lines = lineNo
        this.endPending(file, out)
        if (out.length > 0) yield out
        return
      }
      if (n === 0) break
      stats.bytes += n
      this.guard.read(n)
      const end = filled + n
      let start = 0
      if (long) {
        const nl = win.subarray(0, end).indexOf(NEWLINE)
        if (nl < 0) {
          this.growLongLine(long, win.subarray(0, end), file, lineNo + 1)
          filled = 0
          continue
        }
        lineNo++
        if (!long.dropped) this.handleSingleLine(Buffer.concat([...long.pieces, win.subarray(0, nl)]), file, lineNo, out)
        long = undefined
        start = nl + 1
      }
      const last = win.lastIndexOf(NEWLINE, end - 1)
      if (last >= start) {
        base = lineNo
        if (this.wholeLines && this.needles.length > 0) {
          this.joinsStarted = 0
          lineNo += this.feedRegion(win, start, last + 1, file, lineNo, out)
          tailLength = this.backToPrefilter(win, start, last + 1)
        } else {
          const before = this.wholeLines ? undefined : this.snapshot(out.length)
          const counts = scanner.scan(start, last + 1, onLine)
          if (this.triggered && before) {
            // Undo what the needle lines of this region did, and read all of its lines.
            this.restore(before, out)
            this.triggered = false
            this.wholeLines = true
            // A value open at the end of the previous region began there: find its start again.
            this.joinsStarted = 0
            if (tailLength > 0) this.reopenFromTail(this.tail.subarray(0, tailLength), file, lineNo, out)
            lineNo += this.feedRegion(win, start, last + 1, file, lineNo, out)
            tailLength = this.backToPrefilter(win, start, last + 1)
          } else {
            lineNo += counts.lines
            stats.records += counts.records
            stats.prefiltered += counts.records
            // Copied into one buffer kept for the reader's life: no allocation per region.
            if (!this.wholeLines) tailLength = win.copy(this.tail, 0, Math.max(start, last + 1 - TAIL_BYTES), last + 1)
          }
        }
        start = last + 1
      }
      if (end - start === capacity) {
        // A whole window without a newline: the line goes on outside it.
        long = {pieces: [], bytes: 0, dropped: false}
        this.growLongLine(long, win.subarray(0, end), file, lineNo + 1)
        filled = 0
      } else {
        win.copyWithin(0, start, end)
        filled = end - start
      }
      if (out.length > 0) {
        yield out
        out = []
      }
    }
    if ((filled > 0 || long) && !long?.dropped) {
      // The last line has no newline.
      lineNo++
      this.handleSingleLine(long ? Buffer.concat([...long.pieces, win.subarray(0, filled)]) : win.subarray(0, filled), file, lineNo, out)
    }
    this.endPending(file, out)
    this.lines = lineNo
    if (out.length > 0) yield out
  }

  /**
   * The prefilter just found a multi-line value, and the line that opened it may be in the
   * previous region (a `{` line holds no needle). Its last bytes are read again for their
   * structure only: a value still open at their end is taken up again (what they counted stays
   * as it was; their complete records were handled then).
   */
  private reopenFromTail(tail: Buffer, file: string, nextLine: number, out: AuditEvent[]): void {
    const first = tail.indexOf(NEWLINE)
    if (first < 0 || first + 1 >= tail.length) return
    let lines = 0
    for (let at = first + 1; at < tail.length; at++) if (tail[at] === NEWLINE) lines++
    const snap = this.snapshot(out.length)
    this.feedRegion(tail, first + 1, tail.length, file, nextLine - lines, out)
    this.restore(snap, out)
  }

  /**
   * After a region read line by line: when no value was open in it nor is open at its end (the
   * trigger was a bad line, not a multi-line value), the next region takes the prefilter again, so
   * that one bad line does not slow down the rest of a big log. Returns the tail kept for it.
   */
  private backToPrefilter(win: Buffer, start: number, end: number): number {
    if (this.pending || this.joinsStarted > 0) return 0
    this.wholeLines = false
    return win.copy(this.tail, 0, Math.max(start, end - TAIL_BYTES), end)
  }

  /** Every line of window[start, end) (end just after a newline) through feed; returns the lines. */
  private feedRegion(win: Buffer, start: number, end: number, file: string, lineNo: number, out: AuditEvent[]): number {
    let n = 0
    for (let at = start; at < end; ) {
      const nl = win.indexOf(NEWLINE, at)
      if (nl < 0 || nl >= end) break
      n++
      this.feed(win, at, nl, file, lineNo + n, out)
      at = nl + 1
    }
    return n
  }

  /** Keep a copy of a piece of an over-long line, until it passes maxLine: then it is skipped, once. */
  private growLongLine(long: LongLine, piece: Buffer, file: string, lineNo: number): void {
    if (long.dropped) return
    long.bytes += piece.length
    if (long.bytes > this.maxLine) {
      this.skip('line-too-long', file, lineNo)
      this.stats.records++
      long.dropped = true
      long.pieces = []
    } else long.pieces.push(Buffer.from(piece))
  }

  /** A line outside the window (the last one, or one longer than the window). */
  private handleSingleLine(line: Buffer, file: string, lineNo: number, out: AuditEvent[]): void {
    if (line.length > this.maxLine) {
      this.skip('line-too-long', file, lineNo)
      this.stats.records++
    } else if (this.wholeLines || lineHasNeedle(line, this.needles)) {
      this.feed(line, 0, line.length, file, lineNo, out)
      if (this.triggered) {
        // Nothing of this line was counted yet: read it, and what follows, line by line.
        this.triggered = false
        this.wholeLines = true
        this.feed(line, 0, line.length, file, lineNo, out)
      }
    } else if (!isBlank(line, 0, line.length)) {
      this.stats.records++
      this.stats.prefiltered++
    }
  }

  /** One line, then the lines a failed join gave back (iteratively: hostile input cannot deepen the stack). */
  private feed(buf: Buffer, start: number, end: number, file: string, lineNo: number, out: AuditEvent[]): void {
    this.linesFed++
    this.handleLine(buf, start, end, file, lineNo, out)
    while (this.replay.length > 0) {
      const held = this.replay.pop() as HeldLine
      this.handleLine(held.bytes, 0, held.bytes.length, file, held.line, out)
    }
  }

  private handleLine(buf: Buffer, start: number, end: number, file: string, lineNo: number, out: AuditEvent[]): void {
    if (end > start && buf[end - 1] === 0x0d) end--
    // A byte-order mark on a file's first line (the worker threads read ranges, not through read()).
    if (lineNo === 1 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3
    if (this.pending) {
      this.continuePending(buf, start, end, file, lineNo, out)
      return
    }
    if (isBlank(buf, start, end)) return
    // In whole-lines mode with a prefilter, lines without a needle are counted, not parsed, unless
    // they open a value that goes on over the next lines (where the needle may be).
    const needled = !this.wholeLines || this.needles.length === 0 || hasNeedle(buf, start, end, this.needles)
    if (end - start > this.maxLine) {
      this.stats.records++
      this.skip('line-too-long', file, lineNo)
      return
    }
    const first = firstNonBlank(buf, start, end)
    const origin: EventOrigin = {format: 'k8s', file, line: lineNo}
    if (first === 0x7b /* { */ || first === 0x5b /* [ */) {
      if (!needled) {
        this.stats.records++
        if (!closesOnLine(buf, start, end) && this.startPending(buf, start, end, lineNo, false)) return
        this.stats.prefiltered++
        return
      }
      let obj: unknown
      try {
        obj = JSON.parse(buf.toString('utf8', start, end))
      } catch {
        if (!this.wholeLines) {
          this.triggered = true
          return
        }
        this.stats.records++
        if (this.startPending(buf, start, end, lineNo, true)) return
        this.skip('not-json', file, lineNo)
        return
      }
      this.stats.records++
      this.emit(obj, origin, file, lineNo, out)
      return
    }
    if (!needled) {
      this.stats.records++
      this.stats.prefiltered++
      return
    }
    const text = buf.toString('utf8', start, end)
    const cells = parseCsvLine(text)
    if (cells && cells.length > 1 && /^\d{4}-\d\d-\d\dT/.test(cells[1] ?? '')) {
      this.stats.records++
      const result = normaliseCsvRow(cells, origin)
      if (typeof result === 'string') this.skip(result, file, lineNo)
      else out.push(result)
      return
    }
    if (!this.wholeLines) {
      // A member line of a multi-line value, or garbage: either way every line must be seen.
      this.triggered = true
      return
    }
    // A member or closing line of the cut value (what pretty-printing starts lines with): part of its skip.
    if (this.folding && (first === 0x22 || first === 0x7d || first === 0x5d)) return
    this.stats.records++
    this.skip('not-json', file, lineNo)
  }

  /** Start joining at this line when it opens a value left unclosed; false when it does not (or joins are spent). */
  private startPending(buf: Buffer, start: number, end: number, lineNo: number, needled: boolean): boolean {
    if (this.joinWaste > this.linesFed + JOIN_SLACK_LINES) return false
    const depth: DepthState = {depth: 0, inString: false, escaped: false, broken: false}
    scanDepth(buf, start, end, depth)
    if (depth.broken || depth.depth <= 0) return false
    this.joinsStarted++
    const pending: PendingValue = {buf: Buffer.allocUnsafe(Math.max(4096, (end - start) * 2)), used: 0, ends: [], lines: [], depth, needled}
    appendHeld(pending, buf, start, end, lineNo)
    this.pending = pending
    return true
  }

  private continuePending(buf: Buffer, start: number, end: number, file: string, lineNo: number, out: AuditEvent[]): void {
    const p = this.pending as PendingValue
    // A whole record on a line of its own ends the wait: the value before it was cut, this line is good.
    const first = firstNonBlank(buf, start, end)
    if ((first === 0x7b && closesOnLine(buf, start, end) && isWholeRecord(buf.subarray(start, end))) || isCsvRecord(buf, start, end, first)) {
      this.abandonPending(file, {bytes: Buffer.from(buf.subarray(start, end)), line: lineNo})
      return
    }
    if (p.lines.length >= MAX_JOIN_LINES || p.used + (end - start) > this.maxDoc) {
      this.abandonPending(file, {bytes: Buffer.from(buf.subarray(start, end)), line: lineNo})
      return
    }
    appendHeld(p, buf, start, end, lineNo)
    if (!p.needled && hasNeedle(buf, start, end, this.needles)) p.needled = true
    scanDepth(buf, start, end, p.depth)
    if (p.depth.broken) {
      this.abandonPending(file)
      return
    }
    if (p.depth.depth > 0) return
    // Closed: one record, its pieces joined as they were cut (a break inside a string must not become a newline).
    this.pending = undefined
    const firstLine = p.lines[0] as number
    if (!p.needled) {
      this.stats.prefiltered++
      return
    }
    let obj: unknown
    try {
      obj = JSON.parse(p.buf.toString('utf8', 0, p.used))
    } catch {
      this.pending = p
      this.abandonPending(file)
      return
    }
    this.emit(obj, {format: 'k8s', file, line: firstLine}, file, firstLine, out)
  }

  /**
   * The value being joined cannot be completed: its first line is one bad record, and the lines
   * after it (then `next`, the line that ended the wait) are read again on their own.
   */
  private abandonPending(file: string, next?: HeldLine): void {
    const p = this.pending
    if (!p) return
    this.pending = undefined
    this.skip('not-json', file, p.lines[0] as number)
    this.joinWaste += p.lines.length - 1
    if (next) this.replay.push(next)
    for (let i = p.lines.length - 1; i >= 1; i--) this.replay.push({bytes: p.buf.subarray(p.ends[i - 1] as number, p.ends[i] as number), line: p.lines[i] as number})
  }

  /**
   * End of input with a value still open: it was cut (a log copied mid-write). Its first line is
   * the one counted skip; the lines after it are read alone, so that any whole value among them is
   * kept, but its member lines (`"verb": "get",`) are the same cut value, not one skip each.
   */
  private endPending(file: string, out: AuditEvent[]): void {
    this.folding = true
    try {
      while (this.pending) {
        this.abandonPending(file)
        while (this.replay.length > 0) {
          const held = this.replay.pop() as HeldLine
          this.handleLine(held.bytes, 0, held.bytes.length, file, held.line, out)
        }
      }
    } finally {
      this.folding = false
    }
  }

  /** What a region's needle lines change, to undo when the region must be read line by line. */
  private snapshot(outLength: number): Snapshot {
    const s = this.stats
    return {
      outLength,
      records: s.records,
      prefiltered: s.prefiltered,
      skipped: s.skipped,
      truncated: s.truncated,
      otherServices: s.otherServices,
      skipReasons: {...s.skipReasons},
      skipPositions: s.skipPositions.length,
      skipLog: this.skipLog.length,
      refusal: this.refusal,
    }
  }

  private restore(snap: Snapshot, out: AuditEvent[]): void {
    const s = this.stats
    out.length = snap.outLength
    s.records = snap.records
    s.prefiltered = snap.prefiltered
    s.skipped = snap.skipped
    s.truncated = snap.truncated
    s.otherServices = snap.otherServices
    s.skipReasons = snap.skipReasons
    s.skipPositions.length = snap.skipPositions
    this.skipLog.length = snap.skipLog
    this.refusal = snap.refusal
  }

  private emit(obj: unknown, origin: EventOrigin, file: string, lineNo: number, out: AuditEvent[]): void {
    const inner: SkipReason[] = []
    let result: AuditEvent[] | SkipReason
    try {
      result = normaliseRecord(obj, origin, inner)
    } catch {
      // Absurdly deep nesting (10k levels of lists) overflows the stack: bad input, not the end of the file.
      result = 'too-deep'
    }
    for (const r of inner) this.skip(r, file, lineNo)
    // A record of no known shape nested past any real audit record is named for what it is: a
    // hostile value (and an input of nothing else is lost whole, not one bad line).
    if ((result === 'unknown-shape' || result === 'invalid-event') && nestedDeeperThan(obj, MAX_YAML_DEPTH)) result = 'too-deep'
    if (typeof result === 'string') this.skip(result, file, lineNo)
    else for (const e of result) out.push(e)
  }

  /**
   * Pretty-printed JSON: a stream of top-level values (or one top-level array of them), split by
   * tracking brace depth outside strings so memory holds one value at a time. A top-level object
   * whose member `items`, `events`, `entries`, `records` or `logEvents` is an array (an EventList,
   * an `aws logs filter-log-events` page, a Logging API response, an Azure export) is an envelope:
   * its array is streamed, each element parsed on its own, so an envelope of any size is read
   * with memory bounded by its largest element (capped at maxDocumentBytes).
   */
  private async *readDocuments(file: string, chunks: AsyncIterable<Buffer>): AsyncGenerator<AuditEvent[]> {
    let depth = 0
    let base = 0 // 1 inside a top-level array: its elements are the records
    let inString = false
    let escaped = false
    let parts: Buffer[] = []
    let partBytes = 0
    let tooLarge = false
    let valueStart = -1
    let valueLine = 0
    let line = 1
    let garbageLine = 0
    // The record being read closes when depth comes back to recDepth (-1: between records).
    let recDepth = -1
    let recIsObject = false
    // Inside an envelope: streamDepth is the depth of its array's elements (-1: none), and the
    // envelope's other members are passed over, not buffered.
    let envelope = false
    let streamDepth = -1
    let scalarCounted = false
    // Member names of a top-level object, to find the envelope array: 0 no name expected,
    // 1 a name may start, 2 in the name, 3 after the name, 4 after the colon.
    let keyState = 0
    let key = ''
    try {
      for await (const chunk of chunks) {
        this.stats.bytes += chunk.length
        const out: AuditEvent[] = []
        for (let i = 0; i < chunk.length; i++) {
          const c = chunk[i] as number
          if (c === NEWLINE) line++
          if (inString) {
            if (escaped) escaped = false
            else if (c === 0x5c) {
              escaped = true
              if (keyState === 2) keyState = 0
            } else if (c === 0x22) {
              inString = false
              if (keyState === 2) keyState = 3
            } else if (keyState === 2) {
              if (key.length < 16) key += String.fromCharCode(c)
              else keyState = 0
            }
            continue
          }
          if (recDepth >= 0) {
            // Inside a record.
            if (c === 0x22) {
              inString = true
              if (keyState === 1 && depth === recDepth + 1) {
                keyState = 2
                key = ''
              } else keyState = 0
            } else if (c === 0x7b || c === 0x5b) {
              if (keyState === 4 && c === 0x5b && recDepth === base && ENVELOPE_KEYS.has(key)) {
                // An envelope's array: what was kept of the envelope is dropped, its elements become the records.
                parts = []
                partBytes = 0
                tooLarge = false
                valueStart = -1
                recDepth = -1
                envelope = true
                depth++
                streamDepth = depth
                scalarCounted = false
                keyState = 0
                continue
              }
              keyState = 0
              depth++
            } else if (c === 0x7d || c === 0x5d) {
              depth--
              keyState = 0
              if (depth === recDepth) {
                const piece = chunk.subarray(valueStart < 0 ? 0 : valueStart, i + 1)
                if (partBytes + piece.length > this.maxDoc) tooLarge = true
                if (!tooLarge) parts.push(piece)
                const reason = streamDepth >= 0 ? 'element-too-large' : 'document-too-large'
                // One piece (the element is within this chunk): parsed in place, not copied.
                this.finishDocument(tooLarge ? undefined : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts), file, valueLine, out, reason)
                parts = []
                partBytes = 0
                tooLarge = false
                valueStart = -1
                recDepth = -1
              }
            } else if (c === 0x2c) {
              keyState = recIsObject && depth === recDepth + 1 && recDepth === base ? 1 : 0
            } else if (c === 0x3a) {
              keyState = keyState === 3 ? 4 : 0
            } else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) keyState = 0
            continue
          }
          if (streamDepth >= 0 && depth === streamDepth) {
            // Between the elements of an envelope's array.
            if (c === 0x7b || c === 0x5b) {
              recDepth = depth
              recIsObject = c === 0x7b
              keyState = 0
              depth++
              valueStart = i
              valueLine = line
            } else if (c === 0x5d) {
              depth--
              streamDepth = -1
            } else if (c === 0x2c) scalarCounted = false
            else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) {
              // A string or number among the elements: not an audit record.
              if (c === 0x22) inString = true
              if (!scalarCounted) {
                scalarCounted = true
                this.stats.records++
                this.skip('unknown-shape', file, line)
              }
            }
            continue
          }
          if (envelope) {
            // The envelope's other members (kind, metadata, nextPageToken...): passed over.
            if (c === 0x22) inString = true
            else if (c === 0x7b || c === 0x5b) depth++
            else if (c === 0x7d || c === 0x5d) {
              depth--
              if (depth <= base) {
                depth = base
                envelope = false
              }
            }
            continue
          }
          // Between records.
          if (c === 0x7b || (c === 0x5b && base === 1)) {
            recDepth = depth
            recIsObject = c === 0x7b
            keyState = recIsObject ? 1 : 0
            depth++
            valueStart = i
            valueLine = line
          } else if (c === 0x5b && base === 0) {
            base = 1
            depth = 1
          } else if (c === 0x5d && base === 1) {
            base = 0
            depth = 0
          } else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x2c) {
            if (garbageLine !== line) {
              garbageLine = line
              this.stats.records++
              this.skip('not-json', file, line)
            }
          }
        }
        if (recDepth >= 0) {
          const piece = chunk.subarray(valueStart < 0 ? 0 : valueStart)
          partBytes += piece.length
          if (partBytes > this.maxDoc) {
            if (!tooLarge) parts = []
            tooLarge = true
          } else parts.push(Buffer.from(piece))
          valueStart = -1
        }
        if (out.length > 0) yield out
      }
    } catch (error) {
      this.skip(isGzipError(error) ? 'corrupt-gzip' : 'read-error', file, line)
      return
    }
    if (recDepth >= 0) {
      this.stats.records++
      this.skip(tooLarge ? (streamDepth >= 0 ? 'element-too-large' : 'document-too-large') : 'not-json', file, valueLine)
    } else if (envelope) {
      // The envelope was cut: the elements before the cut were read.
      this.stats.records++
      this.skip('not-json', file, line)
    }
  }

  private finishDocument(bytes: Buffer | undefined, file: string, line: number, out: AuditEvent[], tooLarge: SkipReason = 'document-too-large'): void {
    this.stats.records++
    if (!bytes) {
      this.skip(tooLarge, file, line)
      return
    }
    let obj: unknown
    try {
      obj = JSON.parse(bytes.toString('utf8'))
    } catch {
      this.skip('not-json', file, line)
      return
    }
    this.emit(obj, {format: 'k8s', file, line}, file, line, out)
  }

  /** YAML documents (`---` separated), e.g. GKE LogEntries saved as YAML. Read whole, capped. */
  private async *readYaml(file: string, chunks: AsyncIterable<Buffer>): AsyncGenerator<AuditEvent[]> {
    const parts: Buffer[] = []
    let size = 0
    try {
      for await (const chunk of chunks) {
        this.stats.bytes += chunk.length
        size += chunk.length
        if (size > this.maxDoc) {
          this.stats.records++
          this.skip('document-too-large', file, 1)
          return
        }
        parts.push(chunk)
      }
    } catch (error) {
      this.skip(isGzipError(error) ? 'corrupt-gzip' : 'read-error', file, 1)
      return
    }
    const text = Buffer.concat(parts).toString('utf8')
    // Loaded only for YAML inputs: workers and JSON-only runs start faster without it.
    const {LineCounter, parseAllDocuments} = await import('yaml')
    const out: AuditEvent[] = []
    // Each `---` document on its own, so that one too deep to parse safely is skipped alone: the
    // YAML parser recurses per nesting level, and thousands of levels can exhaust V8 fatally.
    for (const part of splitYamlDocuments(text)) {
      if (yamlNestingExceeds(part.text, MAX_YAML_DEPTH)) {
        this.stats.records++
        this.skip('too-deep', file, part.firstLine)
        continue
      }
      const counter = new LineCounter()
      let docs
      try {
        docs = parseAllDocuments(part.text, {lineCounter: counter, uniqueKeys: false})
      } catch {
        this.stats.records++
        this.skip('not-yaml', file, part.firstLine)
        continue
      }
      for (const doc of Array.isArray(docs) ? docs : [docs]) {
        // The first line of content, not the `---` or comments before it.
        const contents = doc.contents as {range?: [number, number, number]} | null
        const line = part.firstLine - 1 + counter.linePos(contents?.range?.[0] ?? doc.range?.[0] ?? 0).line
        if (doc.contents === null && doc.errors.length === 0) continue // empty document
        this.stats.records++
        if (doc.errors.length > 0) {
          this.skip('not-yaml', file, line)
          continue
        }
        let value: unknown
        try {
          value = doc.toJS({maxAliasCount: MAX_YAML_ALIAS_COUNT})
        } catch (error) {
          // An alias bomb (aliases of aliases, expanding to billions of nodes) is refused, not built.
          this.skip(/alias/i.test((error as Error)?.message ?? '') ? 'too-many-aliases' : error instanceof RangeError ? 'too-deep' : 'not-yaml', file, line)
          continue
        }
        this.emit(value, {format: 'k8s', file, line}, file, line, out)
      }
    }
    if (out.length > 0) yield out
  }
}

/** A line longer than the scanner's window: its pieces, or dropped once past maxLine. */
interface LongLine {
  pieces: Buffer[]
  bytes: number
  dropped: boolean
}

/** Whether a parsed value nests deeper than max (iterative: the value may be 100k levels deep). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]]
  let visited = 0
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number]
    if (d > max) return true
    // Wide values are not the concern here: stop looking after a bounded number of nodes.
    if (++visited > 1_000_000) return false
    if (Array.isArray(v)) for (const x of v) stack.push([x, d + 1])
    else if (typeof v === 'object' && v !== null) for (const x of Object.values(v)) stack.push([x, d + 1])
  }
  return false
}

function envBytes(name: string): number | undefined {
  const n = Number(process.env[name])
  return Number.isFinite(n) && n > 0 ? n : undefined
}

/** A line kept while a multi-line value is joined (a copy: the window moves on). */
interface HeldLine {
  bytes: Buffer
  line: number
}

/** Brace depth outside strings, carried from line to line. */
interface DepthState {
  depth: number
  inString: boolean
  escaped: boolean
  /** A closing bracket with nothing open: not a value's continuation. */
  broken: boolean
}

/** The lines of a value being joined, back to back in one buffer (no object per line). */
interface PendingValue {
  buf: Buffer
  used: number
  /** Where each line ends in buf, and its line number. */
  ends: number[]
  lines: number[]
  depth: DepthState
  /** Whether a line of it holds a prefilter needle (else it is counted as prefiltered, not parsed). */
  needled: boolean
}

interface Snapshot {
  outLength: number
  records: number
  prefiltered: number
  skipped: number
  truncated: number
  otherServices: number
  skipReasons: Partial<Record<SkipReason, number>>
  skipPositions: number
  skipLog: number
  refusal: SkipReason | undefined
}

function appendHeld(p: PendingValue, buf: Buffer, start: number, end: number, line: number): void {
  const n = end - start
  if (p.used + n > p.buf.length) {
    const grown = Buffer.allocUnsafe(Math.max(p.buf.length * 2, p.used + n))
    p.buf.copy(grown, 0, 0, p.used)
    p.buf = grown
  }
  buf.copy(p.buf, p.used, start, end)
  p.used += n
  p.ends.push(p.used)
  p.lines.push(line)
}

function scanDepth(buf: Buffer, start: number, end: number, s: DepthState): void {
  for (let i = start; i < end; i++) {
    const c = buf[i] as number
    if (s.inString) {
      if (s.escaped) s.escaped = false
      else if (c === 0x5c) s.escaped = true
      else if (c === 0x22) s.inString = false
    } else if (c === 0x22) s.inString = true
    else if (c === 0x7b || c === 0x5b) s.depth++
    else if (c === 0x7d || c === 0x5d) {
      if (--s.depth < 0) {
        s.broken = true
        return
      }
      // A value closed before the line's end and more follows: not one value over several lines.
      if (s.depth === 0 && firstNonBlank(buf, i + 1, end) !== -1) {
        s.broken = true
        return
      }
    }
  }
}

/** Whether the line's last non-blank byte closes a value. */
function closesOnLine(buf: Buffer, start: number, end: number): boolean {
  for (let i = end - 1; i >= start; i--) {
    const c = buf[i] as number
    if (c === 0x20 || c === 0x09 || c === 0x0d) continue
    return c === 0x7d || c === 0x5d
  }
  return false
}

/** A flattened CSV audit row (see normaliseCsvRow): never the continuation of a JSON value. */
function isCsvRecord(buf: Buffer, start: number, end: number, first: number): boolean {
  if (first === 0x7b || first === 0x5b || first === 0x7d || first === 0x5d || first === -1) return false
  const cells = parseCsvLine(buf.toString('utf8', start, end))
  return cells !== undefined && cells.length > 1 && /^\d{4}-\d\d-\d\dT/.test(cells[1] ?? '')
}

/** A line that parses alone and holds at least one event. */
function isWholeRecord(bytes: Buffer): boolean {
  try {
    const result = normaliseRecord(JSON.parse(bytes.toString('utf8')), {format: 'k8s'})
    return Array.isArray(result) && result.length > 0
  } catch {
    return false
  }
}

function hasNeedle(buf: Buffer, start: number, end: number, needles: readonly Buffer[]): boolean {
  if (needles.length === 0) return true
  const line = buf.subarray(start, end)
  for (const n of needles) if (line.includes(n)) return true
  return false
}

/** Bytes in order, read into the caller's buffer: a file range read in place, or a stream copied. */
interface ChunkSource {
  /** Up to `length` bytes into into[offset...]; 0 at the end. */
  read(into: Buffer, offset: number, length: number): Promise<number>
  close(): Promise<void>
}

/** [start, end) of a plain file, read straight into the scanner's window: no buffer per chunk. */
async function fileRangeSource(file: string, start: number, end: number): Promise<ChunkSource> {
  const handle = await fsp.open(file)
  let position = start
  return {
    async read(into, offset, length) {
      const want = Math.min(length, end - position)
      if (want <= 0) return 0
      const {bytesRead} = await handle.read(into, offset, want, position)
      position += bytesRead
      return bytesRead
    },
    close: () => handle.close(),
  }
}

/** Stdin, gzip and small files arrive as a stream of Buffers: copied into the window as asked. */
function streamSource(chunks: AsyncIterable<Buffer>): ChunkSource {
  const it = chunks[Symbol.asyncIterator]()
  let current: Buffer | undefined
  let at = 0
  return {
    async read(into, offset, length) {
      while (!current || at >= current.length) {
        const next = await it.next()
        if (next.done) return 0
        current = next.value
        at = 0
      }
      const n = current.copy(into, offset, at, Math.min(current.length, at + length))
      at += n
      return n
    },
    async close() {
      current = undefined
      await it.return?.()
    },
  }
}

async function openChunks(file: string, stdin?: NodeJS.ReadableStream, marks?: Map<string, FileMark>): Promise<AsyncIterable<Buffer>> {
  // Check first: a read stream on a missing file would emit an unhandled error later.
  if (file !== '-') await fsp.access(file)
  let raw: AsyncIterable<Buffer>
  if (file === '-') raw = (stdin ?? process.stdin) as AsyncIterable<Buffer>
  else if (marks) {
    // Read what the file held when opened, and say where that ends (pipes and devices to their end).
    const handle = await fsp.open(file, 'r')
    const st = await handle.stat().catch(async (error: unknown) => {
      await handle.close()
      throw error
    })
    if (st.isFile()) {
      marks.set(path.resolve(file), {size: st.size, ino: st.ino, dev: st.dev})
      if (st.size === 0) {
        await handle.close()
        return emptyIterable()
      }
    }
    raw = handle.createReadStream({highWaterMark: 4 * MiB, ...(st.isFile() ? {start: 0, end: st.size - 1} : {})})
  } else raw = createReadStream(file, {highWaterMark: 4 * MiB})
  const it = raw[Symbol.asyncIterator]()
  const first = await it.next()
  if (first.done) return emptyIterable()
  const head = toBuffer(first.value)
  const rest: AsyncIterable<Buffer> = {[Symbol.asyncIterator]: () => it}
  const whole = prepend(head, rest)
  // gzip by magic bytes, whatever the name: rotated logs are often `audit.log.1` compressed.
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const source = Readable.from(whole)
    const gunzip = createGunzip({chunkSize: 256 * 1024})
    source.on('error', (e) => gunzip.destroy(e))
    source.pipe(gunzip)
    return gunzip as AsyncIterable<Buffer>
  }
  return whole
}

function emptyIterable(): AsyncIterable<Buffer> {
  return {[Symbol.asyncIterator]: async function* () {}}
}

async function* prepend(head: Buffer, rest: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield head
  for await (const c of rest) yield toBuffer(c)
}

function toBuffer(value: unknown): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value as string)
}

function isGzipError(error: unknown): boolean {
  const code = (error as {code?: string})?.code ?? ''
  return code.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED' || /unexpected end of file|incorrect header|invalid/i.test(String((error as Error)?.message))
}

/** The skip reason for a file this reader does not decode, from its first bytes. */
export function foreignEncoding(head: Buffer): SkipReason | undefined {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return 'utf-16-not-read'
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz-not-read'
  if (head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68 && head[3] !== undefined && head[3] >= 0x31 && head[3] <= 0x39) return 'bzip2-not-read'
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return 'zstd-not-read'
  return undefined
}

/** Decide how to split the input from its first bytes (and, for YAML, its name). */
export function sniffMode(file: string, head: Buffer): Mode {
  const text = head.toString('utf8', 0, Math.min(head.length, 64 * 1024))
  const lines = text.split('\n')
  const meaningful = lines.map((l) => l.trim()).filter((t) => t !== '' && !t.startsWith('#'))
  const firstLine = meaningful[0]
  if (firstLine === undefined) return /\.ya?ml$/i.test(file) ? 'yaml' : 'lines'
  if (firstLine.startsWith('{')) {
    // A JSON line closes on the same line; a pretty-printed document does not, and its next line
    // is a member, not another object. A first line cut short (rotation, a partial copy) followed
    // by whole JSON lines is a damaged JSON-lines file: read as documents, everything after it
    // would be swallowed into one unterminated document.
    if (firstLine.endsWith('}')) return 'lines'
    // An envelope (EventList, an `aws logs filter-log-events` page, a Logging API response), pretty
    // or compact and of any size: its array is streamed element by element.
    if (opensEnvelope(head)) return 'documents'
    // Pretty-printed objects, alone or mixed with JSON lines (`jq .` appends them to a log): the
    // line reader joins each multi-line value back, and a bad line cannot swallow what follows.
    return 'lines'
  }
  if (firstLine.startsWith('[')) return firstLine.endsWith(']') ? 'lines' : 'documents'
  if (/\.ya?ml$/i.test(file) || firstLine === '---' || /^[A-Za-z_@'"][\w@./'"-]*:(\s|$)/.test(firstLine)) return 'yaml'
  return 'lines'
}

/** Whether the bytes start a JSON object with an envelope array (ENVELOPE_KEYS) among its members. */
export function opensEnvelope(head: Buffer): boolean {
  let depth = 0
  let inString = false
  let escaped = false
  let key = ''
  let keyState = 0 // as in readDocuments
  let started = false
  for (let i = 0; i < head.length; i++) {
    const c = head[i] as number
    if (inString) {
      if (escaped) escaped = false
      else if (c === 0x5c) {
        escaped = true
        if (keyState === 2) keyState = 0
      } else if (c === 0x22) {
        inString = false
        if (keyState === 2) keyState = 3
      } else if (keyState === 2) key += String.fromCharCode(c)
      continue
    }
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue
    if (!started) {
      if (c !== 0x7b) return false
      started = true
      depth = 1
      keyState = 1
      continue
    }
    if (c === 0x22) {
      inString = true
      if (keyState === 1 && depth === 1) {
        keyState = 2
        key = ''
      } else keyState = 0
    } else if (c === 0x7b || c === 0x5b) {
      if (keyState === 4 && c === 0x5b && ENVELOPE_KEYS.has(key)) return true
      keyState = 0
      depth++
    } else if (c === 0x7d || c === 0x5d) {
      if (--depth <= 0) return false
      keyState = 0
    } else if (c === 0x2c) keyState = depth === 1 ? 1 : 0
    else if (c === 0x3a) keyState = keyState === 3 ? 4 : 0
    else keyState = 0
  }
  return false
}

/** One RFC 4180 row (no embedded newlines). Undefined when the quoting is broken. */
export function parseCsvLine(line: string): string[] | undefined {
  const cells: string[] = []
  let i = 0
  for (;;) {
    if (line[i] === '"') {
      let cell = ''
      i++
      for (;;) {
        const q = line.indexOf('"', i)
        if (q < 0) return undefined
        cell += line.slice(i, q)
        if (line[q + 1] === '"') {
          cell += '"'
          i = q + 2
        } else {
          i = q + 1
          break
        }
      }
      cells.push(cell)
      if (i >= line.length) return cells
      if (line[i] !== ',') return undefined
      i++
    } else {
      const c = line.indexOf(',', i)
      if (c < 0) {
        cells.push(line.slice(i))
        return cells
      }
      cells.push(line.slice(i, c))
      i = c + 1
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Limits.

/** Bytes read between full collections whatever the heap (see src/lib/collect-garbage.ts). */
const COLLECT_EVERY_BYTES = 256 * 1024 * 1024

// ---------------------------------------------------------------------------------------------
// Parallel scan of big plain files.

const WORKER_URL = new URL('./range-worker.js', import.meta.url)

/** What a range worker sends back. */
export type RangeMessage =
  | {type: 'batch'; id: number; events: AuditEvent[]}
  | {type: 'done'; id: number; lines: number; stats: ReadStats; skips: {reason: SkipReason; line: number}[]}
  | {type: 'failed'; id: number}

/** The line scanner for these read options (made once per worker, once per reader otherwise). */
export function scannerFor(options: ReadOptions): LineScanner {
  return createLineScanner(needlesOf(options))
}

/** The prefilter as bytes, reduced to the needles that narrow anything down (see narrowingNeedles). */
function needlesOf(options: ReadOptions): Buffer[] {
  return narrowingNeedles(options.prefilter?.map((n) => Buffer.from(n)))
}

/** Run inside a worker: scan one range and report batches then totals. */
export async function scanRange(
  file: string,
  id: number,
  start: number,
  end: number,
  options: ReadOptions,
  post: (message: RangeMessage) => void,
  scanner?: LineScanner,
): Promise<void> {
  const stats = emptyStats()
  const reader = new SourceReader(options, stats, scanner)
  for await (const events of reader.readRange(file, start, end)) post({type: 'batch', id, events})
  post({type: 'done', id, lines: reader.lines, stats, skips: reader.skipLog})
}

export function emptyStats(): ReadStats {
  return {
    inputs: 0,
    bytes: 0,
    records: 0,
    prefiltered: 0,
    events: 0,
    duplicates: 0,
    skipped: 0,
    skipReasons: {},
    truncated: 0,
    skipPositions: [],
    workers: 0,
    otherServices: 0,
    refusedInputs: 0,
    refusedPositions: [],
  }
}

async function parallelEligible(file: string, options: ReadOptions): Promise<boolean> {
  // Workers pay off when they drop most lines unparsed: every event they send costs the main
  // thread about as much to receive as parsing its line would (measured: all events of 200 MB,
  // 4.6 s on two workers, 4.4 s on one thread with a third less CPU).
  if (file === '-' || needlesOf(options).length === 0) return false
  const workers = workerCount(options)
  if (workers < 2) return false
  const envMin = Number(process.env.KUBECTL_SENSITIVE_ACCESS_PARALLEL_MIN_BYTES)
  const minBytes = options.parallelMinBytes ?? (Number.isFinite(envMin) && envMin > 0 ? envMin : 64 * MiB)
  try {
    const st = await fsp.stat(file)
    if (!st.isFile() || st.size < minBytes) return false
    // Under a test runner the compiled worker may not exist next to this module: scan inline.
    await fsp.access(WORKER_URL)
    const handle = await fsp.open(file)
    try {
      const head = Buffer.alloc(64 * 1024)
      const {bytesRead} = await handle.read(head, 0, head.length, 0)
      const first = head.subarray(0, bytesRead)
      if (first[0] === 0x1f && first[1] === 0x8b) return false
      return sniffMode(file, first) === 'lines'
    } finally {
      await handle.close()
    }
  } catch {
    return false
  }
}

function workerCount(options: ReadOptions): number {
  return Math.max(1, Math.min(options.workers ?? availableParallelism(), 4))
}

/** Byte ranges of about `size` bytes, each ending just after a newline (the last at EOF). */
async function splitRanges(file: string, total: number, size: number): Promise<[number, number][]> {
  const handle = await fsp.open(file)
  const ranges: [number, number][] = []
  try {
    let start = 0
    const probe = Buffer.alloc(MiB)
    while (start < total) {
      let end = Math.min(total, start + size)
      // Move the cut forward to just after the next newline.
      while (end < total) {
        const {bytesRead} = await handle.read(probe, 0, probe.length, end)
        if (bytesRead === 0) {
          end = total
          break
        }
        const nl = valueBoundary(probe.subarray(0, bytesRead))
        if (nl >= 0) {
          end += nl + 1
          break
        }
        end += bytesRead
      }
      ranges.push([start, end])
      start = end
    }
  } finally {
    await handle.close()
  }
  return ranges
}

/**
 * Scan ranges on a pool of workers and yield their events in file order, with line numbers made
 * absolute. Memory stays bounded: at most two ranges per worker are in flight or waiting.
 */
async function* readParallel(file: string, options: ReadOptions, stats: ReadStats, reader: SourceReader): AsyncGenerator<AuditEvent[]> {
  const {Worker} = await import('node:worker_threads')
  const st = await fsp.stat(file)
  const total = st.size
  // The ranges end at this size: lines appended meanwhile are the follower's (see ReadOptions.marks).
  options.marks?.set(path.resolve(file), {size: st.size, ino: st.ino, dev: st.dev})
  const workers = workerCount(options)
  const ranges = await splitRanges(file, total, Math.max(64 * 1024, Math.min(64 * MiB, Math.ceil(total / (workers * 8)))))
  stats.inputs++
  const workerOptions: ReadOptions = {...options, stdin: undefined}
  delete workerOptions.stdin
  delete workerOptions.marks
  const results = new Map<number, {batches: AuditEvent[][]; done?: Extract<RangeMessage, {type: 'done'}>; failed?: boolean}>()
  let wake: (() => void) | undefined
  const notify = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  let next = 0
  let current = 0
  const pool = Array.from({length: Math.min(workers, ranges.length)}, () => new Worker(WORKER_URL, {workerData: {file, options: workerOptions}}))
  stats.workers = Math.max(stats.workers, pool.length)
  const dispatch = (worker: InstanceType<typeof Worker>) => {
    if (next >= ranges.length || next >= current + pool.length * 2) return false
    const id = next++
    const [start, end] = ranges[id] as [number, number]
    results.set(id, {batches: []})
    worker.postMessage({id, start, end})
    return true
  }
  const idle: InstanceType<typeof Worker>[] = []
  let broken = false
  for (const worker of pool) {
    worker.on('message', (m: RangeMessage) => {
      const r = results.get(m.id)
      if (!r) return
      if (m.type === 'batch') r.batches.push(m.events)
      else if (m.type === 'done') {
        r.done = m
        if (!dispatch(worker)) idle.push(worker)
      } else {
        r.failed = true
        if (!dispatch(worker)) idle.push(worker)
      }
      notify()
    })
    worker.on('error', () => {
      // A dead worker: its ranges are reported as unreadable, the rest are scanned inline below.
      broken = true
      for (const r of results.values()) if (!r.done) r.failed = true
      notify()
    })
    dispatch(worker)
  }
  let lineOffset = 0
  try {
    while (current < ranges.length) {
      if (broken && !results.has(current)) {
        const [start, end] = ranges[current] as [number, number]
        const entry: {batches: AuditEvent[][]; done?: Extract<RangeMessage, {type: 'done'}>; failed?: boolean} = {batches: []}
        results.set(current, entry)
        next = Math.max(next, current + 1)
        await scanRange(file, current, start, end, workerOptions, (m) => {
          if (m.type === 'batch') entry.batches.push(m.events)
          else if (m.type === 'done') entry.done = m
        }).catch(() => (entry.failed = true))
      }
      const r = results.get(current)
      if (!r || (r.batches.length === 0 && !r.done && !r.failed)) {
        await new Promise<void>((resolve) => (wake = resolve))
        continue
      }
      while (r.batches.length > 0) {
        const batch = r.batches.shift() as AuditEvent[]
        for (const e of batch) if (e.origin.line !== undefined) e.origin.line += lineOffset
        yield batch
      }
      if (r.failed) {
        reader.skip('read-error', file, lineOffset + 1)
        // Line numbers after a failed range cannot be known: count its newlines here.
        lineOffset += await countLines(file, ...(ranges[current] as [number, number]))
      } else if (r.done) {
        const d = r.done
        stats.bytes += d.stats.bytes
        stats.records += d.stats.records
        stats.prefiltered += d.stats.prefiltered
        stats.otherServices += d.stats.otherServices
        for (const skip of d.skips) reader.skip(skip.reason, file, skip.line + lineOffset)
        // Skips beyond the few positions each range reports are counted without positions.
        const extra = d.stats.skipped - d.skips.length
        if (extra > 0) {
          stats.skipped += extra
          for (const [reason, n] of Object.entries(d.stats.skipReasons) as [SkipReason, number][]) {
            const listed = d.skips.filter((x) => x.reason === reason).length
            stats.skipReasons[reason] = (stats.skipReasons[reason] ?? 0) + n - listed
            if (reason === 'truncated') stats.truncated += n - listed
          }
        }
        lineOffset += d.lines
      } else continue
      results.delete(current)
      current++
      while (idle.length > 0 && next < ranges.length && next < current + pool.length * 2) dispatch(idle.pop() as InstanceType<typeof Worker>)
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()))
  }
}

/**
 * Where to cut a range: the first newline between a value's close and the next value's open
 * (`}` then `{`: every newline of plain JSON lines), so that a pretty-printed or wrapped value is
 * not split between two workers; else the first newline; -1 when there is none.
 */
function valueBoundary(probe: Buffer): number {
  const first = probe.indexOf(NEWLINE)
  for (let nl = first; nl >= 0; nl = probe.indexOf(NEWLINE, nl + 1)) {
    let before = nl - 1
    if (probe[before] === 0x0d) before--
    const prev = probe[before]
    const next = probe[nl + 1]
    if ((prev === 0x7d || prev === 0x5d) && (next === 0x7b || next === 0x5b)) return nl
    if (nl + 1 >= probe.length) break
  }
  return first
}

async function countLines(file: string, start: number, end: number): Promise<number> {
  let n = 0
  for await (const chunk of createReadStream(file, {start, end: end - 1}) as AsyncIterable<Buffer>) {
    let p = -1
    while ((p = chunk.indexOf(NEWLINE, p + 1)) >= 0) n++
  }
  return n
}
