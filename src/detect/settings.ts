// The settings file: allowlists, system identities and per-rule thresholds. Every default lives in
// defaultSettings() so `detections` can show it and a user can override exactly what they see.
import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {basename, join} from 'node:path'
import {parse as parseYaml} from 'yaml'
import {RULES} from './catalog.js'
import {parseCidr} from './match.js'
import {parseDuration} from './params.js'
import type {RuleDefinition, RuleSettingSpec, RuleSettingValue} from './rule.js'
import type {DetectSettings, RuleSettings} from './settings-types.js'

export type {Allowlist, DetectSettings, RuleSettings} from './settings-types.js'

/**
 * Identities of the control plane and of the managed clouds' own agents: routine readers of
 * secrets and configmaps. Rules that report routine access skip them; rules about stolen
 * credentials (kubectl from a node or service account, node denials, impersonation) do not.
 */
export const DEFAULT_SYSTEM_USERS: readonly string[] = [
  'system:apiserver',
  'system:kube-controller-manager',
  'system:kube-scheduler',
  'system:kube-proxy',
  'system:node:*',
  'system:serviceaccount:kube-system:*',
  // GKE
  'system:serviceaccount:gke-managed-system:*',
  'system:gke-common-webhooks',
  'system:clustermetrics',
  'system:l7-lb-controller',
  'system:managed-certificate-controller',
  'system:cloud-controller-manager',
  'system:addon-manager',
  'system:konnectivity-server',
  'system:metrics-server',
  'system:kubestore-collector',
  // GKE's service agent (service-PROJECT_NUMBER@container-engine-robot.iam.gserviceaccount.com)
  '*@container-engine-robot.iam.gserviceaccount.com',
  'container-engine-robot@*.iam.gserviceaccount.com',
  // EKS
  'eks:*',
  // AKS
  'aksService',
]

export const DEFAULT_SYSTEM_GROUPS: readonly string[] = ['system:nodes', 'system:serviceaccounts:kube-system']

export class SettingsError extends Error {}

export function defaultSettings(rules: readonly RuleDefinition[] = RULES): DetectSettings {
  const ruleSettings: Record<string, RuleSettings> = {}
  for (const rule of rules) {
    const entry: RuleSettings = {enabled: true}
    for (const spec of rule.settings) entry[spec.name] = cloneValue(spec.default)
    ruleSettings[rule.id] = entry
  }
  return {
    excludeSystemIdentities: true,
    systemIdentities: {users: [...DEFAULT_SYSTEM_USERS], groups: [...DEFAULT_SYSTEM_GROUPS]},
    allowlist: {users: [], groups: [], userAgents: [], sourceCIDRs: [], namespaces: []},
    rules: ruleSettings,
  }
}

function cloneValue(v: RuleSettingValue): RuleSettingValue {
  return Array.isArray(v) ? [...v] : v
}

/** `$XDG_CONFIG_HOME/kubectl-sensitive-access/config.yaml`, else `~/.config/...`. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homedir(), '.config')
  return join(base, 'kubectl-sensitive-access', 'config.yaml')
}

/**
 * Reads the settings file. An explicit path must exist; the default location may be absent
 * (then the defaults apply).
 */
export async function loadSettings(path?: string, rules: readonly RuleDefinition[] = RULES): Promise<DetectSettings> {
  const file = path ?? defaultConfigPath()
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (path === undefined && code === 'ENOENT') return defaultSettings(rules)
    throw new SettingsError(`${file}: cannot read settings file (${code ?? String(error)})`)
  }
  return parseSettings(text, basename(file), rules)
}

/** Parses and validates settings YAML; errors name the file and the bad key. */
export function parseSettings(text: string, label = 'config.yaml', rules: readonly RuleDefinition[] = RULES): DetectSettings {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (error) {
    throw new SettingsError(`${label}: not valid YAML: ${(error as Error).message.split('\n')[0]}`)
  }
  const settings = defaultSettings(rules)
  if (doc === null || doc === undefined) return settings
  const fail = (key: string, message: string): never => {
    throw new SettingsError(`${label}: ${key}: ${message}`)
  }
  if (!isObject(doc)) return fail('(top level)', `expected a mapping, got ${describe(doc)}`)
  for (const [key, value] of Object.entries(doc)) {
    switch (key) {
      case 'excludeSystemIdentities':
        if (typeof value !== 'boolean') fail(key, `expected true or false, got ${describe(value)}`)
        settings.excludeSystemIdentities = value as boolean
        break
      case 'systemIdentities': {
        if (!isObject(value)) fail(key, `expected a mapping with users and groups, got ${describe(value)}`)
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          if (k !== 'users' && k !== 'groups') fail(`${key}.${k}`, 'unknown key (expected users or groups)')
          settings.systemIdentities[k as 'users' | 'groups'] = stringList(v, `${key}.${k}`, fail)
        }
        break
      }
      case 'allowlist': {
        if (!isObject(value)) fail(key, `expected a mapping, got ${describe(value)}`)
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          if (!['users', 'groups', 'userAgents', 'sourceCIDRs', 'namespaces'].includes(k)) {
            fail(`${key}.${k}`, 'unknown key (expected users, groups, userAgents, sourceCIDRs or namespaces)')
          }
          const list = stringList(v, `${key}.${k}`, fail)
          if (k === 'sourceCIDRs') {
            list.forEach((c, i) => {
              if (!parseCidr(c)) fail(`${key}.${k}[${i}]`, `expected an IPv4 or IPv6 network like 10.0.0.0/8, got ${JSON.stringify(c)}`)
            })
          }
          settings.allowlist[k as keyof DetectSettings['allowlist']] = list
        }
        break
      }
      case 'rules': {
        if (!isObject(value)) fail(key, `expected a mapping of rule ids, got ${describe(value)}`)
        for (const [id, body] of Object.entries(value as Record<string, unknown>)) {
          const rule = rules.find((r) => r.id === id)
          if (!rule) fail(`${key}.${id}`, 'unknown rule id (see `kubectl sensitive-access detections`)')
          if (body === null) continue
          if (!isObject(body)) fail(`${key}.${id}`, `expected a mapping, got ${describe(body)}`)
          const target = settings.rules[id] as RuleSettings
          for (const [name, v] of Object.entries(body as Record<string, unknown>)) {
            const path = `${key}.${id}.${name}`
            if (name === 'enabled') {
              if (typeof v !== 'boolean') fail(path, `expected true or false, got ${describe(v)}`)
              target.enabled = v as boolean
              continue
            }
            const spec = rule!.settings.find((s) => s.name === name)
            if (!spec) {
              const known = ['enabled', ...rule!.settings.map((s) => s.name)].join(', ')
              fail(path, `unknown setting (this rule has: ${known})`)
            }
            target[name] = settingValue(spec!, v, path, fail)
          }
        }
        break
      }
      default:
        fail(key, 'unknown key (expected excludeSystemIdentities, systemIdentities, allowlist or rules)')
    }
  }
  return settings
}

function settingValue(spec: RuleSettingSpec, v: unknown, path: string, fail: (k: string, m: string) => never): RuleSettingValue {
  switch (spec.kind) {
    case 'positiveInt':
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) return fail(path, `expected a positive integer, got ${describe(v)}`)
      return v
    case 'duration':
      if (typeof v !== 'string' || parseDuration(v) === undefined) {
        return fail(path, `expected a duration like 30m, 1h or 7d, got ${describe(v)}`)
      }
      return v
    case 'boolean':
      if (typeof v !== 'boolean') return fail(path, `expected true or false, got ${describe(v)}`)
      return v
    case 'stringList':
      return stringList(v, path, fail)
  }
}

function stringList(v: unknown, path: string, fail: (k: string, m: string) => never): string[] {
  if (!Array.isArray(v)) return fail(path, `expected a list of strings, got ${describe(v)}`)
  return v.map((item, i) => (typeof item === 'string' ? item : fail(`${path}[${i}]`, `expected a string, got ${describe(item)}`)))
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (Array.isArray(v)) return 'a list'
  if (v === null) return 'null'
  if (typeof v === 'object') return 'a mapping'
  return String(v)
}
