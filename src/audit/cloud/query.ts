// The query every source pushes down as far as its filter language allows. The pushed-down filter
// may be a superset (a glob that a language cannot express is dropped from it), so every event is
// checked again here: the server narrows the transfer, this decides the answer.
import type {AuditEvent} from '../event.js'
import {CloudSourceError} from './errors.js'
import type {CloudQuery} from './types.js'

export function validateQuery(query: CloudQuery): void {
  const from = query.from.getTime()
  const to = query.to.getTime()
  if (!Number.isFinite(from) || !Number.isFinite(to)) throw new CloudSourceError('bad-config', 'the time window has an invalid date')
  if (from >= to) {
    throw new CloudSourceError('empty-window', `the time window is empty: --since/--from (${query.from.toISOString()}) must be before --until/--to (${query.to.toISOString()})`)
  }
  if (query.resources.length === 0) throw new CloudSourceError('bad-config', 'no resource to look for: give at least one resource (e.g. secrets) or *')
}

export function allResources(query: CloudQuery): boolean {
  return query.resources.includes('*')
}

/** Glob with `*` (any run) and `?` (one character) to an anchored RegExp source. */
export function globToRegexSource(glob: string): string {
  let out = '^'
  for (const ch of glob) {
    if (ch === '*') out += '.*'
    else if (ch === '?') out += '.'
    else out += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&')
  }
  return out + '$'
}

export function isGlob(value: string): boolean {
  return /[*?]/.test(value)
}

export function matchesGlob(value: string, glob: string): boolean {
  return new RegExp(globToRegexSource(glob)).test(value)
}

/** Compile the query once into a predicate over normalised events. */
export function eventMatcher(query: CloudQuery): (event: AuditEvent) => boolean {
  const from = query.from.getTime()
  const to = query.to.getTime()
  const resources = allResources(query) ? undefined : new Set(query.resources.map((r) => r.toLowerCase()))
  const verbs = query.verbs && query.verbs.length > 0 ? new Set(query.verbs.map((v) => v.toLowerCase())) : undefined
  const namespaces = query.namespaces && query.namespaces.length > 0 ? new Set(query.namespaces) : undefined
  const users = query.users && query.users.length > 0 ? query.users.map((g) => new RegExp(globToRegexSource(g))) : undefined
  return (event) => {
    // Events without a time (hand-written stubs) cannot be placed in a window: kept, not dropped.
    if (event.time > 0 && (event.time < from || event.time > to)) return false
    if (resources && !resources.has((event.resource ?? '').toLowerCase())) return false
    if (verbs && !verbs.has(event.verb.toLowerCase())) return false
    if (namespaces && !namespaces.has(event.namespace ?? '')) return false
    if (users) {
      const names = [event.user.username, event.impersonator?.username].filter((n): n is string => typeof n === 'string')
      if (!users.some((re) => names.some((n) => re.test(n)))) return false
    }
    return true
  }
}
