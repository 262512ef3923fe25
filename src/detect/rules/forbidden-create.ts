import {FindingGroups} from '../group.js'
import {isDenied} from '../match.js'
import type {RuleDefinition} from '../rule.js'

/** Trying to create what one may not: deploying a foothold, minting credentials, binding roles. */
export const forbiddenCreate: RuleDefinition = {
  id: 'forbidden-create',
  title: 'Forbidden create',
  severity: 'low',
  technique: {id: 'T1610', name: 'Deploy Container'},
  description:
    'Reports create requests that were refused (401, 403, decision forbid), grouped by identity and resource. ' +
    'An attacker with a weak credential tries to create pods, bindings or tokens; legitimate clients rarely fail to create.',
  fields: ['verb', 'user.username', 'objectRef.resource', 'objectRef.subresource', 'objectRef.namespace', 'responseStatus.code'],
  falsePositives: ['Deployment pipelines missing a permission. Creates refused by admission (PodSecurity, quota) are 403 with decision allow and do not count.'],
  settings: [],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Metadata'},
  create() {
    const groups = new FindingGroups(forbiddenCreate)
    return {
      onEvent(event) {
        if (event.verb !== 'create' || !isDenied(event)) return
        const resource = event.subresource ? `${event.resource}/${event.subresource}` : (event.resource ?? '(non-resource)')
        const who = event.user.username
        groups.add(`${who}\u0000${resource}\u0000${event.namespace ?? ''}`, event, {
          who,
          what: `create ${resource}${event.namespace ? ` in ${event.namespace}` : ''}`,
        })
      },
      finish: () => groups.findings(),
    }
  },
}
