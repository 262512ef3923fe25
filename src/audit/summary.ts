// `recent --summary`: who touched what, from where and with which client, as pure aggregation.
// Feed events one at a time (streams of any length), then read the result once.
import {isAuthorizationDenial, type AuditEvent} from './event.js'

export interface CountRow {
  key: string
  count: number
  firstSeen: number
  lastSeen: number
  /** Responses >= 400 (denied, refused by admission, missing, errors). */
  failures: number
  /** Of those, refused by authentication or authorization (not admission refusals, not 404s). */
  denied: number
  /** Distinct effective users behind this row (groups, IPs, agents, objects), counted up to USERS_CAP. */
  users: number
  /** More distinct users than USERS_CAP: `users` is a lower bound. */
  usersCapped?: boolean
}

/**
 * Distinct users are counted exactly up to this many per row. Keeping every user of every object
 * would grow with the log (objects x users), not with the variety of the data; past a few dozen
 * identities the exact number tells a hunter nothing more.
 */
export const USERS_CAP = 32

/** Distinct user agents whose kind is remembered (agents are few; the bound is for crafted logs). */
const AGENT_CACHE_SIZE = 4096

/** Distinct objects counted exactly per service account (far above the 'many objects' threshold). */
const SA_OBJECTS_CAP = 1000

export type AgentType = 'kubectl' | 'client-go' | 'browser/curl' | 'sdk' | 'unknown'

export interface AgentTypeRow {
  type: AgentType
  count: number
  /** Users who touched the selected resources with this kind of client, sorted. */
  users: string[]
}

export interface ServiceAccountActivity {
  serviceAccount: string
  count: number
  objects: number
  namespaces: number
  failures: number
  /** Why it stands out, in words. */
  reasons: string[]
}

export interface Summary {
  events: number
  firstSeen?: number
  lastSeen?: number
  /** People and workloads. */
  users: CountRow[]
  /**
   * The system identities (events labelled `system`: the API server, controllers, nodes, a cloud's
   * agents), apart: on a real cluster they re-list every secret all day and would bury the people.
   */
  systemUsers: CountRow[]
  groups: CountRow[]
  sourceIPs: CountRow[]
  userAgents: CountRow[]
  objects: CountRow[]
  agentTypes: AgentTypeRow[]
  unusualServiceAccounts: ServiceAccountActivity[]
}

export interface SummaryThresholds {
  /** A service account reading more distinct objects than this stands out. Default 10. */
  objects?: number
  /** ... or touching more namespaces than this. Default 3. */
  namespaces?: number
  /** ... or failing at least this often. Default 1. */
  failures?: number
}

interface Acc {
  count: number
  firstSeen: number
  lastSeen: number
  failures: number
  denied: number
  /** The only user so far, or a set once there are two: most rows (objects) have one reader. */
  users: string | Set<string>
  usersCapped: boolean
}

interface SaAcc {
  count: number
  objects: Set<string>
  objectsCapped: boolean
  namespaces: Set<string>
  failures: number
  agents: Set<AgentType>
}

export interface SummaryBuilder {
  add(event: AuditEvent): void
  result(): Summary
}

export function createSummary(thresholds: SummaryThresholds = {}): SummaryBuilder {
  const users = new Map<string, Acc>()
  const systemUsers = new Map<string, Acc>()
  const groups = new Map<string, Acc>()
  const ips = new Map<string, Acc>()
  const agents = new Map<string, Acc>()
  const objects = new Map<string, Acc>()
  const agentTypes = new Map<AgentType, {count: number; users: Set<string>}>()
  const serviceAccounts = new Map<string, SaAcc>()
  // A log has few distinct agents and millions of events: classify each agent once.
  const agentTypeCache = new Map<string, AgentType>()
  const agentTypeOf = (ua: string | undefined): AgentType => {
    if (!ua) return 'unknown'
    let type = agentTypeCache.get(ua)
    if (type === undefined) {
      if (agentTypeCache.size >= AGENT_CACHE_SIZE) agentTypeCache.clear()
      type = classifyUserAgent(ua)
      agentTypeCache.set(ua, type)
    }
    return type
  }
  let events = 0
  let firstSeen: number | undefined
  let lastSeen: number | undefined

  return {
    add(e) {
      events++
      if (e.time > 0) {
        firstSeen = firstSeen === undefined ? e.time : Math.min(firstSeen, e.time)
        lastSeen = lastSeen === undefined ? e.time : Math.max(lastSeen, e.time)
      }
      const who = e.user.username
      const failed = (e.code ?? 0) >= 400
      const outcome = failed ? (isAuthorizationDenial(e) ? DENIED : FAILED) : OK
      bump(e.system ? systemUsers : users, who, e, who, outcome)
      eachDistinct(e.user.groups, (g) => bump(groups, g, e, who, outcome))
      eachDistinct(e.sourceIPs, (ip) => bump(ips, ip, e, who, outcome))
      bump(agents, e.userAgent ?? '', e, who, outcome)
      const object = objectKey(e)
      bump(objects, object, e, who, outcome)
      const type = agentTypeOf(e.userAgent)
      const t = agentTypes.get(type) ?? {count: 0, users: new Set<string>()}
      t.count++
      t.users.add(who)
      agentTypes.set(type, t)
      if (isServiceAccount(who)) {
        const sa = serviceAccounts.get(who) ?? {count: 0, objects: new Set(), objectsCapped: false, namespaces: new Set(), failures: 0, agents: new Set()}
        sa.count++
        // Counted exactly up to a bound, like users per row: memory follows the data's variety.
        if (sa.objects.size < SA_OBJECTS_CAP) sa.objects.add(object)
        else if (!sa.objects.has(object)) sa.objectsCapped = true
        if (e.namespace) sa.namespaces.add(e.namespace)
        if (failed) sa.failures++
        sa.agents.add(type)
        serviceAccounts.set(who, sa)
      }
    },
    result() {
      const maxObjects = thresholds.objects ?? 10
      const maxNamespaces = thresholds.namespaces ?? 3
      const minFailures = thresholds.failures ?? 1
      const unusual: ServiceAccountActivity[] = []
      for (const [name, sa] of serviceAccounts) {
        const reasons: string[] = []
        if (sa.objects.size > maxObjects) reasons.push(`${sa.objects.size}${sa.objectsCapped ? '+' : ''} distinct objects`)
        if (sa.namespaces.size > maxNamespaces) reasons.push(`${sa.namespaces.size} namespaces`)
        if (sa.failures >= minFailures) reasons.push(`${sa.failures} failed request${sa.failures === 1 ? '' : 's'}`)
        // A service account token is meant for in-cluster workloads: kubectl or a browser means
        // someone carried the token to a workstation.
        if (sa.agents.has('kubectl') || sa.agents.has('browser/curl')) reasons.push('used from kubectl, a browser or curl')
        if (reasons.length === 0) continue
        unusual.push({
          serviceAccount: name,
          count: sa.count,
          objects: sa.objects.size,
          namespaces: sa.namespaces.size,
          failures: sa.failures,
          reasons,
        })
      }
      unusual.sort((a, b) => b.reasons.length - a.reasons.length || b.count - a.count || cmp(a.serviceAccount, b.serviceAccount))
      const summary: Summary = {
        events,
        users: rows(users),
        systemUsers: rows(systemUsers),
        groups: rows(groups),
        sourceIPs: rows(ips),
        userAgents: rows(agents),
        objects: rows(objects),
        agentTypes: [...agentTypes]
          .map(([type, v]) => ({type, count: v.count, users: [...v.users].sort()}))
          .sort((a, b) => b.count - a.count || cmp(a.type, b.type)),
        unusualServiceAccounts: unusual,
      }
      if (firstSeen !== undefined) summary.firstSeen = firstSeen
      if (lastSeen !== undefined) summary.lastSeen = lastSeen
      return summary
    },
  }
}

/** Convenience for arrays and tests. */
export function summarise(events: Iterable<AuditEvent>, thresholds?: SummaryThresholds): Summary {
  const s = createSummary(thresholds)
  for (const e of events) s.add(e)
  return s.result()
}

/** Each value once, in order. Lists are short (groups, source IPs): a Set only for long ones. */
function eachDistinct(values: readonly string[], f: (value: string) => void): void {
  if (values.length > 8) {
    for (const v of new Set(values)) f(v)
    return
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as string
    if (values.indexOf(v) === i) f(v)
  }
}

/** How a request ended, for the per-row counts. */
const OK = 0
const FAILED = 1
const DENIED = 2

function bump(map: Map<string, Acc>, key: string, e: AuditEvent, who: string, outcome: number): void {
  let acc = map.get(key)
  if (!acc) {
    acc = {count: 0, firstSeen: e.time, lastSeen: e.time, failures: 0, denied: 0, users: who, usersCapped: false}
    map.set(key, acc)
  }
  acc.count++
  if (e.time > 0 && (acc.firstSeen === 0 || e.time < acc.firstSeen)) acc.firstSeen = e.time
  if (e.time > acc.lastSeen) acc.lastSeen = e.time
  if (outcome !== OK) acc.failures++
  if (outcome === DENIED) acc.denied++
  const users = acc.users
  if (typeof users === 'string') {
    if (users !== who) acc.users = new Set([users, who])
  } else if (users.size < USERS_CAP) users.add(who)
  else if (!users.has(who)) acc.usersCapped = true
}

function rows(map: Map<string, Acc>): CountRow[] {
  return [...map]
    .map(([key, a]) => ({key, count: a.count, firstSeen: a.firstSeen, lastSeen: a.lastSeen, failures: a.failures, denied: a.denied, users: typeof a.users === 'string' ? 1 : a.users.size, ...(a.usersCapped ? {usersCapped: true} : {})}))
    .sort((a, b) => b.count - a.count || cmp(a.key, b.key))
}

export function objectKey(e: AuditEvent): string {
  const res = e.resource ?? (e.requestURI ?? '?')
  const sub = e.subresource ? `/${e.subresource}` : ''
  const where = e.namespace ? `${e.namespace}/` : ''
  return `${res}${sub} ${where}${e.name ?? '*'}`
}

export function isServiceAccount(username: string): boolean {
  return username.startsWith('system:serviceaccount:')
}

/** What kind of client sent the request, from its User-Agent. */
export function classifyUserAgent(ua: string | undefined): AgentType {
  if (!ua) return 'unknown'
  const u = ua.toLowerCase()
  if (u.startsWith('kubectl/') || u.startsWith('kubectl.exe/') || u.startsWith('oc/') || u.startsWith('k9s/') || u.startsWith('lens/')) return 'kubectl'
  if (/^(mozilla|curl|wget|python-requests|go-http-client|httpie|postmanruntime|insomnia)\b/.test(u)) return 'browser/curl'
  // client-go's default agent: `<binary>/<version> (<os>/<arch>) kubernetes/<commit>[/<component>]`.
  if (/^[\w.-]+\/v?[\w.+-]+ \([\w-]+\/[\w-]+\) kubernetes\/[\w$]+/.test(ua)) return 'client-go'
  if (/(openapi-generator|kubernetes-client|python|java|node|fabric8|kubernetesclient|\bsdk\b|terraform|helm|boto)/.test(u)) return 'sdk'
  return 'unknown'
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
