// `--follow`: new lines appended to audit log files, as `tail -F` would see them, turned into
// events for the live dashboard. Polling (not fs.watch) because it behaves the same on every
// platform and on network file systems; a rotated or truncated file is read again from its start.
import {open, stat} from 'node:fs/promises'
import type {AuditEvent} from './event.js'
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
}

const READ_BYTES = 4 * 1024 * 1024

/**
 * Start following `files` from their current end; `onEvents` receives each batch of new events.
 * Returns the function that stops following.
 */
export function followFiles(files: string[], onEvents: (events: AuditEvent[]) => void, options: FollowOptions = {}): () => void {
  const interval = options.intervalMs ?? 1000
  const maxLine = options.maxLineBytes ?? 16 * 1024 * 1024
  const readBytes = options.readBytes ?? READ_BYTES
  const state = new Map<string, {offset: number; carry: Buffer; line: number; ino: number}>()
  // As in a full read, a request logged at several stages shows once: complete records at once,
  // a RequestReceived or ResponseStarted record when its request completes (or leaves the window).
  const merger = new StageMerger(8192, {duplicates: 0})
  let stopped = false
  let timer: NodeJS.Timeout | undefined

  const start = async () => {
    for (const file of files) {
      const st = await stat(file).catch(() => undefined)
      // Only what is written from now on: the dashboard already shows what was there.
      state.set(file, {offset: st?.size ?? 0, carry: Buffer.alloc(0), line: 0, ino: st?.ino ?? 0})
    }
    schedule()
  }

  const schedule = () => {
    if (!stopped) timer = setTimeout(() => void poll().finally(schedule), interval)
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

  const poll = async () => {
    for (const file of files) {
      const s = state.get(file)
      if (!s) continue
      const st = await stat(file).catch(() => undefined)
      if (!st) continue
      if (st.ino !== s.ino || st.size < s.offset) {
        // Rotated or truncated: the new file is read from its beginning.
        Object.assign(s, {offset: 0, carry: Buffer.alloc(0), ino: st.ino})
      }
      if (st.size === s.offset) continue
      const handle = await open(file, 'r')
      try {
        // In pieces: a file replaced by a big one between two polls must not be read in one buffer.
        while (s.offset < st.size) {
          const chunk = Buffer.alloc(Math.min(st.size - s.offset, readBytes))
          const {bytesRead} = await handle.read(chunk, 0, chunk.length, s.offset)
          if (bytesRead === 0) break
          s.offset += bytesRead
          s.carry = readLines(s.carry.length > 0 ? Buffer.concat([s.carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead), s, file)
          deliver()
        }
      } finally {
        await handle.close()
      }
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
  }
}
