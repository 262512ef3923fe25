import type {AuditEvent} from '../../audit/event.js'
import {Candidates} from '../candidates.js'
import {FindingGroups} from '../group.js'
import {describeRequest, isSensitiveObject, networkOf, userAgentProduct} from '../match.js'
import type {RuleDefinition} from '../rule.js'

/** Secret/configmap access that does not look like this identity's past access. */
export const unusualSensitiveAccess: RuleDefinition = {
  id: 'unusual-sensitive-access',
  title: 'Secret or configmap access by an unusual agent, group, user or location',
  severity: 'medium',
  technique: {id: 'T1552.007', name: 'Unsecured Credentials: Container API'},
  description:
    'Compares each secret/configmap request in the checked part of the window with the baseline: a user name that ' +
    'never touched them before, or, for a known user, a new User-Agent product (kubectl, python-requests, ...: ' +
    'versions are ignored), a new group, or a new source network (IPv4 /24, IPv6 /64). The baseline is the state file ' +
    '(--state) plus the learning part of the window (--baseline). With neither, the rule stays silent (cold start). ' +
    'Allowlists apply on top.',
  fields: ['user.username', 'user.groups', 'userAgent', 'sourceIPs', 'objectRef.resource', 'requestReceivedTimestamp'],
  falsePositives: [
    'New deployments and new team members: expected once, then learned (keep --state between runs).',
    'Clients that change product name (a new SDK) or DHCP/NAT pools spanning several /24s.',
  ],
  settings: [],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Metadata'},
  create(_settings, baseline) {
    const groups = new FindingGroups(unusualSensitiveAccess)
    const candidates = new Candidates(unusualSensitiveAccess.id, baseline, (event: AuditEvent) => {
      if (!baseline.hasHistory('sensitiveAgents')) return
      if (baseline.isLearning(event.time)) return
      const who = event.user.username
      const sample = describeRequest(event)
      if (!baseline.knownIdentity('sensitiveAgents', who)) {
        groups.add(`user\u0000${who}`, event, {who, what: `new identity on ${event.resource}`, detail: `${who} never accessed secrets or configmaps in the baseline; e.g. ${sample}`})
        return
      }
      const agent = userAgentProduct(event.userAgent)
      if (!baseline.known('sensitiveAgents', who, agent)) {
        groups.add(`ua\u0000${who}\u0000${agent}`, event, {who, what: `new user agent ${agent}`, detail: `e.g. ${sample}`})
      }
      for (const g of event.user.groups) {
        if (!baseline.known('sensitiveGroups', who, g)) groups.add(`g\u0000${who}\u0000${g}`, event, {who, what: `new group ${g}`, detail: `e.g. ${sample}`})
      }
      for (const net of new Set(event.sourceIPs.map(networkOf))) {
        if (net && !baseline.known('sensitiveNetworks', who, net)) {
          groups.add(`n\u0000${who}\u0000${net}`, event, {who, what: `new source network ${net}`, detail: `e.g. ${sample}`})
        }
      }
    })
    return {
      onEvent(event) {
        if (isSensitiveObject(event)) candidates.push(event)
      },
      finish() {
        candidates.flush()
        return groups.findings()
      },
      limits: () => candidates.limits(),
    }
  },
}
