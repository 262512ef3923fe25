// The request layer against hostile servers and through proxies, with the bounds made short
// (client options) so that each case takes a moment. The built CLI meets the same servers with
// the real defaults in test/hardening/network.test.ts.
import {readFile} from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {KubeClient} from '../../src/kube/client.js'
import {loadKubeConfig} from '../../src/kube/config.js'
import {KubeConnectionError, KubeListError, KubeResponseTooLargeError, KubeTimeoutError, KUBE_EXIT_CODES} from '../../src/kube/errors.js'
import {generateCluster, startFakeApiServer, type FakeApiServer, type FakeApiServerOptions} from '../fake-apiserver/index.js'

const servers: FakeApiServer[] = []
const clients: KubeClient[] = []
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  for (const close of closers.splice(0)) await close()
  await Promise.all(servers.splice(0).map((server) => server.stop()))
})

const PAGED = {namespaces: 5, roles: 20, roleBindings: 1200, clusterRoles: 5, clusterRoleBindings: 5, serviceAccountsPerNamespace: 1, secretsPerNamespace: 1}
const ROLEBINDINGS = '/apis/rbac.authorization.k8s.io/v1/rolebindings'

async function start(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const server = await startFakeApiServer({store: generateCluster(PAGED), ...options})
  servers.push(server)
  return server
}

async function connect(server: FakeApiServer, clientOptions: ConstructorParameters<typeof KubeClient>[1] = {}, env: NodeJS.ProcessEnv = {}, kubeconfig = server.kubeconfigPath): Promise<KubeClient> {
  const client = new KubeClient(await loadKubeConfig({kubeconfig}, env), clientOptions)
  clients.push(client)
  return client
}

describe('--max-response-size', () => {
  it('cuts off an endless body at the limit, in one line naming the path and the limit', async () => {
    const server = await start({endlessBody: true})
    const client = await connect(server, {maxResponseBytes: 4 * 1024 ** 2})
    const error = await client.get(ROLEBINDINGS).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeResponseTooLargeError)
    expect((error as KubeResponseTooLargeError).userMessage).toBe(`GET ${ROLEBINDINGS}: the response is larger than 4 MiB (--max-response-size); the connection was closed`)
    expect((error as KubeResponseTooLargeError).exitCode).toBe(KUBE_EXIT_CODES.api)
    // Cut, not drained: the server could write little more than the limit and its socket buffers.
    expect(server.hostile.endlessBytes).toBeLessThan(64 * 1024 ** 2)
  })

  it('counts the bodies read at the same time together, and fails the largest', async () => {
    const server = await start({endlessBody: (r) => r.path.endsWith('/rolebindings') || r.path.endsWith('/roles')})
    const client = await connect(server, {maxResponseBytes: 8 * 1024 ** 2})
    const results = await Promise.allSettled([client.get(ROLEBINDINGS), client.get('/apis/rbac.authorization.k8s.io/v1/roles'), client.get('/apis/rbac.authorization.k8s.io/v1/clusterroles')])
    expect(results[0]!.status).toBe('rejected')
    expect(results[1]!.status).toBe('rejected')
    expect(results[2]!.status).toBe('fulfilled')
    const messages = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []))
    expect(messages.some((m) => /together are larger than 8 MiB/.test(m))).toBe(true)
  })

  it('refuses a Content-Length past the limit before reading the body', async () => {
    const server = await start()
    const client = await connect(server, {maxResponseBytes: 2048})
    await expect(client.get(ROLEBINDINGS)).rejects.toThrow(/larger than 2 KiB/)
    // The budget is given back: a small answer still works.
    await expect(client.get('/version')).resolves.toMatchObject({gitVersion: 'v1.32.0-fake'})
  })

  it('leaves streams uncapped (node logs can be gigabytes)', async () => {
    const server = await start({endlessBody: (r) => r.path.includes('/proxy/')})
    const client = await connect(server, {maxResponseBytes: 1024 * 1024})
    const abort = new AbortController()
    let bytes = 0
    const error = await (async () => {
      for await (const chunk of await client.stream('/api/v1/nodes/n1/proxy/logs/audit.log', {signal: abort.signal})) {
        bytes += chunk.length
        if (bytes > 8 * 1024 ** 2) abort.abort()
      }
    })().catch((e: unknown) => e)
    // Ended by our abort (node says "aborted" mid-body), never by the cap.
    expect(error).not.toBeInstanceOf(KubeResponseTooLargeError)
    expect(bytes).toBeGreaterThan(8 * 1024 ** 2)
  })
})

describe('every wait is bounded without --request-timeout', () => {
  it('fails a TLS handshake that never completes with kubectl\'s words', async () => {
    const server = await start({hang: {phase: 'tls-handshake'}})
    const client = await connect(server, {tlsHandshakeTimeoutMs: 300})
    const error = await client.get('/version').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeTimeoutError)
    expect((error as KubeTimeoutError).userMessage).toBe(`cannot reach ${server.url}: net/http: TLS handshake timeout`)
    expect(server.hostile.heldConnections).toBe(1)
  })

  it('fails a server that never answers, and one that stops mid-body', async () => {
    for (const phase of ['response', 'body'] as const) {
      const server = await start({hang: {phase}})
      const client = await connect(server, {idleTimeoutMs: 300})
      const error = await client.get(ROLEBINDINGS).catch((e: unknown) => e)
      expect(error, phase).toBeInstanceOf(KubeTimeoutError)
      expect((error as KubeTimeoutError).userMessage).toBe(`cannot reach ${server.url}: no data from the server for 300ms (set --request-timeout to wait longer)`)
    }
  })

  it('ends a stalled stream with the same error, not node\'s bare "aborted"', async () => {
    const server = await start({hang: {phase: 'body'}})
    const client = await connect(server, {idleTimeoutMs: 300})
    const error = await (async () => {
      for await (const chunk of await client.stream('/api/v1/nodes/n1/proxy/logs/audit.log')) void chunk
    })().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeTimeoutError)
  })

  it('lets a longer --request-timeout replace the idle bound', async () => {
    const server = await start({delayMs: 600})
    const client = new KubeClient({...(await loadKubeConfig({kubeconfig: server.kubeconfigPath}, {})), requestTimeoutMs: 5000}, {idleTimeoutMs: 200})
    clients.push(client)
    await expect(client.get('/version')).resolves.toMatchObject({gitVersion: 'v1.32.0-fake'})
  })

  it('bounds a proxy that accepts and never answers CONNECT by the connect timeout', async () => {
    const server = await start()
    // Reads (so it sees the client go) and never answers.
    const silent = net.createServer((socket) => socket.on('error', () => {}).resume())
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    closers.push(() => new Promise((resolve) => {
      silent.close(() => resolve())
    }))
    const port = (silent.address() as net.AddressInfo).port
    const client = new KubeClient({...(await loadKubeConfig({kubeconfig: server.kubeconfigPath}, {})), proxy: new URL(`http://127.0.0.1:${port}`)}, {connectTimeoutMs: 300})
    clients.push(client)
    const error = await client.get('/version').catch((e: unknown) => e)
    expect((error as KubeTimeoutError).userMessage).toBe(`cannot reach ${server.url}: proxy 127.0.0.1:${port}: no tunnel within 300ms`)
  })
})

describe('listAll and continue tokens that never end the list', () => {
  it.each([
    ['same-token', /the server sent the same continue token twice \(after page 2\)/],
    ['cycle', /the server sent the same continue token twice \(after page 3\)/],
    ['repeat-items', /page 2 repeats [\w-]+\/[\w-]+ \(uid [^)]+\), already listed/],
  ] as const)('%s: stops with a KubeListError', async (loop, message) => {
    const server = await start({continueLoop: loop})
    const client = await connect(server)
    const error = await client.listAll(ROLEBINDINGS, {limit: 500}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeListError)
    expect((error as KubeListError).userMessage).toMatch(new RegExp(`^the list of ${ROLEBINDINGS} does not end: `))
    expect((error as KubeListError).userMessage).toMatch(message)
    expect(server.requests.length).toBeLessThanOrEqual(3)
  })

  it('stops fresh tokens with empty pages at the page limit', async () => {
    const server = await start({continueLoop: 'endless'})
    const client = await connect(server, {maxListPages: 25})
    await expect(client.listAll(ROLEBINDINGS, {limit: 500})).rejects.toThrow(/does not end: still more after 25 pages/)
    expect(server.requests.length).toBe(25)
  })

  it.each([
    ['null', 'null', /page 1 is not a list object \(null\)/],
    ['an array', '[1,2]', /page 1 is not a list object \(an array\)/],
    ['items as an object', '{"kind":"RoleBindingList","items":{"a":1}}', /page 1 has items that are not a list \(an object\)/],
    ['items as a string', '{"kind":"RoleBindingList","items":"abc"}', /page 1 has items that are not a list \(a string\)/],
    ['a continue token that is a number', '{"kind":"RoleBindingList","items":[],"metadata":{"continue":7}}', /continue token that is not a string \(a number\)/],
  ])('a page that is %s is that list unread (KubeListError), never a TypeError or a walk over characters', async (_name, body, message) => {
    const server = http.createServer((_req, res) => res.writeHead(200, {'Content-Type': 'application/json'}).end(body))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const {port} = server.address() as net.AddressInfo
    const client = new KubeClient(await loadKubeConfig({server: `http://127.0.0.1:${port}`, token: 't'}, {}))
    clients.push(client)
    const error = await client.listAll(ROLEBINDINGS).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeListError)
    expect((error as KubeListError).userMessage).toMatch(new RegExp(`^the list of ${ROLEBINDINGS} is malformed: `))
    expect((error as KubeListError).userMessage).toMatch(message)
  })

  it('still lists a well-behaved paged collection whole', async () => {
    const server = await start()
    const client = await connect(server)
    const list = await client.listAll(ROLEBINDINGS, {limit: 100})
    expect(list.items.length).toBe(1200)
    expect(list.requests).toBe(12)
  })
})

describe('proxies', () => {
  /** A CONNECT proxy's work: join the client to 127.0.0.1:PORT of the request line, and count it. */
  function tunnel(req: http.IncomingMessage, socket: net.Socket, onTunnel: () => void): void {
    socket.on('error', () => {})
    const upstream = net.connect(Number(/:(\d+)$/.exec(req.url ?? '')?.[1]), '127.0.0.1', () => {
      onTunnel()
      socket.write('HTTP/1.1 200 OK\r\n\r\n')
      socket.pipe(upstream).pipe(socket)
    })
    upstream.on('error', () => socket.destroy())
    // The proxy's sockets allow half-open: a closed side closes the other.
    upstream.on('close', () => socket.destroy())
    socket.on('close', () => upstream.destroy())
  }

  async function connectProxy(): Promise<{url: string; tunnels: () => number}> {
    let tunnels = 0
    const proxy = http.createServer()
    proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket) => tunnel(req, socket, () => tunnels++))
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    closers.push(() => new Promise((resolve) => {
      proxy.closeAllConnections()
      proxy.close(() => resolve())
    }))
    return {url: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`, tunnels: () => tunnels}
  }

  it('tunnels JSON requests (kept alive) and streams through HTTP CONNECT', async () => {
    const server = await start({nodeLogs: {n1: {'audit.log': 'line\n'}}})
    const proxy = await connectProxy()
    const client = new KubeClient({...(await loadKubeConfig({kubeconfig: server.kubeconfigPath}, {})), proxy: new URL(proxy.url)})
    clients.push(client)
    for (let i = 0; i < 5; i++) await client.get('/version')
    expect(proxy.tunnels()).toBe(1)
    const chunks: Buffer[] = []
    for await (const chunk of await client.stream('/api/v1/nodes/n1/proxy/logs/audit.log')) chunks.push(chunk)
    expect(Buffer.concat(chunks).toString()).toBe('line\n')
    expect(proxy.tunnels()).toBe(2)
  })

  it('speaks TLS to an https:// proxy, trusting the cluster CA for it (with the system roots), and sends its basic auth', async () => {
    const server = await start()
    let tunnels = 0
    let auth: string | undefined
    // The fake server's own certificate (127.0.0.1, signed by the kubeconfig's CA) serves the proxy.
    const proxy = https.createServer({cert: await readFile(path.join(server.dir, 'server.crt')), key: await readFile(path.join(server.dir, 'server.key'))})
    proxy.on('connect', (req: http.IncomingMessage, socket: net.Socket) => {
      auth = req.headers['proxy-authorization']
      tunnel(req, socket, () => tunnels++)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    closers.push(() => new Promise((resolve) => {
      proxy.closeAllConnections()
      proxy.close(() => resolve())
    }))
    const url = `https://us%40er:p%3Ass@127.0.0.1:${(proxy.address() as net.AddressInfo).port}`
    const client = new KubeClient({...(await loadKubeConfig({kubeconfig: server.kubeconfigPath}, {})), proxy: new URL(url)})
    clients.push(client)
    await expect(client.get('/version')).resolves.toMatchObject({gitVersion: 'v1.32.0-fake'})
    expect(tunnels).toBe(1)
    expect(auth).toBe(`Basic ${Buffer.from('us@er:p:ss').toString('base64')}`)
  })

  it('says in one line that the proxy refused, without its password', async () => {
    const server = await start()
    const probe = net.createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as net.AddressInfo).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const client = new KubeClient({...(await loadKubeConfig({kubeconfig: server.kubeconfigPath}, {})), proxy: new URL(`socks5://bob:hunter2@127.0.0.1:${port}`)})
    clients.push(client)
    const error = await client.get('/version').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeConnectionError)
    expect((error as KubeConnectionError).userMessage).toBe(`cannot reach ${server.url}: proxy 127.0.0.1:${port}: connection refused`)
  })
})
