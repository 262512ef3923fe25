import {FindingGroups} from '../group.js'
import {isKubectl, isServiceAccount, userAgentProduct} from '../match.js'
import {listParam} from '../params.js'
import type {RuleDefinition} from '../rule.js'

const REVIEWS = new Set(['selfsubjectaccessreviews', 'selfsubjectrulesreviews'])

/** "What may I do?" asked by a workload or a tool rather than a person's kubectl. */
export const permissionProbing: RuleDefinition = {
  id: 'permission-probing',
  title: 'Permission probing with self access reviews',
  severity: 'low',
  technique: {id: 'T1069', name: 'Permission Groups Discovery'},
  description:
    'Reports SelfSubjectAccessReview and SelfSubjectRulesReview creations (`kubectl auth can-i`) by service accounts, ' +
    'or by any client whose User-Agent product is not in expectedAgents. An attacker landing in a pod first asks ' +
    'what its token may do.',
  fields: ['objectRef.apiGroup', 'objectRef.resource', 'verb', 'user.username', 'userAgent'],
  falsePositives: ['Dashboards and IDE plugins that check permissions to grey out buttons (add their agent).'],
  settings: [
    {name: 'expectedAgents', kind: 'stringList', default: ['kubectl', 'Mozilla', 'k9s', 'Lens'], description: 'User-Agent products whose reviews by people are routine.'},
  ],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Metadata'},
  create(settings) {
    const expected = listParam(settings, permissionProbing, 'expectedAgents').map((a) => a.toLowerCase())
    const groups = new FindingGroups(permissionProbing)
    return {
      onEvent(event) {
        if (event.apiGroup !== 'authorization.k8s.io' || !REVIEWS.has(event.resource ?? '') || event.verb !== 'create') return
        const product = userAgentProduct(event.userAgent)
        const sa = isServiceAccount(event)
        const unusualAgent = !isKubectl(event.userAgent) && !expected.includes(product.toLowerCase())
        if (!sa && !unusualAgent) return
        const who = event.user.username
        groups.add(`${who}\u0000${product}`, event, {
          who,
          what: `${event.resource} via ${product}`,
          detail: sa ? 'a service account asked what it may do' : `unusual client ${product}`,
        })
      },
      finish: () => groups.findings(),
    }
  },
}
