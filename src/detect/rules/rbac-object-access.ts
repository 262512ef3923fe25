import type {AuditEvent} from '../../audit/event.js'
import {isRbacObject} from '../baseline.js'
import {FindingGroups} from '../group.js'
import {isRead, isWrite} from '../match.js'
import type {RuleDefinition} from '../rule.js'

/** People reading or changing who may do what: reconnaissance before escalation, or escalation itself. */
export const rbacObjectAccess: RuleDefinition = {
  id: 'rbac-object-access',
  title: 'Access to Roles, ClusterRoles and their bindings',
  severity: 'low',
  technique: {id: 'T1069', name: 'Permission Groups Discovery'},
  description:
    'Reports reads (info) and writes (low) of roles, clusterroles, rolebindings and clusterrolebindings by identities ' +
    'outside systemIdentities. With a baseline, an (identity, authorization reason) pair never seen before — the ' +
    'identity reached RBAC objects through a binding it never used — is reported as medium.',
  fields: ['objectRef.apiGroup', 'objectRef.resource', 'verb', 'user.username', 'annotations.authorization.k8s.io/reason'],
  falsePositives: ['GitOps controllers and cluster admins managing RBAC (allowlist them).', 'Dashboards listing roles.'],
  settings: [],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Metadata'},
  create(_settings, baseline) {
    const groups = new FindingGroups(rbacObjectAccess)
    const withReason: AuditEvent[] = []
    return {
      onEvent(event) {
        if (!isRbacObject(event)) return
        const who = event.user.username
        const kind = isWrite(event) ? 'write' : isRead(event) ? 'read' : event.verb
        groups.add(`${who}\u0000${kind}\u0000${event.resource}`, event, {
          who,
          what: `${kind} ${event.resource}`,
          severity: kind === 'read' ? 'info' : 'low',
        })
        if (baseline.enabled && event.reason) withReason.push(event)
      },
      finish() {
        if (baseline.hasHistory('rbacReasons')) {
          for (const event of withReason) {
            if (baseline.isLearning(event.time)) continue
            const who = event.user.username
            const reason = event.reason ?? ''
            if (baseline.known('rbacReasons', who, reason)) continue
            groups.add(`reason\u0000${who}\u0000${reason}`, event, {
              who,
              what: `${event.verb} ${event.resource} via a new authorization path`,
              severity: 'medium',
              detail: `first time: ${reason}`,
            })
          }
        }
        return groups.findings()
      },
    }
  },
}
