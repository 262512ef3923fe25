import {BlockList, isIPv4, isIPv6} from 'node:net'
import {isAuthorizationDenial, type AuditEvent} from '../audit/event.js'
import type {Evidence} from './finding.js'
import type {DetectSettings} from './settings-types.js'

/** `*` matches any run of characters; everything else is literal. */
export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value
  const parts = pattern.split('*')
  const first = parts[0] ?? ''
  const last = parts[parts.length - 1] ?? ''
  if (!value.startsWith(first) || !value.endsWith(last) || value.length < first.length + last.length) return false
  let pos = first.length
  const end = value.length - last.length
  for (const middle of parts.slice(1, -1)) {
    const at = value.indexOf(middle, pos)
    if (at < 0 || at + middle.length > end) return false
    pos = at + middle.length
  }
  return true
}

export function matchesAny(patterns: readonly string[], value: string): boolean {
  return patterns.some((p) => globMatch(p, value))
}

/**
 * The same test as matchesAny, compiled once: exact names in a Set, globs in one RegExp. The
 * scope checks run for every event of every run, so this is the hot path.
 */
export function compilePatterns(patterns: readonly string[]): (value: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.includes('*')))
  const globs = patterns.filter((p) => p.includes('*'))
  const escape = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  const re = globs.length > 0 ? new RegExp(`^(?:${globs.map((g) => g.split('*').map(escape).join('[\\s\\S]*')).join('|')})$`) : undefined
  return (value) => exact.has(value) || (re !== undefined && re.test(value))
}

export interface ServiceAccountName {
  namespace: string
  name: string
}

/** `system:serviceaccount:NS:NAME` → {NS, NAME}. */
export function serviceAccountOf(username: string): ServiceAccountName | undefined {
  const m = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(username)
  return m ? {namespace: m[1] ?? '', name: m[2] ?? ''} : undefined
}

export function isServiceAccount(event: AuditEvent): boolean {
  return serviceAccountOf(event.user.username) !== undefined
}

export function isAnonymous(event: AuditEvent): boolean {
  return isAnonymousIdentity(event.user)
}

export function isAnonymousIdentity(identity: AuditEvent['user']): boolean {
  return identity.username === 'system:anonymous' || identity.groups.includes('system:unauthenticated')
}

/**
 * Who really sent the request: the impersonator when there is one. Its credential, user agent and
 * network are the sender's; `kubectl --as=system:serviceaccount:...` by an admin uses no service
 * account token at all.
 */
export function senderOf(event: AuditEvent): AuditEvent['user'] {
  return event.impersonator ?? event.user
}

/** Refused by authentication or authorization, not by admission (see isAuthorizationDenial). */
export function isDenied(event: AuditEvent): boolean {
  return isAuthorizationDenial(event)
}

// kubectl sends `kubectl/v1.29.0 (linux/amd64) kubernetes/abc`; on Windows `kubectl.exe/...`.
export function isKubectl(userAgent: string | undefined): boolean {
  return userAgent !== undefined && /^kubectl(\.exe)?\//i.test(userAgent)
}

/**
 * The product part of a User-Agent (`kubectl`, `Go-http-client`, `python-requests`): baselines
 * keep this rather than the full string, so a client upgrade is not "a new agent".
 */
export function userAgentProduct(userAgent: string | undefined): string {
  if (!userAgent) return '(none)'
  const token = userAgent.trim().split(/[/\s]/)[0] ?? ''
  return token === '' ? '(none)' : token.replace(/\.exe$/i, '')
}

export const SENSITIVE_RESOURCES = ['secrets', 'configmaps'] as const

export function isCoreGroup(event: AuditEvent): boolean {
  return event.apiGroup === undefined || event.apiGroup === '' || event.apiGroup === 'core'
}

/** A request on the secrets or configmaps themselves (core group, no subresource). */
export function isSensitiveObject(event: AuditEvent): boolean {
  return (
    (event.resource === 'secrets' || event.resource === 'configmaps') && isCoreGroup(event) && !event.subresource
  )
}

export const READ_VERBS = new Set(['get', 'list', 'watch'])
export const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection'])

export function isRead(event: AuditEvent): boolean {
  return READ_VERBS.has(event.verb)
}

export function isWrite(event: AuditEvent): boolean {
  return WRITE_VERBS.has(event.verb)
}

/** `get secrets kube-system/db-password`, `create pods/exec default/web`, `get /healthz`. */
export function describeRequest(event: AuditEvent): string {
  if (!event.resource) return `${event.verb} ${requestPath(event) ?? '(no path)'}`
  const resource = event.subresource ? `${event.resource}/${event.subresource}` : event.resource
  const group = isCoreGroup(event) ? '' : `.${event.apiGroup}`
  const object = event.name
    ? `${event.namespace ? `${event.namespace}/` : ''}${event.name}`
    : event.namespace
      ? `in ${event.namespace}`
      : 'cluster-wide'
  return `${event.verb} ${resource}${group} ${object}`
}

/** The path of requestURI without its query string. */
export function requestPath(event: AuditEvent): string | undefined {
  if (!event.requestURI) return undefined
  const q = event.requestURI.indexOf('?')
  return q < 0 ? event.requestURI : event.requestURI.slice(0, q)
}

export function evidenceOf(event: AuditEvent): Evidence {
  const e: Evidence = {time: event.time}
  if (event.auditID) e.auditID = event.auditID
  if (event.origin.file) e.file = event.origin.file
  if (event.origin.line !== undefined) e.line = event.origin.line
  return e
}

/** Expand an IPv6 address to its 8 groups; undefined when it is not IPv6. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address
  const zone = text.indexOf('%')
  if (zone >= 0) text = text.slice(0, zone)
  if (!isIPv6(text)) return undefined
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is two groups written differently.
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (v4) {
    const o = v4.slice(1).map(Number)
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16)
    text = text.slice(0, v4.index) + `${hex(o[0] ?? 0, o[1] ?? 0)}:${hex(o[2] ?? 0, o[3] ?? 0)}`
  }
  const parse = (s: string | undefined) => (s ? s.split(':').filter((x) => x !== '').map((x) => parseInt(x, 16)) : [])
  const double = text.indexOf('::')
  if (double < 0) {
    const groups = parse(text)
    return groups.length === 8 ? groups : undefined
  }
  const h = parse(text.slice(0, double))
  const r = parse(text.slice(double + 2))
  const fill = 8 - h.length - r.length
  return fill >= 0 ? [...h, ...new Array<number>(fill).fill(0), ...r] : undefined
}

/**
 * The network a source address belongs to, for "seen from here before": IPv4 /24 and IPv6 /64
 * (one site or one cloud subnet), so a new address in a known office or NAT pool is not news.
 */
export function networkOf(ip: string): string | undefined {
  const address = ip.trim()
  if (isIPv4(address)) {
    const p = address.split('.')
    return `${p[0]}.${p[1]}.${p[2]}.0/24`
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped && isIPv4(mapped[1] ?? '')) return networkOf(mapped[1] ?? '')
  const groups = ipv6Groups(address)
  if (!groups) return undefined
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`
}

/** Compiled allowlist and system-identity tests, built once per run. */
export interface Scope {
  allowlisted(event: AuditEvent): boolean
  isSystem(event: AuditEvent): boolean
}

/** Whether an event's identity is one of systemIdentities (by user name or by a group). */
export function compileSystemIdentities(identities: DetectSettings['systemIdentities']): (event: AuditEvent) => boolean {
  const users = compilePatterns(identities.users)
  const groups = compilePatterns(identities.groups)
  return (event) => users(event.user.username) || event.user.groups.some(groups)
}

export function compileScope(settings: DetectSettings): Scope {
  const cidrs = new BlockList()
  let hasCidrs = false
  for (const cidr of settings.allowlist.sourceCIDRs) {
    const parsed = parseCidr(cidr)
    if (parsed) {
      cidrs.addSubnet(parsed.address, parsed.prefix, parsed.family)
      hasCidrs = true
    }
  }
  const agents = settings.allowlist.userAgents.map((a) => a.toLowerCase())
  const users = compilePatterns(settings.allowlist.users)
  const groups = compilePatterns(settings.allowlist.groups)
  const namespaces = compilePatterns(settings.allowlist.namespaces)
  const system = compileSystemIdentities(settings.systemIdentities)
  return {
    allowlisted(event) {
      if (users(event.user.username)) return true
      if (event.user.groups.some(groups)) return true
      if (event.namespace && namespaces(event.namespace)) return true
      const ua = event.userAgent?.toLowerCase()
      if (ua !== undefined && agents.some((a) => ua.startsWith(a))) return true
      if (hasCidrs) {
        for (const ip of event.sourceIPs) {
          const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined
          if (family && cidrs.check(ip, family)) return true
        }
      }
      return false
    },
    isSystem(event) {
      return settings.excludeSystemIdentities && system(event)
    },
  }
}

export function parseCidr(text: string): {address: string; prefix: number; family: 'ipv4' | 'ipv6'} | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim())
  if (!m) return undefined
  const address = m[1] ?? ''
  const prefix = Number(m[2])
  if (isIPv4(address) && prefix <= 32) return {address, prefix, family: 'ipv4'}
  if (isIPv6(address) && prefix <= 128) return {address, prefix, family: 'ipv6'}
  return undefined
}
