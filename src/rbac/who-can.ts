// The who-can engine: the inverse of the authorizer. For a set of (verb, target) questions it
// lists every subject that some binding grants them to, with every path that grants it, in the
// same semantics as Kubernetes' subject locator (plugin/pkg/auth/authorizer/rbac/subject_locator.go)
// but per namespace scope, with ServiceAccount subjects resolved as the authorizer resolves them.
// Pure: no I/O. Heavy snapshots are fine: each role's rules are evaluated once per query.
import {indexSnapshot, resolveRoleRef, type IndexedSnapshot} from './authorizer.js'
import {sanitizeForTerminal} from '../lib/sanitize.js'
import {ruleAllows, serviceAccountUsername, WILDCARD} from './matches.js'
import type {Binding, PolicyRule, RbacSnapshot, RequestAttributes, Role, ServiceAccountRef} from './types.js'

export type WhoCanTarget =
  | {kind: 'resource'; apiGroup: string; resource: string; subresource?: string; name?: string; namespaced: boolean}
  | {kind: 'nonResource'; path: string}

export interface WhoCanQuery {
  verbs: string[]
  targets: WhoCanTarget[]
  /** `-n NS`: ClusterRoleBindings plus the RoleBindings of NS. */
  namespace?: string
  /** `-A`: ClusterRoleBindings plus the RoleBindings of every namespace. */
  allNamespaces: boolean
  /** List the ServiceAccounts that broad groups cover (needs snapshot.serviceAccounts). */
  expandGroups?: boolean
}

/** The CLI's default question: who can read secrets and configmaps. */
export const DEFAULT_VERBS: readonly string[] = ['get', 'list', 'watch']
export function defaultTargets(): WhoCanTarget[] {
  return [
    {kind: 'resource', apiGroup: '', resource: 'secrets', namespaced: true},
    {kind: 'resource', apiGroup: '', resource: 'configmaps', namespaced: true},
  ]
}

export interface Scope {
  clusterWide: boolean
  /** Namespaces where RoleBindings grant it (sorted); may be non-empty alongside clusterWide. */
  namespaces: string[]
}

export interface GrantedAccess {
  verb: string
  /** targetLabel() of the target. */
  target: string
  scope: Scope
}

export interface RuleMatch {
  /** Index of the rule in the role's `rules` (after aggregation). */
  index: number
  rule: PolicyRule
  /** The (verb, target) pairs of the question this rule answers. */
  answers: {verb: string; target: string}[]
}

export interface GrantPath {
  binding: {kind: 'ClusterRoleBinding' | 'RoleBinding' | 'Superuser'; name: string; namespace?: string}
  role: {kind: string; name: string; namespace?: string; missing?: boolean}
  /** Index of the subject in the binding's `subjects`. */
  subjectIndex?: number
  /** How many subjects the binding lists: removing one of several means editing, not deleting. */
  subjectCount?: number
  /** Where this path grants: everywhere (ClusterRoleBinding) or the RoleBinding's namespace. */
  clusterWide: boolean
  namespace?: string
  rules: RuleMatch[]
  /** Set when the subject holds this path only as a member of this (broad) group. */
  viaGroup?: string
  /** Set for paths that are not RBAC bindings (system:masters): says what they are. */
  synthetic?: string
}

export type RiskCode = 'superuser' | 'default-service-account' | 'wildcard-rule' | 'broad-group' | 'list-watch' | 'cluster-wide'

export interface RiskNote {
  code: RiskCode
  message: string
}

export type SubjectKind = 'User' | 'Group' | 'ServiceAccount'

export interface SubjectGrant {
  kind: SubjectKind
  name: string
  /** ServiceAccounts only. */
  namespace?: string
  /** Stable identity: `User:alice`, `Group:devs`, `ServiceAccount:ns/name`. */
  key: string
  /** Granted verbs and targets, in the query's order. */
  verbs: string[]
  targets: string[]
  access: GrantedAccess[]
  scope: Scope
  paths: GrantPath[]
  /** system:masters: allowed before RBAC is consulted. */
  superuser?: boolean
  /** A group that stands for many identities (system:authenticated, system:serviceaccounts...). */
  broad?: boolean
  /** For ServiceAccounts listed by --expand-groups: the broad groups through which they get access. */
  coveredThrough?: string[]
  risks: RiskNote[]
}

export type WarningCode = 'missing-role' | 'dangling-serviceaccount' | 'unknown-subject-kind' | 'unknown-namespace'

export interface BindingRef {
  kind: 'ClusterRoleBinding' | 'RoleBinding'
  name: string
  namespace?: string
}

export interface WhoCanWarning {
  code: WarningCode
  message: string
  binding?: BindingRef
}

export interface WhoCanAnswer {
  query: {verbs: string[]; targets: string[]; namespace?: string; allNamespaces: boolean}
  subjects: SubjectGrant[]
  /** Bindings in scope whose role does not exist: they grant nothing until the role is created. */
  missingRoleBindings: GrantPath[]
  warnings: WhoCanWarning[]
}

export const SUPERUSER_GROUP = 'system:masters'
const SUPERUSER_NOTE =
  'system:masters is allowed everything by the API server before RBAC is consulted; no binding can limit it'

/** Groups that stand for many identities; bindings to them are flagged. */
export function isBroadGroup(group: string): boolean {
  return (
    group === 'system:authenticated' ||
    group === 'system:unauthenticated' ||
    group === 'system:serviceaccounts' ||
    group.startsWith('system:serviceaccounts:')
  )
}

/** ServiceAccounts a broad group contains (system:unauthenticated contains none: SAs authenticate). */
export function serviceAccountsInGroup(group: string, all: readonly ServiceAccountRef[]): ServiceAccountRef[] {
  if (group === 'system:serviceaccounts' || group === 'system:authenticated') return [...all]
  if (group.startsWith('system:serviceaccounts:')) {
    const ns = group.slice('system:serviceaccounts:'.length)
    return all.filter((sa) => sa.namespace === ns)
  }
  return []
}

/** kubectl-like label: `secrets`, `deployments.apps`, `pods/exec`, `secrets/db-password` (named), `/healthz`. */
export function targetLabel(t: WhoCanTarget): string {
  if (t.kind === 'nonResource') return t.path
  let s = t.resource + (t.apiGroup ? `.${t.apiGroup}` : '')
  if (t.subresource) s += `/${t.subresource}`
  if (t.name) s += ` "${t.name}"`
  return s
}

/**
 * The identity a subject really carries, for a SubjectAccessReview that confirms an answer.
 * Groups have no user, so a synthetic member name is used; a member of system:unauthenticated is
 * anonymous and, unlike everyone else, is not in system:authenticated.
 */
export function subjectIdentity(subject: {kind: string; name: string; namespace?: string}): {user: string; groups: string[]} {
  switch (subject.kind) {
    case 'ServiceAccount': {
      if (!subject.namespace) throw new TypeError(`ServiceAccount "${subject.name}" has no namespace, so it has no identity`)
      return {
        user: serviceAccountUsername(subject.namespace, subject.name),
        groups: ['system:serviceaccounts', `system:serviceaccounts:${subject.namespace}`, 'system:authenticated'],
      }
    }
    case 'User':
      return {user: subject.name, groups: ['system:authenticated']}
    case 'Group':
      if (subject.name === 'system:unauthenticated') return {user: 'system:anonymous', groups: ['system:unauthenticated']}
      return {
        user: `sensitive-access:member-of:${subject.name}`,
        groups: subject.name === 'system:authenticated' ? ['system:authenticated'] : [subject.name, 'system:authenticated'],
      }
    default:
      throw new TypeError(`unsupported subject kind "${subject.kind}"`)
  }
}

interface Pair {
  verb: string
  target: string
  attrs: RequestAttributes
  /** RoleBindings can grant it: a namespaced resource. */
  namespaced: boolean
  /** A list or watch of a whole collection (no object name). */
  collection: boolean
}

interface Acc {
  kind: SubjectKind
  name: string
  namespace?: string
  paths: GrantPath[]
  /** Per pair index: granted cluster-wide? (undefined = not granted at all) */
  clusterWide: (boolean | undefined)[]
  /** Per pair index: RoleBinding namespaces, possibly repeated (deduplicated in finish) */
  namespaces: (string[] | undefined)[]
  coveredThrough: Set<string>
  /** Some path grants through a rule with a wildcard. */
  wildcard: boolean
}

interface RoleGrant {
  rules: RuleMatch[]
  /** Union of the pair indexes the rules answer. */
  pairs: number[]
  wildcard: boolean
}

const KIND_ORDER: Record<SubjectKind, number> = {User: 0, Group: 1, ServiceAccount: 2}

export function whoCan(snapshot: RbacSnapshot | IndexedSnapshot, query: WhoCanQuery): WhoCanAnswer {
  const index = (snapshot as IndexedSnapshot).clusterRoles instanceof Map ? (snapshot as IndexedSnapshot) : indexSnapshot(snapshot as RbacSnapshot)
  const verbs = [...new Set(query.verbs)]
  const targetLabels = query.targets.map(targetLabel)
  const pairs: Pair[] = []
  query.targets.forEach((t, ti) => {
    for (const verb of verbs) {
      const attrs: RequestAttributes =
        t.kind === 'resource'
          ? {
              kind: 'resource',
              verb,
              apiGroup: t.apiGroup,
              resource: t.resource,
              ...(t.subresource ? {subresource: t.subresource} : {}),
              ...(t.name ? {name: t.name} : {}),
            }
          : {kind: 'nonResource', verb, path: t.path}
      pairs.push({
        verb,
        target: targetLabels[ti]!,
        attrs,
        namespaced: t.kind === 'resource' && t.namespaced,
        collection: t.kind === 'resource' && !t.name && !t.subresource && (verb === 'list' || verb === 'watch'),
      })
    }
  })
  const namespacedPairs = pairs.some((p) => p.namespaced)

  // Rules of each role are evaluated once per query, and the result (RuleMatch[] shared by every
  // path through that role, read-only) once per binding kind: bindings vastly outnumber roles.
  const roleCache = [new Map<Role, RoleGrant | null>(), new Map<Role, RoleGrant | null>()] as const
  const grantOf = (role: Role, viaRoleBinding: boolean): RoleGrant | null => {
    const cache = roleCache[viaRoleBinding ? 1 : 0]
    const hit = cache.get(role)
    if (hit !== undefined) return hit
    const rules = role.rules ?? []
    const ruleMatches: RuleMatch[] = []
    const union = new Set<number>()
    let wildcard = false
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!
      let answers: {verb: string; target: string}[] | undefined
      for (let p = 0; p < pairs.length; p++) {
        const pair = pairs[p]!
        // RoleBindings only grant namespaced resources, in their own namespace.
        if (viaRoleBinding && !pair.namespaced) continue
        if (!ruleAllows(pair.attrs, rule)) continue
        ;(answers ??= []).push({verb: pair.verb, target: pair.target})
        union.add(p)
      }
      if (answers) {
        ruleMatches.push({index: i, rule, answers})
        if ([rule.verbs, rule.resources, rule.apiGroups].some((l) => (l ?? []).includes(WILDCARD))) wildcard = true
      }
    }
    const result = ruleMatches.length > 0 ? {rules: ruleMatches, pairs: [...union].sort((a, b) => a - b), wildcard} : null
    cache.set(role, result)
    return result
  }

  // Subjects by kind, then (ServiceAccounts) namespace, then name: no key strings to build per
  // binding subject, which matters with tens of thousands of bindings.
  const users = new Map<string, Acc>()
  const groups = new Map<string, Acc>()
  const serviceAccounts = new Map<string, Map<string, Acc>>()
  const warnings: WhoCanWarning[] = []
  const missingRoleBindings: GrantPath[] = []
  const newAcc = (kind: SubjectKind, name: string, namespace?: string): Acc => {
    const a: Acc = {kind, name, paths: [], clusterWide: [], namespaces: [], coveredThrough: new Set(), wildcard: false}
    if (namespace !== undefined) a.namespace = namespace
    return a
  }
  const accFor = (kind: SubjectKind, name: string, namespace?: string): Acc => {
    let byName: Map<string, Acc>
    if (kind === 'ServiceAccount') {
      const ns = namespace ?? ''
      let m = serviceAccounts.get(ns)
      if (!m) serviceAccounts.set(ns, (m = new Map()))
      byName = m
    } else byName = kind === 'User' ? users : groups
    let a = byName.get(name)
    if (!a) byName.set(name, (a = newAcc(kind, name, namespace)))
    return a
  }
  const grant = (a: Acc, p: number, clusterWide: boolean, namespace?: string) => {
    if (clusterWide) a.clusterWide[p] = true
    else {
      if (a.clusterWide[p] === undefined) a.clusterWide[p] = false
      if (namespace) {
        const list = a.namespaces[p]
        if (!list) a.namespaces[p] = [namespace]
        else if (list[list.length - 1] !== namespace) list.push(namespace)
      }
    }
  }

  const visit = (b: Binding, bindingNs: string) => {
    const isCrb = b.kind === 'ClusterRoleBinding'
    const ref = b.roleRef
    const role =
      ref.kind === 'Role' ? index.roles.get(bindingNs)?.get(ref.name) : ref.kind === 'ClusterRole' ? index.clusterRoles.get(ref.name) : undefined
    if (!role) {
      const lookup = resolveRoleRef(index, ref, bindingNs)
      const bindingRef = refsOf(b, bindingNs).bindingRef
      warnings.push({
        code: 'missing-role',
        message: `${describeBinding(b, bindingNs)}: ${'error' in lookup ? lookup.error : 'role not found'}`,
        binding: bindingRef,
      })
      missingRoleBindings.push({
        binding: bindingRef,
        role: {...refsOf(b, bindingNs).roleRef, missing: true},
        clusterWide: isCrb,
        ...(isCrb ? {} : {namespace: bindingNs}),
        rules: [],
      })
      return
    }
    const rg = grantOf(role, !isCrb)
    if (!rg) return
    const {bindingRef, roleRef} = refsOf(b, bindingNs)
    const subjects = b.subjects ?? []
    const seen = subjects.length > 1 ? new Set<Acc>() : undefined
    for (let si = 0; si < subjects.length; si++) {
      const s = subjects[si]!
      let acc: Acc
      if (s.kind === 'User' || s.kind === 'Group') acc = accFor(s.kind, s.name)
      else if (s.kind === 'ServiceAccount') {
        const ns = s.namespace || bindingNs
        if (!ns) {
          warnings.push({
            code: 'dangling-serviceaccount',
            message: `${describeBinding(b, bindingNs)}: ServiceAccount subject "${s.name}" has no namespace and matches nobody`,
            binding: bindingRef,
          })
          continue
        }
        acc = accFor('ServiceAccount', s.name, ns)
      } else {
        warnings.push({
          code: 'unknown-subject-kind',
          message: `${describeBinding(b, bindingNs)}: subject kind "${s.kind}" is not User, Group or ServiceAccount and matches nobody`,
          binding: bindingRef,
        })
        continue
      }
      if (seen) {
        if (seen.has(acc)) continue
        seen.add(acc)
      }
      // Explicit literals (no spreads): one object shape, no temporaries, on the hottest line.
      acc.paths.push(
        isCrb
          ? {binding: bindingRef, role: roleRef, subjectIndex: si, subjectCount: subjects.length, clusterWide: true, rules: rg.rules}
          : {binding: bindingRef, role: roleRef, subjectIndex: si, subjectCount: subjects.length, clusterWide: false, namespace: bindingNs, rules: rg.rules},
      )
      if (rg.wildcard) acc.wildcard = true
      for (const p of rg.pairs) grant(acc, p, isCrb, bindingNs)
    }
  }

  for (const b of index.clusterRoleBindings) visit(b, '')
  if (namespacedPairs) {
    if (query.allNamespaces) {
      for (const [ns, list] of index.roleBindings) for (const b of list) visit(b, ns)
    } else if (query.namespace) {
      if (index.snapshot.namespaces && index.snapshot.namespaces.length > 0 && !index.snapshot.namespaces.includes(query.namespace)) {
        warnings.push({code: 'unknown-namespace', message: `namespace "${query.namespace}" is not among the known namespaces`})
      }
      for (const b of index.roleBindings.get(query.namespace) ?? []) visit(b, query.namespace)
    }
  }

  // system:masters: a fixed path, outside RBAC, granting everything everywhere.
  const masters = accFor('Group', SUPERUSER_GROUP)
  masters.paths.unshift({
    binding: {kind: 'Superuser', name: SUPERUSER_GROUP},
    role: {kind: 'Superuser', name: '(every permission)'},
    clusterWide: true,
    rules: [],
    synthetic: SUPERUSER_NOTE,
  })
  for (let p = 0; p < pairs.length; p++) grant(masters, p, true)

  // --expand-groups: the ServiceAccounts inside broad groups, each with the group's paths.
  if (query.expandGroups && index.snapshot.serviceAccounts) {
    const broadGroups = [...groups.values()].filter((a) => isBroadGroup(a.name))
    for (const g of broadGroups) {
      // One set of via-group paths per group, shared (read-only) by every member listed.
      const viaPaths = g.paths.map((path) => ({...path, viaGroup: g.name}))
      for (const sa of serviceAccountsInGroup(g.name, index.snapshot.serviceAccounts)) {
        const acc = accFor('ServiceAccount', sa.name, sa.namespace)
        acc.coveredThrough.add(g.name)
        if (g.wildcard) acc.wildcard = true
        for (const path of viaPaths) acc.paths.push(path)
        for (let p = 0; p < pairs.length; p++) {
          const cw = g.clusterWide[p]
          if (cw === undefined) continue
          if (cw) grant(acc, p, true)
          else grant(acc, p, false)
          for (const ns of g.namespaces[p] ?? []) grant(acc, p, false, ns)
        }
      }
    }
  }

  const all: Acc[] = [...users.values(), ...groups.values()]
  for (const m of serviceAccounts.values()) for (const sa of m.values()) all.push(sa)
  const subjects = all.map((a) => finish(a, pairs, verbs, targetLabels))
  subjects.sort(compareSubjects)
  // Messages are for people and quote names anyone who can create a binding chose: made
  // terminal-safe here, once; the structured fields stay exact for machines.
  for (const w of warnings) w.message = sanitizeForTerminal(w.message)
  warnings.sort((x, y) => cmp(x.code, y.code) || cmp(x.message, y.message))
  const uniqueWarnings = warnings.filter((w, i) => i === 0 || w.message !== warnings[i - 1]!.message)
  missingRoleBindings.sort(comparePaths)
  return {
    query: {
      verbs,
      targets: targetLabels,
      ...(query.namespace && !query.allNamespaces ? {namespace: query.namespace} : {}),
      allNamespaces: query.allNamespaces,
    },
    subjects,
    missingRoleBindings,
    warnings: uniqueWarnings,
  }
}

function finish(a: Acc, pairs: Pair[], verbs: string[], targetLabels: string[]): SubjectGrant {
  const access: GrantedAccess[] = []
  const scope = {clusterWide: false, namespaces: new Set<string>()}
  const grantedVerbs = new Set<string>()
  const grantedTargets = new Set<string>()
  let collectionRead: string[] = []
  for (let p = 0; p < pairs.length; p++) {
    const cw = a.clusterWide[p]
    if (cw === undefined) continue
    const pair = pairs[p]!
    const nss = [...new Set(a.namespaces[p] ?? [])].sort(cmp)
    access.push({verb: pair.verb, target: pair.target, scope: {clusterWide: cw, namespaces: nss}})
    grantedVerbs.add(pair.verb)
    grantedTargets.add(pair.target)
    if (cw) scope.clusterWide = true
    for (const ns of nss) scope.namespaces.add(ns)
    if (pair.collection && !collectionRead.includes(pair.target)) collectionRead.push(pair.target)
  }
  collectionRead = collectionRead.sort(cmp)
  a.paths.sort(comparePaths)
  const superuser = a.kind === 'Group' && a.name === SUPERUSER_GROUP
  const broad = a.kind === 'Group' && isBroadGroup(a.name)
  const risks: RiskNote[] = []
  if (superuser) risks.push({code: 'superuser', message: SUPERUSER_NOTE})
  if (a.kind === 'ServiceAccount' && a.name === 'default') {
    risks.push({
      code: 'default-service-account',
      message: `every pod in namespace ${a.namespace} that names no service account runs as this one and gets this access`,
    })
  }
  if (a.wildcard) risks.push({code: 'wildcard-rule', message: 'granted through a rule with a wildcard (*) verb, resource or API group'})
  if (broad) risks.push({code: 'broad-group', message: `${a.name} stands for many identities: everyone in it gets this access`})
  if (a.coveredThrough.size > 0) {
    risks.push({code: 'broad-group', message: `covered through broad group ${[...a.coveredThrough].sort(cmp).join(', ')}`})
  }
  if (collectionRead.length > 0) {
    risks.push({
      code: 'list-watch',
      message: `list/watch on ${collectionRead.join(', ')} returns the full contents of every object in scope, not just names`,
    })
  }
  if (scope.clusterWide && !superuser) risks.push({code: 'cluster-wide', message: 'granted in every namespace, present and future'})
  return {
    kind: a.kind,
    name: a.name,
    ...(a.namespace !== undefined ? {namespace: a.namespace} : {}),
    key: subjectKey(a.kind, a.name, a.namespace),
    verbs: verbs.filter((v) => grantedVerbs.has(v)),
    targets: targetLabels.filter((t, i) => grantedTargets.has(t) && targetLabels.indexOf(t) === i),
    access,
    scope: {clusterWide: scope.clusterWide, namespaces: [...scope.namespaces].sort(cmp)},
    paths: a.paths,
    ...(superuser ? {superuser: true} : {}),
    ...(broad ? {broad: true} : {}),
    ...(a.coveredThrough.size > 0 ? {coveredThrough: [...a.coveredThrough].sort(cmp)} : {}),
    risks,
  }
}

export function subjectKey(kind: string, name: string, namespace?: string): string {
  return kind === 'ServiceAccount' ? `ServiceAccount:${namespace ?? ''}/${name}` : `${kind}:${name}`
}

function refsOf(b: Binding, bindingNs: string): {bindingRef: BindingRef; roleRef: GrantPath['role']} {
  const isCrb = b.kind === 'ClusterRoleBinding'
  return {
    bindingRef: isCrb ? {kind: b.kind, name: b.metadata.name} : {kind: b.kind, name: b.metadata.name, namespace: bindingNs},
    roleRef:
      b.roleRef.kind === 'Role'
        ? {kind: b.roleRef.kind, name: b.roleRef.name, namespace: bindingNs}
        : {kind: b.roleRef.kind, name: b.roleRef.name},
  }
}

function describeBinding(b: Binding, ns: string): string {
  return b.kind === 'ClusterRoleBinding' ? `ClusterRoleBinding "${b.metadata.name}"` : `RoleBinding "${ns}/${b.metadata.name}"`
}

function compareSubjects(a: SubjectGrant, b: SubjectGrant): number {
  return (
    Number(Boolean(b.superuser)) - Number(Boolean(a.superuser)) ||
    KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
    cmp(a.namespace ?? '', b.namespace ?? '') ||
    cmp(a.name, b.name)
  )
}

const BINDING_ORDER = {Superuser: 0, ClusterRoleBinding: 1, RoleBinding: 2}

function comparePaths(a: GrantPath, b: GrantPath): number {
  return (
    BINDING_ORDER[a.binding.kind] - BINDING_ORDER[b.binding.kind] ||
    cmp(a.binding.namespace ?? '', b.binding.namespace ?? '') ||
    cmp(a.binding.name, b.binding.name) ||
    cmp(a.viaGroup ?? '', b.viaGroup ?? '') ||
    (a.subjectIndex ?? 0) - (b.subjectIndex ?? 0)
  )
}

// Byte order, like Go and kubectl, and independent of the locale.
function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
