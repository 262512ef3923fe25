import type {AuditEvent} from '../../audit/event.js'
import {redactSecrets} from '../../lib/redact.js'
import {isRbacObject} from '../baseline.js'
import {Candidates} from '../candidates.js'
import {FindingGroups} from '../group.js'
import {isDenied, isRead, isWrite} from '../match.js'
import {durationParam, numberParam} from '../params.js'
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
    'identity reached RBAC objects through a binding it never used — is reported as medium. Reconnaissance is medium ' +
    'too: one identity listing at least reconKinds of the four kinds across the whole cluster (cluster-scoped, or ' +
    'every namespace at once) within reconWindow, as `kubectl get rolebindings -A` and RBAC auditing tools do; ' +
    '`kubectl auth can-i --list` (a selfsubjectrulesreview) counts as one more kind.',
  fields: ['objectRef.apiGroup', 'objectRef.resource', 'verb', 'user.username', 'annotations.authorization.k8s.io/reason'],
  falsePositives: [
    'GitOps controllers and cluster admins managing RBAC (allowlist them).',
    'Dashboards listing roles; RBAC auditing tools, this plugin\'s connected who-can included, are reconnaissance by design.',
  ],
  settings: [
    {name: 'reconKinds', kind: 'positiveInt', default: 3, description: 'Distinct RBAC kinds listed cluster-wide that make reconnaissance.'},
    {name: 'reconWindow', kind: 'duration', default: '10m', description: 'Window in which those lists must fall.'},
  ],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Metadata'},
  create(settings, baseline) {
    const groups = new FindingGroups(rbacObjectAccess)
    const withReason = new Candidates(rbacObjectAccess.id, baseline, (event: AuditEvent) => {
      if (!baseline.hasHistory('rbacReasons') || baseline.isLearning(event.time)) return
      const who = event.user.username
      const reason = event.reason ?? ''
      if (baseline.known('rbacReasons', who, reason)) return
      groups.add(`reason\u0000${who}\u0000${reason}`, event, {
        who,
        what: `${event.verb} ${event.resource} via a new authorization path`,
        severity: 'medium',
        detail: `first time: ${redactSecrets(reason)}`,
      })
    })
    const reconKinds = numberParam(settings, rbacObjectAccess, 'reconKinds')
    const reconWindow = durationParam(settings, rbacObjectAccess, 'reconWindow')
    // Per identity: when each RBAC kind was last listed cluster-wide.
    const listed = new Map<string, Map<string, number>>()
    return {
      onEvent(event) {
        // `kubectl auth can-i --list` asks the server for every rule that applies: it counts as one
        // kind of reconnaissance, and is not an RBAC object access itself.
        const rulesReview = event.resource === 'selfsubjectrulesreviews' && event.verb === 'create' && event.apiGroup === 'authorization.k8s.io'
        if (!isRbacObject(event) && !rulesReview) return
        const who = event.user.username
        const clusterWideList = (event.verb === 'list' || event.verb === 'watch') && !event.namespace
        if ((clusterWideList || rulesReview) && !isDenied(event)) {
          const kinds = listed.get(who) ?? new Map<string, number>()
          listed.set(who, kinds)
          kinds.set(event.resource ?? '', event.time)
          const recent = [...kinds].filter(([, time]) => Math.abs(event.time - time) <= reconWindow).map(([kind]) => kind).sort()
          if (recent.length >= reconKinds) {
            groups.add(`recon\u0000${who}`, event, {who, what: 'RBAC reconnaissance', severity: 'medium', detail: `listed ${recent.join(', ')} across the cluster within ${Math.max(1, Math.round(reconWindow / 60_000))} min`})
          }
        }
        if (rulesReview) return
        const kind = isWrite(event) ? 'write' : isRead(event) ? 'read' : event.verb
        groups.add(`${who}\u0000${kind}\u0000${event.resource}`, event, {
          who,
          what: `${kind} ${event.resource}`,
          severity: kind === 'read' ? 'info' : 'low',
        })
        if (event.reason) withReason.push(event)
      },
      finish() {
        withReason.flush()
        return groups.findings()
      },
      limits: () => withReason.limits(),
    }
  },
}
