// The who-can engine: Kubernetes' TestSubjectLocator cases (subject_locator_test.go) in our own
// words, the scoping rules of -n/-A, resourceNames, warnings, risks and group expansion, and
// answers on the real default policy of Kubernetes (../shared/corpus/rbac) derived by hand.
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {aggregateClusterRoles} from './aggregate.js'
import {indexSnapshot} from './authorizer.js'
import {parseManifests} from './manifests.js'
import {newClusterRole, newClusterRoleBinding, newRole, newRoleBinding, newRule, snapshotOf} from './test-helpers.js'
import type {RbacSnapshot} from './types.js'
import {
  defaultTargets,
  DEFAULT_VERBS,
  isBroadGroup,
  subjectIdentity,
  targetLabel,
  whoCan,
  type WhoCanAnswer,
  type WhoCanQuery,
  type WhoCanTarget,
} from './who-can.js'

const keys = (a: WhoCanAnswer) => a.subjects.map((s) => s.key)
const resource = (resource: string, extra: Partial<Extract<WhoCanTarget, {kind: 'resource'}>> = {}): WhoCanTarget => ({
  kind: 'resource',
  apiGroup: '',
  resource,
  namespaced: true,
  ...extra,
})
const q = (verbs: string[], targets: WhoCanTarget[], scope: {namespace?: string; all?: boolean; expand?: boolean} = {}): WhoCanQuery => ({
  verbs,
  targets,
  ...(scope.namespace !== undefined ? {namespace: scope.namespace} : {}),
  allNamespaces: scope.all ?? false,
  ...(scope.expand ? {expandGroups: true} : {}),
})

describe('whoCan (subject_locator_test.go TestSubjectLocator)', () => {
  it('no super user, star matches star', () => {
    const snap = snapshotOf({
      clusterRoles: [newClusterRole('admin', newRule('*', '*', '*', '*'))],
      clusterRoleBindings: [newClusterRoleBinding('admin', 'User:super-admin', 'Group:super-admins')],
      roleBindings: [newRoleBinding('ns1', 'admin', 'ClusterRole', 'User:admin', 'Group:admins')],
    })
    // get Pods in ns1
    expect(keys(whoCan(snap, q(['get'], [resource('Pods')], {namespace: 'ns1'})))).toEqual([
      'Group:system:masters',
      'User:admin',
      'User:super-admin',
      'Group:admins',
      'Group:super-admins',
    ])
    // the cluster role matches the star verb in namespace "*": RoleBindings of ns1 do not count there
    expect(keys(whoCan(snap, q(['*'], [resource('Pods')], {namespace: '*'})))).toEqual([
      'Group:system:masters',
      'User:super-admin',
      'Group:super-admins',
    ])
    // empty namespace: ClusterRoleBindings only
    expect(keys(whoCan(snap, q(['*'], [resource('Pods')])))).toEqual(['Group:system:masters', 'User:super-admin', 'Group:super-admins'])
  })

  it('local roles work', () => {
    const snap = snapshotOf({
      clusterRoles: [newClusterRole('admin', newRule('*', '*', '*', '*'))],
      clusterRoleBindings: [newClusterRoleBinding('admin', 'User:super-admin', 'Group:super-admins')],
      roles: [newRole('admin', 'ns1', newRule('get', '*', 'Pods', '*'))],
      roleBindings: [newRoleBinding('ns1', 'admin', 'Role', 'User:admin', 'Group:admins')],
    })
    expect(keys(whoCan(snap, q(['get'], [resource('Pods')], {namespace: 'ns1'})))).toEqual([
      'Group:system:masters',
      'User:admin',
      'User:super-admin',
      'Group:admins',
      'Group:super-admins',
    ])
    // verb matches correctly: the Role only has get
    expect(keys(whoCan(snap, q(['create'], [resource('Pods')], {namespace: 'ns1'})))).toEqual([
      'Group:system:masters',
      'User:super-admin',
      'Group:super-admins',
    ])
    // binding only works in the right namespace
    expect(keys(whoCan(snap, q(['get'], [resource('Pods')], {namespace: 'ns2'})))).toEqual([
      'Group:system:masters',
      'User:super-admin',
      'Group:super-admins',
    ])
  })
})

describe('whoCan scopes, paths and warnings', () => {
  const snap: RbacSnapshot = snapshotOf({
    namespaces: ['a', 'b', 'c'],
    serviceAccounts: [
      {namespace: 'a', name: 'default'},
      {namespace: 'a', name: 'app'},
      {namespace: 'b', name: 'default'},
    ],
    clusterRoles: [
      newClusterRole('secret-reader', {verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['secrets']}),
      newClusterRole('node-reader', {verbs: ['get', 'list'], apiGroups: [''], resources: ['nodes']}),
      newClusterRole('health', {verbs: ['get'], nonResourceURLs: ['/healthz', '/readyz*']}),
    ],
    roles: [
      newRole('own', 'a', {verbs: ['get'], apiGroups: [''], resources: ['secrets'], resourceNames: ['app-db']}),
      newRole('all', 'b', {verbs: ['*'], apiGroups: ['*'], resources: ['*']}),
    ],
    clusterRoleBindings: [
      newClusterRoleBinding('secret-reader', 'User:ops', 'ServiceAccount:dangling'),
      newClusterRoleBinding('node-reader', 'Group:node-viewers'),
      newClusterRoleBinding('health', 'Group:system:unauthenticated'),
      newClusterRoleBinding('gone', 'User:nobody'),
    ],
    roleBindings: [
      newRoleBinding('a', 'own', 'Role', 'ServiceAccount:app'),
      newRoleBinding('a', 'secret-reader', 'ClusterRole', 'Group:system:serviceaccounts:a', 'User:dev'),
      newRoleBinding('b', 'all', 'Role', 'ServiceAccount:a/default', 'User:dev'),
      newRoleBinding('c', 'node-reader', 'ClusterRole', 'User:dev'),
      newRoleBinding('c', 'missing', 'Role', 'User:dev'),
    ],
  })

  it('-n: ClusterRoleBindings plus that namespace, with scope and every path', () => {
    const a = whoCan(snap, q(['get', 'list'], [resource('secrets')], {namespace: 'a'}))
    expect(keys(a)).toEqual(['Group:system:masters', 'User:dev', 'User:ops', 'Group:system:serviceaccounts:a'])
    const dev = a.subjects.find((s) => s.key === 'User:dev')!
    expect(dev.scope).toEqual({clusterWide: false, namespaces: ['a']})
    expect(dev.paths).toEqual([
      {
        binding: {kind: 'RoleBinding', name: 'secret-reader', namespace: 'a'},
        role: {kind: 'ClusterRole', name: 'secret-reader'},
        subjectIndex: 1,
        subjectCount: 2,
        clusterWide: false,
        namespace: 'a',
        rules: [
          {
            index: 0,
            rule: {verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['secrets']},
            answers: [
              {verb: 'get', target: 'secrets'},
              {verb: 'list', target: 'secrets'},
            ],
          },
        ],
      },
    ])
    const ops = a.subjects.find((s) => s.key === 'User:ops')!
    expect(ops.scope).toEqual({clusterWide: true, namespaces: []})
    expect(ops.risks.map((r) => r.code)).toEqual(['list-watch', 'cluster-wide'])
    // The ServiceAccount subject without namespace in a ClusterRoleBinding is reported, not granted.
    expect(a.warnings.map((w) => w.code)).toEqual(['dangling-serviceaccount', 'missing-role'])
    expect(a.warnings.map((w) => w.message)).toEqual([
      'ClusterRoleBinding "secret-reader": ServiceAccount subject "dangling" has no namespace and matches nobody',
      'ClusterRoleBinding "gone": clusterrole.rbac.authorization.k8s.io "gone" not found',
    ])
    expect(a.missingRoleBindings).toEqual([
      {binding: {kind: 'ClusterRoleBinding', name: 'gone'}, role: {kind: 'ClusterRole', name: 'gone', missing: true}, clusterWide: true, rules: []},
    ])
  })

  it('resourceNames count only when the question names the object', () => {
    const unnamed = whoCan(snap, q(['get'], [resource('secrets')], {namespace: 'a'}))
    expect(keys(unnamed)).not.toContain('ServiceAccount:a/app')
    const named = whoCan(snap, q(['get'], [resource('secrets', {name: 'app-db'})], {namespace: 'a'}))
    expect(keys(named)).toContain('ServiceAccount:a/app')
    const app = named.subjects.find((s) => s.key === 'ServiceAccount:a/app')!
    expect(app.targets).toEqual(['secrets "app-db"'])
    expect(app.risks).toEqual([])
    expect(keys(whoCan(snap, q(['get'], [resource('secrets', {name: 'other'})], {namespace: 'a'})))).not.toContain('ServiceAccount:a/app')
  })

  it('-A: RoleBindings of every namespace, scope lists the namespaces', () => {
    const a = whoCan(snap, q([...DEFAULT_VERBS], defaultTargets(), {all: true}))
    const dev = a.subjects.find((s) => s.key === 'User:dev')!
    expect(dev.scope).toEqual({clusterWide: false, namespaces: ['a', 'b']})
    expect(dev.access).toContainEqual({verb: 'get', target: 'configmaps', scope: {clusterWide: false, namespaces: ['b']}})
    expect(dev.access).toContainEqual({verb: 'get', target: 'secrets', scope: {clusterWide: false, namespaces: ['a', 'b']}})
    const def = a.subjects.find((s) => s.key === 'ServiceAccount:a/default')!
    expect(def.risks.map((r) => r.code)).toEqual(['default-service-account', 'wildcard-rule', 'list-watch'])
    expect(def.scope.namespaces).toEqual(['b'])
    // The missing ClusterRole and the missing Role in c are both reported with their bindings.
    expect(a.missingRoleBindings.map((p) => `${p.binding.kind} ${p.binding.namespace ?? ''}/${p.binding.name}`)).toEqual([
      'ClusterRoleBinding /gone',
      'RoleBinding c/missing',
    ])
  })

  it('cluster-scoped resources and URLs: only ClusterRoleBindings grant', () => {
    const nodes = whoCan(snap, q(['get'], [resource('nodes', {namespaced: false})], {all: true}))
    // dev's RoleBinding in c references node-reader, but a RoleBinding cannot grant nodes.
    expect(keys(nodes)).toEqual(['Group:system:masters', 'Group:node-viewers'])
    // Asked together with a namespaced resource, RoleBindings are visited, yet still grant no nodes.
    const mixed = whoCan(snap, q(['get'], [resource('secrets'), resource('nodes', {namespaced: false})], {all: true}))
    const dev = mixed.subjects.find((s) => s.key === 'User:dev')!
    expect(dev.targets).toEqual(['secrets'])
    expect(dev.paths.map((p) => `${p.binding.namespace}/${p.binding.name}`)).toEqual(['a/secret-reader', 'b/all'])
    expect(mixed.subjects.find((s) => s.key === 'Group:node-viewers')!.targets).toEqual(['nodes'])
    const health = whoCan(snap, q(['get'], [{kind: 'nonResource', path: '/readyz/etcd'}], {all: true}))
    expect(keys(health)).toEqual(['Group:system:masters', 'Group:system:unauthenticated'])
    expect(health.subjects[1]!.broad).toBe(true)
    expect(health.subjects[1]!.targets).toEqual(['/readyz/etcd'])
  })

  it('without -n or -A only ClusterRoleBindings count', () => {
    expect(keys(whoCan(snap, q(['get'], [resource('secrets')])))).toEqual(['Group:system:masters', 'User:ops'])
  })

  it('system:masters is always there, on a labelled synthetic path, even with no RBAC at all', () => {
    const a = whoCan(snapshotOf({}), q(['delete'], [resource('secrets')], {all: true}))
    expect(a.subjects).toHaveLength(1)
    const m = a.subjects[0]!
    expect(m).toMatchObject({kind: 'Group', name: 'system:masters', superuser: true, verbs: ['delete'], targets: ['secrets']})
    expect(m.paths[0]!.binding.kind).toBe('Superuser')
    expect(m.paths[0]!.synthetic).toMatch(/before RBAC/)
    expect(m.risks.map((r) => r.code)).toEqual(['superuser'])
  })

  it('--expand-groups lists the ServiceAccounts a broad group covers, marked as such', () => {
    const a = whoCan(snap, q(['list'], [resource('secrets')], {namespace: 'a', expand: true}))
    const group = a.subjects.find((s) => s.key === 'Group:system:serviceaccounts:a')!
    expect(group.broad).toBe(true)
    expect(group.risks.map((r) => r.code)).toContain('broad-group')
    const covered = a.subjects.filter((s) => s.coveredThrough)
    expect(covered.map((s) => s.key)).toEqual(['ServiceAccount:a/app', 'ServiceAccount:a/default'])
    for (const s of covered) {
      expect(s.coveredThrough).toEqual(['system:serviceaccounts:a'])
      expect(s.paths.every((p) => p.viaGroup === 'system:serviceaccounts:a')).toBe(true)
      expect(s.scope).toEqual({clusterWide: false, namespaces: ['a']})
    }
    // Without the flag the members are not listed.
    expect(keys(whoCan(snap, q(['list'], [resource('secrets')], {namespace: 'a'})))).not.toContain('ServiceAccount:a/app')
  })

  it('--expand-groups carries cluster-wide grants of a group to its members, merged with their own', () => {
    const s = snapshotOf({
      serviceAccounts: [{namespace: 'x', name: 'a'}, {namespace: 'y', name: 'b'}],
      clusterRoles: [newClusterRole('r', {verbs: ['list'], apiGroups: [''], resources: ['secrets']})],
      clusterRoleBindings: [newClusterRoleBinding('r', 'Group:system:serviceaccounts')],
      roleBindings: [newRoleBinding('x', 'r', 'ClusterRole', 'ServiceAccount:a')],
    })
    const a = whoCan(s, q(['list'], [resource('secrets')], {all: true, expand: true}))
    const sa = a.subjects.find((x) => x.key === 'ServiceAccount:x/a')!
    expect(sa.scope).toEqual({clusterWide: true, namespaces: ['x']})
    expect(sa.paths.map((p) => `${p.binding.kind}:${p.viaGroup ?? ''}`)).toEqual(['ClusterRoleBinding:system:serviceaccounts', 'RoleBinding:'])
    expect(a.subjects.find((x) => x.key === 'ServiceAccount:y/b')!.scope).toEqual({clusterWide: true, namespaces: []})
  })

  it('a subject appears once per binding even when listed twice, and the order is deterministic', () => {
    const s = snapshotOf({
      clusterRoles: [newClusterRole('r', {verbs: ['get'], apiGroups: [''], resources: ['secrets']})],
      clusterRoleBindings: [newClusterRoleBinding('r', 'User:z', 'User:a', 'User:z', 'ServiceAccount:ns/b', 'Group:g')],
    })
    const a = whoCan(s, q(['get'], [resource('secrets')]))
    expect(keys(a)).toEqual(['Group:system:masters', 'User:a', 'User:z', 'Group:g', 'ServiceAccount:ns/b'])
    expect(a.subjects.find((x) => x.key === 'User:z')!.paths).toHaveLength(1)
    const reversed = whoCan({...s, clusterRoleBindings: [...s.clusterRoleBindings].reverse()}, q(['get'], [resource('secrets')]))
    expect(JSON.stringify(reversed)).toBe(JSON.stringify(a))
  })

  it('warning messages are terminal-safe while the structured fields stay exact', () => {
    const evil = 'evil\u001b]0;pwned\u0007'
    const a = whoCan(snapshotOf({clusterRoleBindings: [newClusterRoleBinding(evil, 'User:x')]}), q(['get'], [resource('secrets')]))
    expect(a.warnings[0]!.message).not.toContain('\u001b')
    expect(a.warnings[0]!.message).toContain('evil\\x1b]0;pwned\\x07')
    expect(a.warnings[0]!.binding!.name).toBe(evil)
  })

  it('accepts an indexed snapshot and gives the same answer', () => {
    const query = q([...DEFAULT_VERBS], defaultTargets(), {all: true, expand: true})
    expect(whoCan(indexSnapshot(snap), query)).toEqual(whoCan(snap, query))
  })
})

describe('helpers for the CLI and SubjectAccessReviews', () => {
  it('subjectIdentity gives the identity a subject really carries', () => {
    expect(subjectIdentity({kind: 'ServiceAccount', name: 'app', namespace: 'web'})).toEqual({
      user: 'system:serviceaccount:web:app',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:web', 'system:authenticated'],
    })
    expect(subjectIdentity({kind: 'User', name: 'alice'})).toEqual({user: 'alice', groups: ['system:authenticated']})
    expect(subjectIdentity({kind: 'Group', name: 'devs'})).toEqual({
      user: 'sensitive-access:member-of:devs',
      groups: ['devs', 'system:authenticated'],
    })
    expect(subjectIdentity({kind: 'Group', name: 'system:unauthenticated'})).toEqual({
      user: 'system:anonymous',
      groups: ['system:unauthenticated'],
    })
    expect(() => subjectIdentity({kind: 'ServiceAccount', name: 'x'})).toThrow(/no namespace/)
  })

  it('labels targets like kubectl and recognises broad groups', () => {
    expect(targetLabel({kind: 'resource', apiGroup: 'apps', resource: 'deployments', subresource: 'scale', namespaced: true})).toBe(
      'deployments.apps/scale',
    )
    expect(targetLabel({kind: 'nonResource', path: '/metrics'})).toBe('/metrics')
    expect(['system:authenticated', 'system:unauthenticated', 'system:serviceaccounts', 'system:serviceaccounts:x', 'system:masters', 'devs'].map(isBroadGroup)).toEqual([
      true,
      true,
      true,
      true,
      false,
      false,
    ])
  })
})

// ---------------------------------------------------------------------------------------------
// The real default policy. Answers were derived by reading the six files (see comments).
const here = dirname(fileURLToPath(import.meta.url))
const corpus = resolve(here, '../../../shared/corpus/rbac')
const haveCorpus = existsSync(corpus)
if (!haveCorpus) console.warn(`skipping default-policy tests: ${corpus} is absent (CI always has it)`)

describe.skipIf(!haveCorpus)('the Kubernetes default policy (shared/corpus/rbac)', () => {
  const load = () => {
    const files = readdirSync(corpus).filter((f) => f.endsWith('.yaml')).sort()
    const parsed = parseManifests(files.map((f) => ({file: f, text: readFileSync(join(corpus, f), 'utf8')})))
    expect(parsed.problems).toEqual([])
    const agg = aggregateClusterRoles(parsed.snapshot.clusterRoles)
    return indexSnapshot({...parsed.snapshot, clusterRoles: agg.clusterRoles})
  }
  const index = haveCorpus ? load() : undefined

  it('who can get secrets in kube-system', () => {
    // Derived by hand:
    // - system:masters: superuser, and ClusterRoleBinding cluster-admin (`*` `*` `*`).
    // - User system:kube-controller-manager: ClusterRole system:kube-controller-manager rule 5
    //   (get configmaps/namespaces/secrets/serviceaccounts).
    // - SA kube-system/generic-garbage-collector (rule 0: `*` resources, get among the verbs) and
    //   kube-system/namespace-controller (rule 2: `*` resources, get) via their ClusterRoleBindings.
    // - SA kube-system/bootstrap-signer and kube-system/token-cleaner via RoleBindings in
    //   kube-system to Roles that read secrets.
    // Not there: resourcequota-controller (list/watch only), legacy-service-account-token-cleaner
    // (delete/patch), system:node (its ClusterRoleBinding has no subjects: nodes are authorized by
    // the Node authorizer), admin/edit/view (aggregated, but no default binding uses them).
    const a = whoCan(index!, q(['get'], [resource('secrets')], {namespace: 'kube-system'}))
    expect(keys(a)).toEqual([
      'Group:system:masters',
      'User:system:kube-controller-manager',
      'ServiceAccount:kube-system/bootstrap-signer',
      'ServiceAccount:kube-system/generic-garbage-collector',
      'ServiceAccount:kube-system/namespace-controller',
      'ServiceAccount:kube-system/token-cleaner',
    ])
    const kcm = a.subjects[1]!
    expect(kcm.paths).toHaveLength(1)
    expect(kcm.paths[0]!.binding).toEqual({kind: 'ClusterRoleBinding', name: 'system:kube-controller-manager'})
    expect(kcm.paths[0]!.rules.map((r) => r.index)).toEqual([5])
    const ggc = a.subjects.find((s) => s.name === 'generic-garbage-collector')!
    expect(ggc.risks.map((r) => r.code)).toEqual(['wildcard-rule', 'cluster-wide'])
    const signer = a.subjects.find((s) => s.name === 'bootstrap-signer')!
    expect(signer.paths.map((p) => `${p.binding.kind} ${p.binding.namespace}/${p.binding.name}`)).toEqual([
      'RoleBinding kube-system/system:controller:bootstrap-signer',
    ])
    expect(a.warnings).toEqual([])
  })

  it('who can list configmaps cluster-wide', () => {
    // ClusterRoleBindings only. list on configmaps: cluster-admin (system:masters);
    // system:kube-controller-manager rule 9 (list/watch on `*` in `*`); generic-garbage-collector,
    // namespace-controller and resourcequota-controller (`*` resources with list). system:node
    // grants list configmaps but has no subjects; root-ca-cert-publisher only creates/updates;
    // cloud-provider and bootstrap-signer are RoleBindings.
    const a = whoCan(index!, q(['list'], [resource('configmaps')]))
    expect(keys(a)).toEqual([
      'Group:system:masters',
      'User:system:kube-controller-manager',
      'ServiceAccount:kube-system/generic-garbage-collector',
      'ServiceAccount:kube-system/namespace-controller',
      'ServiceAccount:kube-system/resourcequota-controller',
    ])
    expect(a.subjects[1]!.paths[0]!.rules.map((r) => r.index)).toEqual([9])
  })

  it('a resourceNames grant in kube-system appears only for the named configmap', () => {
    // Role extension-apiserver-authentication-reader allows get/list/watch on configmaps named
    // extension-apiserver-authentication, bound to the kube-controller-manager and kube-scheduler
    // users. Without the name only cloud-provider's RoleBinding adds to the cluster-wide readers.
    const plain = whoCan(index!, q(['get'], [resource('configmaps')], {namespace: 'kube-system'}))
    expect(keys(plain)).toEqual([
      'Group:system:masters',
      'User:system:kube-controller-manager',
      'ServiceAccount:kube-system/cloud-provider',
      'ServiceAccount:kube-system/generic-garbage-collector',
      'ServiceAccount:kube-system/namespace-controller',
    ])
    const named = whoCan(index!, q(['get'], [resource('configmaps', {name: 'extension-apiserver-authentication'})], {namespace: 'kube-system'}))
    expect(keys(named)).toEqual([
      'Group:system:masters',
      'User:system:kube-controller-manager',
      'User:system:kube-scheduler',
      'ServiceAccount:kube-system/cloud-provider',
      'ServiceAccount:kube-system/generic-garbage-collector',
      'ServiceAccount:kube-system/namespace-controller',
    ])
    // kube-controller-manager now has two paths: its ClusterRoleBinding and the RoleBinding.
    expect(named.subjects[1]!.paths.map((p) => p.binding.kind)).toEqual(['ClusterRoleBinding', 'RoleBinding'])
  })

  it('aggregation fills admin/edit/view: edit reads secrets, view does not', () => {
    const edit = index!.clusterRoles.get('edit')!.rules
    const view = index!.clusterRoles.get('view')!.rules
    const admin = index!.clusterRoles.get('admin')!.rules
    const readsSecrets = (rules: typeof edit) => rules.some((r) => r.resources?.includes('secrets') && r.verbs.includes('get'))
    expect(readsSecrets(edit)).toBe(true)
    expect(readsSecrets(admin)).toBe(true)
    expect(readsSecrets(view)).toBe(false)
    // view's rules all come from system:aggregate-to-view; admin (transitively) holds all of edit's.
    expect(view).toEqual(index!.clusterRoles.get('system:aggregate-to-view')!.rules)
    const key = (r: object) => JSON.stringify(r)
    expect(edit.every((r) => admin.map(key).includes(key(r)))).toBe(true)
  })
})
