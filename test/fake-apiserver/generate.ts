// A synthetic but plausible large cluster for benchmarks: deterministic, so runs compare.
// Default scale is the benchmark's: 2,000 namespaces, 20,000 Roles, 40,000 RoleBindings,
// 1,000 ClusterRoles, 3,000 ClusterRoleBindings.
import type {Binding, PolicyRule, Role, ServiceAccountRef} from '../../src/rbac/types.js'
import type {FakeStoreInput} from './store.js'

export interface ClusterScale {
  namespaces: number
  roles: number
  roleBindings: number
  clusterRoles: number
  clusterRoleBindings: number
  /** Service accounts per namespace. */
  serviceAccountsPerNamespace: number
  /** Secrets per namespace (metadata is what a plugin may read; data is there to prove it does not). */
  secretsPerNamespace: number
}

export const BENCHMARK_SCALE: ClusterScale = {
  namespaces: 2000,
  roles: 20_000,
  roleBindings: 40_000,
  clusterRoles: 1000,
  clusterRoleBindings: 3000,
  serviceAccountsPerNamespace: 3,
  secretsPerNamespace: 2,
}

const RULE_SETS: PolicyRule[][] = [
  [{verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['secrets']}],
  [{verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db-password', 'tls']}],
  [{verbs: ['get', 'list'], apiGroups: [''], resources: ['configmaps', 'pods', 'services']}],
  [{verbs: ['*'], apiGroups: ['*'], resources: ['*']}],
  [{verbs: ['create', 'update', 'patch'], apiGroups: ['apps'], resources: ['deployments', 'statefulsets']}, {verbs: ['get'], apiGroups: [''], resources: ['secrets']}],
  [{verbs: ['list'], apiGroups: [''], resources: ['secrets', 'configmaps']}],
  [{verbs: ['impersonate'], apiGroups: [''], resources: ['serviceaccounts']}],
  [{verbs: ['get', 'list', 'watch'], apiGroups: ['', 'apps', 'batch'], resources: ['*']}],
]

export function generateCluster(scale: ClusterScale = BENCHMARK_SCALE): FakeStoreInput {
  const namespaces = Array.from({length: scale.namespaces}, (_, i) => `team-${String(i).padStart(4, '0')}`)
  const ns = (i: number): string => namespaces[i % namespaces.length]!
  const roles: Role[] = Array.from({length: scale.roles}, (_, i) => ({
    kind: 'Role',
    metadata: {name: `role-${Math.floor(i / namespaces.length)}`, namespace: ns(i), labels: {app: `app-${i % 50}`}},
    rules: RULE_SETS[i % RULE_SETS.length]!,
  }))
  const rolesPerNamespace = Math.max(1, Math.floor(scale.roles / namespaces.length))
  const clusterRoles: Role[] = Array.from({length: scale.clusterRoles}, (_, i) => {
    const role: Role = {kind: 'ClusterRole', metadata: {name: `cluster-role-${i}`}, rules: RULE_SETS[(i * 3) % RULE_SETS.length]!}
    if (i % 10 === 0) role.metadata.labels = {'rbac.example.com/aggregate-to-auditor': 'true'}
    if (i % 97 === 1) role.aggregationRule = {clusterRoleSelectors: [{matchLabels: {'rbac.example.com/aggregate-to-auditor': 'true'}}]}
    return role
  })
  const subject = (i: number, namespace: string): Binding['subjects'] => {
    switch (i % 4) {
      case 0:
        return [{kind: 'User', name: `user-${i % 5000}@example.com`, apiGroup: 'rbac.authorization.k8s.io'}]
      case 1:
        return [{kind: 'Group', name: `group-${i % 300}`, apiGroup: 'rbac.authorization.k8s.io'}]
      case 2:
        return [{kind: 'ServiceAccount', name: `sa-${i % scale.serviceAccountsPerNamespace || 0}`, namespace}]
      default:
        return [{kind: 'ServiceAccount', name: 'default', namespace}, {kind: 'User', name: `user-${i % 777}@example.com`, apiGroup: 'rbac.authorization.k8s.io'}]
    }
  }
  const roleBindings: Binding[] = Array.from({length: scale.roleBindings}, (_, i) => {
    const namespace = ns(i)
    const toClusterRole = i % 5 === 0
    return {
      kind: 'RoleBinding',
      metadata: {name: `binding-${Math.floor(i / namespaces.length)}`, namespace},
      roleRef: toClusterRole
        ? {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `cluster-role-${i % Math.max(1, scale.clusterRoles)}`}
        : {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `role-${i % rolesPerNamespace}`},
      subjects: subject(i, namespace),
    }
  })
  const clusterRoleBindings: Binding[] = Array.from({length: scale.clusterRoleBindings}, (_, i) => ({
    kind: 'ClusterRoleBinding',
    metadata: {name: `cluster-binding-${i}`},
    roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `cluster-role-${i % Math.max(1, scale.clusterRoles)}`},
    subjects: subject(i, ns(i)),
  }))
  const serviceAccounts: ServiceAccountRef[] = namespaces.flatMap((namespace) => [
    {namespace, name: 'default'},
    ...Array.from({length: scale.serviceAccountsPerNamespace}, (_, i) => ({namespace, name: `sa-${i}`})),
  ])
  const secrets = namespaces.flatMap((namespace) => Array.from({length: scale.secretsPerNamespace}, (_, i) => ({namespace, name: `secret-${i}`, data: {value: `do-not-read-${namespace}-${i}`}})))
  return {rbac: {roles, clusterRoles, roleBindings, clusterRoleBindings, namespaces}, serviceAccounts, secrets}
}
