import {FindingGroups} from '../group.js'
import {senderOf} from '../match.js'
import {listParam} from '../params.js'
import type {RuleDefinition} from '../rule.js'

/** Offensive and audit tools announce themselves in the User-Agent unless the operator hides it. */
export const knownScannerAgent: RuleDefinition = {
  id: 'known-scanner-agent',
  title: 'Known attack or scanning tool',
  severity: 'medium',
  technique: {id: 'T1613', name: 'Container and Resource Discovery'},
  description:
    'Reports any request whose User-Agent contains one of `agents` (case-insensitive): kube-hunter, kubiscan, ' +
    'peirates, trufflehog, access-matrix/rakkess, kdigger, kubeletctl and kubescape. A determined attacker changes ' +
    'the User-Agent, so silence here proves nothing.',
  fields: ['userAgent', 'user.username', 'sourceIPs'],
  falsePositives: ['Sanctioned security scans (kubescape in CI, a pentest): allowlist their agent or identity.'],
  settings: [
    {
      name: 'agents',
      kind: 'stringList',
      default: ['kube-hunter', 'kubehunter', 'kubiscan', 'peirates', 'trufflehog', 'access-matrix', 'access_matrix', 'rakkess', 'kdigger', 'kubeletctl', 'kubescape'],
      description: 'Case-insensitive substrings of a scanning tool User-Agent.',
    },
  ],
  excludesSystemIdentities: false,
  auditLevel: {needs: 'Metadata'},
  create(settings) {
    const agents = listParam(settings, knownScannerAgent, 'agents').map((a) => a.toLowerCase())
    const groups = new FindingGroups(knownScannerAgent)
    return {
      onEvent(event) {
        const ua = event.userAgent?.toLowerCase()
        if (!ua) return
        const tool = agents.find((a) => ua.includes(a))
        if (!tool) return
        // The tool ran with the sender's credential: with impersonation, the impersonator's.
        const who = senderOf(event).username
        groups.add(`${who}\u0000${tool}`, event, {who, what: `requests by ${tool}`, detail: `User-Agent: ${(event.userAgent ?? '').slice(0, 120)}`})
      },
      finish: () => groups.findings(),
    }
  },
}
