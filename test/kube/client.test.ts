// Our request layer against the fake kube-apiserver over real HTTPS.
import {createServer} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import {escapeExtraKey, KubeClient, METADATA_ONLY_ACCEPT} from '../../src/kube/client.js'
import {loadKubeConfig} from '../../src/kube/config.js'
import {KubeApiError, KubeConnectionError, KubeForbiddenError, KubeTimeoutError, KubeUnauthorizedError, KUBE_EXIT_CODES} from '../../src/kube/errors.js'
import type {KubeOptions} from '../../src/kube/flags.js'
import type {Binding} from '../../src/rbac/types.js'
import {startFakeApiServer, type FakeApiServer, type FakeApiServerOptions} from '../fake-apiserver/index.js'

const servers: FakeApiServer[] = []
const clients: KubeClient[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await Promise.all(servers.splice(0).map((server) => server.stop()))
})

async function start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const server = await startFakeApiServer(options)
  servers.push(server)
  return server
}

async function connect(server: FakeApiServer, options: KubeOptions = {}, clientOptions: ConstructorParameters<typeof KubeClient>[1] = {}): Promise<KubeClient> {
  const client = new KubeClient(await loadKubeConfig({kubeconfig: server.kubeconfigPath, ...options}), clientOptions)
  clients.push(client)
  return client
}

function bindings(count: number, namespaces = 7): Binding[] {
  return Array.from({length: count}, (_, i) => ({
    kind: 'RoleBinding',
    metadata: {name: `rb-${String(i).padStart(5, '0')}`, namespace: `ns-${i % namespaces}`},
    roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader'},
    subjects: [{kind: 'User', name: `user-${i}`, apiGroup: 'rbac.authorization.k8s.io'}],
  }))
}

async function unusedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as {port: number}).port
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

describe('KubeClient over TLS with a bearer token', () => {
  it('verifies the server with the kubeconfig CA and sends the token', async () => {
    const server = await start({token: 'secret-token-1'})
    const client = await connect(server)
    const version = await client.get<{gitVersion: string}>('/version')
    expect(version.gitVersion).toBe('v1.32.0-fake')
    expect(server.requests[0]!.headers.authorization).toBe('Bearer secret-token-1')
    expect(server.requests[0]!.user).toBe('admin')
    expect(client.requestCount).toBe(1)
  })

  it('refuses a server whose certificate the CA did not sign, in one line, unless told to skip verification', async () => {
    const server = await start()
    const other = await start()
    const client = await connect(server, {certificateAuthority: other.caFile})
    const error = await client.get('/version').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeConnectionError)
    expect((error as KubeConnectionError).userMessage).toBe(`cannot reach ${server.url}: tls: certificate signed by unknown authority (set the cluster's certificate-authority, or --insecure-skip-tls-verify)`)
    expect((error as KubeConnectionError).exitCode).toBe(KUBE_EXIT_CODES.unreachable)
    const insecure = await connect(server, {insecureSkipTlsVerify: true})
    expect((await insecure.get<{major: string}>('/version')).major).toBe('1')
  })

  it('turns a rejected token into a typed 401 with the server message', async () => {
    const server = await start()
    const client = await connect(server, {token: 'wrong'})
    const error = await client.get('/api/v1/namespaces').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeUnauthorizedError)
    expect((error as KubeUnauthorizedError).userMessage).toBe('Unauthorized')
    expect((error as KubeUnauthorizedError).exitCode).toBe(KUBE_EXIT_CODES.unauthorized)
  })
})

describe('listAll', () => {
  it('pages with limit and continue and returns every object once, in server order', async () => {
    const input = bindings(1234)
    const server = await start({store: {rbac: {roleBindings: input}}})
    const client = await connect(server)
    const list = await client.listAll<{metadata: {name: string; namespace: string}}>('/apis/rbac.authorization.k8s.io/v1/rolebindings', {limit: 500})
    expect(list.kind).toBe('RoleBindingList')
    expect(list.apiVersion).toBe('rbac.authorization.k8s.io/v1')
    expect(list.items).toHaveLength(1234)
    expect(new Set(list.items.map((item) => `${item.metadata.namespace}/${item.metadata.name}`)).size).toBe(1234)
    expect(list.requests).toBe(3)
    expect(list.restarted).toBe(false)
    const queries = server.requests.map((request) => request.query)
    expect(queries[0]).toEqual({limit: '500'})
    expect(queries[1]!.continue).toBeTruthy()
    expect(queries[2]!.continue).toBeTruthy()
    expect(queries[2]!.continue).not.toBe(queries[1]!.continue)
    const sorted = [...list.items].sort((a, b) => (a.metadata.namespace + '\0' + a.metadata.name < b.metadata.namespace + '\0' + b.metadata.name ? -1 : 1))
    expect(list.items).toEqual(sorted)
  })

  it('lists metadata only: the Accept header asks for PartialObjectMetadataList and no secret value travels', async () => {
    const server = await start({store: {secrets: [{namespace: 'prod', name: 'db', data: {password: 'hunter2'}}, {namespace: 'prod', name: 'api', data: {key: 'k'}}]}})
    const client = await connect(server)
    const list = await client.listAll<Record<string, unknown>>('/api/v1/namespaces/prod/secrets', {metadataOnly: true})
    expect(list.kind).toBe('PartialObjectMetadataList')
    expect(list.items.map((item) => item.kind)).toEqual(['PartialObjectMetadata', 'PartialObjectMetadata'])
    expect(list.items.map((item) => (item.metadata as {name: string}).name)).toEqual(['api', 'db'])
    expect(JSON.stringify(list.items)).not.toContain(Buffer.from('hunter2').toString('base64'))
    expect(list.items.every((item) => !('data' in item))).toBe(true)
    expect(server.requests[0]!.accept).toBe(METADATA_ONLY_ACCEPT)
    expect(server.requests.reduce((sum, request) => sum + request.secretsWithData, 0)).toBe(0)
  })

  it('restarts the list once when the continue token expired (410), and says so', async () => {
    const server = await start({store: {rbac: {roleBindings: bindings(25)}}, expireContinue: 1})
    const warnings: string[] = []
    const client = await connect(server, {}, {onWarning: (message) => warnings.push(message)})
    const list = await client.listAll('/apis/rbac.authorization.k8s.io/v1/rolebindings', {limit: 10})
    expect(list.items).toHaveLength(25)
    expect(list.restarted).toBe(true)
    expect(warnings).toEqual(['the list of /apis/rbac.authorization.k8s.io/v1/rolebindings took too long and its continue token expired; listing again from the start'])
    // page 1, expired page 2, then pages 1-3 again
    expect(server.requests.map((request) => request.status)).toEqual([200, 410, 200, 200, 200])
  })

  it('gives up after one restart when continue tokens keep expiring', async () => {
    const server = await start({store: {rbac: {roleBindings: bindings(25)}}, expireContinue: 5})
    const client = await connect(server)
    const error = await client.listAll('/apis/rbac.authorization.k8s.io/v1/rolebindings', {limit: 10}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeApiError)
    expect((error as KubeApiError).code).toBe(410)
  })

  it('makes a forbidden list a typed error carrying the server\'s exact message', async () => {
    const server = await start({forbid: ['rolebindings.rbac.authorization.k8s.io'], identity: {username: 'viewer', groups: ['system:authenticated']}})
    const client = await connect(server)
    const error = await client.listAll('/apis/rbac.authorization.k8s.io/v1/rolebindings').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeForbiddenError)
    expect((error as KubeForbiddenError).userMessage).toBe('rolebindings.rbac.authorization.k8s.io is forbidden: User "viewer" cannot list resource "rolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope')
    expect((error as KubeForbiddenError).exitCode).toBe(KUBE_EXIT_CODES.forbidden)
  })
})

describe('retries', () => {
  it('retries 429 after the Retry-After the server asked for', async () => {
    const server = await start({throttle: {requests: 2, retryAfterSeconds: 3}})
    const waits: number[] = []
    const warnings: string[] = []
    const client = await connect(server, {}, {sleep: async (ms) => void waits.push(ms), onWarning: (m) => warnings.push(m)})
    const list = await client.listAll('/api/v1/namespaces')
    expect(list.items).toEqual([])
    expect(waits).toEqual([3000, 3000])
    expect(server.requests.map((request) => request.status)).toEqual([429, 429, 200])
    expect(server.requests[0]!.headers['retry-after']).toBeUndefined()
    expect(client.requestCount).toBe(3)
    expect(warnings[0]).toMatch(/answered 429, retrying in 3s \(1\/5\)/)
  })

  it('caps a long Retry-After and stops after the retry budget with the server message', async () => {
    const server = await start({throttle: {requests: 100, retryAfterSeconds: 120}})
    const waits: number[] = []
    const client = await connect(server, {}, {sleep: async (ms) => void waits.push(ms), maxThrottleRetries: 3, maxRetryAfterMs: 5000})
    const error = await client.get('/api/v1/namespaces').catch((e: unknown) => e)
    expect(waits).toEqual([5000, 5000, 5000])
    expect(error).toBeInstanceOf(KubeApiError)
    expect((error as KubeApiError).code).toBe(429)
    expect((error as KubeApiError).userMessage).toBe('Too many requests, please try again later.')
    expect(server.requests).toHaveLength(4)
  })

  it('retries 503 with Retry-After', async () => {
    const server = await start({throttle: {requests: 1, retryAfterSeconds: 1, status: 503}})
    const waits: number[] = []
    const client = await connect(server, {}, {sleep: async (ms) => void waits.push(ms)})
    await client.get('/api')
    expect(waits).toEqual([1000])
  })

  it('resends a GET whose connection was reset, a bounded number of times', async () => {
    const server = await start({resetConnections: 2})
    const client = await connect(server, {}, {sleep: async () => {}})
    expect((await client.get<{kind: string}>('/api')).kind).toBe('APIVersions')
    expect(server.requests).toHaveLength(3)

    const always = await start({resetConnections: 100})
    const failing = await connect(always, {}, {sleep: async () => {}, maxResetRetries: 2})
    const error = await failing.get('/api').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeConnectionError)
    expect((error as KubeConnectionError).userMessage).toMatch(new RegExp(`^cannot reach ${always.url.replace(/\./g, '\\.')}: (connection reset by peer|connection closed by the server)$`))
    expect(always.requests).toHaveLength(3)
  })

  it('does not resend a POST whose connection was reset', async () => {
    const server = await start({resetConnections: 1})
    const client = await connect(server, {}, {sleep: async () => {}})
    await expect(client.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', {})).rejects.toBeInstanceOf(KubeConnectionError)
    expect(server.requests).toHaveLength(1)
  })
})

describe('network failures are one clear line', () => {
  it('times out with --request-timeout', async () => {
    const server = await start({delayMs: 3000})
    const client = await connect(server, {requestTimeoutMs: 200})
    const error = await client.get('/api').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeTimeoutError)
    expect((error as KubeTimeoutError).userMessage).toBe(`cannot reach ${server.url}: timeout after 200ms (--request-timeout)`)
    expect((error as Error).stack).toBeDefined()
    expect((error as KubeTimeoutError).userMessage).not.toContain('\n')
  })

  it('reports a refused connection', async () => {
    const port = await unusedPort()
    const server = await start()
    const client = await connect(server, {server: `https://127.0.0.1:${port}`})
    const error = await client.get('/api').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeConnectionError)
    expect((error as KubeConnectionError).userMessage).toBe(`cannot reach https://127.0.0.1:${port}: connection refused`)
  })
})

describe('impersonation', () => {
  it('sends Impersonate-User, one Impersonate-Group header per group, and Impersonate-Uid', async () => {
    const seen: {user: string; groups: string[]}[] = []
    const server = await start({
      authorize: (user, attributes) => {
        if (attributes.kind === 'resource' && attributes.resource === 'namespaces') seen.push({user: user.username, groups: user.groups})
        return true
      },
    })
    const client = await connect(server, {impersonate: {user: 'alice', groups: ['devs', 'ops, with comma', 'system:masters'], uid: 'uid-42'}})
    await client.get('/api/v1/namespaces')
    const request = server.requests[0]!
    expect(request.impersonateUser).toBe('alice')
    expect(request.impersonateGroups).toEqual(['devs', 'ops, with comma', 'system:masters'])
    expect(request.impersonateUid).toBe('uid-42')
    expect(seen).toEqual([{user: 'alice', groups: ['devs', 'ops, with comma', 'system:masters', 'system:authenticated']}])
  })

  it('sends a kubeconfig\'s as-user-extra as Impersonate-Extra-<key> headers, keys escaped as client-go does', async () => {
    const server = await start()
    const {readFile, writeFile} = await import('node:fs/promises')
    const path = await import('node:path')
    const {parse, stringify} = await import('yaml')
    const config = parse(await readFile(server.kubeconfigPath, 'utf8')) as {users: {user: Record<string, unknown>}[]}
    Object.assign(config.users[0]!.user, {as: 'tom', 'as-user-extra': {'acme.com/project': ['some-project'], scopes: ['openid', 'profile'], 'odd%key é': ['x']}})
    const kubeconfig = path.join(server.dir, 'extra-kubeconfig')
    await writeFile(kubeconfig, stringify(config))
    const client = new KubeClient(await loadKubeConfig({kubeconfig}))
    clients.push(client)
    await client.get('/api')
    const request = server.requests[0]!
    expect(request.headers['impersonate-extra-acme.com%2fproject']).toBe('some-project')
    expect(request.impersonateExtra).toEqual({'acme.com/project': ['some-project'], scopes: ['openid', 'profile'], 'odd%key é': ['x']})
    expect(escapeExtraKey('acme.com/project')).toBe('acme.com%2Fproject')
    expect(escapeExtraKey('odd%key é')).toBe('odd%25key%20%C3%A9')
  })
})

describe('header injection', () => {
  it('refuses an impersonation value with a line break instead of sending it', async () => {
    const server = await start()
    const client = await connect(server, {impersonate: {user: 'bob\r\nImpersonate-Group: system:masters'}})
    const error = await client.get('/api').catch((e: unknown) => e)
    expect((error as KubeApiError).userMessage).toMatch(/^cannot send the request: Invalid character in header content \["Impersonate-User"\]$/)
    expect((error as KubeApiError).exitCode).toBe(KUBE_EXIT_CODES.config)
    expect(server.requests).toHaveLength(0)
  })
})

describe('auth-provider', () => {
  it('signs parallel requests with an OIDC id-token through client-node', async () => {
    const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
    const idToken = `${b64({alg: 'RS256'})}.${b64({sub: 'carol', exp: Math.floor(Date.now() / 1000) + 3600})}.c2ln`
    const server = await start({users: {[idToken]: {username: 'oidc:carol', groups: ['system:authenticated']}}})
    const {writeFile} = await import('node:fs/promises')
    const path = await import('node:path')
    const kubeconfig = path.join(server.dir, 'oidc-kubeconfig')
    await writeFile(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: c',
      `clusters: [{name: k, cluster: {server: "${server.url}", certificate-authority: "${server.caFile}"}}]`,
      'contexts: [{name: c, context: {cluster: k, user: u}}]',
      `users: [{name: u, user: {auth-provider: {name: oidc, config: {client-id: kubectl, idp-issuer-url: "https://issuer.invalid", id-token: "${idToken}"}}}}]`,
      '',
    ].join('\n'))
    const client = new KubeClient(await loadKubeConfig({kubeconfig}))
    clients.push(client)
    expect(client.config.credentials.kind).toBe('auth-provider')
    await Promise.all(Array.from({length: 10}, () => client.get('/api')))
    expect(server.requests.map((request) => request.user)).toEqual(Array(10).fill('oidc:carol'))
  })
})

describe('exec credential plugin', () => {
  it('runs the plugin once for many parallel requests and reuses the token until it expires', async () => {
    const server = await start({exec: {delayMs: 150}, currentContext: 'fake-exec'})
    const client = await connect(server)
    expect(client.config.credentials.kind).toBe('exec')
    await Promise.all(Array.from({length: 40}, () => client.get('/api')))
    await Promise.all(Array.from({length: 10}, () => client.get('/apis')))
    expect(await server.execInvocations()).toBe(1)
    expect(server.requests.every((request) => request.user === 'exec-user')).toBe(true)
  })

  it('runs the plugin again once the credential nears its expirationTimestamp', async () => {
    const server = await start({exec: {expirationSeconds: 4}, currentContext: 'fake-exec'})
    const client = await connect(server)
    await Promise.all(Array.from({length: 10}, () => client.get('/api')))
    await client.get('/api')
    expect(await server.execInvocations()).toBe(1)
    // A 4 s token is refreshed at half its life.
    await new Promise((resolve) => setTimeout(resolve, 2500))
    await Promise.all(Array.from({length: 10}, () => client.get('/api')))
    expect(await server.execInvocations()).toBe(2)
  })

  it('reports a failing plugin in one line', async () => {
    const server = await start()
    const {writeFile} = await import('node:fs/promises')
    const path = await import('node:path')
    const kubeconfig = path.join(server.dir, 'failing-kubeconfig')
    await writeFile(kubeconfig, [
      'apiVersion: v1', 'kind: Config', 'current-context: c',
      'clusters: [{name: k, cluster: {server: "' + server.url + '", certificate-authority: "' + server.caFile + '"}}]',
      'contexts: [{name: c, context: {cluster: k, user: u}}]',
      'users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: "' + process.execPath + '", args: ["-e", "console.error(\'token expired, run login\'); process.exit(3)"], installHint: "install the login tool"}}}]',
      '',
    ].join('\n'))
    const client = new KubeClient(await loadKubeConfig({kubeconfig}))
    clients.push(client)
    const error = await client.get('/api').catch((e: unknown) => e)
    expect((error as KubeApiError).userMessage).toBe(`exec plugin "${process.execPath}" exited with code 3: token expired, run login`)
    expect((error as KubeApiError).exitCode).toBe(KUBE_EXIT_CODES.unauthorized)
    expect(server.requests).toHaveLength(0)
  })

  it('caches a v1beta1 credential without expirationTimestamp for the whole process', async () => {
    const server = await start({exec: {apiVersion: 'client.authentication.k8s.io/v1beta1', expirationSeconds: null}, currentContext: 'fake-exec'})
    const client = await connect(server)
    await Promise.all(Array.from({length: 20}, () => client.get('/version')))
    await client.get('/version')
    expect(await server.execInvocations()).toBe(1)
  })
})
