import {FindingGroups} from '../group.js'
import {isCoreGroup, isDenied, isRead, serviceAccountOf} from '../match.js'
import type {RuleDefinition} from '../rule.js'

/** Workloads normally read their own namespace's secrets; reaching across is a stolen or over-bound token. */
export const serviceAccountCrossNamespaceSecret: RuleDefinition = {
  id: 'serviceaccount-cross-namespace-secret',
  title: 'Service account reading secrets outside its namespace',
  severity: 'medium',
  technique: {id: 'T1552.007', name: 'Unsecured Credentials: Container API'},
  description:
    'Reports get/list/watch of secrets by system:serviceaccount:NS:NAME in a namespace other than NS. Refused ' +
    'attempts are reported too (marked denied). Cluster-wide lists and watches are reported by secret-read-burst.',
  fields: ['user.username', 'verb', 'objectRef.resource', 'objectRef.namespace', 'objectRef.name', 'responseStatus.code'],
  falsePositives: ['Cluster-wide operators (cert-manager, external-secrets, monitoring) whose job is to read secrets everywhere.'],
  settings: [],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Metadata'},
  create() {
    const groups = new FindingGroups(serviceAccountCrossNamespaceSecret)
    return {
      onEvent(event) {
        if (event.resource !== 'secrets' || !isCoreGroup(event) || event.subresource || !isRead(event)) return
        const sa = serviceAccountOf(event.user.username)
        // A cluster-wide list/watch (no namespace) is secret-read-burst's finding; reporting it twice adds nothing.
        if (!sa || !event.namespace || event.namespace === sa.namespace) return
        const denied = isDenied(event)
        const scope = `namespace ${event.namespace}`
        groups.add(`${event.user.username}\u0000${scope}\u0000${denied}`, event, {
          who: event.user.username,
          what: `${event.verb} secrets in ${scope}${denied ? ' (denied)' : ''}`,
          detail: `service account of namespace ${sa.namespace}`,
        })
      },
      finish: () => groups.findings(),
    }
  },
}
