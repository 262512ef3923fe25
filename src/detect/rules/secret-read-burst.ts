import type {Finding} from '../finding.js'
import {FindingGroups} from '../group.js'
import {isCoreGroup} from '../match.js'
import {durationParam, numberParam} from '../params.js'
import type {RuleDefinition} from '../rule.js'

/**
 * Reads held before the rule prunes: a flood of identities that read a secret or two each would
 * otherwise keep every event of the log. Pruning drops only identities that cannot be in a burst:
 * fewer than `threshold` distinct secrets and nothing newer than two windows before the latest read.
 */
const READS_BUDGET = 200_000

/**
 * Identities with reads held at once. Past it, the least recently active identity with fewer than
 * `threshold` reads (so not a burst so far) is forgotten: exact unless more than this many
 * identities read secrets within the same stretch of the log, which only a flood does.
 */
const MAX_IDENTITIES = 10_000

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
    let held = 0
    let nextPrune = READS_BUDGET
    let latest = -Infinity
    let pruned = 0
    let evicted = 0
    const prune = () => {
      for (const [who, list] of reads) {
        let newest = -Infinity
        for (const r of list) newest = Math.max(newest, r.time)
        if (newest >= latest - 2 * windowMs) continue
        if (list.length >= threshold && new Set(list.map((r) => r.object)).size >= threshold) continue
        reads.delete(who)
        held -= list.length
        pruned++
      }
      // Whatever is left is needed: prune again only when it has doubled.
      nextPrune = Math.max(READS_BUDGET, 2 * held)
    }
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
        let list = reads.get(who)
        if (list) reads.delete(who) // re-inserted below: the map's order is least recently active first
        else list = []
        // Only what a finding keeps (time, user, evidence): a held read costs a tenth of its event.
        const slim = {time: event.time, verb: event.verb, user: event.user, sourceIPs: [], origin: event.origin, ...(event.auditID ? {auditID: event.auditID} : {})}
        list.push({time: event.time, object: `${event.namespace ?? ''}/${event.name}`, event: slim})
        reads.set(who, list)
        if (event.time > latest) latest = event.time
        if (++held > nextPrune) prune()
        if (reads.size > MAX_IDENTITIES) {
          for (const [other, reads_] of reads) {
            if (other === who || reads_.length >= threshold) continue
            reads.delete(other)
            held -= reads_.length
            evicted++
            break
          }
        }
      },
      limits() {
        const out: string[] = []
        if (pruned > 0) out.push(`secret-read-burst: forgot the reads of ${pruned.toLocaleString('en-US')} identities that could not be in a burst (under ${threshold} distinct secrets, older than two windows), to keep memory bounded`)
        if (evicted > 0) out.push(`secret-read-burst: more than ${MAX_IDENTITIES.toLocaleString('en-US')} identities read secrets at once; the reads of ${evicted.toLocaleString('en-US')} least recently active ones (under ${threshold} reads each) were forgotten`)
        return out
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
          if (burst && burst.folded === undefined) {
            burst.what = `read ${peak} distinct secrets within ${windowMs / 60000} min`
            burst.detail = `threshold ${threshold} distinct secrets per ${windowMs / 60000} min (sliding)`
          }
        }
        return groups.findings()
      },
    }
  },
}
