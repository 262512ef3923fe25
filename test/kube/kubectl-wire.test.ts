// Wire faithfulness: the REAL kubectl, pointed at the fake API server, must work as against a
// cluster. If kubectl accepts the fake's TLS, auth, lists, pagination, discovery, reviews and
// errors, tests of our client against the fake mean something.
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {Binding} from '../../src/rbac/types.js'
import {startFakeApiServer, type FakeApiServer} from '../fake-apiserver/index.js'

const kubectlPath = await execa('kubectl', ['version', '--client', '-o', 'json'], {reject: false}).then((r) => (r.exitCode === 0 ? 'kubectl' : undefined), () => undefined)

const roleBindings: Binding[] = Array.from({length: 7}, (_, i) => ({
  kind: 'RoleBinding',
  metadata: {name: `rb-${i}`, namespace: i < 4 ? 'payments' : 'web'},
  roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader'},
  subjects: [{kind: 'User', name: `user-${i}`, apiGroup: 'rbac.authorization.k8s.io'}],
}))

describe.skipIf(!kubectlPath)(kubectlPath ? 'real kubectl against the fake apiserver' : 'real kubectl against the fake apiserver: SKIPPED, kubectl is not on PATH', () => {
  let server: FakeApiServer
  let denied: FakeApiServer
  const kubectl = (args: string[], target: FakeApiServer = server) => execa('kubectl', ['--kubeconfig', target.kubeconfigPath, ...args], {reject: false, env: {KUBECONFIG: '', HOME: target.dir}})

  beforeAll(async () => {
    server = await startFakeApiServer({
      store: {
        rbac: {roleBindings},
        secrets: [{namespace: 'payments', name: 'db-password', data: {password: 'hunter2'}}, {namespace: 'payments', name: 'api-key', data: {key: 'abc'}}],
      },
      exec: {},
      // A webhook-like authorizer: bob may read secrets in payments only.
      authorize: (user, attributes) => {
        if (user.username !== 'bob') return true
        // Discovery and asking about oneself are open to every authenticated user, as in real clusters.
        if (attributes.kind === 'nonResource' || attributes.resource === 'selfsubjectaccessreviews') return true
        return attributes.kind === 'resource' && attributes.resource === 'secrets' && attributes.namespace === 'payments'
      },
    })
    denied = await startFakeApiServer({identity: {username: 'intern', groups: ['system:authenticated']}, forbid: ['rolebindings.rbac.authorization.k8s.io']})
  })
  afterAll(async () => {
    await server?.stop()
    await denied?.stop()
  })

  it('get --raw /api/v1/namespaces returns the NamespaceList as sent', async () => {
    const result = await kubectl(['get', '--raw', '/api/v1/namespaces'])
    expect(result.stderr).toBe('')
    const list = JSON.parse(result.stdout)
    expect(list.kind).toBe('NamespaceList')
    expect(list.items.map((item: {metadata: {name: string}}) => item.metadata.name)).toEqual(['payments', 'web'])
  })

  it('get rolebindings -A -o json follows our continue tokens page by page', async () => {
    const before = server.requests.length
    const result = await kubectl(['get', 'rolebindings', '-A', '-o', 'json', '--chunk-size', '3'])
    expect(result.exitCode).toBe(0)
    const list = JSON.parse(result.stdout)
    expect(list.items).toHaveLength(7)
    expect(list.items[0]).toMatchObject({kind: 'RoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: {name: 'rb-0', namespace: 'payments'}})
    const pages = server.requests.slice(before).filter((request) => request.path === '/apis/rbac.authorization.k8s.io/v1/rolebindings')
    expect(pages.map((request) => request.query.limit)).toEqual(['3', '3', '3'])
    expect(pages.filter((request) => request.query.continue)).toHaveLength(2)
  })

  it('get secrets -n payments -o name lists names', async () => {
    const result = await kubectl(['get', 'secrets', '-n', 'payments', '-o', 'name'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout.split('\n')).toEqual(['secret/api-key', 'secret/db-password'])
  })

  it('auth can-i --as bob asks the server (SelfSubjectAccessReview) and prints its verdict', async () => {
    const yes = await kubectl(['auth', 'can-i', 'get', 'secrets', '--as', 'bob', '-n', 'payments'])
    expect(yes.stdout).toBe('yes')
    expect(yes.exitCode).toBe(0)
    const no = await kubectl(['auth', 'can-i', 'get', 'secrets', '--as', 'bob', '-n', 'web'])
    expect(no.stdout).toBe('no')
    expect(no.exitCode).toBe(1)
    const review = server.requests.filter((request) => request.path === '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews').at(-1)!
    expect(review.impersonateUser).toBe('bob')
  })

  it('a kubeconfig\'s as-user-extra: kubectl and our client send the same Impersonate-Extra headers', async () => {
    const {readFile, writeFile} = await import('node:fs/promises')
    const path = await import('node:path')
    const {parse, stringify} = await import('yaml')
    const {KubeClient} = await import('../../src/kube/client.js')
    const {loadKubeConfig} = await import('../../src/kube/config.js')
    const config = parse(await readFile(server.kubeconfigPath, 'utf8')) as {users: {user: Record<string, unknown>}[]}
    Object.assign(config.users[0]!.user, {as: 'tom', 'as-user-extra': {'acme.com/project': ['some-project'], scopes: ['openid', 'profile'], 'odd%key é': ['x']}})
    const kubeconfig = path.join(server.dir, 'extra-kubeconfig')
    await writeFile(kubeconfig, stringify(config))
    const extraHeaders = (request: {headers: Record<string, unknown>}) =>
      Object.fromEntries(Object.entries(request.headers).filter(([name]) => name.startsWith('impersonate-extra-')))
    const result = await execa('kubectl', ['--kubeconfig', kubeconfig, 'get', '--raw', '/version'], {reject: false, env: {KUBECONFIG: '', HOME: server.dir}})
    expect(result.exitCode).toBe(0)
    const theirs = server.requests.filter((request) => request.path === '/version').at(-1)!
    const client = new KubeClient(await loadKubeConfig({kubeconfig}))
    await client.get('/version')
    const ours = server.requests.filter((request) => request.path === '/version').at(-1)!
    expect(ours).not.toBe(theirs)
    expect(Object.keys(extraHeaders(theirs)).sort()).toEqual(['impersonate-extra-acme.com%2fproject', 'impersonate-extra-odd%25key%20%c3%a9', 'impersonate-extra-scopes'])
    expect(extraHeaders(ours)).toEqual(extraHeaders(theirs))
    expect(ours.impersonateExtra).toEqual(theirs.impersonateExtra)
  })

  it('api-resources lists what discovery advertises', async () => {
    const result = await kubectl(['api-resources', '--no-headers'])
    expect(result.exitCode).toBe(0)
    const names = result.stdout.split('\n').map((line) => line.split(/\s+/)[0])
    expect(names).toEqual(expect.arrayContaining(['secrets', 'configmaps', 'namespaces', 'serviceaccounts', 'roles', 'rolebindings', 'clusterroles', 'clusterrolebindings', 'subjectaccessreviews']))
    expect(result.stdout).toMatch(/^rolebindings\s+rbac\.authorization\.k8s\.io\/v1\s+true\s+RoleBinding$/m)
  })

  it('prints the default table from our Table responses', async () => {
    const result = await kubectl(['get', 'rolebindings', '-n', 'web'])
    expect(result.exitCode).toBe(0)
    expect(result.stdout.split('\n').map((line) => line.split(/\s{2,}/)[0])).toEqual(['NAME', 'rb-4', 'rb-5', 'rb-6'])
    const table = server.requests.filter((request) => request.path === '/apis/rbac.authorization.k8s.io/v1/namespaces/web/rolebindings').at(-1)!
    expect(table.accept).toContain('as=Table')
  })

  it('accepts the ExecCredential of the fake\'s exec plugin', async () => {
    const result = await kubectl(['--context', 'fake-exec', 'get', 'namespaces', '-o', 'name'])
    expect(result.stderr).toBe('')
    expect(result.stdout).toBe('namespace/payments\nnamespace/web')
    expect(await server.execInvocations()).toBe(1)
    expect(server.requests.at(-1)!.user).toBe('exec-user')
  })

  it('prints the server\'s 403 message', async () => {
    const result = await kubectl(['get', 'rolebindings', '-A'], denied)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('Error from server (Forbidden): rolebindings.rbac.authorization.k8s.io is forbidden: User "intern" cannot list resource "rolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope')
  })

  it('never got a secret value from the fake while listing names', () => {
    const withData = server.requests.filter((request) => request.secretsWithData > 0)
    // `-o name` still lists full objects: kubectl asks for them; our plugin must not.
    expect(withData.map((request) => request.path)).toEqual(['/api/v1/namespaces/payments/secrets'])
  })
})
