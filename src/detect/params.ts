import {parseDuration as parseFilterDuration} from '../audit/filter.js'
import type {RuleDefinition, RuleSettingValue} from './rule.js'
import type {DetectSettings} from './settings-types.js'

/**
 * `30m`, `90s`, `1h30m`, `7d`, `500ms` -> milliseconds, with the same grammar as `--since`;
 * undefined when malformed or not positive (settings validation reports it).
 */
export function parseDuration(text: string): number | undefined {
  try {
    const ms = parseFilterDuration(text)
    return ms > 0 && Number.isFinite(ms) ? ms : undefined
  } catch {
    return undefined
  }
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
