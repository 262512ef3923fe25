// fetchRbacSnapshot against the fake API server, fed with Kubernetes' own bootstrap RBAC policy
// (the corpus) and with generated clusters for request counts.
import {existsSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'
import {KubeClient} from '../../src/kube/client.js'
import {loadKubeConfig} from '../../src/kube/config.js'
import {fetchRbacSnapshot} from '../../src/kube/rbac-fetch.js'
import type {Binding, RbacSnapshot, Role} from '../../src/rbac/types.js'
import {startFakeApiServer, type FakeApiServer, type FakeApiServerOptions} from '../fake-apiserver/index.js'

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/corpus/rbac')
const haveCorpus = existsSync(corpus)

const servers: FakeApiServer[] = []
const clients: KubeClient[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await Promise.all(servers.splice(0).map((server) => server.stop()))
})

async function serve(options: FakeApiServerOptions): Promise<{server: FakeApiServer; client: KubeClient}> {
  const server = await startFakeApiServer(options)
  servers.push(server)
  const client = new KubeClient(await loadKubeConfig({kubeconfig: server.kubeconfigPath}))
  clients.push(client)
  return {server, client}
}

async function bootstrapPolicy(): Promise<RbacSnapshot> {
  const snapshot: RbacSnapshot = {roles: [], clusterRoles: [], roleBindings: [], clusterRoleBindings: []}
  for (const file of ['cluster-roles.yaml', 'cluster-role-bindings.yaml', 'controller-roles.yaml', 'controller-role-bindings.yaml', 'namespace-roles.yaml', 'namespace-role-bindings.yaml']) {
    const list = parseYaml(await readFile(path.join(corpus, file), 'utf8')) as {items: (Role | Binding)[]}
    for (const item of list.items) {
      if (item.kind === 'Role') snapshot.roles.push(item as Role)
      else if (item.kind === 'ClusterRole') snapshot.clusterRoles.push(item as Role)
      else if (item.kind === 'RoleBinding') snapshot.roleBindings.push(item as Binding)
      else if (item.kind === 'ClusterRoleBinding') snapshot.clusterRoleBindings.push(item as Binding)
    }
  }
  return snapshot
}

function byKey<T extends {metadata: {name: string; namespace?: string}}>(items: T[]): Map<string, T> {
  return new Map(items.map((item) => [`${item.metadata.namespace ?? ''}/${item.metadata.name}`, item]))
}

describe.skipIf(!haveCorpus)(haveCorpus ? 'fetchRbacSnapshot with the Kubernetes bootstrap policy (corpus)' : `fetchRbacSnapshot with the bootstrap policy: SKIPPED, corpus folder absent at ${corpus}`, () => {
  it('round-trips every role, binding, rule, subject, label and annotation through the wire', async () => {
    if (!haveCorpus) throw new Error(`corpus not found at ${corpus}`)
    const policy = await bootstrapPolicy()
    expect(policy.clusterRoles.length).toBeGreaterThan(50)
    const {client} = await serve({store: {rbac: policy}})
    const {snapshot, missing, requests} = await fetchRbacSnapshot(client)
    expect(missing).toEqual([])
    expect(requests).toBe(4)
    for (const kind of ['roles', 'clusterRoles', 'roleBindings', 'clusterRoleBindings'] as const) {
      const expected = byKey<Role | Binding>(policy[kind])
      const got = byKey<Role | Binding>(snapshot[kind])
      expect([...got.keys()].sort(), kind).toEqual([...expected.keys()].sort())
      for (const [key, want] of expected) {
        const have = got.get(key)!
        expect(have.kind).toBe(want.kind)
        expect(have.metadata.labels).toEqual(want.metadata.labels)
        expect(have.metadata.annotations).toEqual(want.metadata.annotations)
        if ('rules' in want) expect((have as Role).rules, key).toEqual(want.rules ?? [])
        if ('aggregationRule' in want) expect((have as Role).aggregationRule).toEqual(want.aggregationRule)
        if ('roleRef' in want) {
          expect((have as Binding).roleRef).toEqual(want.roleRef)
          expect((have as Binding).subjects).toEqual(want.subjects)
        }
      }
    }
    const admin = snapshot.clusterRoles.find((role) => role.metadata.name === 'admin')!
    expect(admin.aggregationRule?.clusterRoleSelectors?.[0]?.matchLabels).toEqual({'rbac.authorization.k8s.io/aggregate-to-admin': 'true'})
  })
})

describe('fetchRbacSnapshot', () => {
  it('makes a number of LIST requests proportional to objects/500, not to namespaces', async () => {
    const namespaces = Array.from({length: 300}, (_, i) => `ns-${i}`)
    const roles: Role[] = namespaces.map((ns) => ({kind: 'Role', metadata: {name: 'reader', namespace: ns}, rules: [{verbs: ['get'], apiGroups: [''], resources: ['secrets']}]}))
    const roleBindings: Binding[] = namespaces.flatMap((ns) => [0, 1, 2, 3].map((i) => ({kind: 'RoleBinding' as const, metadata: {name: `rb-${i}`, namespace: ns}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader'}, subjects: [{kind: 'ServiceAccount', name: `sa-${i}`, namespace: ns}]})))
    const serviceAccounts = namespaces.flatMap((ns) => [0, 1, 2, 3].map((i) => ({namespace: ns, name: `sa-${i}`})))
    const {server, client} = await serve({store: {rbac: {roles, roleBindings, namespaces}, serviceAccounts}})
    const result = await fetchRbacSnapshot(client, {namespaces: true, serviceAccounts: true})
    expect(result.snapshot.roles).toHaveLength(300)
    expect(result.snapshot.roleBindings).toHaveLength(1200)
    expect(result.snapshot.namespaces).toHaveLength(300)
    expect(result.snapshot.serviceAccounts).toHaveLength(1200)
    expect(result.snapshot.serviceAccounts).toContainEqual({namespace: 'ns-17', name: 'sa-3'})
    // roles 1 page, clusterroles 1, rolebindings 3, clusterrolebindings 1, namespaces 1, serviceaccounts 3
    expect(result.requests).toBe(10)
    expect(server.requests.every((request) => !/\/namespaces\/[^/]+\//.test(request.path))).toBe(true)
    const saRequests = server.requests.filter((request) => request.path === '/api/v1/serviceaccounts')
    expect(saRequests.every((request) => request.accept.startsWith('application/json;as=PartialObjectMetadataList'))).toBe(true)
  })

  it('records exactly what it could not list and keeps the rest', async () => {
    const {client} = await serve({
      identity: {username: 'auditor', groups: ['system:authenticated']},
      store: {rbac: {clusterRoles: [{kind: 'ClusterRole', metadata: {name: 'view'}, rules: []}]}},
      authorize: (user, attributes) => !(attributes.kind === 'resource' && attributes.verb === 'list' && (attributes.resource === 'rolebindings' || attributes.resource === 'serviceaccounts')),
    })
    const result = await fetchRbacSnapshot(client, {serviceAccounts: true})
    expect(result.missing).toEqual([
      {
        kind: 'rolebindings.rbac.authorization.k8s.io',
        verb: 'list',
        reason: 'rolebindings.rbac.authorization.k8s.io is forbidden: User "auditor" cannot list resource "rolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope',
        description: 'list rolebindings.rbac.authorization.k8s.io at cluster scope',
      },
      {
        kind: 'serviceaccounts',
        verb: 'list',
        reason: 'serviceaccounts is forbidden: User "auditor" cannot list resource "serviceaccounts" in API group "" at the cluster scope',
        description: 'list serviceaccounts at cluster scope',
      },
    ])
    expect(result.snapshot.clusterRoles.map((role) => role.metadata.name)).toEqual(['view'])
    expect(result.snapshot.roleBindings).toEqual([])
    expect(result.snapshot.serviceAccounts).toBeUndefined()
  })

  it('never keeps the last-applied-configuration annotation', async () => {
    const {client} = await serve({
      store: {rbac: {clusterRoles: [{kind: 'ClusterRole', metadata: {name: 'x', annotations: {'kubectl.kubernetes.io/last-applied-configuration': '{"big":"blob"}', team: 'a'}}, rules: []}]}},
    })
    const {snapshot} = await fetchRbacSnapshot(client)
    expect(snapshot.clusterRoles[0]!.metadata.annotations).toEqual({team: 'a'})
  })
})

describe('fetchRbacSnapshot with malformed objects from the server', () => {
  it('records each malformed object with kind, namespace and name, and keeps the rest', async () => {
    const good: Role = {kind: 'ClusterRole', metadata: {name: 'good'}, rules: [{verbs: ['get'], apiGroups: [''], resources: ['secrets']}]}
    const rbac = {
      roles: [{kind: 'Role', metadata: {name: 'r', namespace: 'n'}, rules: [{verbs: 'get', resources: ['secrets']}, {verbs: ['list'], resources: ['pods'], apiGroups: ['']}]}],
      clusterRoles: [good, {kind: 'ClusterRole', metadata: {name: 'not-a-list'}, rules: 'get secrets'}, {kind: 'ClusterRole', metadata: {name: 'esc\u001b[2J'}, rules: 5}],
      roleBindings: [{kind: 'RoleBinding', metadata: {name: 'rb', namespace: 'n'}, roleRef: 'admin', subjects: [{kind: 'User', name: 'u'}]}],
      clusterRoleBindings: [{kind: 'ClusterRoleBinding', metadata: {name: 'crb'}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'good'}, subjects: {kind: 'User', name: 'u'}}],
    } as unknown as RbacSnapshot
    const {client} = await serve({store: {rbac}})
    const {snapshot, malformed} = await fetchRbacSnapshot(client)
    expect(snapshot.clusterRoles.map((r) => r.metadata.name)).toEqual(['good'])
    expect(snapshot.roles[0]!.rules).toEqual([{verbs: ['list'], resources: ['pods'], apiGroups: ['']}])
    expect(snapshot.roleBindings).toEqual([])
    expect(snapshot.clusterRoleBindings).toEqual([])
    expect(malformed).toEqual([
      {object: 'Role "n/r"', problem: 'rules[0].verbs must be a list of strings; rule skipped'},
      {object: 'ClusterRole "esc\\x1b[2J"', problem: 'rules must be a list'},
      {object: 'ClusterRole "not-a-list"', problem: 'rules must be a list'},
      {object: 'RoleBinding "n/rb"', problem: 'roleRef needs kind and name'},
      {object: 'ClusterRoleBinding "crb"', problem: 'subjects must be a list'},
    ])
  })
})
