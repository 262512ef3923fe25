import {describe, expect, it} from 'vitest'
import {parseManifests} from './manifests.js'

const one = (text: string, file = 'x.yaml') => parseManifests([{file, text}])

describe('parseManifests', () => {
  it('reads multi-document YAML with every kind it needs, ignores and counts the rest', () => {
    const p = one(`
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: web}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r, namespace: web, labels: {a: b}}
rules:
- apiGroups: [""]
  resources: [secrets]
  resourceNames: [db]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb, namespace: web}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects: [{kind: ServiceAccount, name: app}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
data: {password: c2VjcmV0}
---
`)
    expect(p.problems).toEqual([])
    expect(p.documents).toBe(7)
    expect(p.kept).toEqual({Namespace: 1, ServiceAccount: 1, Role: 1, RoleBinding: 1})
    expect(p.ignored).toEqual({Deployment: 1, Secret: 1})
    expect(p.snapshot.namespaces).toEqual(['web'])
    expect(p.snapshot.serviceAccounts).toEqual([{namespace: 'web', name: 'app'}])
    expect(p.snapshot.roles).toEqual([
      {
        kind: 'Role',
        metadata: {name: 'r', namespace: 'web', labels: {a: 'b'}},
        rules: [{verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db']}],
      },
    ])
    expect(p.snapshot.roleBindings[0]).toEqual({
      kind: 'RoleBinding',
      metadata: {name: 'rb', namespace: 'web'},
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r'},
      subjects: [{kind: 'ServiceAccount', name: 'app'}],
    })
    // Nothing of the Secret's data is kept anywhere.
    expect(JSON.stringify(p)).not.toContain('c2VjcmV0')
  })

  it('reads kind: List, typed lists from the API (items without kind), and JSON', () => {
    const list = one(`apiVersion: v1
kind: List
items:
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: a}, rules: []}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {kind: ClusterRole, name: a, apiGroup: rbac.authorization.k8s.io}}
`)
    expect(list.kept).toEqual({ClusterRole: 1, ClusterRoleBinding: 1})
    expect(list.snapshot.clusterRoleBindings[0]!.subjects).toEqual([])
    const apiList = one(
      JSON.stringify({
        kind: 'RoleList',
        apiVersion: 'rbac.authorization.k8s.io/v1',
        items: [{metadata: {name: 'r', namespace: 'n'}, rules: [{verbs: ['get'], apiGroups: [''], resources: ['pods']}]}],
      }),
      'roles.json',
    )
    expect(apiList.problems).toEqual([])
    expect(apiList.snapshot.roles.map((r) => `${r.metadata.namespace}/${r.metadata.name}`)).toEqual(['n/r'])
    const aggregated = one(`kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata: {name: agg}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {x: "true"}
  - matchExpressions: [{key: y, operator: Exists}]
rules: null
`)
    expect(aggregated.snapshot.clusterRoles[0]).toEqual({
      kind: 'ClusterRole',
      metadata: {name: 'agg'},
      rules: [],
      aggregationRule: {clusterRoleSelectors: [{matchLabels: {x: 'true'}}, {matchExpressions: [{key: 'y', operator: 'Exists'}]}]},
    })
  })

  it('reads JSON lines', () => {
    const p = one(
      [
        JSON.stringify({kind: 'Namespace', metadata: {name: 'a'}}),
        '{not json',
        JSON.stringify({kind: 'Namespace', metadata: {name: 'b'}}),
      ].join('\n'),
      'ns.jsonl',
    )
    expect(p.snapshot.namespaces).toEqual(['a', 'b'])
    expect(p.problems).toEqual([{file: 'ns.jsonl', document: 2, message: expect.stringMatching(/^invalid JSON/)}])
  })

  it('reads JSON documents separated by --- as a YAML stream, not as JSON lines with bad --- lines', () => {
    const docs = ['a', 'b', 'c'].map((name) => JSON.stringify({kind: 'Namespace', metadata: {name}}))
    const p = one(docs.join('\n---\n') + '\n', 'ns.yaml')
    expect(p.problems).toEqual([])
    expect(p.snapshot.namespaces).toEqual(['a', 'b', 'c'])
  })

  it('reports malformed documents and objects with file and document number, and keeps going', () => {
    const p = one(`kind: Role
metadata: {name: ok, namespace: n}
rules: [{verbs: [get], resources: [pods], apiGroups: [""]}]
---
kind: Role
metadata: {name: bad: yaml: here
---
just a string
---
kind: Role
metadata: {namespace: n}
---
kind: RoleBinding
metadata: {name: rb, namespace: n}
subjects: [{kind: User}]
---
kind: ClusterRole
metadata: {name: cr}
rules: [{verbs: get}, "x", {verbs: [list], resources: [pods]}]
---
apiVersion: v1
items: {}
kind: List
---
kind: RoleBinding
metadata: {name: rb2, namespace: n}
roleRef: {kind: Role, name: ok}
subjects: [{kind: User}, {kind: User, name: u}]
`)
    expect(p.kept).toEqual({Role: 1, ClusterRole: 1, RoleBinding: 1})
    expect(p.problems.map((x) => [x.document, x.message])).toEqual([
      [2, expect.stringMatching(/^invalid YAML/)],
      [3, 'not a Kubernetes object (expected a mapping with kind and metadata)'],
      [4, 'Role has no metadata.name'],
      [5, 'RoleBinding "n/rb": roleRef needs kind and name'],
      [6, 'ClusterRole "cr": rules[0].verbs must be a list of strings; rule skipped'],
      [6, 'ClusterRole "cr": rules[1] is not a mapping; skipped'],
      [7, 'List has no items list'],
      [8, 'RoleBinding "n/rb2": subjects[0] needs kind and name; skipped'],
    ])
    expect(p.snapshot.clusterRoles[0]!.rules).toEqual([{verbs: ['list'], resources: ['pods']}])
    expect(p.snapshot.roleBindings[0]!.subjects).toEqual([{kind: 'User', name: 'u'}])
  })

  it('problem messages never carry terminal escapes from the input', () => {
    const p = one('kind: RoleBinding\nmetadata: {name: "a\\e[2Jb", namespace: n}\n')
    expect(p.problems[0]!.message).toBe('RoleBinding "n/a\\x1b[2Jb": roleRef needs kind and name')
  })

  it('notes namespaced objects without a namespace and places them in default', () => {
    const p = one(`kind: Role
metadata: {name: r}
rules: []`)
    expect(p.snapshot.roles[0]!.metadata.namespace).toBe('default')
    expect(p.problems[0]!.message).toMatch(/no metadata.namespace; assumed "default"/)
  })

  it('a later definition of the same object replaces the earlier one, across files', () => {
    const p = parseManifests([
      {file: 'a.yaml', text: 'kind: ClusterRole\nmetadata: {name: x}\nrules: [{verbs: [get], resources: [pods], apiGroups: [""]}]'},
      {file: 'b.yaml', text: 'kind: ClusterRole\nmetadata: {name: x}\nrules: [{verbs: [list], resources: [pods], apiGroups: [""]}]'},
    ])
    expect(p.snapshot.clusterRoles).toHaveLength(1)
    expect(p.snapshot.clusterRoles[0]!.rules[0]!.verbs).toEqual(['list'])
  })

  it('skips hostile documents alone, with a reason, and keeps the others', () => {
    const role = 'kind: ClusterRole\nmetadata: {name: ok}\nrules: [{verbs: [get], apiGroups: [""], resources: [secrets]}]\n'
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((l, i) => `${l}: &${l} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`)].join('\n')
    const p = parseManifests([
      {file: 'deep.yaml', text: `${role}---\nkind: ClusterRole\nrules: ${'['.repeat(5000)}${']'.repeat(5000)}\n---\n${role.replace('ok', 'ok2')}`},
      {file: 'bomb.yaml', text: `${bomb}\n---\n${role.replace('ok', 'ok3')}`},
      {file: 'deep.json', text: '['.repeat(100_000) + ']'.repeat(100_000)},
      // Under the text bound, Lists inside Lists are still bounded by the walk.
      {file: 'lists.json', text: '{"kind":"List","items":['.repeat(100) + ']}'.repeat(100)},
    ])
    expect(p.snapshot.clusterRoles.map((r) => r.metadata.name)).toEqual(['ok', 'ok2', 'ok3'])
    expect(p.problems.map((x) => [x.file, x.document, x.message.replace(/\(.*\)/, '(...)')])).toEqual([
      ['deep.yaml', 2, 'nested deeper than 256 levels (...); document skipped unread'],
      ['bomb.yaml', 1, 'YAML aliases rejected (...)'],
      ['deep.json', 1, 'nested deeper than 256 levels; file skipped unread'],
      ['lists.json', 1, 'lists nested deeper than 32 levels; skipped'],
    ])
    expect(p.problems.every((x) => !x.note)).toBe(true)
  })

  it('counts RBAC objects per file and marks assumptions as notes', () => {
    const p = parseManifests([
      {file: 'a.yaml', text: 'kind: Role\nmetadata: {name: r}\nrules: []\n---\nkind: Namespace\nmetadata: {name: n}\n'},
      {file: 'b.yaml', text: 'kind: Deployment\nmetadata: {name: d}\n'},
      // A values file is no object; a binding that lost its kind is a skip.
      {file: 'values.yaml', text: 'replicas: 3\nimage: {tag: v1}\n'},
      {file: 'kindless.yaml', text: 'metadata: {name: b}\nroleRef: {kind: ClusterRole, name: admin}\n'},
    ])
    expect(p.rbacByFile).toEqual({'a.yaml': 1})
    expect(p.ignored).toEqual({Deployment: 1, '(no kind)': 1})
    expect(p.problems.filter((x) => !x.note)).toEqual([{file: 'kindless.yaml', document: 1, message: 'object has no kind'}])
    expect(p.problems.filter((x) => x.note)).toEqual([expect.objectContaining({file: 'a.yaml', note: true})])
  })
})
