// Conformance with plugin/pkg/auth/authorizer/rbac/rbac_test.go (TestAuthorizer) and
// pkg/registry/rbac/validation/rule_test.go (TestDefaultRuleResolver), ported in our own words,
// plus the exact reason strings the API server writes into authorization.k8s.io/reason.
import {describe, expect, it} from 'vitest'
import {authorize, indexSnapshot, rulesFor} from './authorizer.js'
import {newClusterRole, newClusterRoleBinding, newRole, newRoleBinding, newRule, snapshotOf} from './test-helpers.js'
import type {PolicyRule, RbacSnapshot, RequestAttributes} from './types.js'

type Who = {user: string; groups: string[]}
const who = (user: string, groups = ''): Who => ({user, groups: groups ? groups.split(',') : []})
// defaultAttributes{user, groups, verb, resource, subresource, namespace, apiGroup}
const attrs = (verb: string, resource: string, subresource: string, namespace: string, apiGroup = ''): RequestAttributes => ({
  kind: 'resource',
  verb,
  apiGroup,
  resource,
  ...(subresource ? {subresource} : {}),
  ...(namespace ? {namespace} : {}),
})
const path = (verb: string, p: string): RequestAttributes => ({kind: 'nonResource', verb, path: p})

describe('authorize (rbac_test.go TestAuthorizer)', () => {
  const cases: {name: string; snap: RbacSnapshot; pass: [Who, RequestAttributes][]; fail: [Who, RequestAttributes][]}[] = [
    {
      name: 'RoleBinding to a ClusterRole grants only in its namespace',
      snap: snapshotOf({
        clusterRoles: [newClusterRole('admin', newRule('*', '*', '*', '*'))],
        roleBindings: [newRoleBinding('ns1', 'admin', 'ClusterRole', 'User:admin', 'Group:admins')],
      }),
      pass: [
        [who('admin'), attrs('get', 'Pods', '', 'ns1')],
        [who('admin'), attrs('watch', 'Pods', '', 'ns1')],
        [who('admin', 'group1'), attrs('watch', 'Foobar', '', 'ns1')],
        [who('joe', 'admins'), attrs('watch', 'Foobar', '', 'ns1')],
        [who('joe', 'group1,admins'), attrs('watch', 'Foobar', '', 'ns1')],
      ],
      fail: [
        [who('admin'), attrs('GET', 'Pods', '', 'ns2')],
        [who('admin'), attrs('GET', 'Nodes', '', '')],
        [who('admin', 'admins'), attrs('GET', 'Pods', '', 'ns2')],
        [who('admin', 'admins'), attrs('GET', 'Nodes', '', '')],
      ],
    },
    {
      name: 'non-resource URLs',
      snap: snapshotOf({
        clusterRoles: [
          newClusterRole('non-resource-url-getter', newRule('get', '', '', '/apis')),
          newClusterRole('non-resource-url', newRule('*', '', '', '/apis')),
          newClusterRole('non-resource-url-prefix', newRule('get', '', '', '/apis/*')),
        ],
        clusterRoleBindings: [
          newClusterRoleBinding('non-resource-url-getter', 'User:foo', 'Group:bar'),
          newClusterRoleBinding('non-resource-url', 'User:admin', 'Group:admin'),
          newClusterRoleBinding('non-resource-url-prefix', 'User:prefixed', 'Group:prefixed'),
        ],
      }),
      pass: [
        [who('foo'), path('get', '/apis')],
        [who('', 'bar'), path('get', '/apis')],
        [who('admin'), path('get', '/apis')],
        [who('', 'admin'), path('get', '/apis')],
        [who('admin'), path('watch', '/apis')],
        [who('', 'admin'), path('watch', '/apis')],
        [who('prefixed'), path('get', '/apis/v1')],
        [who('', 'prefixed'), path('get', '/apis/v1')],
        [who('prefixed'), path('get', '/apis/v1/foobar')],
        [who('', 'prefixed'), path('get', '/apis/v1/foorbar')],
      ],
      fail: [
        [who('foo'), path('watch', '/apis')],
        [who('', 'bar'), path('watch', '/apis')],
        [who('foo'), path('get', '/api/v1')],
        [who('', 'bar'), path('get', '/api/v1')],
        [who('admin'), path('get', '/api/v1')],
        [who('', 'admin'), path('get', '/api/v1')],
        [who('prefixed'), path('get', '/api/v1')],
        [who('', 'prefixed'), path('get', '/api/v1')],
      ],
    },
    {
      name: 'a rule on pods does not cover pods/status',
      snap: snapshotOf({
        clusterRoles: [newClusterRole('admin', newRule('*', '*', 'pods', '*'))],
        roleBindings: [newRoleBinding('ns1', 'admin', 'ClusterRole', 'User:admin', 'Group:admins')],
      }),
      pass: [[who('admin'), attrs('get', 'pods', '', 'ns1')]],
      fail: [[who('admin'), attrs('get', 'pods', 'status', 'ns1')]],
    },
    {
      name: 'a rule on pods/status does not cover pods',
      snap: snapshotOf({
        clusterRoles: [newClusterRole('admin', newRule('*', '*', 'pods/status', '*'))],
        roleBindings: [newRoleBinding('ns1', 'admin', 'ClusterRole', 'User:admin', 'Group:admins')],
      }),
      pass: [[who('admin'), attrs('get', 'pods', 'status', 'ns1')]],
      fail: [[who('admin'), attrs('get', 'pods', '', 'ns1')]],
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const index = indexSnapshot(c.snap)
      for (const [w, a] of c.pass) expect([w, a, authorize(index, w, a).allowed]).toEqual([w, a, true])
      for (const [w, a] of c.fail) expect([w, a, authorize(index, w, a).allowed]).toEqual([w, a, false])
    })
  }
})

describe('authorize reasons and paths', () => {
  const snap = snapshotOf({
    clusterRoles: [
      newClusterRole('secret-reader', {verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets']}),
      newClusterRole('cm-reader', {verbs: ['get'], apiGroups: [''], resources: ['configmaps']}),
    ],
    roles: [newRole('own-secret', 'web', {verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db']})],
    clusterRoleBindings: [newClusterRoleBinding('secret-reader', 'User:alice')],
    roleBindings: [
      newRoleBinding('web', 'own-secret', 'Role', 'ServiceAccount:app'),
      newRoleBinding('web', 'cm-reader', 'ClusterRole', 'ServiceAccount:ci/runner'),
    ],
  })

  it('names the ClusterRoleBinding like the API server', () => {
    const r = authorize(snap, who('alice'), attrs('list', 'secrets', '', 'web'))
    expect(r.allowed).toBe(true)
    expect(r.reason).toBe('RBAC: allowed by ClusterRoleBinding "secret-reader" of ClusterRole "secret-reader" to User "alice"')
    expect(r.path).toMatchObject({binding: {kind: 'ClusterRoleBinding', name: 'secret-reader'}, ruleIndex: 0})
  })

  it('names a RoleBinding as name/namespace and a ServiceAccount as name/namespace (as rbac.go does)', () => {
    const r = authorize(snap, who('system:serviceaccount:web:app'), {...attrs('get', 'secrets', '', 'web'), name: 'db'} as RequestAttributes)
    expect(r.reason).toBe('RBAC: allowed by RoleBinding "own-secret/web" of Role "own-secret" to ServiceAccount "app/web"')
    expect(r.path?.role).toEqual({kind: 'Role', name: 'own-secret', namespace: 'web'})
    const x = authorize(snap, who('system:serviceaccount:ci:runner'), attrs('get', 'configmaps', '', 'web'))
    expect(x.reason).toBe('RBAC: allowed by RoleBinding "cm-reader/web" of ClusterRole "cm-reader" to ServiceAccount "runner/ci"')
  })

  it('resourceNames: the named object only, never a list', () => {
    const sa = who('system:serviceaccount:web:app')
    expect(authorize(snap, sa, {...attrs('get', 'secrets', '', 'web'), name: 'other'} as RequestAttributes).allowed).toBe(false)
    expect(authorize(snap, sa, attrs('list', 'secrets', '', 'web')).allowed).toBe(false)
  })

  it('a cluster-scoped or all-namespaces request ignores RoleBindings', () => {
    expect(authorize(snap, who('system:serviceaccount:ci:runner'), attrs('get', 'configmaps', '', '')).allowed).toBe(false)
    expect(authorize(snap, who('alice'), attrs('list', 'secrets', '', '')).allowed).toBe(true)
  })

  it('missing roles become errors in the reason, not crashes, and do not hide other grants', () => {
    const s = snapshotOf({
      clusterRoles: [newClusterRole('reader', {verbs: ['get'], apiGroups: [''], resources: ['pods']})],
      clusterRoleBindings: [newClusterRoleBinding('gone', 'User:bob'), newClusterRoleBinding('reader', 'User:bob')],
      roleBindings: [newRoleBinding('ns1', 'also-gone', 'Role', 'User:bob')],
    })
    const denied = authorize(s, who('bob'), attrs('delete', 'pods', '', 'ns1'))
    expect(denied.allowed).toBe(false)
    expect(denied.errors).toEqual([
      'clusterrole.rbac.authorization.k8s.io "gone" not found',
      'role.rbac.authorization.k8s.io "also-gone" not found',
    ])
    expect(denied.reason).toBe(
      'RBAC: [clusterrole.rbac.authorization.k8s.io "gone" not found, role.rbac.authorization.k8s.io "also-gone" not found]',
    )
    expect(authorize(s, who('bob'), attrs('get', 'pods', '', 'ns1')).allowed).toBe(true)
    // Two bindings to one missing role: Go's aggregate prints a repeated message once, unbracketed.
    const twice = snapshotOf({clusterRoleBindings: [newClusterRoleBinding('gone', 'User:bob'), {...newClusterRoleBinding('gone', 'User:bob'), metadata: {name: 'gone-again'}}]})
    expect(authorize(twice, who('bob'), attrs('get', 'pods', '', 'ns1')).reason).toBe('RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found')
    // A binding that does not apply to the user is never resolved, so it adds no error.
    expect(authorize(s, who('carol'), attrs('get', 'pods', '', 'ns1'))).toEqual({allowed: false, reason: '', errors: []})
  })

  it('unsupported roleRef kinds are errors', () => {
    const s = snapshotOf({
      clusterRoleBindings: [{kind: 'ClusterRoleBinding', metadata: {name: 'x'}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Policy', name: 'p'}, subjects: [{kind: 'User', name: 'u'}]}],
    })
    expect(authorize(s, who('u'), attrs('get', 'pods', '', '')).reason).toBe('RBAC: unsupported role reference kind: "Policy"')
  })

  it('system:masters is not special to pure RBAC', () => {
    expect(authorize(snapshotOf({}), who('root', 'system:masters'), attrs('get', 'secrets', '', 'x')).allowed).toBe(false)
  })
})

describe('rulesFor (rule_test.go TestDefaultRuleResolver)', () => {
  const readPods: PolicyRule = {verbs: ['GET', 'WATCH'], apiGroups: ['v1'], resources: ['pods']}
  const readServices: PolicyRule = {verbs: ['GET', 'WATCH'], apiGroups: ['v1'], resources: ['services']}
  const writeNodes: PolicyRule = {verbs: ['PUT', 'CREATE', 'UPDATE'], apiGroups: ['v1'], resources: ['nodes']}
  const admin: PolicyRule = {verbs: ['*'], apiGroups: ['*'], resources: ['*']}
  const snap = snapshotOf({
    roles: [newRole('readthings', 'namespace1', readPods, readServices)],
    clusterRoles: [newClusterRole('cluster-admin', admin), newClusterRole('write-nodes', writeNodes)],
    roleBindings: [newRoleBinding('namespace1', 'readthings', 'Role', 'User:foobar', 'Group:group1')],
    clusterRoleBindings: [newClusterRoleBinding('cluster-admin', 'User:admin', 'Group:admin')],
  })
  const cases: {name: string; who: Who; ns: string; rules: PolicyRule[]}[] = [
    {name: 'namespace rules for the bound user', who: who('foobar'), ns: 'namespace1', rules: [readPods, readServices]},
    {name: 'nothing in another namespace', who: who('foobar'), ns: 'namespace2', rules: []},
    {name: 'without a namespace only cluster rules apply', who: who('foobar', 'admin'), ns: '', rules: [admin]},
    {name: 'an empty user has nothing', who: who(''), ns: '', rules: []},
  ]
  for (const c of cases) {
    it(c.name, () => {
      expect(rulesFor(snap, c.who, c.ns)).toEqual({rules: c.rules, errors: []})
    })
  }
})
