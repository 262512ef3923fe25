// Findings for `recent --findings` and the dashboard: the detection engine over every event of
// the sources (detections need exec, RBAC and anonymous traffic, not just secret reads), with the
// settings file, the learned or stored baseline and --fail-on.
import type {AuditEvent} from '../audit/event.js'
import {parseDuration} from '../audit/filter.js'
import type {Finding, Severity} from '../detect/finding.js'
import type {DetectSettings} from '../detect/settings-types.js'

export interface FindingsOptions {
  /** `--config`: settings file; the default location is used when absent. */
  config?: string
  /** `--state`: baseline file read before and written (atomically) after the run. */
  state?: string
  /** `--baseline 7d`: learn from the first part of the window. */
  baseline?: string
}

export interface FindingsRun {
  /** Feed every event (unfiltered) here while reading. */
  observe(event: AuditEvent): void
  /** Close the run: findings, and the baseline written back when --state is set. */
  finish(): Promise<FindingsResult>
}

export interface FindingsResult {
  findings: Finding[]
  events: number
  learnedUntil?: number
  /** Bounds the detections hit (also in the findings as detection-limits): for one stderr note each. */
  limits: string[]
}

export class FindingsOptionsError extends Error {
  override name = 'FindingsOptionsError'
}

/**
 * The detection engine pulls events from an async iterable; the reader pushes them. A small
 * queue joins the two so one pass over the input feeds both the display and the detections.
 */
export async function startFindings(options: FindingsOptions, loaded?: DetectSettings): Promise<FindingsRun> {
  const {detect} = await import('../detect/engine.js')
  const {readBaselineState, writeBaselineState, BaselineStateError} = await import('../detect/baseline.js')
  let baselineWindow: number | undefined
  if (options.baseline !== undefined) {
    try {
      baselineWindow = parseDuration(options.baseline, '--baseline')
    } catch (error) {
      throw new FindingsOptionsError((error as Error).message)
    }
  }
  const settings = loaded ?? (await loadFindingsSettings(options.config))
  let prior
  try {
    prior = options.state ? await readBaselineState(options.state) : undefined
  } catch (error) {
    if (error instanceof BaselineStateError) throw new FindingsOptionsError(error.message)
    throw error
  }

  const queue = createEventQueue()
  const running = detect(queue, {
    settings,
    ...(prior ? {baseline: prior} : {}),
    ...(baselineWindow !== undefined ? {baselineWindow} : {}),
    // Nothing reads this run's values without --state (a learning period records them anyway).
    keepBaseline: options.state !== undefined,
  })
  return {
    observe: (event) => queue.push(event),
    finish: async () => {
      queue.end()
      const result = await running
      const {relieveMemory} = await import('../lib/collect-garbage.js')
      relieveMemory()
      if (options.state) await writeBaselineState(options.state, result.baseline)
      return {findings: result.findings, events: result.events, limits: result.limits, ...(result.learnedUntil !== undefined ? {learnedUntil: result.learnedUntil} : {})}
    },
  }
}

/** The settings file (`--config`, else the default location); a bad file is a usage error. */
export async function loadFindingsSettings(config: string | undefined): Promise<DetectSettings> {
  const {loadSettings, SettingsError} = await import('../detect/settings.js')
  try {
    return await loadSettings(config)
  } catch (error) {
    if (error instanceof SettingsError) throw new FindingsOptionsError(error.message)
    throw error
  }
}

/**
 * For every event shown: labels one of the settings' systemIdentities `system: true` (the same list
 * the detections skip) and says whether to keep it: false for those with --no-system.
 */
export async function systemLabeller(settings: DetectSettings, hide: boolean): Promise<(event: AuditEvent) => boolean> {
  const {compileSystemIdentities} = await import('../detect/match.js')
  const isSystem = compileSystemIdentities(settings.systemIdentities)
  return (event) => {
    if (!isSystem(event)) return true
    event.system = true
    return !hide
  }
}

/** `--fail-on`: validate the value before any reading starts. */
export async function parseFailOn(value: string | undefined): Promise<Severity | 'none' | undefined> {
  if (value === undefined) return undefined
  const {isSeverity} = await import('../detect/fail-on.js')
  if (value === 'none' || isSeverity(value)) return value
  throw new FindingsOptionsError(`--fail-on: expected one of info, low, medium, high, critical, none; got "${value}"`)
}

interface EventQueue extends AsyncIterable<AuditEvent> {
  push(event: AuditEvent): void
  end(): void
}

/**
 * Unbounded but drained as fast as it fills: detect() consumes synchronously per event, so the
 * queue holds at most the events pushed since the consumer last ran (one read batch).
 */
function createEventQueue(): EventQueue {
  const items: AuditEvent[] = []
  let ended = false
  let wake: (() => void) | undefined
  return {
    push(event) {
      items.push(event)
      wake?.()
    },
    end() {
      ended = true
      wake?.()
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (items.length > 0) {
          const batch = items.splice(0, items.length)
          for (const event of batch) yield event
        }
        if (ended) return
        await new Promise<void>((resolve) => {
          wake = resolve
        })
        wake = undefined
      }
    },
  }
}
