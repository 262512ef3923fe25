import {Candidates} from '../candidates.js'
import {FindingGroups} from '../group.js'
import {isAnonymousIdentity, isKubectl, networkOf, senderOf, serviceAccountOf} from '../match.js'
import type {AuditEvent} from '../../audit/event.js'
import type {RuleDefinition} from '../rule.js'

/** kubectl where it should not be: anonymous, a service account token, or a new network. */
export const suspiciousKubectl: RuleDefinition = {
  id: 'suspicious-kubectl',
  title: 'Suspicious kubectl use',
  severity: 'medium',
  technique: {id: 'T1078', name: 'Valid Accounts'},
  description:
    'Flags requests whose User-Agent is kubectl when (a) the caller is system:anonymous or in system:unauthenticated ' +
    '(high), (b) the caller is a service account — a token taken from a pod and used from a workstation (high), or ' +
    '(c) kubectl came from a source network (/24 or /64) never seen for that identity in the baseline (medium). ' +
    'The identity is the one that sent the request: for an impersonated request, the impersonator (an admin ' +
    'running kubectl --as=system:serviceaccount:... holds no service account token). ' +
    'Case (c) needs a baseline (--baseline or --state); without one it stays silent.',
  fields: ['userAgent', 'user.username', 'user.groups', 'sourceIPs'],
  falsePositives: [
    'CI jobs or debug pods that run kubectl with their own service account token.',
    'Admins working from a new network (VPN, travel) trigger case (c) once per network.',
  ],
  settings: [],
  // A system identity using kubectl is exactly a stolen node or controller credential.
  excludesSystemIdentities: false,
  auditLevel: {needs: 'Metadata'},
  create(_settings, baseline) {
    const groups = new FindingGroups(suspiciousKubectl)
    const candidates = new Candidates(suspiciousKubectl.id, baseline, (event: AuditEvent) => {
      if (!baseline.hasHistory('kubectlNetworks') || baseline.isLearning(event.time)) return
      const who = senderOf(event).username
      for (const net of new Set(event.sourceIPs.map(networkOf))) {
        if (!net || baseline.known('kubectlNetworks', who, net)) continue
        groups.add(`net\u0000${who}\u0000${net}`, event, {
          who,
          what: `kubectl from new network ${net}`,
          detail: `no kubectl request by ${who} came from ${net} in the baseline`,
        })
      }
    })
    return {
      onEvent(event) {
        if (!isKubectl(event.userAgent)) return
        const sender = senderOf(event)
        const who = sender.username
        if (isAnonymousIdentity(sender)) {
          groups.add(`anon\u0000${who}`, event, {who, what: 'kubectl as an unauthenticated caller', severity: 'high', detail: 'kubectl request by an anonymous identity'})
        } else if (serviceAccountOf(who)) {
          groups.add(`sa\u0000${who}`, event, {
            who,
            what: 'kubectl with a service account token',
            severity: 'high',
            detail: 'a service account identity used kubectl: its token may have been taken out of a pod',
          })
        } else candidates.push(event)
      },
      finish() {
        candidates.flush()
        return groups.findings()
      },
      limits: () => candidates.limits(),
    }
  },
}
