import type {RuleDefinition, RuleSettingValue} from './rule.js'
import type {DetectSettings} from './settings-types.js'

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}

/** `30m`, `90s`, `1h`, `7d`, `500ms` → milliseconds; undefined when malformed or not positive. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim())
  if (!m) return undefined
  const ms = Number(m[1]) * (UNITS[m[2] ?? ''] ?? 0)
  return ms > 0 && Number.isFinite(ms) ? ms : undefined
}

/** A rule's setting from the (validated) settings, falling back to the rule's own default. */
export function param(settings: DetectSettings, rule: Pick<RuleDefinition, 'id' | 'settings'>, name: string): RuleSettingValue {
  const value = settings.rules[rule.id]?.[name]
  if (value !== undefined) return value
  const spec = rule.settings.find((s) => s.name === name)
  if (!spec) throw new Error(`rule ${rule.id} has no setting ${name}`)
  return spec.default
}

export function numberParam(settings: DetectSettings, rule: Pick<RuleDefinition, 'id' | 'settings'>, name: string): number {
  const v = param(settings, rule, name)
  return typeof v === 'number' ? v : Number(v)
}

export function durationParam(settings: DetectSettings, rule: Pick<RuleDefinition, 'id' | 'settings'>, name: string): number {
  const v = param(settings, rule, name)
  return typeof v === 'number' ? v : (parseDuration(String(v)) ?? 0)
}

export function listParam(settings: DetectSettings, rule: Pick<RuleDefinition, 'id' | 'settings'>, name: string): string[] {
  const v = param(settings, rule, name)
  return Array.isArray(v) ? v : [String(v)]
}
