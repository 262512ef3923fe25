// `unused`: who can read secrets and configmaps (RBAC, optionally with the indirect paths) joined
// with who did (audit logs). Grants nobody used are pure risk: each gets the narrowest RBAC change
// that removes it, as objects `kubectl apply` accepts. Reads the audit log once, streaming; memory
// grows with the number of distinct identities and objects, never with the number of events.
import {createHash} from 'node:crypto'
import type {AuditEvent} from '../audit/event.js'
import type {KubeOptions} from '../kube/flags.js'
import {redactSecrets} from '../lib/redact.js'
import {sanitizeForTerminal} from '../lib/sanitize.js'
import {shellQuote} from '../lib/shell-quote.js'
import type {MissingRead} from '../kube/rbac-fetch.js'
import {authorize, indexSnapshot, resolveRoleRef, type IndexedSnapshot} from '../rbac/authorizer.js'
import {indirectWhoCan, type IndirectGrant, type IndirectKind} from '../rbac/indirect.js'
import {ruleAllows, serviceAccountUsername} from '../rbac/matches.js'
import type {Binding, PolicyRule, RbacSnapshot, ResourceRequest, Subject} from '../rbac/types.js'
import {SUPERUSER_GROUP, whoCan, type GrantedAccess, type GrantPath, type Scope, type SubjectGrant, type SubjectKind, type WhoCanTarget} from '../rbac/who-can.js'

export interface UnusedOptions {
  /** Offline: RBAC from these files or folders instead of a cluster. */
  manifests?: string[]
  kube: KubeOptions
  /** Audit inputs: files, folders, globs, `-`. */
  files: string[]
  /** `30d`: only events newer than this, relative to `now`. Default: the whole log. */
  since?: string
  now?: number
  namespace?: string
  /** Default when no namespace is given: the join is about the whole cluster. */
  allNamespaces: boolean
  indirect: boolean
  onWarning?: (message: string) => void
  onProgress?: (message: string) => void
}

export class UnusedUsageError extends Error {
  override name = 'UnusedUsageError'
}

/** What the audit log shows for one subject, identity or path. */
export interface Evidence {
  count: number
  /** RFC 3339. */
  firstAccess?: string
  lastAccess?: string
  verbs: string[]
  namespaces: string[]
  /** `payments/secrets/db` (named) or `payments/secrets` (a list or watch); at most MAX_OBJECTS. */
  objects: string[]
  /** Distinct objects, including those beyond `objects`. */
  objectCount: number
}

export type UsageClass = 'used' | 'unused'

export interface SubjectUsage {
  class: UsageClass
  kind: SubjectKind
  name: string
  namespace?: string
  key: string
  access: GrantedAccess[]
  scope: Scope
  /** `ClusterRoleBinding/x -> ClusterRole/y`. */
  grantedBy: string[]
  /** Bindings (`ClusterRoleBinding/x`, `RoleBinding/ns/x`) the evidence went through. */
  usedBindings: string[]
  evidence: Evidence
  superuser?: boolean
  broad?: boolean
  /** Ids of suggestions about this subject. */
  suggestions: string[]
  /** What could not be suggested automatically, and why. */
  notes: string[]
}

export interface IndirectUsage {
  class: UsageClass
  kind: SubjectKind
  name: string
  namespace?: string
  key: string
  path: IndirectKind
  label: string
  explanation: string[]
  scope: Scope
  grantedBy: string[]
  evidence: Evidence
}

export type NoGrantReason = 'node-authorizer' | 'non-rbac-authorizer' | 'removed-binding' | 'unknown'

/** An identity that read secrets/configmaps successfully although no RBAC object explains it. */
export interface NoGrantAccess {
  user: string
  reason: NoGrantReason
  /** In words, from the event's authorization reason when it has one. */
  explanation: string
  evidence: Evidence
}

export interface DeniedAccess {
  user: string
  /** Authorization reasons or response reasons seen (short, deduplicated). */
  reasons: string[]
  evidence: Evidence
}

export type SuggestionAction = 'delete-binding' | 'remove-subjects' | 'replace-with-least-privilege'

export interface K8sObject {
  apiVersion: string
  kind: string
  metadata: {name: string; namespace?: string; labels?: Record<string, string>}
  [field: string]: unknown
}

export interface Suggestion {
  id: string
  action: SuggestionAction
  /** Subjects the change is about. */
  subjects: string[]
  summary: string
  /** Objects to delete (`kubectl delete`), as references; their full objects are in `objects`. */
  deletes: {kind: 'ClusterRoleBinding' | 'RoleBinding'; name: string; namespace?: string}[]
  /** Full objects: to apply, or (delete-binding) the object to delete. */
  objects: K8sObject[]
  /** File name for --write-suggestions. */
  file: string
  /** Other suggestion files that belong with this one (a replacement's binding deletions/edits). */
  with?: string[]
}

export interface UnusedReport {
  source: {kind: 'manifests'; paths: string[]} | {kind: 'cluster'; server: string; context?: string}
  scope: {namespace?: string; allNamespaces: boolean}
  window: {since?: string; from?: string; to: string; firstEvent?: string; lastEvent?: string}
  audit: {events: number; sensitiveEvents: number; skipped: number; skipReasons: Record<string, number>}
  subjects: SubjectUsage[]
  indirect?: IndirectUsage[]
  noGrant: NoGrantAccess[]
  denied: DeniedAccess[]
  suggestions: Suggestion[]
  warnings: string[]
  /** RBAC objects the answer lacks: lists that could not be read, inputs or objects skipped as malformed or unreadable (named in `warnings`). */
  incomplete?: {missing: MissingRead[]; skipped?: {source: string; reason: string}[]}
}

const MAX_OBJECTS = 20
const READ_VERBS = ['get', 'list', 'watch']
const SENSITIVE = new Set(['secrets', 'configmaps'])
const RBAC_GROUP = 'rbac.authorization.k8s.io'
// The recommended label (app.kubernetes.io/managed-by) says who wrote the object, for later clean-up.
const MANAGED_LABEL = 'app.kubernetes.io/managed-by'

export async function runUnused(options: UnusedOptions): Promise<UnusedReport> {
  if (options.allNamespaces && options.namespace) throw new UnusedUsageError('use either -n/--namespace or -A/--all-namespaces, not both')
  if (options.files.length === 0) throw new UnusedUsageError('give at least one audit log with -f')
  const now = options.now ?? Date.now()
  const namespace = options.allNamespaces ? undefined : options.namespace
  const {openRecent, describeSkips} = await import('../audit/recent.js')
  const {FilterError} = await import('../audit/filter.js')
  let stream
  try {
    stream = openRecent({
      inputs: options.files,
      now,
      filter: {
        ...(options.since ? {since: options.since} : {}),
        // Indirect paths are seen in events on pods, tokens, RBAC objects...: read everything then.
        resource: options.indirect ? 'all' : 'secrets,configmaps',
      },
    })
  } catch (error) {
    if (error instanceof FilterError) throw new UnusedUsageError(error.message)
    throw error
  }
  // The stream reads nothing until iterated: bad flags fail above, before any connection.
  const loaded = await loadSnapshot(options)
  const analysis = createUsageAnalysis(loaded.snapshot, {namespace, indirect: options.indirect})
  options.onProgress?.(`reading audit events from ${options.files.join(', ')}`)
  for await (const event of stream) analysis.add(event)
  const skips = describeSkips(stream.stats).trimEnd()
  if (skips) options.onWarning?.(skips.replace(/^warning: /, ''))
  const result = analysis.finish()
  const report: UnusedReport = {
    source: loaded.source,
    scope: {...(namespace ? {namespace} : {}), allNamespaces: namespace === undefined},
    window: {
      ...(options.since ? {since: options.since, from: new Date(stream.filter.from ?? now).toISOString()} : {}),
      to: new Date(now).toISOString(),
      ...result.window,
    },
    audit: {events: stream.stats.events, sensitiveEvents: result.sensitiveEvents, skipped: stream.stats.skipped, skipReasons: {...stream.stats.skipReasons} as Record<string, number>},
    subjects: result.subjects,
    ...(result.indirect ? {indirect: result.indirect} : {}),
    noGrant: result.noGrant,
    denied: result.denied,
    suggestions: result.suggestions,
    warnings: [...loaded.warnings, ...result.warnings],
  }
  if (loaded.missing.length > 0 || loaded.skipped.length > 0) report.incomplete = {missing: loaded.missing, ...(loaded.skipped.length > 0 ? {skipped: loaded.skipped} : {})}
  return report
}

async function loadSnapshot(options: UnusedOptions): Promise<{snapshot: RbacSnapshot; source: UnusedReport['source']; warnings: string[]; missing: MissingRead[]; skipped: {source: string; reason: string}[]}> {
  if (options.manifests && options.manifests.length > 0) {
    const {loadManifests} = await import('../kube/load-manifests.js')
    const loaded = await loadManifests(options.manifests)
    return {snapshot: loaded.snapshot, source: {kind: 'manifests', paths: options.manifests}, warnings: loaded.warnings, missing: [], skipped: loaded.skipped}
  }
  const {createKubeClient} = await import('../kube/client.js')
  const {fetchRbacSnapshot} = await import('../kube/rbac-fetch.js')
  const client = await createKubeClient(options.kube, {onWarning: options.onWarning})
  try {
    options.onProgress?.(`reading RBAC objects from ${client.server}`)
    const fetched = await fetchRbacSnapshot(client, {namespaces: true})
    return {
      snapshot: fetched.snapshot,
      source: {kind: 'cluster', server: client.server, ...(client.config.contextName ? {context: client.config.contextName} : {})},
      warnings: [
        ...fetched.missing.map((m) => `cannot ${m.description}: ${m.reason} (the answer may miss subjects)`),
        ...fetched.malformed.map((m) => `skipped ${m.object}: ${m.problem} (malformed; the answer may miss subjects)`),
      ],
      missing: fetched.missing,
      skipped: fetched.malformed.map((m) => ({source: m.object, reason: m.problem})),
    }
  } finally {
    client.close()
  }
}

// ---------------------------------------------------------------------------------------------
// The join, pure: a snapshot, then events one by one, then the classified result.

export interface UsageAnalysis {
  add(event: AuditEvent): void
  finish(): {
    subjects: SubjectUsage[]
    indirect?: IndirectUsage[]
    noGrant: NoGrantAccess[]
    denied: DeniedAccess[]
    suggestions: Suggestion[]
    warnings: string[]
    sensitiveEvents: number
    window: {firstEvent?: string; lastEvent?: string}
  }
}

interface Use {
  time: number
  verb: string
  namespace: string
  resource: string
  name?: string
}

class EvidenceAcc {
  count = 0
  first = Infinity
  last = -Infinity
  verbs = new Set<string>()
  namespaces = new Set<string>()
  objects = new Set<string>()
  /** Every use, kept as distinct (namespace, resource, verb, name) for least-privilege rules. */
  uses = new Map<string, Use>()

  add(use: Use): void {
    this.count++
    if (use.time < this.first) this.first = use.time
    if (use.time > this.last) this.last = use.time
    this.verbs.add(use.verb)
    if (use.namespace) this.namespaces.add(use.namespace)
    this.objects.add(`${use.namespace || '(all namespaces)'}/${use.resource}${use.name ? `/${use.name}` : ''}`)
    const key = `${use.namespace}\u0000${use.resource}\u0000${use.verb}\u0000${use.name ?? ''}`
    if (!this.uses.has(key)) this.uses.set(key, use)
  }

  result(): Evidence {
    const objects = [...this.objects].sort(cmp)
    return {
      count: this.count,
      ...(this.count > 0 ? {firstAccess: iso(this.first), lastAccess: iso(this.last)} : {}),
      verbs: READ_VERBS.filter((v) => this.verbs.has(v)).concat([...this.verbs].filter((v) => !READ_VERBS.includes(v)).sort(cmp)),
      namespaces: [...this.namespaces].sort(cmp),
      objects: objects.slice(0, MAX_OBJECTS),
      objectCount: objects.length,
    }
  }
}

interface DirectState {
  grant: SubjectGrant
  evidence: EvidenceAcc
  usedBindings: Set<string>
}

interface IndirectState {
  grant: IndirectGrant
  evidence: EvidenceAcc
}

export function createUsageAnalysis(snapshot: RbacSnapshot, options: {namespace?: string; indirect: boolean}): UsageAnalysis {
  const index = indexSnapshot(snapshot)
  const scope = {allNamespaces: options.namespace === undefined, ...(options.namespace ? {namespace: options.namespace} : {})}
  const answer = whoCan(index, {verbs: READ_VERBS, targets: [...sensitiveTargets(), ...namedTargets(snapshot)], ...scope})
  const direct: DirectState[] = answer.subjects.map((grant) => ({grant: {...grant, access: compactAccess(grant.access)}, evidence: new EvidenceAcc(), usedBindings: new Set()}))
  const indirect: IndirectState[] = options.indirect ? indirectWhoCan(index, scope).map((grant) => ({grant, evidence: new EvidenceAcc()})) : []
  const noGrant = new Map<string, {user: string; reason: NoGrantReason; explanation: string; evidence: EvidenceAcc}>()
  const denied = new Map<string, {user: string; reasons: Set<string>; evidence: EvidenceAcc}>()
  let sensitiveEvents = 0
  let first = Infinity
  let last = -Infinity

  const inScope = (ns: string | undefined) => !options.namespace || ns === options.namespace
  // Subjects by the identity they match, so each event costs a few map lookups, not a scan of
  // every subject (clusters have thousands; logs have millions of events).
  const directIndex = identityIndex(direct)
  const indirectIndex = identityIndex(indirect)
  // Distinct (identity, request) pairs are few next to events: RBAC is asked once per pair.
  const rbacAllows = new Map<string, boolean>()

  return {
    add(event: AuditEvent) {
      const resource = event.resource ?? ''
      const sensitive = SENSITIVE.has(resource) && !event.subresource && (event.apiGroup ?? '') === ''
      const authorized = isAuthorized(event)
      if (sensitive && inScope(event.namespace)) {
        sensitiveEvents++
        if (event.time < first) first = event.time
        if (event.time > last) last = event.time
        const use: Use = {time: event.time, verb: event.verb, namespace: event.namespace ?? '', resource, ...(event.name ? {name: event.name} : {})}
        if (!authorized) {
          const user = event.user.username
          let d = denied.get(user)
          if (!d) denied.set(user, (d = {user, reasons: new Set(), evidence: new EvidenceAcc()}))
          d.evidence.add(use)
          const why = event.reason || event.statusReason
          if (why && d.reasons.size < 5) d.reasons.add(redactSecrets(why).slice(0, 200))
        } else if (READ_VERBS.includes(event.verb)) {
          const attrs: ResourceRequest = {kind: 'resource', verb: event.verb, apiGroup: '', resource, ...(event.name ? {name: event.name} : {}), ...(event.namespace ? {namespace: event.namespace} : {})}
          const who = {user: event.user.username, groups: event.user.groups ?? []}
          let explained = false
          // When the event names the authorizer that allowed it, only that grant was exercised:
          // a kubelet read allowed by the Node authorizer does not use a system:authenticated
          // binding, and an RBAC reason names the one binding the server chose.
          const source = allowedBy(event.reason)
          const candidates = source.kind === 'other' ? [] : directIndex(who)
          for (const state of candidates) {
            let through = pathsAllowing(state.grant.paths, attrs, who)
            if (source.kind === 'rbac') {
              // The reason names the subject too: with several matching subjects, credit that one.
              const mine = subjectReasonName(state.grant)
              if (source.subject && mine !== source.subject && candidates.some((d) => subjectReasonName(d.grant) === source.subject)) continue
              const named = through.filter((p) => rbacReasonName(p) === source.binding)
              if (named.length > 0) through = named
              else if (candidates.some((d) => d.grant.paths.some((p) => rbacReasonName(p) === source.binding))) continue
            }
            if (through.length === 0) continue
            explained = true
            state.evidence.add(use)
            for (const p of through) state.usedBindings.add(bindingText(p))
          }
          const cacheKey = `${who.user}\u0000${who.groups.join(',')}\u0000${event.verb}\u0000${attrs.namespace ?? ''}\u0000${resource}\u0000${attrs.name ?? ''}`
          let allowed = explained || who.groups.includes(SUPERUSER_GROUP) ? true : rbacAllows.get(cacheKey)
          if (allowed === undefined) rbacAllows.set(cacheKey, (allowed = authorize(index, who, attrs).allowed))
          if (!allowed) {
            const why = noGrantReason(event)
            const k = `${who.user}\u0000${why.reason}`
            let n = noGrant.get(k)
            if (!n) noGrant.set(k, (n = {user: who.user, ...why, evidence: new EvidenceAcc()}))
            n.evidence.add(use)
          }
        }
      }
      // Cluster-scoped events (nodes/proxy, webhooks, CSRs) have no namespace and count in any scope.
      if (options.indirect && authorized && (!event.namespace || inScope(event.namespace))) {
        const kinds = indirectUseOf(event)
        for (const kind of kinds) {
          const actor = kind === 'impersonate' && event.impersonator ? event.impersonator : event.user
          const who = {user: actor.username, groups: actor.groups ?? []}
          for (const state of indirectIndex(who)) {
            if (state.grant.path !== kind) continue
            if (!scopeCovers(state.grant.scope, event.namespace ?? '')) continue
            state.evidence.add({time: event.time, verb: event.verb, namespace: event.namespace ?? '', resource: event.subresource ? `${resource}/${event.subresource}` : resource, ...(event.name ? {name: event.name} : {})})
          }
        }
      }
    },
    finish() {
      const subjects: SubjectUsage[] = direct.map((s) => ({
        class: s.evidence.count > 0 ? 'used' : 'unused',
        kind: s.grant.kind,
        name: s.grant.name,
        ...(s.grant.namespace !== undefined ? {namespace: s.grant.namespace} : {}),
        key: s.grant.key,
        access: s.grant.access,
        scope: s.grant.scope,
        grantedBy: s.grant.paths.map(pathDescription),
        usedBindings: [...s.usedBindings].sort(cmp),
        evidence: s.evidence.result(),
        ...(s.grant.superuser ? {superuser: true} : {}),
        ...(s.grant.broad ? {broad: true} : {}),
        suggestions: [],
        notes: [],
      }))
      const suggestions = suggest(index, direct, subjects, options.namespace)
      const result: ReturnType<UsageAnalysis['finish']> = {
        subjects,
        noGrant: [...noGrant.values()]
          .map((n) => ({user: n.user, reason: n.reason, explanation: n.explanation, evidence: n.evidence.result()}))
          .sort((a, b) => b.evidence.count - a.evidence.count || cmp(a.user, b.user)),
        denied: [...denied.values()]
          .map((d) => ({user: d.user, reasons: [...d.reasons], evidence: d.evidence.result()}))
          .sort((a, b) => b.evidence.count - a.evidence.count || cmp(a.user, b.user)),
        suggestions,
        warnings: answer.warnings.map((w) => w.message),
        sensitiveEvents,
        window: Number.isFinite(first) ? {firstEvent: iso(first), lastEvent: iso(last)} : {},
      }
      if (options.indirect) {
        result.indirect = indirect.map((s) => ({
          class: s.evidence.count > 0 ? 'used' : 'unused',
          kind: s.grant.kind,
          name: s.grant.name,
          ...(s.grant.namespace !== undefined ? {namespace: s.grant.namespace} : {}),
          key: s.grant.key,
          path: s.grant.path,
          label: s.grant.label,
          explanation: s.grant.explanation,
          scope: s.grant.scope,
          grantedBy: s.grant.synthetic ? ['Node authorizer (outside RBAC)'] : s.grant.paths.map(pathDescription),
          evidence: s.evidence.result(),
        }))
      }
      return result
    },
  }
}

function sensitiveTargets(): WhoCanTarget[] {
  return [
    {kind: 'resource', apiGroup: '', resource: 'secrets', namespaced: true},
    {kind: 'resource', apiGroup: '', resource: 'configmaps', namespaced: true},
  ]
}

/** Named targets for every resourceNames rule on secrets/configmaps, so name-limited grants are subjects too. */
function namedTargets(snapshot: RbacSnapshot): WhoCanTarget[] {
  const seen = new Set<string>()
  const out: WhoCanTarget[] = []
  for (const role of [...snapshot.roles, ...snapshot.clusterRoles]) {
    for (const rule of role.rules ?? []) {
      if (!rule.resourceNames?.length) continue
      if (!(rule.apiGroups ?? []).some((g) => g === '' || g === '*')) continue
      for (const resource of ['secrets', 'configmaps']) {
        if (!(rule.resources ?? []).some((r) => r === resource || r === '*')) continue
        for (const name of rule.resourceNames) {
          const k = `${resource}/${name}`
          if (seen.has(k)) continue
          seen.add(k)
          out.push({kind: 'resource', apiGroup: '', resource, name, namespaced: true})
        }
      }
    }
  }
  return out
}

/** Named accesses already implied by the unnamed one (same verb, resource, wider scope) are dropped. */
function compactAccess(access: GrantedAccess[]): GrantedAccess[] {
  return access.filter((a) => {
    const m = /^(\w+) "/.exec(a.target)
    if (!m) return true
    const broad = access.find((b) => b.verb === a.verb && b.target === m[1])
    if (!broad) return true
    if (broad.scope.clusterWide) return false
    return a.scope.clusterWide || !a.scope.namespaces.every((ns) => broad.scope.namespaces.includes(ns))
  })
}

/** Allowed by the authorizer chain: a 403 or a `forbid` decision is a denial; 401 never reached it. */
function isAuthorized(event: AuditEvent): boolean {
  if (event.decision === 'forbid') return false
  if (event.decision === 'allow') return true
  return event.code !== 401 && event.code !== 403
}

/** A lookup of the subjects an identity (user + groups) matches, in their original order. */
function identityIndex<T extends {grant: {kind: string; name: string; namespace?: string}}>(states: T[]): (who: {user: string; groups: readonly string[]}) => T[] {
  const byUser = new Map<string, number[]>()
  const byGroup = new Map<string, number[]>()
  states.forEach((state, i) => {
    const g = state.grant
    const key = g.kind === 'ServiceAccount' && g.namespace !== undefined ? serviceAccountUsername(g.namespace, g.name) : g.kind === 'User' ? g.name : undefined
    const map = g.kind === 'Group' ? byGroup : key !== undefined ? byUser : undefined
    if (!map) return
    const k = g.kind === 'Group' ? g.name : key!
    map.set(k, [...(map.get(k) ?? []), i])
  })
  return (who) => {
    const found = [...(byUser.get(who.user) ?? [])]
    for (const group of new Set(who.groups)) for (const item of byGroup.get(group) ?? []) found.push(item)
    return found.sort((a, b) => a - b).map((i) => states[i]!).filter((s) => identityMatches(s.grant, who))
  }
}

function identityMatches(s: {kind: string; name: string; namespace?: string}, who: {user: string; groups: readonly string[]}): boolean {
  switch (s.kind) {
    case 'ServiceAccount':
      return s.namespace !== undefined && who.user === serviceAccountUsername(s.namespace, s.name)
    case 'User':
      return who.user === s.name
    case 'Group':
      return who.groups.includes(s.name)
    default:
      return false
  }
}

function pathsAllowing(paths: GrantPath[], attrs: ResourceRequest, who: {groups: readonly string[]}): GrantPath[] {
  return paths.filter((p) => {
    if (p.synthetic) return p.binding.name === SUPERUSER_GROUP && who.groups.includes(SUPERUSER_GROUP)
    if (!p.clusterWide && p.namespace !== attrs.namespace) return false
    return p.rules.some((m) => ruleAllows(attrs, m.rule))
  })
}

/** Which authorizer allowed an event, from its authorization.k8s.io/reason annotation. */
function allowedBy(reason: string | undefined): {kind: 'unknown'} | {kind: 'rbac'; binding: string; subject?: string} | {kind: 'other'} {
  if (!reason) return {kind: 'unknown'}
  const m = /^RBAC: allowed by (\w+ "[^"]*")(?: of \w+ "[^"]*" to (\w+ "[^"]*"))?/.exec(reason)
  if (!m) return {kind: 'other'}
  return {kind: 'rbac', binding: m[1]!, ...(m[2] ? {subject: m[2]} : {})}
}

/** A subject as the API server prints it in a reason (rbac.go describeSubject). */
function subjectReasonName(s: {kind: string; name: string; namespace?: string}): string {
  return s.kind === 'ServiceAccount' ? `ServiceAccount "${s.name}/${s.namespace ?? ''}"` : `${s.kind} "${s.name}"`
}

/** A path's binding as the API server prints it in a reason: `RoleBinding "name/namespace"` (sic). */
function rbacReasonName(p: GrantPath): string {
  return p.binding.kind === 'RoleBinding' ? `RoleBinding "${p.binding.name}/${p.binding.namespace ?? ''}"` : `${p.binding.kind} "${p.binding.name}"`
}

function scopeCovers(scope: Scope, namespace: string): boolean {
  return scope.clusterWide || (namespace !== '' && scope.namespaces.includes(namespace))
}

function noGrantReason(event: AuditEvent): {reason: NoGrantReason; explanation: string} {
  const reason = event.reason ?? ''
  if (event.user.username.startsWith('system:node:') || /node authorizer/i.test(reason)) {
    return {reason: 'node-authorizer', explanation: 'the Node authorizer: a kubelet reads the secrets and configmaps of the pods on its node (no RBAC binding needed)'}
  }
  const rbac = /^RBAC: allowed by (\w+ "[^"]*")/.exec(reason)
  if (rbac) {
    return {reason: 'removed-binding', explanation: `a binding that is no longer there: the server allowed it by ${rbac[1]}, which is not among the RBAC objects read`}
  }
  if (reason) return {reason: 'non-rbac-authorizer', explanation: `another authorizer (webhook, cloud IAM): "${redactSecrets(reason).slice(0, 200)}"`}
  return {
    reason: 'unknown',
    explanation: 'no RBAC path explains it and the event carries no authorization reason: a non-RBAC authorizer (webhook, cloud IAM) or a since-removed binding',
  }
}

const POD_CONTROLLERS = new Set(['pods', 'replicationcontrollers', 'deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs'])
const WRITE_VERBS = new Set(['create', 'update', 'patch'])

/** Which indirect paths an (authorized) event exercised. */
export function indirectUseOf(event: AuditEvent): IndirectKind[] {
  const kinds: IndirectKind[] = []
  const r = event.resource ?? ''
  const sub = event.subresource ?? ''
  if (event.impersonator) kinds.push('impersonate')
  if (event.verb === 'create' && !sub && POD_CONTROLLERS.has(r)) kinds.push('pod-create')
  else if (r === 'pods' && (sub === 'exec' || sub === 'attach' || sub === 'ephemeralcontainers')) kinds.push('exec')
  else if (r === 'serviceaccounts' && sub === 'token' && event.verb === 'create') kinds.push('token-request')
  else if (event.apiGroup === RBAC_GROUP && (WRITE_VERBS.has(event.verb) || event.verb === 'bind' || event.verb === 'escalate')) kinds.push('rbac-escalation')
  else if (r === 'nodes' && sub === 'proxy') kinds.push('node-proxy')
  else if ((r === 'mutatingwebhookconfigurations' || r === 'validatingwebhookconfigurations') && WRITE_VERBS.has(event.verb)) kinds.push('admission-webhook')
  else if (r === 'certificatesigningrequests' && sub === 'approval') kinds.push('csr-approval')
  else if (SENSITIVE.has(r) && !sub && READ_VERBS.includes(event.verb) && event.user.username.startsWith('system:node:')) kinds.push('node-authorizer')
  return kinds
}

// ---------------------------------------------------------------------------------------------
// Suggestions: the narrowest change per binding, merged across subjects so the files never fight.

interface BindingEdit {
  binding: Binding
  namespace: string
  remove: Set<number>
  subjects: Set<string>
}

function suggest(index: IndexedSnapshot, states: DirectState[], subjects: SubjectUsage[], namespace: string | undefined): Suggestion[] {
  const edits = new Map<string, BindingEdit>()
  const replacements: Suggestion[] = []
  const byKey = new Map(subjects.map((s) => [s.key, s]))
  const bindingOf = (p: GrantPath): Binding | undefined =>
    p.binding.kind === 'ClusterRoleBinding'
      ? index.clusterRoleBindings.find((b) => b.metadata.name === p.binding.name)
      : (index.roleBindings.get(p.binding.namespace ?? '') ?? []).find((b) => b.metadata.name === p.binding.name)

  for (const state of states) {
    const usage = byKey.get(state.grant.key)!
    if (state.grant.superuser) {
      usage.notes.push('system:masters is allowed everything before RBAC: remove members from the group (client certificates), RBAC cannot narrow it')
      continue
    }
    const paths = state.grant.paths.filter((p) => !p.synthetic && p.subjectIndex !== undefined)
    const editable: {path: GrantPath; binding: Binding}[] = []
    for (const p of paths) {
      const binding = bindingOf(p)
      if (!binding) continue
      // With -n, only that namespace's events were read: use of a cluster-wide grant elsewhere is unseen.
      if (namespace && p.clusterWide) {
        usage.notes.push(`${bindingText(p)} grants in every namespace but only ${namespace} was analysed: run without -n to judge it`)
        continue
      }
      const lookup = resolveRoleRef(index, binding.roleRef, p.namespace ?? '')
      if ('error' in lookup || !sensitiveOnly(lookup.rules)) {
        usage.notes.push(
          `${bindingText(p)} -> ${p.role.kind}/${p.role.name} grants more than reading secrets/configmaps: ` +
            (usage.class === 'unused' ? 'remove the secrets/configmaps rules from that role, or bind a role without them' : 'split the secrets/configmaps rules out of that role to narrow them'),
        )
        continue
      }
      editable.push({path: p, binding})
    }
    if (editable.length === 0 || editable.length < paths.length) continue
    if (usage.class === 'used') {
      const needed = [...state.evidence.uses.values()]
      const plan = leastPrivilege(state.grant, needed)
      if (!isNarrower(state.grant.access, needed)) continue
      const id = `narrow-${fileSlug(state.grant.key)}`
      replacements.push({
        id,
        action: 'replace-with-least-privilege',
        subjects: [state.grant.key],
        summary:
          `${usage.kind} ${displayName(usage)} read only ${describeUses(needed)}: replace ${editable.map((e) => bindingText(e.path)).join(', ')} ` +
          `with ${plan.map((o) => `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`).join(', ')}`,
        deletes: [],
        objects: plan,
        file: `${id}.yaml`,
      })
    }
    for (const e of editable) {
      const k = bindingText(e.path)
      let edit = edits.get(k)
      if (!edit) edits.set(k, (edit = {binding: e.binding, namespace: e.path.namespace ?? '', remove: new Set(), subjects: new Set()}))
      edit.remove.add(e.path.subjectIndex!)
      edit.subjects.add(state.grant.key)
    }
  }

  const out: Suggestion[] = []
  const uniqueBy = new Map<Suggestion, string>()
  for (const [k, edit] of [...edits].sort(([a], [b]) => cmp(a, b))) {
    const b = edit.binding
    const remaining = (b.subjects ?? []).filter((_, i) => !edit.remove.has(i))
    const ref = b.kind === 'ClusterRoleBinding' ? {kind: b.kind, name: b.metadata.name} : {kind: b.kind, name: b.metadata.name, namespace: edit.namespace}
    const subjectsText = [...edit.subjects].sort(cmp)
    const reason = subjectsText.map((key) => (byKey.get(key)?.class === 'used' ? `${key} (replaced by a least-privilege grant)` : `${key} (never used its access)`)).join(', ')
    const base = `${b.kind === 'ClusterRoleBinding' ? 'clusterrolebinding' : `rolebinding-${edit.namespace}`}-${b.metadata.name}`
    let s: Suggestion
    if (remaining.length === 0) {
      const id = `delete-${fileSlug(base)}`
      // The whole object (not just its name), so the file is valid for apply --dry-run=server and `kubectl delete -f`.
      s = {id, action: 'delete-binding', subjects: subjectsText, summary: `delete ${k}: ${reason}`, deletes: [ref], objects: [bindingObject(b, edit.namespace, b.subjects ?? [])], file: `${id}.yaml`}
    } else {
      const id = `edit-${fileSlug(base)}`
      const patched = bindingObject(b, edit.namespace, remaining)
      s = {
        id,
        action: 'remove-subjects',
        subjects: subjectsText,
        summary: `remove ${subjectsText.join(', ')} from ${k} (the other subjects keep it): ${reason}`,
        deletes: [],
        objects: [patched],
        file: `${id}.yaml`,
      }
    }
    out.push(s)
    uniqueBy.set(s, k)
  }
  for (const r of replacements) uniqueBy.set(r, r.subjects[0]!)
  uniqueFileNames([...out, ...replacements], uniqueBy)
  for (const s of [...replacements, ...out]) for (const key of s.subjects) byKey.get(key)?.suggestions.push(s.id)
  for (const r of replacements) {
    const related = out.filter((s) => s.subjects.includes(r.subjects[0]!)).map((s) => s.file)
    if (related.length > 0) r.with = related
  }
  return [...out, ...replacements.sort((a, b) => cmp(a.id, b.id))]
}

/**
 * Names that meet once sanitised (`team:a`, `team-a`, `Team_A`; rolebinding `a-b`/`c` and `a`/`b-c`),
 * also on a case-insensitive file system, get a suffix from what really tells them apart (the
 * binding or the subject): the same input always gives the same names, and no file replaces
 * another whose suggestion the report counts.
 */
function uniqueFileNames(suggestions: Suggestion[], uniqueBy: Map<Suggestion, string>): void {
  for (;;) {
    const byName = new Map<string, Suggestion[]>()
    for (const s of suggestions) byName.set(s.id.toLowerCase(), [...(byName.get(s.id.toLowerCase()) ?? []), s])
    const clashes = [...byName.values()].filter((group) => group.length > 1)
    if (clashes.length === 0) return
    for (const group of clashes) {
      for (const s of group) {
        s.id = `${s.id}-${createHash('sha256').update(uniqueBy.get(s) ?? s.summary).digest('hex').slice(0, 8)}`
        s.file = `${s.id}.yaml`
      }
    }
  }
}

/** A slug short enough for a file name (255 bytes) with its prefix, suffix and `.yaml`. */
function fileSlug(text: string): string {
  const s = slug(text)
  if (s.length <= 180) return s
  return `${s.slice(0, 170).replace(/[^a-z0-9]+$/, '')}-${createHash('sha256').update(text).digest('hex').slice(0, 8)}`
}

/** A role that is only about reading/writing secrets and configmaps: removing or replacing its binding loses nothing else. */
function sensitiveOnly(rules: PolicyRule[]): boolean {
  return (
    rules.length > 0 &&
    rules.every(
      (r) =>
        !(r.nonResourceURLs?.length) &&
        (r.apiGroups ?? []).every((g) => g === '') &&
        (r.resources ?? []).length > 0 &&
        (r.resources ?? []).every((res) => SENSITIVE.has(res)),
    )
  )
}

/** Does the current grant allow anything the uses did not need? (unnamed access where only names were used, other namespaces, other verbs) */
function isNarrower(access: GrantedAccess[], needed: Use[]): boolean {
  const unnamedNeeded = new Set(needed.filter((u) => !u.name || u.verb !== 'get').map((u) => `${u.namespace}|${u.resource}|${u.verb}`))
  for (const a of access) {
    const named = a.target.includes('"')
    const resource = a.target.split(' ')[0]!
    const scopes = a.scope.clusterWide ? [''] : a.scope.namespaces
    for (const ns of scopes) {
      if (named) {
        const name = /"(.*)"/.exec(a.target)?.[1]
        if (!needed.some((u) => u.namespace === ns && u.resource === resource && u.verb === a.verb && u.name === name)) return true
      } else if (!unnamedNeeded.has(`${ns}|${resource}|${a.verb}`)) return true
    }
  }
  return false
}

/**
 * The least privilege that still allows every use seen: per namespace one Role + RoleBinding
 * (cluster-wide uses, such as `list secrets` across namespaces, get a ClusterRole +
 * ClusterRoleBinding); `get` of named objects becomes resourceNames, anything unnamed stays unnamed.
 */
export function leastPrivilege(subject: {kind: string; name: string; namespace?: string; key: string}, uses: Use[]): K8sObject[] {
  const byNs = new Map<string, Use[]>()
  for (const u of uses) byNs.set(u.namespace, [...(byNs.get(u.namespace) ?? []), u])
  const objects: K8sObject[] = []
  const name = objectName(`sensitive-access-least-${slug(subject.key)}`, subject.key)
  const rbacSubject: Subject =
    subject.kind === 'ServiceAccount' ? {kind: 'ServiceAccount', name: subject.name, namespace: subject.namespace!} : {kind: subject.kind, name: subject.name, apiGroup: RBAC_GROUP}
  for (const [ns, list] of [...byNs].sort(([a], [b]) => cmp(a, b))) {
    const rules = rulesFor(list)
    const labels = {[MANAGED_LABEL]: 'kubectl-sensitive-access'}
    if (ns === '') {
      objects.push({apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRole', metadata: {name, labels}, rules})
      objects.push({apiVersion: `${RBAC_GROUP}/v1`, kind: 'ClusterRoleBinding', metadata: {name, labels}, roleRef: {apiGroup: RBAC_GROUP, kind: 'ClusterRole', name}, subjects: [rbacSubject]})
    } else {
      objects.push({apiVersion: `${RBAC_GROUP}/v1`, kind: 'Role', metadata: {name, namespace: ns, labels}, rules})
      objects.push({apiVersion: `${RBAC_GROUP}/v1`, kind: 'RoleBinding', metadata: {name, namespace: ns, labels}, roleRef: {apiGroup: RBAC_GROUP, kind: 'Role', name}, subjects: [rbacSubject]})
    }
  }
  return objects
}

function rulesFor(uses: Use[]): PolicyRule[] {
  const rules: PolicyRule[] = []
  for (const resource of ['configmaps', 'secrets']) {
    const mine = uses.filter((u) => u.resource === resource)
    // Per verb: the names read, or '*' when any use was unnamed (a list, a watch of the collection).
    const perVerb = new Map<string, Set<string> | '*'>()
    for (const u of mine) {
      const cur = perVerb.get(u.verb)
      if (cur === '*') continue
      if (!u.name) perVerb.set(u.verb, '*')
      else perVerb.set(u.verb, (cur ?? new Set()).add(u.name))
    }
    // Verbs with the same names share a rule.
    const byNames = new Map<string, string[]>()
    for (const verb of READ_VERBS.filter((v) => perVerb.has(v)).concat([...perVerb.keys()].filter((v) => !READ_VERBS.includes(v)).sort(cmp))) {
      const names = perVerb.get(verb)!
      const k = names === '*' ? '*' : [...names].sort(cmp).join('\u0000')
      byNames.set(k, [...(byNames.get(k) ?? []), verb])
    }
    for (const [k, verbs] of byNames) {
      rules.push({apiGroups: [''], resources: [resource], verbs, ...(k === '*' ? {} : {resourceNames: k.split('\u0000')})})
    }
  }
  return rules
}

function bindingObject(b: Binding, namespace: string, subjects: Subject[]): K8sObject {
  const metadata: K8sObject['metadata'] = {name: b.metadata.name, ...(b.kind === 'RoleBinding' ? {namespace} : {})}
  if (b.metadata.labels) metadata.labels = b.metadata.labels
  return {apiVersion: `${RBAC_GROUP}/v1`, kind: b.kind, metadata, roleRef: b.roleRef, subjects}
}

function describeUses(uses: Use[]): string {
  const parts = [...new Set(uses.map((u) => `${u.verb} ${u.namespace ? `${u.namespace}/` : ''}${u.resource}${u.name ? `/${u.name}` : ''}`))].sort(cmp)
  return parts.length > 4 ? `${parts.slice(0, 4).join(', ')} and ${parts.length - 4} more` : parts.join(', ')
}

export function bindingText(p: Pick<GrantPath, 'binding'>): string {
  return p.binding.namespace ? `${p.binding.kind}/${p.binding.namespace}/${p.binding.name}` : `${p.binding.kind}/${p.binding.name}`
}

function pathDescription(p: GrantPath): string {
  if (p.synthetic) return `${p.binding.name} (superuser, outside RBAC)`
  return `${bindingText(p)} -> ${p.role.kind}/${p.role.name}${p.role.missing ? ' (missing)' : ''}`
}

function displayName(s: {kind: string; name: string; namespace?: string}): string {
  return s.kind === 'ServiceAccount' ? `${s.namespace}/${s.name}` : s.name
}

/** DNS-1123 subdomain characters only: lower-case alphanumerics, '-' and '.', alphanumeric at both ends. */
export function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '')
  return s || 'x'
}

/** A valid object name (≤ 253, DNS-1123) that stays unique even when the readable part is cut. */
export function objectName(readable: string, unique: string): string {
  const hash = createHash('sha256').update(unique).digest('hex').slice(0, 8)
  const head = slug(readable).slice(0, 200).replace(/[^a-z0-9]+$/, '')
  return `${head}-${hash}`
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The YAML text of one suggestion file: a comment header saying what to do, then the objects. */
export async function suggestionFileText(s: Suggestion): Promise<string> {
  const {Document, visit} = await import('yaml')
  const header = [
    `# Suggested by kubectl sensitive-access unused (${s.id}). Review before applying.`,
    // Names in the summary come from the cluster: no line break may end the comment, no escape reach a terminal.
    `# ${sanitizeForTerminal(s.summary)}`,
  ]
  if (s.action === 'delete-binding') {
    header.push('# ACTION: DELETE the object below (applying it would change nothing):')
    // Names come from the cluster: each is one quoted shell word on one line (a newline in a name
    // would otherwise start a YAML line of the attacker's choosing).
    for (const d of s.deletes) header.push(`#   kubectl delete ${d.kind.toLowerCase()} ${shellQuote(d.name)}${d.namespace ? ` -n ${shellQuote(d.namespace)}` : ''}`)
    header.push(`#   (or: kubectl delete -f ${shellQuote(s.file)})`)
  } else if (s.action === 'remove-subjects') {
    header.push('# ACTION: APPLY: the binding below no longer lists the subjects named above:')
    header.push(`#   kubectl apply --dry-run=server -f ${shellQuote(s.file)} && kubectl apply -f ${shellQuote(s.file)}`)
  } else {
    header.push('# ACTION: APPLY these least-privilege objects:')
    header.push(`#   kubectl apply --dry-run=server -f ${shellQuote(s.file)} && kubectl apply -f ${shellQuote(s.file)}`)
    if (s.with) header.push(`# then the binding changes they replace: ${s.with.map(sanitizeForTerminal).join(', ')}`)
  }
  const docs = s.objects.map((o) => objectYaml(o, Document, visit))
  return `${header.join('\n')}\n${docs.map((d) => `---\n${d}`).join('\n')}\n`
}

/** What YAML 1.1 readers (kubectl's) take as a line break, and what a terminal interprets: escaped, never raw. */
// eslint-disable-next-line no-control-regex
const YAML_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g

/**
 * One object as YAML. Any string holding a line break or an unsafe character is written
 * double-quoted, where escapes are allowed; the characters the library leaves raw there (NEL,
 * U+2028, bidi overrides) become `\uXXXX`, so a name cannot add a line, a document or a key.
 */
function objectYaml(o: K8sObject, Document: typeof import('yaml').Document, visit: typeof import('yaml').visit): string {
  const doc = new Document(o)
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string') return
      YAML_UNSAFE.lastIndex = 0
      if (node.value.includes('\n') || YAML_UNSAFE.test(node.value)) node.type = 'QUOTE_DOUBLE'
    },
  })
  YAML_UNSAFE.lastIndex = 0
  return doc
    .toString({lineWidth: 0})
    .trimEnd()
    .replace(YAML_UNSAFE, (ch) => `\\u${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`)
}

export interface WrittenSuggestions {
  written: string[]
  /** Not written: a file or link of that name was already there (it is never replaced). */
  kept: string[]
}

/**
 * Write each suggestion as a new file in dir. A name already taken (an earlier run's file someone
 * may have edited, or a link planted to make us write elsewhere) is left alone and reported:
 * 'wx' is O_CREAT|O_EXCL, which refuses an existing file and never follows a link.
 */
export async function writeSuggestionFiles(dir: string, suggestions: Suggestion[]): Promise<WrittenSuggestions> {
  const {mkdir, open} = await import('node:fs/promises')
  const {join} = await import('node:path')
  await mkdir(dir, {recursive: true})
  const result: WrittenSuggestions = {written: [], kept: []}
  for (const s of suggestions) {
    let handle
    try {
      handle = await open(join(dir, s.file), 'wx', 0o644)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        result.kept.push(s.file)
        continue
      }
      throw error
    }
    try {
      await handle.writeFile(await suggestionFileText(s))
    } finally {
      await handle.close()
    }
    result.written.push(s.file)
  }
  return result
}
