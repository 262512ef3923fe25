import type {BodyFacts} from '../../audit/event.js'
import type {Severity} from '../finding.js'
import {FindingGroups} from '../group.js'
import {isDenied, matchesAny} from '../match.js'
import {listParam} from '../params.js'
import type {RuleDefinition} from '../rule.js'

const WRITE = new Set(['create', 'update', 'patch'])

/** Why a role's rules are dangerous, in words; empty when they are not. */
export function dangerousGrants(rules: NonNullable<BodyFacts['rules']>): string[] {
  const out = new Set<string>()
  for (const r of rules) {
    const verbs = r.verbs ?? []
    const resources = r.resources ?? []
    const groups = r.apiGroups ?? []
    if (verbs.includes('*') && (resources.includes('*') || groups.includes('*'))) out.add('wildcard verbs on wildcard resources')
    else if (verbs.includes('*')) out.add('wildcard verbs')
    else if (resources.includes('*')) out.add('wildcard resources')
    const reads = verbs.some((v) => v === '*' || v === 'get' || v === 'list' || v === 'watch')
    if (resources.includes('secrets') && reads) out.add('reads secrets')
    if (resources.includes('pods/exec') || resources.includes('pods/attach')) out.add('pods/exec')
    if (resources.includes('serviceaccounts/token') && verbs.some((v) => v === '*' || v === 'create')) out.add('mints service account tokens')
    if (resources.includes('nodes/proxy')) out.add('nodes/proxy')
    if (verbs.includes('impersonate')) out.add('impersonate')
    if (verbs.includes('bind')) out.add('bind')
    if (verbs.includes('escalate')) out.add('escalate')
  }
  return [...out]
}

/** A write that hands out cluster-admin, secret reading, exec, impersonation or the power to self-escalate. */
export const rbacGrantsSecretAccess: RuleDefinition = {
  id: 'rbac-grants-secret-access',
  title: 'RBAC change granting secret access or cluster-admin',
  severity: 'high',
  technique: {id: 'T1098.006', name: 'Account Manipulation: Additional Container Cluster Roles'},
  description:
    'Inspects the request body facts of create/update/patch on roles, clusterroles, rolebindings and ' +
    'clusterrolebindings. A binding to a privilegedRoles role (cluster-admin) or to the system:masters group is ' +
    'critical; a binding to a built-in role that reads secrets (secretReadingRoles: admin, edit, ...) is high, in a ' +
    'RoleBinding too (namespace admin includes its secrets); a role granting wildcards, reading secrets, pods/exec, serviceaccounts/token, nodes/proxy, ' +
    'impersonate, bind or escalate is high. Needs bodies in the log (audit level Request or RequestResponse); at ' +
    'Metadata level it cannot see what was granted and stays silent (rbac-object-access still reports the write). ' +
    'Only successful writes count (refused creates are forbidden-create findings). Updates and patches count like ' +
    'creates: adding a dangerous rule to an existing role is the same escalation.',
  fields: ['verb', 'objectRef.resource', 'objectRef.name', 'requestObject.roleRef', 'requestObject.subjects', 'requestObject.rules'],
  falsePositives: ['Installing operators or Helm charts that ship broad roles; aggregated admin/edit roles updated by the controller manager (system, excluded).'],
  settings: [
    {name: 'privilegedRoles', kind: 'stringList', default: ['cluster-admin'], description: 'Roles whose binding is critical.'},
    {name: 'privilegedGroups', kind: 'stringList', default: ['system:masters'], description: 'Subjects whose binding is critical.'},
    {
      name: 'secretReadingRoles',
      kind: 'stringList',
      // From the bootstrap policy (corpus rbac/): built-in roles whose rules read secrets.
      default: ['admin', 'edit', 'system:aggregate-to-edit', 'system:node', 'system:kube-controller-manager', 'system:controller:generic-garbage-collector', 'system:controller:namespace-controller'],
      description: 'Built-in roles that read secrets: binding one is high severity (`*` globs allowed).',
    },
  ],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Request', metadataLimits: 'at Metadata level the request body is not logged, so what a Role grants or a binding binds is unknown: only rbac-object-access reports the write'},
  create(settings) {
    const roles = listParam(settings, rbacGrantsSecretAccess, 'privilegedRoles')
    const privGroups = listParam(settings, rbacGrantsSecretAccess, 'privilegedGroups')
    const secretRoles = listParam(settings, rbacGrantsSecretAccess, 'secretReadingRoles')
    const groups = new FindingGroups(rbacGrantsSecretAccess)
    return {
      onEvent(event) {
        if (event.apiGroup !== 'rbac.authorization.k8s.io' || !WRITE.has(event.verb) || !event.body) return
        // Refused attempts are forbidden-create's business; this rule reports grants that happened.
        if (isDenied(event) || (event.code !== undefined && event.code >= 400)) return
        const body = event.body
        const reasons: string[] = []
        let severity: Severity = 'high'
        if (event.resource === 'rolebindings' || event.resource === 'clusterrolebindings') {
          if (body.roleRef && roles.includes(body.roleRef.name)) {
            reasons.push(`binds ${body.roleRef.kind} ${body.roleRef.name}`)
            severity = 'critical'
          } else if (body.roleRef && matchesAny(secretRoles, body.roleRef.name)) {
            reasons.push(`binds ${body.roleRef.kind} ${body.roleRef.name}, which reads secrets`)
          }
          const masters = (body.subjects ?? []).filter((s) => privGroups.includes(s.name))
          if (masters.length > 0) {
            reasons.push(`to ${masters.map((s) => s.name).join(', ')}`)
            severity = 'critical'
          }
        } else if ((event.resource === 'roles' || event.resource === 'clusterroles') && body.rules) {
          for (const reason of dangerousGrants(body.rules)) reasons.push(reason)
        }
        if (reasons.length === 0) return
        const who = event.user.username
        const object = `${event.resource} ${event.namespace ? `${event.namespace}/` : ''}${event.name ?? ''}`
        groups.add(`${who}\u0000${object}\u0000${reasons.join(';')}`, event, {
          who,
          what: `${event.verb} ${object}`,
          severity,
          detail: reasons.join('; '),
        })
      },
      finish: () => groups.findings(),
    }
  },
}
