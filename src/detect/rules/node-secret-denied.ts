import {FindingGroups} from '../group.js'
import {describeRequest, isDenied} from '../match.js'
import type {RuleDefinition} from '../rule.js'

/** The node authorizer lets a kubelet read only its pods' secrets: a denial is someone using kubelet credentials. */
export const nodeSecretDenied: RuleDefinition = {
  id: 'node-secret-denied',
  title: 'Node credentials denied on secrets',
  severity: 'high',
  technique: {id: 'T1552.007', name: 'Unsecured Credentials: Container API'},
  description:
    'Reports secrets requests by system:node:* identities that were refused. The Node authorizer lets a kubelet read ' +
    'only secrets referenced by pods scheduled on it, and kubelets never list secrets, so a refusal usually means the ' +
    'kubelet credential is being used by hand to reach other secrets. Requests impersonating a node are not the ' +
    'kubelet\'s credential and do not count (privileged-impersonation reports them).',
  fields: ['user.username', 'objectRef.resource', 'verb', 'responseStatus.code', 'annotations.authorization.k8s.io/decision'],
  falsePositives: ['A short race while a pod is rescheduled to another node.'],
  settings: [],
  // Nodes are system identities; this rule is about them.
  excludesSystemIdentities: false,
  auditLevel: {needs: 'Metadata'},
  create() {
    const groups = new FindingGroups(nodeSecretDenied)
    return {
      onEvent(event) {
        if (event.impersonator || !event.user.username.startsWith('system:node:') || event.resource !== 'secrets' || !isDenied(event)) return
        groups.add(event.user.username, event, {who: event.user.username, what: 'denied secret requests', detail: `e.g. ${describeRequest(event)}`})
      },
      finish: () => groups.findings(),
    }
  },
}
