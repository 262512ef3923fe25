import type {AuditEvent} from '../audit/event.js'
import {BaselineLearner, emptyBaseline, type Baseline} from './baseline.js'
import {RULES} from './catalog.js'
import {SEVERITIES, type Finding, type RuleContext} from './finding.js'
import {MAX_GROUPS} from './group.js'
import {compileScope} from './match.js'
import type {RuleDefinition} from './rule.js'
import type {DetectSettings} from './settings-types.js'
import {relieveMemory} from '../lib/collect-garbage.js'

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
  /**
   * Whether this run's values are kept for `result.baseline` (to write back with --state). Default
   * true; without --state and without a learning period nothing would read them, so the service
   * turns it off and a log of millions of identities costs nothing here.
   */
  keepBaseline?: boolean
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
  /**
   * Bounds hit during the run (baseline caps, rules' folded findings, pruned state), one sentence
   * each; also reported as one detection-limits finding. Empty for ordinary inputs.
   */
  limits: string[]
}

/** The rule id of the finding that reports the bounds a run hit: informational, never a --fail-on trigger. */
export const LIMITS_RULE_ID = 'detection-limits'

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
  const record = learning || options.keepBaseline !== false
  const view = learner.view()
  const contexts: {rule: RuleDefinition; ctx: RuleContext}[] = rules.map((rule) => ({rule, ctx: rule.create(settings, view)}))
  let count = 0
  for await (const event of events) {
    count++
    if (record) learner.observe(event)
    else learner.observeTime(event)
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
  // The read's garbage goes before the rules build their findings on top of it (a flood of identities).
  relieveMemory()
  const findings = contexts.flatMap(({ctx}) => ctx.finish())
  const limits = [...learner.limits()]
  for (const {ctx} of contexts) limits.push(...(ctx.limits?.() ?? []))
  for (const f of findings) {
    if (f.folded !== undefined) limits.push(`${f.ruleId}: more than ${MAX_GROUPS.toLocaleString('en-US')} findings; ≈${f.folded.toLocaleString('en-US')} more folded into one`)
  }
  if (limits.length > 0) findings.push(limitsFinding(limits, learner.firstEventTime, learner.lastEventTime))
  sortFindings(findings)
  const result: DetectResult = {findings, baseline: learner.result(), events: count, limits}
  if (learnedUntil !== undefined) result.learnedUntil = learnedUntil
  if (Number.isFinite(learner.firstEventTime)) result.windowStart = learner.firstEventTime
  const end = options.now ?? learner.lastEventTime
  if (Number.isFinite(end)) result.windowEnd = end
  return result
}

function limitsFinding(limits: string[], first: number, last: number): Finding {
  return {
    ruleId: LIMITS_RULE_ID,
    title: 'Detection bounds reached: some figures are approximate',
    severity: 'info',
    technique: '-',
    who: '-',
    what: limits.length === 1 ? (limits[0] as string) : `${limits.length} bounds reached (see detail)`,
    firstSeen: Number.isFinite(first) ? first : 0,
    lastSeen: Number.isFinite(last) ? last : 0,
    count: limits.length,
    evidence: [],
    detail: limits.join('; '),
  }
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
