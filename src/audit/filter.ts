// The `recent` filters as pure functions: parse the flags once into an EventFilter, then test
// each event. Also derives the byte prefilter the reader may use to skip lines unparsed.
import type {AuditEvent} from './event.js'

export interface FilterSpec {
  /** `24h`, `30m`, `7d`, `90s`, `2w`: relative to `now`. */
  since?: string
  /** RFC 3339 time or a relative duration (meaning that long before now). */
  from?: string
  to?: string
  /** Comma-separated, singular/plural/short names; `all` for every resource. Default secrets,configmaps. */
  resource?: string | string[]
  namespace?: string
  /** Globs, matched against the effective user and the impersonator. */
  user?: string[]
  group?: string[]
  verb?: string[]
  /** Glob on the object name. */
  name?: string
}

export interface EventFilter {
  /** Inclusive bounds in epoch ms. */
  from?: number
  to?: number
  /** undefined = every resource. */
  resources?: Set<string>
  namespace?: string
  users?: RegExp[]
  groups?: RegExp[]
  verbs?: Set<string>
  name?: RegExp
}

export const DEFAULT_RESOURCES = ['secrets', 'configmaps']

// kubectl's short names and singulars for the resources people ask about; anything else is
// taken as written (lower-cased) and pluralised naively only when it ends in a letter other than s.
const RESOURCE_ALIASES: Record<string, string> = {
  secret: 'secrets',
  cm: 'configmaps',
  configmap: 'configmaps',
  sa: 'serviceaccounts',
  serviceaccount: 'serviceaccounts',
  po: 'pods',
  pod: 'pods',
  ns: 'namespaces',
  namespace: 'namespaces',
  deploy: 'deployments',
  deployment: 'deployments',
  ds: 'daemonsets',
  sts: 'statefulsets',
  rs: 'replicasets',
  svc: 'services',
  ing: 'ingresses',
  no: 'nodes',
  node: 'nodes',
  role: 'roles',
  clusterrole: 'clusterroles',
  rolebinding: 'rolebindings',
  clusterrolebinding: 'clusterrolebindings',
  csr: 'certificatesigningrequests',
  crd: 'customresourcedefinitions',
  crds: 'customresourcedefinitions',
  ep: 'endpoints',
  pv: 'persistentvolumes',
  pvc: 'persistentvolumeclaims',
  cj: 'cronjobs',
  job: 'jobs',
  lease: 'leases',
  event: 'events',
  ev: 'events',
}

export class FilterError extends Error {}

export function normaliseResource(name: string): string {
  const n = name.trim().toLowerCase()
  // `secrets.v1` or `secrets/exec` style: the plural resource comes first.
  const base = n.split(/[./]/)[0] ?? n
  return RESOURCE_ALIASES[base] ?? base
}

/** Parse the flags into a filter; throws FilterError with a message fit for the user. */
export function buildFilter(spec: FilterSpec, now: number = Date.now()): EventFilter {
  const filter: EventFilter = {}
  if (spec.since !== undefined) filter.from = now - parseDuration(spec.since, '--since')
  if (spec.from !== undefined) filter.from = Math.max(filter.from ?? -Infinity, parseTimeOrAgo(spec.from, now, '--from'))
  if (spec.to !== undefined) filter.to = parseTimeOrAgo(spec.to, now, '--to')
  if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
    throw new FilterError('--from is after --to: nothing can match')
  }
  const resources = (Array.isArray(spec.resource) ? spec.resource : [spec.resource ?? DEFAULT_RESOURCES.join(',')])
    .flatMap((r) => r.split(','))
    .map((r) => r.trim())
    .filter((r) => r !== '')
  if (!resources.some((r) => r.toLowerCase() === 'all')) {
    filter.resources = new Set(resources.length > 0 ? resources.map(normaliseResource) : DEFAULT_RESOURCES)
  }
  if (spec.namespace) filter.namespace = spec.namespace
  if (spec.user && spec.user.length > 0) filter.users = splitList(spec.user).map(globToRegExp)
  if (spec.group && spec.group.length > 0) filter.groups = splitList(spec.group).map(globToRegExp)
  if (spec.verb && spec.verb.length > 0) filter.verbs = new Set(splitList(spec.verb).map((v) => v.toLowerCase()))
  if (spec.name) filter.name = globToRegExp(spec.name)
  return filter
}

function splitList(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '')
}

export function matches(event: AuditEvent, f: EventFilter): boolean {
  if (f.from !== undefined && event.time < f.from) return false
  if (f.to !== undefined && event.time > f.to) return false
  if (f.resources && (event.resource === undefined || !f.resources.has(event.resource))) return false
  if (f.namespace !== undefined && event.namespace !== f.namespace) return false
  if (f.verbs && !f.verbs.has(event.verb.toLowerCase())) return false
  if (f.name && (event.name === undefined || !f.name.test(event.name))) return false
  if (f.users) {
    const who = [event.user.username, event.impersonator?.username].filter((u): u is string => u !== undefined)
    if (!f.users.some((re) => who.some((u) => re.test(u)))) return false
  }
  if (f.groups) {
    const groups = [...event.user.groups, ...(event.impersonator?.groups ?? [])]
    if (!f.groups.some((re) => groups.some((g) => re.test(g)))) return false
  }
  return true
}

/**
 * Byte strings of which every matching line must contain at least one, or undefined when no
 * safe prefilter exists. Only the resource filter is used: every supported shape spells the
 * plural resource name literally (objectRef.resource, GKE methodName/resourceName, the CSV
 * column, and AKS's JSON-in-a-string, whose escaping leaves letters alone). A log writer that
 * escaped letters as \uXXXX would defeat this; Go's encoder, which the API server uses, never does.
 */
export function prefilterNeedles(f: EventFilter): string[] | undefined {
  if (!f.resources || f.resources.size === 0) return undefined
  return [...f.resources]
}

/** `24h`, `30m`, `1h30m`, `7d`, `2w`, `45s`, `500ms` → milliseconds. */
export function parseDuration(text: string, flag = 'duration'): number {
  const t = text.trim()
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy
  let total = 0
  let matched = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(t)) !== null) {
    const n = Number(m[1])
    const unit = m[2] as 'ms' | 's' | 'm' | 'h' | 'd' | 'w'
    total += n * {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000}[unit]
    matched += m[0].length
  }
  if (t === '' || matched !== t.length) throw new FilterError(`${flag}: "${text}" is not a duration such as 30m, 24h or 7d`)
  return total
}

function parseTimeOrAgo(text: string, now: number, flag: string): number {
  if (/^\d{4}-\d\d-\d\d/.test(text.trim())) {
    const ms = Date.parse(text)
    if (Number.isNaN(ms)) throw new FilterError(`${flag}: "${text}" is not an RFC 3339 time such as 2024-05-01T10:00:00Z`)
    return ms
  }
  try {
    return now - parseDuration(text, flag)
  } catch {
    throw new FilterError(`${flag}: "${text}" is neither an RFC 3339 time nor a duration such as 2h`)
  }
}

/** Shell-style glob (`*`, `?`) over the whole string. */
export function globToRegExp(glob: string): RegExp {
  const re = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${re}$`)
}
