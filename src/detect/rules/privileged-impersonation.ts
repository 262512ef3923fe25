import type {AuditEvent} from '../../audit/event.js'
import {FindingGroups} from '../group.js'
import {matchesAny} from '../match.js'
import {listParam} from '../params.js'
import type {RuleDefinition} from '../rule.js'

/** Acting as someone else; as a system or cluster-admin identity it is privilege escalation. */
export const privilegedImpersonation: RuleDefinition = {
  id: 'privileged-impersonation',
  title: 'Impersonation, especially of privileged identities',
  severity: 'high',
  technique: {id: 'T1078', name: 'Valid Accounts'},
  description:
    'Reports requests sent with impersonation headers (impersonatedUser in the audit event) and authorizer checks with ' +
    'verb impersonate. High when the target is privileged: a user or group matching privilegedTargets (system:masters, ' +
    'system:* identities, kube-system service accounts); low otherwise. The finding is about the impersonated identity ' +
    'and names the real sender in its detail.',
  fields: ['impersonatedUser', 'user.username', 'user.groups', 'verb', 'objectRef.resource', 'objectRef.name'],
  falsePositives: ['Admins testing permissions with `kubectl --as` (low unless the target is privileged).', 'Proxies and dashboards that impersonate their users.'],
  settings: [
    {
      name: 'privilegedTargets',
      kind: 'stringList',
      default: ['system:masters', 'system:admin', 'system:kube-controller-manager', 'system:kube-scheduler', 'system:node:*', 'system:serviceaccount:kube-system:*', 'system:apiserver'],
      description: 'Users or groups whose impersonation is high severity.',
    },
  ],
  // Impersonating a system identity is the point of this rule; the sender is rarely a system one.
  excludesSystemIdentities: false,
  auditLevel: {needs: 'Metadata'},
  create(settings) {
    const privileged = listParam(settings, privilegedImpersonation, 'privilegedTargets')
    const groups = new FindingGroups(privilegedImpersonation)
    const isPrivileged = (names: string[]) => names.some((n) => matchesAny(privileged, n))
    return {
      onEvent(event: AuditEvent) {
        if (event.impersonator) {
          const target = event.user
          const high = isPrivileged([target.username, ...target.groups])
          const sender = event.impersonator.username
          groups.add(`imp\u0000${sender}\u0000${target.username}`, event, {
            who: target.username,
            what: `impersonated by ${sender}`,
            severity: high ? 'high' : 'low',
            detail: `${sender} sent requests as ${target.username}${target.groups.length ? ` (groups ${target.groups.join(', ')})` : ''}`,
          })
        } else if (event.verb === 'impersonate') {
          const target = event.name ?? event.body?.target ?? ''
          const high = isPrivileged([target])
          groups.add(`verb\u0000${event.user.username}\u0000${event.resource}\u0000${target}`, event, {
            who: event.user.username,
            what: `impersonate ${event.resource ?? ''} ${target}`.trim(),
            severity: high ? 'high' : 'low',
          })
        }
      },
      finish: () => groups.findings(),
    }
  },
}
