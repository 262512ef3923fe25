// Builders shaped like the helpers of Kubernetes' own RBAC tests (newRule, newRole,
// newClusterRoleBinding "Kind:name" subjects...), so ported cases read like the originals.
// Test-only: imported by *.test.ts files, never by the engine.
import type {Binding, PolicyRule, RbacSnapshot, Role, Subject} from './types.js'

const split = (csv: string): string[] => csv.split(',')

/** rbac_test.go newRule: comma-separated lists; an empty string gives [''] exactly like Go's Split. */
export function newRule(verbs: string, apiGroups: string, resources: string, nonResourceURLs: string): PolicyRule {
  return {verbs: split(verbs), apiGroups: split(apiGroups), resources: split(resources), nonResourceURLs: split(nonResourceURLs)}
}

export function newRole(name: string, namespace: string, ...rules: PolicyRule[]): Role {
  return {kind: 'Role', metadata: {name, namespace}, rules}
}

export function newClusterRole(name: string, ...rules: PolicyRule[]): Role {
  return {kind: 'ClusterRole', metadata: {name}, rules}
}

function subjects(list: string[]): Subject[] {
  return list.map((s) => {
    const i = s.indexOf(':')
    const kind = s.slice(0, i)
    const name = s.slice(i + 1)
    if (kind === 'ServiceAccount') {
      const j = name.indexOf('/')
      return j < 0 ? {kind, name} : {kind, namespace: name.slice(0, j), name: name.slice(j + 1)}
    }
    return {kind, name, apiGroup: 'rbac.authorization.k8s.io'}
  })
}

/** Subjects as "User:alice", "Group:devs", "ServiceAccount:ns/name" or "ServiceAccount:name". */
export function newClusterRoleBinding(roleName: string, ...subjectSpecs: string[]): Binding {
  return {
    kind: 'ClusterRoleBinding',
    metadata: {name: roleName},
    roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName},
    subjects: subjects(subjectSpecs),
  }
}

export function newRoleBinding(namespace: string, roleName: string, bindTo: 'Role' | 'ClusterRole', ...subjectSpecs: string[]): Binding {
  return {
    kind: 'RoleBinding',
    metadata: {name: roleName, namespace},
    roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: bindTo, name: roleName},
    subjects: subjects(subjectSpecs),
  }
}

export function snapshotOf(parts: Partial<RbacSnapshot>): RbacSnapshot {
  return {roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: [], ...parts}
}
