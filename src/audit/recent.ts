// The `recent` service: inputs + filter flags -> a filtered stream of events and its read stats.
// Kept free of oclif so other commands (and `--findings`) can reuse it.
import type {AuditEvent} from './event.js'
import {buildFilter, matches, prefilterNeedles, type EventFilter, type FilterSpec} from './filter.js'
import {sanitizeForTerminal} from '../lib/sanitize.js'
import type {SkipReason} from './normalise.js'
import {eachEvent, readAuditEvents, type ReadOptions, type ReadStats} from './reader.js'

export interface RecentOptions {
  /** Files, folders, globs, `-` for stdin. */
  inputs: string[]
  filter?: FilterSpec
  /** Validate every line: disables the byte prefilter so bad input cannot hide in skipped lines. */
  strict?: boolean
  now?: number
  read?: ReadOptions
}

export interface RecentStream extends AsyncIterable<AuditEvent> {
  readonly stats: ReadStats
  /** The matching events in arrays, as read: one await per batch rather than per event. */
  batches(): AsyncIterable<AuditEvent[]>
  readonly filter: EventFilter
  /** Events that passed the filter, complete once iteration ends. */
  readonly matched: number
}

/** Throws FilterError (from buildFilter) for bad flag values, before reading anything. */
export function openRecent(options: RecentOptions): RecentStream {
  const filter = buildFilter(options.filter ?? {}, options.now)
  const read: ReadOptions = {...options.read}
  if (!options.strict && read.prefilter === undefined) {
    const needles = prefilterNeedles(filter)
    if (needles) read.prefilter = needles
  }
  const source = readAuditEvents(options.inputs, read)
  let matched = 0
  async function* batches(): AsyncGenerator<AuditEvent[]> {
    for await (const batch of source.batches()) {
      const kept = batch.filter((event) => matches(event, filter))
      matched += kept.length
      if (kept.length > 0) yield kept
    }
  }
  return {
    stats: source.stats,
    filter,
    get matched() {
      return matched
    },
    batches,
    [Symbol.asyncIterator]: () => eachEvent(batches())[Symbol.asyncIterator](),
  }
}

/** The stderr report of bad input; empty when there was none. */
/** Skip reasons that mean a whole input was not read: each is said plainly, with the way on. */
export const WHOLE_INPUT_LOST: Partial<Record<SkipReason, string>> = {
  'no-such-file': 'no such file or folder',
  'glob-matched-nothing': 'the pattern matched no file',
  'read-error': 'could not be read',
  'utf-16-not-read': 'UTF-16 text, not read: convert it with `iconv -f UTF-16 -t UTF-8`',
  'xz-not-read': 'xz-compressed, not read: decompress it with `xz -d` (gzip is read as is)',
  'bzip2-not-read': 'bzip2-compressed, not read: decompress it with `bunzip2` (gzip is read as is)',
  'zstd-not-read': 'zstd-compressed, not read: decompress it with `zstd -d` (gzip is read as is)',
}

/**
 * Limits a record can be refused for. One such record among good ones is a counted skip; an input
 * of which nothing could be read because of them is lost whole (ReadStats.refusedInputs).
 */
export const REFUSED: Partial<Record<SkipReason, string>> = {
  'too-many-aliases': 'a YAML alias bomb (more aliases than any real record), refused rather than expanded',
  'too-deep': 'nested deeper than any real audit record, refused',
  'document-too-large': 'a single JSON or YAML document over the size cap (64 MiB)',
  'element-too-large': 'a single array element over the size cap (64 MiB): split the export, or read it with jq -c .items[]',
}

/** How many inputs were not read at all (missing, unreadable, an encoding we do not decode, refused whole). */
export function inputsLost(stats: ReadStats): number {
  let n = stats.refusedInputs
  for (const reason of Object.keys(WHOLE_INPUT_LOST) as SkipReason[]) n += stats.skipReasons[reason] ?? 0
  return n
}

export function describeSkips(stats: ReadStats): string {
  // Entries of other Google services, AKS categories or CloudWatch streams are not bad input: said apart, never a skip.
  const others =
    stats.otherServices > 0
      ? `note: ${stats.otherServices} ${stats.otherServices === 1 ? 'entry' : 'entries'} of other services, not Kubernetes: skipped (GCP services other than k8s.io, AKS categories other than kube-audit, CloudWatch streams other than kube-apiserver-audit)\n`
      : ''
  if (stats.skipped === 0) return others
  const lost: string[] = []
  for (const p of stats.refusedPositions) {
    const reason = /: ([a-z0-9-]+)$/.exec(p)?.[1] as SkipReason | undefined
    const what = (reason && REFUSED[reason]) ?? 'refused'
    lost.push(`error: ${sanitizeForTerminal(p.slice(0, p.length - (reason?.length ?? 0) - 2))}: nothing read from it: ${what}`)
  }
  for (const p of stats.skipPositions) {
    const reason = /: ([a-z0-9-]+)$/.exec(p)?.[1] as SkipReason | undefined
    const what = reason ? WHOLE_INPUT_LOST[reason] : undefined
    if (what) lost.push(`error: ${sanitizeForTerminal(p.slice(0, p.length - reason!.length - 2).replace(/:0$/, ''))}: ${what}`)
  }
  const reasons = Object.entries(stats.skipReasons)
    .map(([reason, n]) => `${n} ${reason}`)
    .join(', ')
  const lines = [...lost, `warning: skipped ${stats.skipped} bad record${stats.skipped === 1 ? '' : 's'} (${reasons})`]
  for (const p of stats.skipPositions) lines.push(`  at ${p}`)
  if (stats.skipped > stats.skipPositions.length) lines.push(`  ... and ${stats.skipped - stats.skipPositions.length} more`)
  return others + lines.join('\n') + '\n'
}

/** One line of figures for stderr (`--verbose`-style progress; never on stdout). */
export function describeStats(stats: ReadStats, matched: number, systemHidden = 0): string {
  return (
    `read ${stats.records} records (${(stats.bytes / 1e6).toFixed(1)} MB) from ${stats.inputs} input${stats.inputs === 1 ? '' : 's'}: ` +
    `${stats.events} events, ${matched} matched${systemHidden > 0 ? ` (and ${systemHidden} of system identities hidden)` : ''}, ${stats.duplicates} duplicate stages merged, ` +
    `${stats.prefiltered} lines prefiltered, ${stats.skipped} skipped` +
    `${stats.workers > 0 ? ` (${stats.workers} worker threads)` : ''}\n`
  )
}
