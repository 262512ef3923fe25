import {FindingGroups} from '../group.js'
import {listParam} from '../params.js'
import type {RuleDefinition} from '../rule.js'

const WRITE = new Set(['create', 'update', 'patch'])

/** Credentials belong in secrets: in a configmap anyone with configmap read access gets them. */
export const configmapCredentialKeys: RuleDefinition = {
  id: 'configmap-credential-keys',
  title: 'Configmap written with credential-like keys',
  severity: 'medium',
  technique: {id: 'T1552', name: 'Unsecured Credentials'},
  description:
    'Reports create/update/patch of configmaps whose data keys (from the request body, key names only) look like ' +
    'credentials: password, secret, token, api key, access key, private key, credentials. The values are never read ' +
    'into the event nor printed. Needs request bodies in the log (level Request or RequestResponse).',
  fields: ['verb', 'objectRef.resource', 'objectRef.namespace', 'objectRef.name', 'requestObject.data (key names only)'],
  falsePositives: ['Keys that only name a secret (`passwordSecretName`) or configure length (`token_ttl`).'],
  settings: [
    {
      name: 'keyPatterns',
      kind: 'stringList',
      default: ['password', 'passwd', 'secret', 'token', 'api_key', 'apikey', 'api-key', 'access_key', 'accesskey', 'access-key', 'private_key', 'privatekey', 'private-key', 'credential'],
      description: 'Case-insensitive substrings of a data key that make it credential-like.',
    },
  ],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Request', metadataLimits: "at Metadata level the configmap's keys are not logged: the rule sees nothing"},
  create(settings) {
    const patterns = listParam(settings, configmapCredentialKeys, 'keyPatterns').map((p) => p.toLowerCase())
    const groups = new FindingGroups(configmapCredentialKeys)
    return {
      onEvent(event) {
        if (event.resource !== 'configmaps' || !WRITE.has(event.verb) || event.subresource) return
        const keys = (event.body?.dataKeys ?? []).filter((k) => patterns.some((p) => k.toLowerCase().includes(p)))
        if (keys.length === 0) return
        const who = event.user.username
        const object = `${event.namespace ?? ''}/${event.name ?? ''}`
        groups.add(`${who}\u0000${object}`, event, {who, what: `${event.verb} configmaps ${object}`, detail: `credential-like keys: ${keys.slice(0, 10).join(', ')}`})
      },
      finish: () => groups.findings(),
    }
  },
}
