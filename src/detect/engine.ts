import type {AuditEvent} from '../audit/event.js'
import {BaselineLearner, emptyBaseline, type Baseline} from './baseline.js'
import {RULES} from './catalog.js'
import {SEVERITIES, type Finding, type RuleContext} from './finding.js'
import {compileScope} from './match.js'
import type {RuleDefinition} from './rule.js'
import type {DetectSettings} from './settings-types.js'

export interface DetectOptions {
  settings: DetectSettings
  /** Values seen in earlier runs (from `--state`); always count as known. */
  baseline?: Baseline
  /**
   * Length of the learning period, in ms, counted from the earliest event of this run: events in
   * [first, first + baselineWindow) only teach the baseline; novelty rules check the rest.
   */
  baselineWindow?: number
  /** Absolute end of the learning period (epoch ms); wins over baselineWindow. */
  baselineUntil?: number
  /**
   * End of the analysed window (epoch ms), reported as `windowEnd`; defaults to the latest event.
   * It filters nothing: the learning period is counted from the earliest event (see baselineWindow).
   */
  now?: number
  /** Rules to run; defaults to the whole catalog. */
  rules?: readonly RuleDefinition[]
}

export interface DetectResult {
  findings: Finding[]
  /** Prior baseline merged with everything this run saw: write it back with `--state`. */
  baseline: Baseline
  /** Events read. */
  events: number
  /** Where learning stopped (epoch ms), when a learning period applied. */
  learnedUntil?: number
  /** Earliest event time and end of the window (`now` or the latest event); absent for an empty stream. */
  windowStart?: number
  windowEnd?: number
}

/**
 * Runs every enabled rule over one pass of the stream. Allowlisted events reach no rule; system
 * identities are held back only from rules that declare `excludesSystemIdentities`.
 */
export async function detect(
  events: AsyncIterable<AuditEvent> | Iterable<AuditEvent>,
  options: DetectOptions,
): Promise<DetectResult> {
  const {settings} = options
  const rules = (options.rules ?? RULES).filter((r) => settings.rules[r.id]?.enabled !== false)
  const scope = compileScope(settings)
  const learning = options.baselineUntil !== undefined || options.baselineWindow !== undefined
  const learner = new BaselineLearner(options.baseline ?? emptyBaseline(), learning)
  const view = learner.view()
  const contexts: {rule: RuleDefinition; ctx: RuleContext}[] = rules.map((rule) => ({rule, ctx: rule.create(settings, view)}))
  let count = 0
  for await (const event of events) {
    count++
    learner.observe(event)
    if (scope.allowlisted(event)) continue
    const system = scope.isSystem(event)
    for (const {rule, ctx} of contexts) {
      if (system && rule.excludesSystemIdentities) continue
      ctx.onEvent(event)
    }
  }
  let learnedUntil: number | undefined
  if (options.baselineUntil !== undefined) learnedUntil = options.baselineUntil
  else if (options.baselineWindow !== undefined && Number.isFinite(learner.firstEventTime)) {
    learnedUntil = learner.firstEventTime + options.baselineWindow
  }
  if (learnedUntil !== undefined) learner.setLearnUntil(learnedUntil)
  const findings = contexts.flatMap(({ctx}) => ctx.finish())
  sortFindings(findings)
  const result: DetectResult = {findings, baseline: learner.result(), events: count}
  if (learnedUntil !== undefined) result.learnedUntil = learnedUntil
  if (Number.isFinite(learner.firstEventTime)) result.windowStart = learner.firstEventTime
  const end = options.now ?? learner.lastEventTime
  if (Number.isFinite(end)) result.windowEnd = end
  return result
}

/** Most severe first, then oldest first, then by rule and identity so output is stable. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
      a.firstSeen - b.firstSeen ||
      a.ruleId.localeCompare(b.ruleId) ||
      a.who.localeCompare(b.who) ||
      a.what.localeCompare(b.what),
  )
}
