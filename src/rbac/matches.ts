// The matching primitives of Kubernetes' RBAC authorizer, one function per decision, written to
// behave exactly like pkg/apis/rbac/v1/evaluation_helpers.go and the appliesTo helpers of
// pkg/registry/rbac/validation/rule.go. Pure functions: no I/O, no state.
import type {PolicyRule, RequestAttributes, Subject} from './types.js'

/** The wildcard Kubernetes uses for verbs, apiGroups, resources and nonResourceURLs. */
export const WILDCARD = '*'

/** Verbs compare exactly (case-sensitive: `GET` is not `get`); `*` matches every verb. */
export function verbMatches(rule: PolicyRule, verb: string): boolean {
  for (const v of rule.verbs ?? []) {
    if (v === WILDCARD || v === verb) return true
  }
  return false
}

/** `''` is the core group; `*` matches every group including the core one. */
export function apiGroupMatches(rule: PolicyRule, apiGroup: string): boolean {
  for (const g of rule.apiGroups ?? []) {
    if (g === WILDCARD || g === apiGroup) return true
  }
  return false
}

// `combined` is `resource` or `resource/subresource`. A rule entry matches when it is `*`, equals
// the combined name, or is `*/<subresource>` for the requested subresource. Note that `*` covers
// subresources too, while `pods` alone does not cover `pods/status`.
export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources ?? []) {
    if (r === WILDCARD) return true
    if (r === combined) return true
    if (subresource.length === 0) continue
    if (r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true
  }
  return false
}

/**
 * An empty list allows every name. A non-empty list is compared literally with the request's
 * name, so it never matches a request that carries no name (list, watch of a collection, create).
 */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? []
  if (names.length === 0) return true
  for (const n of names) {
    if (n === name) return true
  }
  return false
}

/** Exact path, `*`, or a trailing-`*` prefix glob (`/apis/*` matches `/apis/v1` but not `/apis`). */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === WILDCARD) return true
    if (u === path) return true
    // Go's strings.TrimRight(u, "*") strips every trailing star, so `/a**` behaves as `/a*`.
    if (u.endsWith('*') && path.startsWith(u.replace(/\*+$/, ''))) return true
  }
  return false
}

/** Does this one rule allow this request? (rbac.go RuleAllows) */
export function ruleAllows(attrs: RequestAttributes, rule: PolicyRule): boolean {
  if (attrs.kind === 'resource') {
    const sub = attrs.subresource ?? ''
    const combined = sub.length > 0 ? `${attrs.resource}/${sub}` : attrs.resource
    return (
      verbMatches(rule, attrs.verb) &&
      apiGroupMatches(rule, attrs.apiGroup) &&
      resourceMatches(rule, combined, sub) &&
      resourceNameMatches(rule, attrs.name ?? '')
    )
  }
  return verbMatches(rule, attrs.verb) && nonResourceURLMatches(rule, attrs.path)
}

/** The username Kubernetes gives a ServiceAccount's tokens. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`
}

/**
 * Does a binding subject cover this user? `bindingNamespace` is the RoleBinding's namespace, or ''
 * for a ClusterRoleBinding. A ServiceAccount subject without a namespace borrows the RoleBinding's
 * namespace; in a ClusterRoleBinding it has none to borrow and so matches nobody. `*` is not a
 * wildcard for users or groups. Unknown kinds match nobody.
 */
export function appliesTo(user: string, groups: readonly string[], subject: Subject, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return user === subject.name
    case 'Group':
      return groups.includes(subject.name)
    case 'ServiceAccount': {
      const ns = subject.namespace && subject.namespace.length > 0 ? subject.namespace : bindingNamespace
      if (ns.length === 0) return false
      return user === serviceAccountUsername(ns, subject.name)
    }
    default:
      return false
  }
}

/** Index of the first subject that covers the user, or -1 (rule.go appliesTo). */
export function firstApplyingSubject(
  user: string,
  groups: readonly string[],
  subjects: readonly Subject[] | undefined,
  bindingNamespace: string,
): number {
  const list = subjects ?? []
  for (let i = 0; i < list.length; i++) {
    if (appliesTo(user, groups, list[i]!, bindingNamespace)) return i
  }
  return -1
}
