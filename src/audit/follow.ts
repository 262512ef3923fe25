// `--follow`: new lines appended to audit log files, as `tail -F` would see them, turned into
// events. Polling (not fs.watch) because it behaves the same on every platform and on network file
// systems. Rotation loses nothing that reached the disk:
// - rename rotation (kube-apiserver's own --audit-log-maxsize, logrotate without copytruncate): the
//   followed file stays open, so the lines written just before the rename are read from it, then
//   the new file at the path is read from its start;
// - copytruncate (logrotate): the file is recognised as truncated by the bytes just before the
//   offset (not by its size alone: it may have grown past the old offset again between two polls);
//   the lines written after the last poll and before the truncation are read from the copy
//   (`audit.log.1`, `audit.log-20261206`: a sibling holding those same bytes), then the file from 0.
import {open, readdir, stat, type FileHandle} from 'node:fs/promises'
import path from 'node:path'
import type {AuditEvent} from './event.js'
import type {FileMark} from './reader.js'
import {normaliseRecord} from './normalise.js'
import {StageMerger} from './stage-merger.js'

export interface FollowOptions {
  /** Which events to deliver (the view's filter). */
  accept?: (event: AuditEvent) => boolean
  intervalMs?: number
  /** Longest line kept; longer ones are dropped, as the reader does. */
  maxLineBytes?: number
  /** Largest read (and batch of lines) at a time. Default 4 MiB. */
  readBytes?: number
  /** Called once every file has its starting point: lines written from then on are delivered. */
  onReady?: () => void
  /**
   * Where a read of these files ended (ReadOptions.marks, by absolute path): following starts there,
   * so the lines written while that read ran are delivered, not lost. A file replaced since (another
   * inode) is new: followed from its start. Without a mark, from the file's current end.
   */
  from?: ReadonlyMap<string, FileMark>
}

const READ_BYTES = 4 * 1024 * 1024
/** Bytes before the offset kept to recognise the file (and its copy): several audit lines' worth of unique IDs and times. */
const TAIL_BYTES = 512
/** Siblings examined when looking for a copytruncate copy. */
const MAX_COPIES = 32
const COMPRESSED = /\.(gz|bz2|xz|zst|zip|lz4)$/i

interface Followed {
  handle: FileHandle | undefined
  ino: number
  dev: number
  offset: number
  carry: Buffer
  line: number
  /** The bytes just before `offset`, as read. */
  tail: Buffer
  size: number
  mtimeMs: number
}

/**
 * Start following `files` from their current end; `onEvents` receives each batch of new events.
 * Returns the function that stops following.
 */
export function followFiles(files: string[], onEvents: (events: AuditEvent[]) => void, options: FollowOptions = {}): () => void {
  const interval = options.intervalMs ?? 1000
  const maxLine = options.maxLineBytes ?? 16 * 1024 * 1024
  const readBytes = options.readBytes ?? READ_BYTES
  const state = new Map<string, Followed>()
  // As in a full read, a request logged at several stages shows once: complete records at once,
  // a RequestReceived or ResponseStarted record when its request completes (or leaves the window).
  const merger = new StageMerger(8192, {duplicates: 0})
  let stopped = false
  let polling = false
  let timer: NodeJS.Timeout | undefined

  const closeAll = () => {
    for (const s of state.values()) {
      void s.handle?.close().catch(() => undefined)
      s.handle = undefined
    }
  }

  const start = async () => {
    for (const file of files) {
      const s: Followed = {handle: undefined, ino: 0, dev: 0, offset: 0, carry: Buffer.alloc(0), line: 0, tail: Buffer.alloc(0), size: 0, mtimeMs: 0}
      state.set(file, s)
      const handle = await open(file, 'r').catch(() => undefined)
      if (!handle) continue // not there yet: read from its start once it appears
      const st = await handle.stat()
      // What was there has been shown already: from where that read ended, else from now on.
      const mark = options.from?.get(path.resolve(file))
      let offset = st.size
      if (mark) offset = mark.ino === st.ino && mark.dev === st.dev && st.size >= mark.size ? mark.size : 0
      Object.assign(s, {handle, ino: st.ino, dev: st.dev, offset, size: st.size, mtimeMs: st.mtimeMs})
      s.tail = await readAt(handle, Math.max(0, offset - TAIL_BYTES), offset)
    }
    if (stopped) closeAll()
    else options.onReady?.()
    schedule()
  }

  const schedule = () => {
    if (stopped) {
      closeAll()
      return
    }
    timer = setTimeout(() => {
      polling = true
      void poll()
        .catch(() => undefined)
        .finally(() => {
          polling = false
          schedule()
        })
    }, interval)
  }

  let batch: AuditEvent[] = []

  /** Events of the complete lines in data, into batch; returns the unfinished last line (dropped past maxLine). */
  const readLines = (data: Buffer, s: {line: number}, file: string): Buffer => {
    let nl: number
    while ((nl = data.indexOf(0x0a)) >= 0) {
      s.line++
      const line = data.subarray(0, nl).toString('utf8').trim()
      data = data.subarray(nl + 1)
      if (line === '') continue
      let record: unknown
      try {
        record = JSON.parse(line)
      } catch {
        continue
      }
      const events = normaliseRecord(record, {format: 'k8s', file, line: s.line})
      if (typeof events === 'string') continue
      for (const event of merger.addAll(events)) if (!options.accept || options.accept(event)) batch.push(event)
    }
    return data.length > maxLine ? Buffer.alloc(0) : Buffer.from(data)
  }

  /** Read handle from s.offset to `end`, in pieces: a file that grew a lot between two polls is never one buffer. */
  const readTo = async (handle: FileHandle, end: number, s: Followed, file: string) => {
    while (s.offset < end && !stopped) {
      const chunk = Buffer.alloc(Math.min(end - s.offset, readBytes))
      const {bytesRead} = await handle.read(chunk, 0, chunk.length, s.offset)
      if (bytesRead === 0) break
      const got = chunk.subarray(0, bytesRead)
      s.offset += bytesRead
      s.tail = Buffer.from(got.length >= TAIL_BYTES ? got.subarray(got.length - TAIL_BYTES) : Buffer.concat([s.tail, got]).subarray(-TAIL_BYTES))
      s.carry = readLines(s.carry.length > 0 ? Buffer.concat([s.carry, got]) : got, s, file)
      deliver()
    }
  }

  /** Was the open file truncated (and maybe written again) since the last read? */
  const truncated = async (handle: FileHandle, size: number, s: Followed): Promise<boolean> => {
    if (size < s.offset) return true
    if (s.offset === 0 || s.tail.length === 0) return false
    const now = await readAt(handle, s.offset - s.tail.length, s.offset)
    return !now.equals(s.tail)
  }

  /**
   * The copy logrotate made before truncating: a sibling, not compressed, at least `offset` long,
   * holding the bytes we last read at the same place. Its remainder is what we had not read yet.
   */
  const readCopy = async (file: string, s: Followed) => {
    if (s.offset === 0 || s.tail.length === 0) return
    const dir = path.dirname(file)
    const base = path.basename(file)
    const stem = base.replace(/\.[^.]*$/, '')
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n !== base && (n.startsWith(base) || n.startsWith(stem)) && !COMPRESSED.test(n))
    const candidates: {name: string; mtimeMs: number; size: number}[] = []
    for (const name of names.slice(0, 4 * MAX_COPIES)) {
      const st = await stat(path.join(dir, name)).catch(() => undefined)
      if (st?.isFile() && st.size >= s.offset && !(st.ino === s.ino && st.dev === s.dev)) candidates.push({name, mtimeMs: st.mtimeMs, size: st.size})
    }
    // The newest copy first: it is the one just made.
    candidates.sort((a, b) => b.mtimeMs - a.mtimeMs)
    for (const c of candidates.slice(0, MAX_COPIES)) {
      const handle = await open(path.join(dir, c.name), 'r').catch(() => undefined)
      if (!handle) continue
      try {
        const at = await readAt(handle, s.offset - s.tail.length, s.offset)
        if (!at.equals(s.tail)) continue
        await readTo(handle, c.size, s, file)
        return
      } finally {
        await handle.close().catch(() => undefined)
      }
    }
  }

  const restart = (s: Followed, handle: FileHandle | undefined, st: {ino: number; dev: number} | undefined) => {
    Object.assign(s, {handle, ino: st?.ino ?? 0, dev: st?.dev ?? 0, offset: 0, carry: Buffer.alloc(0), tail: Buffer.alloc(0), size: 0, mtimeMs: 0})
  }

  const pollFile = async (file: string, s: Followed) => {
    // Where the name points now: checked before draining the open file, so nothing written to the
    // old file before the rename is missed.
    const atPath = await stat(file).catch(() => undefined)
    if (s.handle) {
      const st = await s.handle.stat()
      if (st.size !== s.size || st.mtimeMs !== s.mtimeMs) {
        if (await truncated(s.handle, st.size, s)) {
          await readCopy(file, s)
          restart(s, s.handle, st)
        }
        await readTo(s.handle, st.size, s, file)
        s.size = st.size
        s.mtimeMs = st.mtimeMs
      }
      // Renamed away (or deleted) and a new file at the path: the old one has been read to its end.
      if (atPath && (atPath.ino !== s.ino || atPath.dev !== s.dev)) {
        const old = s.handle
        const handle = await open(file, 'r').catch(() => undefined)
        await old.close().catch(() => undefined)
        const now = handle ? await handle.stat() : undefined
        restart(s, handle, now)
      } else return
    } else {
      if (!atPath) return
      const handle = await open(file, 'r').catch(() => undefined)
      restart(s, handle, handle ? await handle.stat() : undefined)
    }
    if (!s.handle) return
    const st = await s.handle.stat()
    await readTo(s.handle, st.size, s, file)
    s.size = st.size
    s.mtimeMs = st.mtimeMs
  }

  const poll = async () => {
    for (const [file, s] of state) {
      if (stopped) return
      await pollFile(file, s).catch(() => undefined)
    }
  }

  const deliver = () => {
    if (batch.length > 0 && !stopped) onEvents(batch)
    batch = []
  }

  void start()
  return () => {
    stopped = true
    if (timer) clearTimeout(timer)
    if (!polling) closeAll()
  }
}

async function readAt(handle: FileHandle, from: number, to: number): Promise<Buffer> {
  if (to <= from) return Buffer.alloc(0)
  const buf = Buffer.alloc(to - from)
  const {bytesRead} = await handle.read(buf, 0, buf.length, from)
  return buf.subarray(0, bytesRead)
}
