import {FindingGroups} from '../group.js'
import {isDenied} from '../match.js'
import type {RuleDefinition} from '../rule.js'

/** A fresh token for a service account is that account's credential, handed to whoever asked. */
export const serviceAccountTokenMinted: RuleDefinition = {
  id: 'serviceaccount-token-minted',
  title: 'Service account token minted by a non-system identity',
  severity: 'high',
  technique: {id: 'T1528', name: 'Steal Application Access Token'},
  description:
    'Reports create on serviceaccounts/token (the TokenRequest API, `kubectl create token`) by identities outside ' +
    'systemIdentities. Kubelets mint tokens for pods all the time (system:node:*, excluded); a person or a workload ' +
    'doing it obtains credentials of another identity. Only successful requests count; refused ones are ' +
    'forbidden-create findings.',
  fields: ['objectRef.resource', 'objectRef.subresource', 'objectRef.namespace', 'objectRef.name', 'verb', 'user.username'],
  falsePositives: ['Admins creating short-lived tokens for CI or dashboards; external-secrets style token generators.'],
  settings: [],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Metadata'},
  create() {
    const groups = new FindingGroups(serviceAccountTokenMinted)
    return {
      onEvent(event) {
        if (event.resource !== 'serviceaccounts' || event.subresource !== 'token' || event.verb !== 'create') return
        const who = event.user.username
        const target = `${event.namespace ?? ''}/${event.name ?? ''}`
        // Refused attempts are forbidden-create's business: no token was handed out.
        if (isDenied(event) || (event.code !== undefined && event.code >= 400)) return
        groups.add(`${who}\u0000${target}`, event, {who, what: `token for service account ${target}`})
      },
      finish: () => groups.findings(),
    }
  },
}
