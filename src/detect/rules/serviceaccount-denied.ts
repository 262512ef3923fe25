import {FindingGroups} from '../group.js'
import {describeRequest, isDenied, serviceAccountOf} from '../match.js'
import {durationParam, numberParam} from '../params.js'
import type {RuleDefinition} from '../rule.js'

/** Service accounts run fixed code: a denial means changed code, a bad deployment, or someone else. */
export const serviceAccountDenied: RuleDefinition = {
  id: 'serviceaccount-denied',
  title: 'Service account with failed or forbidden requests',
  severity: 'low',
  technique: {id: 'T1613', name: 'Container and Resource Discovery'},
  description:
    'Reports each service account whose requests were refused (HTTP 401/403 or authorizer decision forbid). ' +
    'One finding per service account; it becomes medium when burstThreshold denials fall within burstWindow ' +
    '(sliding), the pattern of a stolen token probing what it may do. Impersonated requests do not count: an ' +
    'admin trying `kubectl --as=system:serviceaccount:...` holds no token of it (privileged-impersonation reports those).',
  fields: ['user.username', 'responseStatus.code', 'annotations.authorization.k8s.io/decision', 'verb', 'objectRef'],
  falsePositives: ['A workload deployed before its Role/RoleBinding, or with a missing permission after an upgrade.'],
  settings: [
    {name: 'burstThreshold', kind: 'positiveInt', default: 5, description: 'Denials within burstWindow that make a burst.'},
    {name: 'burstWindow', kind: 'duration', default: '10m', description: 'Sliding window for the burst.'},
  ],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Metadata'},
  create(settings) {
    const threshold = numberParam(settings, serviceAccountDenied, 'burstThreshold')
    const windowMs = durationParam(settings, serviceAccountDenied, 'burstWindow')
    const groups = new FindingGroups(serviceAccountDenied)
    const times = new Map<string, number[]>()
    const requests = new Map<string, Set<string>>()
    return {
      onEvent(event) {
        const who = event.user.username
        if (event.impersonator || !serviceAccountOf(who) || !isDenied(event)) return
        // Past the rule's cap of findings, a service account has no finding of its own: no burst state either.
        if (groups.add(who, event, {who, what: 'denied requests'}).folded !== undefined) return
        const list = times.get(who) ?? []
        list.push(event.time)
        times.set(who, list)
        const reqs = requests.get(who) ?? new Set<string>()
        if (reqs.size < 5) reqs.add(describeRequest(event))
        requests.set(who, reqs)
      },
      finish() {
        return groups.findings().map((f) => {
          if (f.folded !== undefined) return f
          const list = (times.get(f.who) ?? []).sort((a, b) => a - b)
          let best = 0
          for (let lo = 0, hi = 0; hi < list.length; hi++) {
            while ((list[hi] ?? 0) - (list[lo] ?? 0) > windowMs) lo++
            best = Math.max(best, hi - lo + 1)
          }
          const sample = [...(requests.get(f.who) ?? [])].join('; ')
          if (best >= threshold) {
            return {...f, severity: 'medium' as const, what: `burst of ${best} denied requests`, detail: `${best} denials within ${windowMs / 60000} min, e.g. ${sample}`}
          }
          return {...f, what: `${f.count} denied request(s)`, detail: `e.g. ${sample}`}
        })
      },
    }
  },
}
