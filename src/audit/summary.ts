// `recent --summary`: who touched what, from where and with which client, as pure aggregation.
// Feed events one at a time (streams of any length), then read the result once.
import {HeavyHitters, type Counted} from '../lib/heavy-hitters.js'
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
  /**
   * Only in an approximate table (see Summary.approximate): `count` may be over the true count by
   * at most this much (0: exact). The other figures count from when the key last entered the table.
   */
  error?: number
}

/**
 * Keys counted exactly per table (users, IPs, agents, objects, ...). Past it the table keeps the
 * TABLE_EXACT_KEYS heaviest keys (Space-Saving) and estimates the distinct count (HyperLogLog).
 * A cluster has thousands of users, IPs and objects; a crafted or enormous log millions. Measured
 * peak RSS of `recent --summary` over 1,000,000 distinct users, IPs, agents and objects (sequential
 * read; reading alone is ~255 MB): 10,000 keys 289 MB, 50,000 keys 455 MB; 20,000 keeps
 * 3,000,000 keys at 366 MB.
 */
export const TABLE_EXACT_KEYS = 20_000

/** Service accounts tracked for 'unusual activity' (same policy: the most active ones are kept). */
export const SERVICE_ACCOUNTS_CAP = 10_000

/** Users listed per client type (the table shows five; the JSON lists up to this many). */
export const AGENT_TYPE_USERS_CAP = 1000

/** Distinct objects remembered across all service accounts (each is also capped at SA_OBJECTS_CAP). */
const SA_OBJECTS_BUDGET = 200_000

/** Distinct namespaces counted per service account (the 'unusual' threshold is a handful). */
const SA_NAMESPACES_CAP = 100

/** Why a table is not exact: enough for a reader to judge every figure in it. */
export interface TableApproximation {
  /** Counters kept (the table holds the top `counters` keys). */
  counters: number
  /** Occurrences counted in this table. */
  occurrences: number
  /** Every count in the table is over its true count by at most this much (<= occurrences / counters). */
  maxError: number
  /** Estimated distinct keys (HyperLogLog). */
  distinct: number
  /** Relative standard error of `distinct` (0.0081 = 0.81 %; 95 % of estimates are within twice it). */
  distinctError: number
}

export type SummaryTable = 'users' | 'systemUsers' | 'groups' | 'sourceIPs' | 'userAgents' | 'objects' | 'serviceAccounts'

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
  /** More than AGENT_TYPE_USERS_CAP users: `users` lists the first ones only. */
  usersCapped?: boolean
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
  /** Present only when a table outgrew TABLE_EXACT_KEYS (or SERVICE_ACCOUNTS_CAP): which, and how far off it may be. */
  approximate?: Partial<Record<SummaryTable, TableApproximation>>
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
  firstSeen: number
  lastSeen: number
  failures: number
  denied: number
  /** The only user so far, or a set once there are two: most rows (objects) have one reader. */
  users: string | Set<string>
  usersCapped: boolean
}

interface SaAcc {
  objects: Set<string>
  objectsCapped: boolean
  namespaces: Set<string>
  namespacesCapped: boolean
  failures: number
  agents: Set<AgentType>
}

export interface SummaryBuilder {
  add(event: AuditEvent): void
  result(): Summary
}

export function createSummary(thresholds: SummaryThresholds = {}, limits: {tableKeys?: number; serviceAccounts?: number} = {}): SummaryBuilder {
  const tableKeys = limits.tableKeys ?? TABLE_EXACT_KEYS
  const table = () => new HeavyHitters<Acc>(tableKeys, newAcc)
  const users = table()
  const systemUsers = table()
  const groups = table()
  const ips = table()
  const agents = table()
  const objects = table()
  const agentTypes = new Map<AgentType, {count: number; users: Set<string>; capped: boolean}>()
  let saObjects = 0
  const serviceAccounts = new HeavyHitters<SaAcc>(
    limits.serviceAccounts ?? SERVICE_ACCOUNTS_CAP,
    () => ({objects: new Set(), objectsCapped: false, namespaces: new Set(), namespacesCapped: false, failures: 0, agents: new Set()}),
    (evicted) => (saObjects -= evicted.value.objects.size),
  )
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
      let t = agentTypes.get(type)
      if (!t) agentTypes.set(type, (t = {count: 0, users: new Set<string>(), capped: false}))
      t.count++
      if (t.users.size < AGENT_TYPE_USERS_CAP) t.users.add(who)
      else if (!t.users.has(who)) t.capped = true
      if (isServiceAccount(who)) {
        const sa = serviceAccounts.add(who).value
        // Counted exactly up to a bound, like users per row: memory follows the data's variety.
        if (!sa.objects.has(object)) {
          if (sa.objects.size < SA_OBJECTS_CAP && saObjects < SA_OBJECTS_BUDGET) {
            sa.objects.add(object)
            saObjects++
          } else sa.objectsCapped = true
        }
        if (e.namespace && !sa.namespaces.has(e.namespace)) {
          if (sa.namespaces.size < SA_NAMESPACES_CAP) sa.namespaces.add(e.namespace)
          else sa.namespacesCapped = true
        }
        if (failed) sa.failures++
        sa.agents.add(type)
      }
    },
    result() {
      const maxObjects = thresholds.objects ?? 10
      const maxNamespaces = thresholds.namespaces ?? 3
      const minFailures = thresholds.failures ?? 1
      const unusual: ServiceAccountActivity[] = []
      for (const {key: name, count, value: sa} of serviceAccounts.entries()) {
        const reasons: string[] = []
        if (sa.objects.size > maxObjects) reasons.push(`${sa.objects.size}${sa.objectsCapped ? '+' : ''} distinct objects`)
        if (sa.namespaces.size > maxNamespaces) reasons.push(`${sa.namespaces.size}${sa.namespacesCapped ? '+' : ''} namespaces`)
        if (sa.failures >= minFailures) reasons.push(`${sa.failures} failed request${sa.failures === 1 ? '' : 's'}`)
        // A service account token is meant for in-cluster workloads: kubectl or a browser means
        // someone carried the token to a workstation.
        if (sa.agents.has('kubectl') || sa.agents.has('browser/curl')) reasons.push('used from kubectl, a browser or curl')
        if (reasons.length === 0) continue
        unusual.push({
          serviceAccount: name,
          count,
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
          .map(([type, v]) => ({type, count: v.count, users: [...v.users].sort(), ...(v.capped ? {usersCapped: true} : {})}))
          .sort((a, b) => b.count - a.count || cmp(a.type, b.type)),
        unusualServiceAccounts: unusual,
      }
      const tables: [SummaryTable, Pick<HeavyHitters<unknown>, 'approximate' | 'distinct' | 'capacity' | 'total' | 'maxError'>][] = [
        ['users', users], ['systemUsers', systemUsers], ['groups', groups], ['sourceIPs', ips], ['userAgents', agents], ['objects', objects], ['serviceAccounts', serviceAccounts],
      ]
      for (const [name, hh] of tables) {
        if (!hh.approximate) continue
        const distinct = hh.distinct()
        ;(summary.approximate ??= {})[name] = {counters: hh.capacity, occurrences: hh.total, maxError: hh.maxError(), distinct: distinct.value, distinctError: Number(distinct.standardError.toFixed(4))}
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

/** A new row, or an evicted row's object reset in place: a flood of keys evicts on every event. */
function newAcc(_key: string, recycled?: Acc): Acc {
  if (!recycled) return {firstSeen: 0, lastSeen: 0, failures: 0, denied: 0, users: '', usersCapped: false}
  recycled.firstSeen = 0
  recycled.lastSeen = 0
  recycled.failures = 0
  recycled.denied = 0
  recycled.users = ''
  recycled.usersCapped = false
  return recycled
}

function bump(table: HeavyHitters<Acc>, key: string, e: AuditEvent, who: string, outcome: number): void {
  const entry = table.add(key)
  const acc = entry.value
  if (entry.count === entry.error + 1) {
    // First event of this key in the table (new, or taking an evicted key's place).
    acc.firstSeen = e.time
    acc.lastSeen = e.time
    acc.users = who
  }
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

function rows(table: HeavyHitters<Acc>): CountRow[] {
  const approximate = table.approximate
  return table.entries().map(({key, count, error, value: a}: Counted<Acc>) => ({
    key,
    count,
    firstSeen: a.firstSeen,
    lastSeen: a.lastSeen,
    failures: a.failures,
    denied: a.denied,
    users: typeof a.users === 'string' ? 1 : a.users.size,
    ...(a.usersCapped ? {usersCapped: true} : {}),
    ...(approximate ? {error} : {}),
  }))
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
