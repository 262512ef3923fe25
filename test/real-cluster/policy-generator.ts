// Seeded random RBAC policies for the differential test against the real authorizer: Roles and
// ClusterRoles with `*`, `*/subresource`, real subresources and resourceNames, an aggregated
// ClusterRole, RoleBindings to ClusterRoles, User/Group/ServiceAccount subjects and bindings to
// roles that do not exist. Names are unique per seed, so policies never collide on one server.
import {prng} from '../hardening/helpers.js'

export interface Question {
  verb: string
  resource: string
  subresource?: string
  name?: string
  /** undefined: all namespaces. */
  namespace?: string
}

export interface Policy {
  seed: number
  yaml: string
  namespaces: string[]
  /** Every subject the policy could grant, as subjectKey() spells it. */
  candidates: string[]
  /** Aggregated ClusterRoles whose selectors match a role with rules (the controller fills them). */
  aggregatedWithRules: string[]
}

export function subjectKey(subject: {kind: string; name: string; namespace?: string}): string {
  return subject.kind === 'ServiceAccount' ? `ServiceAccount:${subject.namespace}/${subject.name}` : `${subject.kind}:${subject.name}`
}

const VERBS = ['get', 'list', 'watch', 'create', 'update', 'delete', '*']
const RESOURCES = ['secrets', 'configmaps', 'pods', 'pods/exec', 'pods/status', 'serviceaccounts/token', 'serviceaccounts', '*', '*/status', 'pods/*']

export function generatePolicy(seed: number): Policy {
  const next = prng(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!
  const some = <T>(items: readonly T[], max: number): T[] => [...new Set(Array.from({length: 1 + Math.floor(next() * max)}, () => pick(items)))]
  const p = `p${seed}`
  const namespaces = [`${p}-a`, `${p}-b`]
  const users = [`${p}-user-0`, `${p}-user-1`, `${p}-user-2`]
  const groups = [`${p}-group-0`, `${p}-group-1`, `system:serviceaccounts:${namespaces[0]}`]
  const serviceAccounts = namespaces.flatMap((ns) => [0, 1].map((i) => ({namespace: ns, name: `sa-${i}`})))
  const rule = () => ({
    apiGroups: [''],
    resources: some(RESOURCES, 2),
    verbs: some(VERBS, 3),
    ...(next() < 0.3 ? {resourceNames: ['s1']} : {}),
  })
  const subject = () => {
    const r = next()
    if (r < 0.35) return {kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: pick(users)}
    if (r < 0.65) return {kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: pick(groups)}
    const sa = pick(serviceAccounts)
    return {kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace}
  }
  const objects: Record<string, unknown>[] = [
    ...namespaces.map((name) => ({apiVersion: 'v1', kind: 'Namespace', metadata: {name}})),
    ...serviceAccounts.map((sa) => ({apiVersion: 'v1', kind: 'ServiceAccount', metadata: sa})),
  ]
  const roles = namespaces.flatMap((ns) => [0, 1].map((i) => ({namespace: ns, name: `role-${i}`})))
  for (const role of roles) objects.push({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: role, rules: [rule(), ...(next() < 0.5 ? [rule()] : [])]})
  const clusterRoles = [`${p}-cr-0`, `${p}-cr-1`]
  for (const name of clusterRoles) objects.push({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name}, rules: [rule()]})
  // Aggregation: one labelled source role (sometimes two), one aggregated role selecting them.
  const label = `ksa.test/${p}-aggregate`
  const sources = next() < 0.5 ? 1 : 2
  for (let i = 0; i < sources; i++) objects.push({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: `${p}-agg-source-${i}`, labels: {[label]: 'true'}}, rules: [rule()]})
  const aggregated = `${p}-aggregated`
  objects.push({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: aggregated}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {[label]: 'true'}}]}, rules: []})
  const allClusterRoles = [...clusterRoles, aggregated, `${p}-missing-clusterrole`]

  let binding = 0
  for (let i = 0; i < 6; i++) {
    const ns = pick(namespaces)
    const toClusterRole = next() < 0.5
    const roleRef = toClusterRole
      ? {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: pick(allClusterRoles)}
      : {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: next() < 0.15 ? 'missing-role' : pick(roles.filter((r) => r.namespace === ns)).name}
    objects.push({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: {name: `rb-${binding++}`, namespace: ns}, roleRef, subjects: [subject(), ...(next() < 0.4 ? [subject()] : [])]})
  }
  for (let i = 0; i < 2; i++) {
    objects.push({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: {name: `${p}-crb-${i}`},
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: pick(allClusterRoles)}, subjects: [subject()]})
  }
  const candidates = [
    ...users.map((name) => `User:${name}`), `User:${p}-nobody`,
    ...groups.map((name) => `Group:${name}`),
    ...serviceAccounts.map((sa) => `ServiceAccount:${sa.namespace}/${sa.name}`),
  ]
  return {
    seed,
    yaml: objects.map((object) => JSON.stringify(object)).join('\n---\n') + '\n',
    namespaces,
    candidates,
    aggregatedWithRules: [aggregated],
  }
}

/** Questions mixing verbs, real subresources, a named object, one namespace or all. */
export function questionsFor(policy: Policy, seed: number): Question[] {
  const next = prng(seed * 7919)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!
  const fixed: Question[] = [
    {verb: 'get', resource: 'secrets'},
    {verb: 'list', resource: 'secrets', namespace: policy.namespaces[0]},
    {verb: 'get', resource: 'secrets', name: 's1', namespace: policy.namespaces[0]},
    {verb: 'get', resource: 'secrets', name: 's2', namespace: policy.namespaces[1]},
    {verb: 'create', resource: 'pods', subresource: 'exec', namespace: policy.namespaces[1]},
    {verb: 'create', resource: 'serviceaccounts', subresource: 'token'},
    {verb: 'update', resource: 'pods', subresource: 'status', namespace: policy.namespaces[0]},
    {verb: 'watch', resource: 'configmaps'},
  ]
  const random_: Question[] = Array.from({length: 4}, () => {
    const [resource, subresource] = pick(['secrets', 'configmaps', 'pods', 'pods/exec', 'pods/status', 'serviceaccounts/token']).split('/') as [string, string | undefined]
    return {
      verb: pick(['get', 'list', 'watch', 'create', 'update', 'delete', 'patch']),
      resource,
      ...(subresource ? {subresource} : {}),
      ...(next() < 0.3 ? {name: 's1'} : {}),
      ...(next() < 0.6 ? {namespace: pick(policy.namespaces)} : {}),
    }
  })
  return [...fixed, ...random_]
}
