import type {Finding} from '../finding.js'
import {FindingGroups} from '../group.js'
import {isCoreGroup} from '../match.js'
import {durationParam, numberParam} from '../params.js'
import type {RuleDefinition} from '../rule.js'

/** Harvesting: many secrets in a short time, or all of them in one cluster-wide list. */
export const secretReadBurst: RuleDefinition = {
  id: 'secret-read-burst',
  title: 'Secret enumeration: burst of reads or cluster-wide list',
  severity: 'high',
  technique: {id: 'T1552.007', name: 'Unsecured Credentials: Container API'},
  description:
    'Fires when one identity reads at least `threshold` distinct secrets (by namespace/name) within `window` ' +
    '(sliding), and on any list or watch of secrets across all namespaces (no namespace in the request), which ' +
    'returns every secret of the cluster in one response. Denied requests do not count.',
  fields: ['verb', 'objectRef.resource', 'objectRef.namespace', 'objectRef.name', 'user.username', 'responseStatus.code'],
  falsePositives: [
    'Backup tools, secret syncers (external-secrets, sealed-secrets, Vault agents) and operators that cache secrets.',
  ],
  settings: [
    {name: 'threshold', kind: 'positiveInt', default: 15, description: 'Distinct secrets read within the window.'},
    {name: 'window', kind: 'duration', default: '30m', description: 'Sliding window for the distinct count.'},
  ],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Metadata'},
  create(settings) {
    const threshold = numberParam(settings, secretReadBurst, 'threshold')
    const windowMs = durationParam(settings, secretReadBurst, 'window')
    const groups = new FindingGroups(secretReadBurst)
    const reads = new Map<string, {time: number; object: string; event: Parameters<typeof groups.add>[1]}[]>()
    return {
      onEvent(event) {
        if (event.resource !== 'secrets' || !isCoreGroup(event) || event.subresource) return
        if (event.code !== undefined && event.code >= 400) return
        if (event.decision === 'forbid') return
        const who = event.user.username
        if ((event.verb === 'list' || event.verb === 'watch') && !event.namespace) {
          groups.add(`all\u0000${who}`, event, {who, what: `${event.verb} secrets in all namespaces`, detail: 'one response holds every secret of the cluster'})
          return
        }
        if (event.verb !== 'get' || !event.name) return
        const list = reads.get(who) ?? []
        list.push({time: event.time, object: `${event.namespace ?? ''}/${event.name}`, event})
        reads.set(who, list)
      },
      finish() {
        for (const [who, list] of reads) {
          list.sort((a, b) => a.time - b.time)
          const inWindow = new Map<string, number>()
          let lo = 0
          let burst: Finding | undefined
          let peak = 0
          for (let hi = 0; hi < list.length; hi++) {
            const cur = list[hi]!
            inWindow.set(cur.object, (inWindow.get(cur.object) ?? 0) + 1)
            while (cur.time - list[lo]!.time > windowMs) {
              const old = list[lo]!.object
              const n = (inWindow.get(old) ?? 1) - 1
              if (n === 0) inWindow.delete(old)
              else inWindow.set(old, n)
              lo++
            }
            if (!burst && inWindow.size >= threshold) {
              // The finding starts with the whole window that crossed the threshold.
              for (let i = lo; i < hi; i++) burst = groups.add(`burst\u0000${who}`, list[i]!.event, {who, what: ''})
            }
            // Reads count while the window holds a burst; a quiet read days later does not.
            if (inWindow.size >= threshold) {
              burst = groups.add(`burst\u0000${who}`, cur.event, {who, what: ''})
              peak = Math.max(peak, inWindow.size)
            }
          }
          if (burst) {
            burst.what = `read ${peak} distinct secrets within ${windowMs / 60000} min`
            burst.detail = `threshold ${threshold} distinct secrets per ${windowMs / 60000} min (sliding)`
          }
        }
        return groups.findings()
      },
    }
  },
}
