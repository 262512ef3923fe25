import {describe, expect, it} from 'vitest'
import {indirectWhoCan, INDIRECT_KINDS} from './indirect.js'
import type {Binding, PolicyRule, RbacSnapshot, Role} from './types.js'

const clusterRole = (name: string, rules: PolicyRule[]): Role => ({kind: 'ClusterRole', metadata: {name}, rules})
const role = (ns: string, name: string, rules: PolicyRule[]): Role => ({kind: 'Role', metadata: {name, namespace: ns}, rules})
const crb = (name: string, roleName: string, user: string): Binding => ({
  kind: 'ClusterRoleBinding',
  metadata: {name},
  roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName},
  subjects: [{kind: 'User', name: user, apiGroup: 'rbac.authorization.k8s.io'}],
})
const rb = (ns: string, name: string, roleName: string, sa: string): Binding => ({
  kind: 'RoleBinding',
  metadata: {name, namespace: ns},
  roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName},
  subjects: [{kind: 'ServiceAccount', name: sa, namespace: ns}],
})

// One user per indirect path, each holding exactly the permission that opens it.
function snapshot(): RbacSnapshot {
  const clusterRoles = [
    clusterRole('impersonator', [{apiGroups: [''], resources: ['users'], verbs: ['impersonate']}]),
    clusterRole('binder', [{apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind']}]),
    clusterRole('proxy', [{apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get']}]),
    clusterRole('webhooks', [{apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['create']}]),
    clusterRole('csr-approver', [
      {apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval'], verbs: ['update']},
      {apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: ['kubernetes.io/kube-apiserver-client'], verbs: ['approve']},
    ]),
    // Approval without a signer mints nothing: not a path.
    clusterRole('csr-half', [{apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval'], verbs: ['update']}]),
  ]
  const roles = [
    role('payments', 'job-runner', [{apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['create']}]),
    role('payments', 'debugger', [{apiGroups: [''], resources: ['pods/exec'], verbs: ['create']}]),
    role('payments', 'token-minter', [{apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create']}]),
    role('web', 'job-runner', [{apiGroups: ['batch'], resources: ['cronjobs'], verbs: ['create']}]),
  ]
  return {
    clusterRoles,
    roles,
    clusterRoleBindings: [
      crb('imp', 'impersonator', 'imp-user'),
      crb('bind', 'binder', 'bind-user'),
      crb('proxy', 'proxy', 'proxy-user'),
      crb('hooks', 'webhooks', 'hook-user'),
      crb('csr', 'csr-approver', 'csr-user'),
      crb('csr-half', 'csr-half', 'half-user'),
    ],
    roleBindings: [
      rb('payments', 'jobs', 'job-runner', 'cron'),
      rb('payments', 'debug', 'debugger', 'debug'),
      rb('payments', 'tokens', 'token-minter', 'minter'),
      rb('web', 'jobs', 'job-runner', 'webcron'),
    ],
  }
}

describe('indirectWhoCan', () => {
  it('finds one subject per path, each labelled and spelled out', () => {
    const grants = indirectWhoCan(snapshot(), {allNamespaces: true})
    const by = (key: string) => grants.filter((g) => g.key === key).map((g) => g.label)
    expect(by('User:imp-user')).toEqual(['indirect: impersonate'])
    expect(by('User:bind-user')).toEqual(['indirect: rbac-escalation'])
    expect(by('User:proxy-user')).toEqual(['indirect: node-proxy'])
    expect(by('User:hook-user')).toEqual(['indirect: admission-webhook'])
    expect(by('User:csr-user')).toEqual(['indirect: csr-approval'])
    expect(by('User:half-user')).toEqual([])
    expect(by('ServiceAccount:payments/cron')).toEqual(['indirect: pod-create'])
    expect(by('ServiceAccount:payments/debug')).toEqual(['indirect: exec'])
    expect(by('ServiceAccount:payments/minter')).toEqual(['indirect: token-request'])
    expect(by('Group:system:nodes')).toEqual(['indirect: node-authorizer'])
    // Every kind is exercised by this snapshot.
    expect(new Set(grants.map((g) => g.path))).toEqual(new Set(INDIRECT_KINDS))
    const cron = grants.find((g) => g.key === 'ServiceAccount:payments/cron')!
    expect(cron.explanation).toEqual(['create cronjobs.batch in ns payments -> mount any secret (and run as any ServiceAccount) in payments'])
    expect(cron.paths.map((p) => p.binding)).toEqual([{kind: 'RoleBinding', name: 'jobs', namespace: 'payments'}])
    const csr = grants.find((g) => g.key === 'User:csr-user')!
    expect(csr.explanation.join(' ')).toContain('approve signers')
    expect(grants.some((g) => g.key === 'Group:system:masters')).toBe(false)
  })

  it('keeps to the namespace asked: RoleBindings elsewhere do not count', () => {
    const grants = indirectWhoCan(snapshot(), {allNamespaces: false, namespace: 'web'})
    const keys = grants.map((g) => g.key)
    expect(keys).toContain('ServiceAccount:web/webcron')
    expect(keys).not.toContain('ServiceAccount:payments/cron')
    expect(keys).not.toContain('ServiceAccount:payments/debug')
    // Cluster-wide paths hold in every namespace.
    expect(keys).toContain('User:imp-user')
  })
})
