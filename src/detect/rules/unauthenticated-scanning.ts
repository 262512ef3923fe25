import type {Finding} from '../finding.js'
import {FindingGroups} from '../group.js'
import {isDenied} from '../match.js'
import {numberParam} from '../params.js'
import type {RuleDefinition} from '../rule.js'

/** Many refusals from one address: a scanner or a brute force, whoever it claims to be. */
export const unauthenticatedScanning: RuleDefinition = {
  id: 'unauthenticated-scanning',
  title: 'Scanning: many denied requests from one source IP',
  severity: 'medium',
  technique: {id: 'T1595', name: 'Active Scanning'},
  description:
    'Counts denied requests (401, 403, decision forbid) per source IP over the whole analysed window and reports each ' +
    'address with more than `threshold` of them. Most come from system:anonymous, but any identity counts: a scanner ' +
    'with a stolen low-privilege token looks the same. Each finding names the identities seen from that address.',
  fields: ['sourceIPs', 'responseStatus.code', 'annotations.authorization.k8s.io/decision', 'user.username'],
  falsePositives: ['A misconfigured client retrying in a loop.', 'Health checkers probing endpoints they may not read.'],
  settings: [{name: 'threshold', kind: 'positiveInt', default: 5, description: 'Report an address with more denials than this.'}],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Metadata'},
  create(settings) {
    const threshold = numberParam(settings, unauthenticatedScanning, 'threshold')
    const groups = new FindingGroups(unauthenticatedScanning)
    const who = new Map<string, Set<string>>()
    const address = new Map<Finding, string>()
    return {
      onEvent(event) {
        if (!isDenied(event)) return
        const ip = event.sourceIPs[0]
        if (!ip) return
        const finding = groups.add(ip, event, {who: event.user.username, what: `denied requests from ${ip}`})
        if (finding.folded !== undefined) return
        address.set(finding, ip)
        const set = who.get(ip) ?? new Set<string>()
        // The finding names five; counting past a hundred identities per address adds nothing.
        if (set.size < 100) set.add(event.user.username)
        who.set(ip, set)
      },
      finish() {
        return groups
          .findings()
          .filter((f) => f.count > threshold)
          .map((f) => {
            if (f.folded !== undefined) return f
            const ip = address.get(f) ?? ''
            const ids = [...(who.get(ip) ?? [])]
            return {...f, who: ids.length === 1 ? (ids[0] ?? f.who) : `${ids.length}${ids.length >= 100 ? '+' : ''} identities`, what: `${f.count} denied requests from ${ip}`, detail: `identities: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''}`}
          })
      },
    }
  },
}
