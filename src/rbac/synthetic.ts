// A deterministic, realistic-looking RBAC snapshot of any size, for benchmarks of the who-can
// engine (scripts/bench-who-can.ts). Same options and seed give the same snapshot, byte for byte.
import type {Binding, PolicyRule, RbacSnapshot, Role, ServiceAccountRef, Subject} from './types.js'
import {prng} from '../lib/prng.js'

export interface SyntheticOptions {
  namespaces: number
  roles: number
  roleBindings: number
  clusterRoles: number
  clusterRoleBindings: number
  seed: number
  /** ServiceAccounts per namespace (`default` is always one of them). Default 3. */
  serviceAccountsPerNamespace?: number
}

const RESOURCES: [string, string][] = [
  ['', 'pods'],
  ['', 'services'],
  ['', 'configmaps'],
  ['', 'secrets'],
  ['', 'serviceaccounts'],
  ['', 'events'],
  ['', 'persistentvolumeclaims'],
  ['apps', 'deployments'],
  ['apps', 'statefulsets'],
  ['batch', 'jobs'],
  ['networking.k8s.io', 'ingresses'],
  ['coordination.k8s.io', 'leases'],
]
const VERB_SETS = [['get', 'list', 'watch'], ['get'], ['create', 'update', 'patch', 'delete'], ['list', 'watch'], ['*'], ['get', 'update']]

export function syntheticSnapshot(o: SyntheticOptions): RbacSnapshot {
  const r = prng(o.seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
  const int = (n: number) => Math.floor(r() * n)
  const ns = (i: number) => `ns-${String(i).padStart(5, '0')}`
  const namespaces = Array.from({length: o.namespaces}, (_, i) => ns(i))
  const perNs = Math.max(1, o.serviceAccountsPerNamespace ?? 3)
  const serviceAccounts: ServiceAccountRef[] = []
  for (const n of namespaces) {
    serviceAccounts.push({namespace: n, name: 'default'})
    for (let k = 1; k < perNs; k++) serviceAccounts.push({namespace: n, name: `app-${k}`})
  }

  const rule = (): PolicyRule => {
    const roll = r()
    if (roll < 0.01) return {verbs: ['*'], apiGroups: ['*'], resources: ['*']}
    if (roll < 0.05) return {verbs: ['get'], nonResourceURLs: ['/healthz', '/metrics']}
    const [group, resource] = pick(RESOURCES)
    const rl: PolicyRule = {verbs: [...pick(VERB_SETS)], apiGroups: [group], resources: [resource]}
    if (r() < 0.15) rl.resourceNames = [`${resource}-${int(50)}`]
    if (r() < 0.1) rl.resources!.push(`${resource}/status`)
    return rl
  }
  const rules = () => Array.from({length: 1 + int(4)}, rule)

  const clusterRoles: Role[] = Array.from({length: o.clusterRoles}, (_, i) => ({
    kind: 'ClusterRole',
    metadata: {name: `cluster-role-${String(i).padStart(5, '0')}`},
    rules: rules(),
  }))
  const roles: Role[] = Array.from({length: o.roles}, (_, i) => ({
    kind: 'Role',
    metadata: {name: `role-${String(i).padStart(6, '0')}`, namespace: namespaces.length > 0 ? namespaces[i % namespaces.length]! : 'default'},
    rules: rules(),
  }))
  const rolesByNs = new Map<string, string[]>()
  for (const role of roles) {
    const list = rolesByNs.get(role.metadata.namespace!) ?? []
    list.push(role.metadata.name)
    rolesByNs.set(role.metadata.namespace!, list)
  }

  const subject = (bindingNs: string | undefined): Subject => {
    const roll = r()
    if (roll < 0.5) {
      const sa = serviceAccounts.length > 0 ? pick(serviceAccounts) : {namespace: 'default', name: 'default'}
      // Most RoleBindings name SAs of their own namespace.
      if (bindingNs && r() < 0.8) return {kind: 'ServiceAccount', name: r() < 0.3 ? 'default' : 'app-1', namespace: bindingNs}
      return {kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace}
    }
    if (roll < 0.8) return {kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: `user-${int(5000)}@example.com`}
    if (roll < 0.995) return {kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: `team-${int(200)}`}
    return {kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: bindingNs ? `system:serviceaccounts:${bindingNs}` : 'system:authenticated'}
  }
  const subjects = (bindingNs?: string) => Array.from({length: 1 + int(3)}, () => subject(bindingNs))

  const roleBindings: Binding[] = Array.from({length: o.roleBindings}, (_, i) => {
    const n = namespaces.length > 0 ? namespaces[int(namespaces.length)]! : 'default'
    const local = rolesByNs.get(n)
    const toRole = local && local.length > 0 && r() < 0.7
    const name = toRole ? pick(local) : clusterRoles.length > 0 ? pick(clusterRoles).metadata.name : 'view'
    return {
      kind: 'RoleBinding',
      metadata: {name: `rb-${String(i).padStart(6, '0')}`, namespace: n},
      subjects: subjects(n),
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: toRole ? 'Role' : 'ClusterRole', name},
    }
  })
  const clusterRoleBindings: Binding[] = Array.from({length: o.clusterRoleBindings}, (_, i) => ({
    kind: 'ClusterRoleBinding',
    metadata: {name: `crb-${String(i).padStart(5, '0')}`},
    subjects: subjects(),
    roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRoles.length > 0 ? pick(clusterRoles).metadata.name : 'view'},
  }))
  return {roles, clusterRoles, roleBindings, clusterRoleBindings, namespaces, serviceAccounts}
}
