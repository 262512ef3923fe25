// What "unusual" is compared with. For each identity that touched secrets/configmaps: the user
// agent products, groups and source networks it used; per identity, the networks kubectl came
// from; per identity, the authorizer reasons that let it touch RBAC objects. Each value keeps the
// time it was first seen, so one structure answers both "seen in an earlier run" (state file) and
// "seen in the learning part of this window" (first seen before the learning cut-off).
import {randomBytes} from 'node:crypto'
import {open, readFile, rename, unlink} from 'node:fs/promises'
import {dirname, basename, join} from 'node:path'
import type {AuditEvent} from '../audit/event.js'
import {HyperLogLog} from '../lib/hyperloglog.js'
import {isKubectl, isSensitiveObject, networkOf, senderOf, userAgentProduct} from './match.js'
import type {BaselineKind, BaselineView} from './rule.js'

export const BASELINE_KINDS: readonly BaselineKind[] = [
  'sensitiveAgents',
  'sensitiveGroups',
  'sensitiveNetworks',
  'kubectlNetworks',
  'rbacReasons',
]

/** identity → value → first time seen (epoch ms). */
export type SeenMap = Record<string, Record<string, number>>

export interface Baseline {
  version: 1
  /** Latest event time folded in. */
  updatedUntil?: number
  sensitiveAgents: SeenMap
  sensitiveGroups: SeenMap
  sensitiveNetworks: SeenMap
  kubectlNetworks: SeenMap
  rbacReasons: SeenMap
}

/**
 * A map keyed by attacker-controlled strings (user names, agents): no prototype, so a user named
 * `__proto__`, `constructor` or `toString` is an ordinary key, never Object.prototype.
 */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>
}

export function emptyBaseline(): Baseline {
  return {version: 1, sensitiveAgents: dict(), sensitiveGroups: dict(), sensitiveNetworks: dict(), kubectlNetworks: dict(), rbacReasons: dict()}
}

/**
 * Identities one baseline kind remembers (prior state included). A cluster has thousands; a log
 * crafted with millions of user names must not grow the state file (or this process) with them.
 * Policy: first come, first kept; identities already in the state are never dropped, new ones past
 * the cap are not learned, so they stay "new" (unusual) in this run and later ones, and the run
 * says so on stderr and in a detection-limits finding.
 */
export const MAX_BASELINE_IDENTITIES = 20_000

/** Values (agents, groups, networks, reasons) one identity remembers per kind; same policy. */
export const MAX_BASELINE_VALUES = 256

const RBAC_RESOURCES = new Set(['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'])

export function isRbacObject(event: AuditEvent): boolean {
  return event.apiGroup === 'rbac.authorization.k8s.io' && RBAC_RESOURCES.has(event.resource ?? '')
}

/** The values of one event, per baseline kind: exactly what learning records and rules compare. */
export function baselineValues(
  event: AuditEvent,
  network: (ip: string) => string | undefined = networkOf,
): Partial<Record<BaselineKind, string[]>> {
  const out: Partial<Record<BaselineKind, string[]>> = {}
  const networks = [...new Set(event.sourceIPs.map(network).filter((n): n is string => n !== undefined))]
  if (isSensitiveObject(event)) {
    out.sensitiveAgents = [userAgentProduct(event.userAgent)]
    out.sensitiveGroups = [...event.user.groups]
    out.sensitiveNetworks = networks
  }
  if (isKubectl(event.userAgent)) out.kubectlNetworks = networks
  if (isRbacObject(event) && event.reason) out.rbacReasons = [event.reason]
  return out
}

/** Learns this run's values and answers BaselineView questions against prior + learned. */
export class BaselineLearner {
  private readonly current: Baseline = emptyBaseline()
  private minTime = Infinity
  private maxTime = -Infinity
  private learnUntil = -Infinity
  /** hasHistory answers for this run's values: asked once per held event at finish, computed once. */
  private readonly historyCache = new Map<BaselineKind, boolean>()
  /** Identities per kind, prior ones included, to enforce MAX_BASELINE_IDENTITIES. */
  private readonly identities: Record<BaselineKind, number>
  private readonly unlearnedIdentities = new HyperLogLog(10)
  private unlearnedIdentityEvents = 0
  private unlearnedValues = 0
  /** Values per learned identity and kind, kept beside the maps so they stay plain records (JSON, attacker-chosen keys). */
  private readonly valueCounts = Object.fromEntries(BASELINE_KINDS.map((k) => [k, new Map<string, number>()])) as Record<BaselineKind, Map<string, number>>
  // Logs repeat the same few thousand client addresses; parsing each once matters on big inputs.
  private readonly networks = new Map<string, string | undefined>()
  private readonly network = (ip: string): string | undefined => {
    let net = this.networks.get(ip)
    if (net === undefined && !this.networks.has(ip)) {
      if (this.networks.size >= 65_536) this.networks.clear()
      net = networkOf(ip)
      this.networks.set(ip, net)
    }
    return net
  }

  /** `learning`: a learning period will be set (novelty can be judged even without prior state). */
  constructor(
    private readonly prior: Baseline,
    private readonly learning = false,
    private readonly maxIdentities = MAX_BASELINE_IDENTITIES,
    private readonly maxValues = MAX_BASELINE_VALUES,
  ) {
    this.identities = Object.fromEntries(BASELINE_KINDS.map((k) => [k, Object.keys(prior[k]).length])) as Record<BaselineKind, number>
  }

  private priorIsEmpty(): boolean {
    return BASELINE_KINDS.every((k) => Object.keys(this.prior[k]).length === 0)
  }

  /** Only the window's bounds: for runs that neither learn nor keep a state file. */
  observeTime(event: AuditEvent): void {
    if (Number.isFinite(event.time)) {
      this.minTime = Math.min(this.minTime, event.time)
      this.maxTime = Math.max(this.maxTime, event.time)
    }
  }

  observe(event: AuditEvent): void {
    this.observeTime(event)
    if (this.historyCache.size > 0) this.historyCache.clear()
    const values = baselineValues(event, this.network)
    for (const kind of BASELINE_KINDS) {
      const list = values[kind]
      if (!list || list.length === 0) continue
      // A kubectl network is the sender's (the impersonator's); the rest belongs to the identity acted as.
      const owner = kind === 'kubectlNetworks' ? senderOf(event).username : event.user.username
      let map = this.current[kind][owner]
      if (map === undefined) {
        const isNew = this.prior[kind][owner] === undefined
        if (isNew && this.identities[kind] >= this.maxIdentities) {
          this.unlearnedIdentities.add(owner)
          this.unlearnedIdentityEvents++
          continue
        }
        if (isNew) this.identities[kind]++
        map = this.current[kind][owner] = dict()
      }
      for (const v of list) {
        const seen = map[v]
        if (seen === undefined) {
          // Counted beside the map: Object.keys would cost O(values) per event.
          const counts = this.valueCounts[kind]
          const n = counts.get(owner) ?? 0
          if (n >= this.maxValues) {
            this.unlearnedValues++
            continue
          }
          map[v] = event.time
          counts.set(owner, n + 1)
        } else if (event.time < seen) map[v] = event.time
      }
    }
  }

  /** The bounds the baseline hit, one sentence each (empty when everything was learned). */
  limits(): string[] {
    const out: string[] = []
    if (this.unlearnedIdentityEvents > 0) {
      out.push(
        `baseline capped at ${this.maxIdentities.toLocaleString('en-US')} identities per kind; ≈${Math.max(1, this.unlearnedIdentities.estimate()).toLocaleString('en-US')} new identities beyond it were not learned ` +
          '(they count as new in this run and later ones)',
      )
    }
    if (this.unlearnedValues > 0) out.push(`baseline capped at ${this.maxValues} values (agents, groups, networks) per identity; ${this.unlearnedValues.toLocaleString('en-US')} more were not learned`)
    return out
  }

  get firstEventTime(): number {
    return this.minTime
  }

  get lastEventTime(): number {
    return this.maxTime
  }

  /** Set once the stream is read: events before this time are learning data. */
  setLearnUntil(time: number): void {
    this.learnUntil = time
    this.historyCache.clear()
  }

  view(): BaselineView {
    const enabled = this.learning || !this.priorIsEmpty()
    // The prior never changes: asked per event (final views check as they go), so answered once.
    const priorHistory = Object.fromEntries(BASELINE_KINDS.map((k) => [k, Object.keys(this.prior[k]).length > 0])) as Record<BaselineKind, boolean>
    return {
      enabled,
      final: !this.learning,
      known: (kind, identity, value) => {
        if (this.prior[kind][identity]?.[value] !== undefined) return true
        const seen = this.current[kind][identity]?.[value]
        return seen !== undefined && seen < this.learnUntil
      },
      knownIdentity: (kind, identity) => {
        if (this.prior[kind][identity] !== undefined) return true
        const values = this.current[kind][identity]
        return values !== undefined && Object.values(values).some((t) => t < this.learnUntil)
      },
      hasHistory: (kind) => {
        if (priorHistory[kind]) return true
        let known = this.historyCache.get(kind)
        if (known === undefined) {
          known = Object.values(this.current[kind]).some((m) => Object.values(m).some((t) => t < this.learnUntil))
          this.historyCache.set(kind, known)
        }
        return known
      },
      isLearning: (time) => time < this.learnUntil,
    }
  }

  /** Prior and learned values merged: the state to keep for the next run. */
  result(): Baseline {
    const out = emptyBaseline()
    for (const kind of BASELINE_KINDS) {
      for (const source of [this.prior[kind], this.current[kind]]) {
        for (const [identity, values] of Object.entries(source)) {
          const target = (out[kind][identity] ??= dict())
          for (const [v, t] of Object.entries(values)) {
            const seen = target[v]
            target[v] = seen === undefined ? t : Math.min(seen, t)
          }
        }
      }
    }
    const until = Math.max(this.prior.updatedUntil ?? -Infinity, this.maxTime)
    if (Number.isFinite(until)) out.updatedUntil = until
    return out
  }
}

export class BaselineStateError extends Error {}

/** Reads a state file; absent → empty baseline; unreadable or malformed → a clear error. */
export async function readBaselineState(path: string): Promise<Baseline> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyBaseline()
    throw new BaselineStateError(`${path}: cannot read state file (${(error as NodeJS.ErrnoException).code ?? String(error)})`)
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw new BaselineStateError(`${path}: state file is corrupt (not JSON); delete it to start a new baseline`)
  }
  return validateBaseline(doc, path)
}

export function validateBaseline(doc: unknown, label: string): Baseline {
  const bad = (what: string) =>
    new BaselineStateError(`${label}: state file is corrupt (${what}); delete it to start a new baseline`)
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('not a JSON object')
  const obj = doc as Record<string, unknown>
  if (obj.version !== 1) throw bad(`unsupported version ${JSON.stringify(obj.version)}`)
  const out = emptyBaseline()
  if (obj.updatedUntil !== undefined) {
    if (typeof obj.updatedUntil !== 'number') throw bad('updatedUntil is not a number')
    out.updatedUntil = obj.updatedUntil
  }
  for (const kind of BASELINE_KINDS) {
    const map = obj[kind] ?? {}
    if (typeof map !== 'object' || map === null || Array.isArray(map)) throw bad(`${kind} is not an object`)
    for (const [identity, values] of Object.entries(map as Record<string, unknown>)) {
      if (typeof values !== 'object' || values === null || Array.isArray(values)) throw bad(`${kind}.${identity} is not an object`)
      const target = dict<number>()
      for (const [v, t] of Object.entries(values as Record<string, unknown>)) {
        if (typeof t !== 'number' || !Number.isFinite(t)) throw bad(`${kind}.${identity} has a non-numeric time`)
        target[v] = t
      }
      out[kind][identity] = target
    }
  }
  return out
}

/**
 * Writes the state so that a crash at any point leaves either the old or the new file, never a
 * torn one: write a temp file in the same directory, fsync it, rename over, fsync the directory.
 */
export async function writeBaselineState(path: string, baseline: Baseline): Promise<void> {
  const dir = dirname(path)
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  const handle = await open(temp, 'wx', 0o600)
  try {
    await handle.writeFile(JSON.stringify(baseline) + '\n', 'utf8')
    await handle.sync()
  } catch (error) {
    await handle.close()
    await unlink(temp).catch(() => {})
    throw error
  }
  await handle.close()
  try {
    await rename(temp, path)
  } catch (error) {
    await unlink(temp).catch(() => {})
    throw error
  }
  // The rename itself must reach the disk; some file systems refuse fsync on a directory.
  try {
    const d = await open(dir, 'r')
    try {
      await d.sync()
    } finally {
      await d.close()
    }
  } catch {
    /* best effort */
  }
}
