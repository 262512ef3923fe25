import {FindingGroups} from '../group.js'
import {isRead, isSensitiveObject, isWrite} from '../match.js'
import type {Finding} from '../finding.js'
import type {RuleDefinition} from '../rule.js'

/** Objects named per finding (the count shows `N+` past it). */
const OBJECTS_PER_FINDING = 1000
/** Objects remembered over all of this rule's findings: bounds identities x objects. */
const OBJECTS_BUDGET = 200_000

/** Hunting view: who reads and writes secrets and configmaps, one line per identity and kind. */
export const sensitiveAccessSummary: RuleDefinition = {
  id: 'sensitive-access-summary',
  title: 'Accounts accessing secrets and configmaps',
  severity: 'info',
  technique: {id: 'T1552.007', name: 'Unsecured Credentials: Container API'},
  description:
    'Lists every identity that read or wrote secrets or configmaps, with how many requests and when, so a hunter sees ' +
    'who touches credentials at a glance. The control plane and managed-cloud agents (systemIdentities) are left out ' +
    'by default. Denied requests are counted too: an attempt is part of the picture.',
  fields: ['user.username', 'verb', 'objectRef.resource', 'objectRef.namespace', 'objectRef.name', 'responseStatus.code'],
  falsePositives: ['Operators and CI identities that manage secrets (add them to allowlist.users).', 'Everything here is informational by design.'],
  settings: [],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Metadata'},
  create() {
    const groups = new FindingGroups(sensitiveAccessSummary)
    const objects = new Map<Finding, {set: Set<string>; capped: boolean}>()
    let remembered = 0
    return {
      onEvent(event) {
        if (!isSensitiveObject(event)) return
        const access = isRead(event) ? 'read' : isWrite(event) ? 'write' : event.verb
        const key = `${event.user.username}\u0000${event.resource}\u0000${access}`
        const finding = groups.add(key, event, {who: event.user.username, what: `${access} ${event.resource}`})
        if (finding.folded !== undefined) return
        let entry = objects.get(finding)
        if (!entry) objects.set(finding, (entry = {set: new Set<string>(), capped: false}))
        const object = event.name ? `${event.namespace ?? ''}/${event.name}` : `${event.namespace ?? '*'}/*`
        if (entry.set.has(object)) return
        if (entry.set.size < OBJECTS_PER_FINDING && remembered < OBJECTS_BUDGET) {
          entry.set.add(object)
          remembered++
        } else entry.capped = true
      },
      finish() {
        return groups.findings().map((f) => {
          if (f.folded !== undefined) return f
          const entry = objects.get(f)
          const n = `${entry?.set.size ?? 0}${entry?.capped ? '+' : ''}`
          return {...f, what: `${f.what} (${n} object${n === '1' ? '' : 's'})`, detail: `${f.count} request(s) on ${n} distinct object(s) or scope(s)`}
        })
      },
    }
  },
}
