import {FindingGroups} from '../group.js'
import {isRead, isSensitiveObject, isWrite} from '../match.js'
import type {Finding} from '../finding.js'
import type {RuleDefinition} from '../rule.js'

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
    const objects = new Map<Finding, Set<string>>()
    return {
      onEvent(event) {
        if (!isSensitiveObject(event)) return
        const access = isRead(event) ? 'read' : isWrite(event) ? 'write' : event.verb
        const key = `${event.user.username}\u0000${event.resource}\u0000${access}`
        const finding = groups.add(key, event, {who: event.user.username, what: `${access} ${event.resource}`})
        const set = objects.get(finding) ?? new Set<string>()
        set.add(event.name ? `${event.namespace ?? ''}/${event.name}` : `${event.namespace ?? '*'}/*`)
        objects.set(finding, set)
      },
      finish() {
        return groups.findings().map((f) => {
          const n = objects.get(f)?.size ?? 0
          return {...f, what: `${f.what} (${n} object${n === 1 ? '' : 's'})`, detail: `${f.count} request(s) on ${n} distinct object(s) or scope(s)`}
        })
      },
    }
  },
}
