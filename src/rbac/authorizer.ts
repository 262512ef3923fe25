// Kubernetes' RBAC authorizer (plugin/pkg/auth/authorizer/rbac/rbac.go over
// pkg/registry/rbac/validation/rule.go VisitRulesFor), as a pure function over a snapshot.
// `system:masters` is deliberately NOT special here: the API server allows it in a separate
// authorizer that runs before RBAC, so pure RBAC knows nothing of it (who-can reports it apart).
import {firstApplyingSubject, ruleAllows} from './matches.js'
import type {Binding, PolicyRule, RbacSnapshot, RequestAttributes, Role, RoleRef, Subject} from './types.js'

/** A snapshot indexed once so that many questions cost little. Treat as read-only. */
export interface IndexedSnapshot {
  snapshot: RbacSnapshot
  clusterRoles: Map<string, Role>
  /** namespace -> name -> Role */
  roles: Map<string, Map<string, Role>>
  clusterRoleBindings: Binding[]
  /** namespace -> RoleBindings of that namespace, in snapshot order */
  roleBindings: Map<string, Binding[]>
  /** Every namespace seen: declared ones plus those of roles and bindings, sorted. */
  namespaces: string[]
}

export function indexSnapshot(snapshot: RbacSnapshot): IndexedSnapshot {
  const clusterRoles = new Map<string, Role>()
  for (const r of snapshot.clusterRoles) clusterRoles.set(r.metadata.name, r)
  const roles = new Map<string, Map<string, Role>>()
  const nsSet = new Set<string>(snapshot.namespaces ?? [])
  for (const r of snapshot.roles) {
    const ns = r.metadata.namespace ?? ''
    nsSet.add(ns)
    let m = roles.get(ns)
    if (!m) roles.set(ns, (m = new Map()))
    m.set(r.metadata.name, r)
  }
  const roleBindings = new Map<string, Binding[]>()
  for (const b of snapshot.roleBindings) {
    const ns = b.metadata.namespace ?? ''
    nsSet.add(ns)
    let list = roleBindings.get(ns)
    if (!list) roleBindings.set(ns, (list = []))
    list.push(b)
  }
  nsSet.delete('')
  return {
    snapshot,
    clusterRoles,
    roles,
    clusterRoleBindings: snapshot.clusterRoleBindings,
    roleBindings,
    namespaces: [...nsSet].sort(),
  }
}

function isIndexed(s: RbacSnapshot | IndexedSnapshot): s is IndexedSnapshot {
  return (s as IndexedSnapshot).clusterRoles instanceof Map
}

export type RoleLookup = {rules: PolicyRule[]; role: Role} | {error: string}

/**
 * GetRoleReferenceRules: a Role is looked up in the binding's namespace, a ClusterRole cluster-wide;
 * the error texts are the ones the API server's listers produce.
 */
export function resolveRoleRef(index: IndexedSnapshot, ref: RoleRef, bindingNamespace: string): RoleLookup {
  if (ref.kind === 'Role') {
    const role = index.roles.get(bindingNamespace)?.get(ref.name)
    return role ? {rules: role.rules ?? [], role} : {error: `role.rbac.authorization.k8s.io "${ref.name}" not found`}
  }
  if (ref.kind === 'ClusterRole') {
    const role = index.clusterRoles.get(ref.name)
    return role ? {rules: role.rules ?? [], role} : {error: `clusterrole.rbac.authorization.k8s.io "${ref.name}" not found`}
  }
  return {error: `unsupported role reference kind: "${ref.kind}"`}
}

export interface AuthorizePath {
  binding: {kind: 'ClusterRoleBinding' | 'RoleBinding'; name: string; namespace?: string}
  role: {kind: string; name: string; namespace?: string}
  subject: Subject
  ruleIndex: number
  rule: PolicyRule
}

export interface AuthorizeResult {
  allowed: boolean
  /** Same wording as the API server's authorization.k8s.io/reason annotation. */
  reason: string
  path?: AuthorizePath
  /** Bindings that apply to the user but whose role could not be resolved. */
  errors: string[]
}

/** How the API server prints a subject in a reason (rbac.go describeSubject). */
export function describeSubject(s: Subject, bindingNamespace: string): string {
  if (s.kind === 'ServiceAccount') {
    const ns = s.namespace && s.namespace.length > 0 ? s.namespace : bindingNamespace
    return `${s.kind} "${s.name}/${ns}"`
  }
  return `${s.kind} "${s.name}"`
}

/**
 * Go's utilerrors.NewAggregate(...).Error(): repeated messages once, in order; one message as is,
 * several as `[a, b]`. Two bindings to the same missing role give one message (the real server
 * showed it).
 */
export function aggregateErrors(errors: string[]): string {
  const unique = [...new Set(errors)]
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`
}

/**
 * Would RBAC allow this request? Visits ClusterRoleBindings, then the RoleBindings of the
 * request's namespace (none when it is '' — cluster-scoped or all-namespaces requests), and stops at
 * the first rule that allows, exactly like the API server, so the reason names the same binding.
 */
export function authorize(
  snapshot: RbacSnapshot | IndexedSnapshot,
  who: {user: string; groups: readonly string[]},
  attrs: RequestAttributes,
): AuthorizeResult {
  const index = isIndexed(snapshot) ? snapshot : indexSnapshot(snapshot)
  const errors: string[] = []
  const visit = (binding: Binding, bindingNamespace: string): AuthorizeResult | undefined => {
    const si = firstApplyingSubject(who.user, who.groups, binding.subjects, bindingNamespace)
    if (si < 0) return undefined
    const lookup = resolveRoleRef(index, binding.roleRef, bindingNamespace)
    if ('error' in lookup) {
      errors.push(lookup.error)
      return undefined
    }
    for (let i = 0; i < lookup.rules.length; i++) {
      const rule = lookup.rules[i]!
      if (!ruleAllows(attrs, rule)) continue
      const subject = binding.subjects![si]!
      const source =
        binding.kind === 'ClusterRoleBinding'
          ? `ClusterRoleBinding "${binding.metadata.name}"`
          : // rbac.go prints RoleBindings as "name/namespace" (sic).
            `RoleBinding "${binding.metadata.name}/${bindingNamespace}"`
      return {
        allowed: true,
        reason: `RBAC: allowed by ${source} of ${binding.roleRef.kind} "${binding.roleRef.name}" to ${describeSubject(subject, bindingNamespace)}`,
        path: {
          binding: {
            kind: binding.kind,
            name: binding.metadata.name,
            ...(bindingNamespace ? {namespace: bindingNamespace} : {}),
          },
          role: {
            kind: binding.roleRef.kind,
            name: binding.roleRef.name,
            ...(binding.roleRef.kind === 'Role' ? {namespace: bindingNamespace} : {}),
          },
          subject,
          ruleIndex: i,
          rule,
        },
        errors: [],
      }
    }
    return undefined
  }
  for (const b of index.clusterRoleBindings) {
    const r = visit(b, '')
    if (r) return r
  }
  const ns = attrs.kind === 'resource' ? (attrs.namespace ?? '') : ''
  if (ns.length > 0) {
    for (const b of index.roleBindings.get(ns) ?? []) {
      const r = visit(b, ns)
      if (r) return r
    }
  }
  return {allowed: false, reason: errors.length > 0 ? `RBAC: ${aggregateErrors(errors)}` : '', errors}
}

/**
 * Every rule that applies to a user in a namespace (rule.go RulesFor): cluster-wide rules, plus the
 * namespace's when one is given. Errors for unresolvable roles are returned alongside.
 */
export function rulesFor(
  snapshot: RbacSnapshot | IndexedSnapshot,
  who: {user: string; groups: readonly string[]},
  namespace: string,
): {rules: PolicyRule[]; errors: string[]} {
  const index = isIndexed(snapshot) ? snapshot : indexSnapshot(snapshot)
  const rules: PolicyRule[] = []
  const errors: string[] = []
  const collect = (b: Binding, ns: string) => {
    if (firstApplyingSubject(who.user, who.groups, b.subjects, ns) < 0) return
    const lookup = resolveRoleRef(index, b.roleRef, ns)
    if ('error' in lookup) errors.push(lookup.error)
    else for (const rule of lookup.rules) rules.push(rule)
  }
  for (const b of index.clusterRoleBindings) collect(b, '')
  if (namespace.length > 0) for (const b of index.roleBindings.get(namespace) ?? []) collect(b, namespace)
  return {rules, errors}
}
