import type {Finding} from './finding.js'
import type {RuleDefinition, RuleSettingSpec} from './rule.js'

/** A rule as data (no functions), for `detections -o json|yaml` and docs. */
export interface RuleDescription {
  id: string
  title: string
  severity: string
  technique: {id: string; name: string}
  description: string
  fields: string[]
  falsePositives: string[]
  settings: RuleSettingSpec[]
  excludesSystemIdentities: boolean
  auditLevel: {needs: string; metadataLimits?: string}
}

export function describeRule(rule: RuleDefinition): RuleDescription {
  return {
    id: rule.id,
    title: rule.title,
    severity: rule.severity,
    technique: {...rule.technique},
    description: rule.description,
    fields: [...rule.fields],
    falsePositives: [...rule.falsePositives],
    settings: rule.settings.map((s) => ({...s, default: Array.isArray(s.default) ? [...s.default] : s.default})),
    excludesSystemIdentities: rule.excludesSystemIdentities,
    auditLevel: {...rule.auditLevel},
  }
}

function formatDefault(value: RuleSettingSpec['default']): string {
  return Array.isArray(value) ? (value.length === 0 ? '[]' : value.join(', ')) : String(value)
}

/** The full text shown by `detections RULE-ID`. */
export function renderRuleText(rule: RuleDefinition): string {
  const lines = [
    `ID:          ${rule.id}`,
    `Title:       ${rule.title}`,
    `Severity:    ${rule.severity}`,
    `Technique:   ${rule.technique.id} ${rule.technique.name}`,
    `System identities: ${rule.excludesSystemIdentities ? 'excluded (excludeSystemIdentities)' : 'included'}`,
    `Audit level: ${rule.auditLevel.needs}${rule.auditLevel.metadataLimits ? ` (${rule.auditLevel.metadataLimits})` : ' (everything it reads is in Metadata-level records)'}`,
    '',
    'Description:',
    `  ${rule.description}`,
    '',
    'Audit fields:',
    ...rule.fields.map((f) => `  - ${f}`),
    '',
    'Known false positives:',
    ...rule.falsePositives.map((f) => `  - ${f}`),
    '',
    'Settings (rules.' + rule.id + '.<name> in config.yaml):',
    '  enabled: true',
    ...rule.settings.map((s) => `  ${s.name} (${s.kind}, default ${formatDefault(s.default)}): ${s.description}`),
  ]
  return lines.join('\n') + '\n'
}

/** Columns for a findings table (`recent --findings`); cells are raw: renderTable sanitises them. */
export const FINDING_COLUMNS = ['severity', 'rule', 'technique', 'who', 'what', 'count', 'first seen', 'last seen'] as const
export const FINDING_WIDE_COLUMNS = [...FINDING_COLUMNS, 'detail', 'evidence'] as const

export function findingRow(f: Finding, options: {wide?: boolean} = {}): string[] {
  const row = [f.severity, f.ruleId, f.technique, f.who, f.what, String(f.count), isoTime(f.firstSeen), isoTime(f.lastSeen)]
  if (!options.wide) return row
  const evidence = f.evidence
    .slice(0, 3)
    .map((e) => (e.file ? `${e.file}${e.line !== undefined ? `:${e.line}` : ''}` : (e.auditID ?? '')))
    .join(' ')
  return [...row, f.detail ?? '', evidence]
}

function isoTime(ms: number): string {
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-'
}
