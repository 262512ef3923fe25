// How a connection to the API server is made: directly, through an HTTP(S) CONNECT proxy, or
// through a socks5 proxy (kubeconfig `proxy-url`, else HTTPS_PROXY/HTTP_PROXY and NO_PROXY as
// client-go's ProxyFromEnvironment reads them), with every wait bounded as kubectl's transport
// bounds it: 30 s to dial (proxy negotiation included) and 10 s for the TLS handshake. The
// sockets are handed to node's http/https Agent, which keeps them alive and pools them.
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import tls from 'node:tls'
import type {Duplex} from 'node:stream'
import {KubeConnectionError, KubeTimeoutError} from './errors.js'

/** kubectl's dial timeout (client-go's net.Dialer{Timeout: 30 * time.Second}). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000
/** kubectl's TLSHandshakeTimeout (k8s.io/apimachinery utilnet.SetTransportDefaults). */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000

/** Default of --max-response-size: far above any page of 500 objects, far below a machine's memory. */
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 ** 2
/**
 * Without --request-timeout, a response that sends nothing for this long fails. The API server
 * ends every non-watch request at its own deadline (60 s by default), so a real server has
 * answered or failed long before; --request-timeout, when longer, replaces this bound.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000

export const PROXY_SCHEMES = ['http:', 'https:', 'socks5:'] as const

export interface TransportOptions {
  /** The API server (its scheme decides TLS); errors name it. */
  server: URL
  /** http://, https:// or socks5:// proxy, user:password in the URL if any. */
  proxy?: URL
  connectTimeoutMs: number
  tlsHandshakeTimeoutMs: number
  /** Trust for an https:// proxy: the cluster's CA is added to the system roots. */
  proxyCa?: Buffer
  insecureSkipTlsVerify?: boolean
}

/** The proxy as it may be printed: never its user name or password. */
export function proxyLabel(proxy: URL): string {
  return proxy.host
}

/**
 * A keep-alive (or one-shot) agent whose connections are made by `openConnection`. node's Agent
 * accepts a socket passed to createConnection's callback, so the proxy handshake can be async.
 */
export function createAgent(options: TransportOptions, agentOptions: http.AgentOptions): http.Agent {
  const agent = options.server.protocol === 'http:' ? new http.Agent(agentOptions) : new https.Agent(agentOptions)
  agent.createConnection = (connectOptions: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void) => {
    openConnection(options, connectOptions as tls.ConnectionOptions).then(
      (socket) => callback?.(null, socket),
      (error: Error) => callback?.(error, undefined as unknown as Duplex),
    )
    return undefined
  }
  return agent
}

/** A socket to the API server, TLS done when the server is https. */
export async function openConnection(options: TransportOptions, connectOptions: tls.ConnectionOptions): Promise<net.Socket> {
  const host = connectOptions.host ?? options.server.hostname.replace(/^\[|\]$/g, '')
  const port = Number(connectOptions.port ?? (options.server.port || (options.server.protocol === 'http:' ? 80 : 443)))
  const raw = await withTimeout(
    options.connectTimeoutMs,
    (onCleanup) => (options.proxy ? viaProxy(options, options.proxy, host, port, onCleanup) : dial({host, port}, onCleanup)),
    () => new KubeTimeoutError(options.server.origin, options.proxy ? `proxy ${proxyLabel(options.proxy)}: no tunnel within ${seconds(options.connectTimeoutMs)}` : `dial tcp ${hostPort(host, port)}: i/o timeout`),
  )
  if (options.server.protocol === 'http:') return raw
  return withTimeout(
    options.tlsHandshakeTimeoutMs,
    (onCleanup) =>
      new Promise<net.Socket>((resolve, reject) => {
        const secure = tls.connect({...connectOptions, socket: raw})
        onCleanup(() => secure.destroy())
        secure.once('secureConnect', () => {
          secure.off('error', reject)
          resolve(secure)
        })
        secure.once('error', reject)
      }),
    // kubectl's own words (net/http), so that a search for the message finds the known causes.
    () => new KubeTimeoutError(options.server.origin, 'net/http: TLS handshake timeout'),
  )
}

/**
 * Runs `start`; if it has not settled after `ms`, whatever it registered with onCleanup is torn
 * down and `timeoutError()` is thrown. Cleanup also runs when start fails.
 */
async function withTimeout<T>(ms: number, start: (onCleanup: (cleanup: () => void) => void) => Promise<T>, timeoutError: () => Error): Promise<T> {
  const cleanups: (() => void)[] = []
  const cleanup = () => {
    for (const fn of cleanups.splice(0)) fn()
  }
  let timer: NodeJS.Timeout | undefined
  try {
    const work = start((fn) => cleanups.push(fn))
    if (!(ms > 0)) return await work
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(timeoutError()), ms)
      }),
    ])
  } catch (error) {
    cleanup()
    throw error
  } finally {
    if (timer) clearTimeout(timer)
  }
}

function dial(target: {host: string; port: number}, onCleanup: (cleanup: () => void) => void, via?: {proxy: URL; server: URL}): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({host: target.host, port: target.port})
    onCleanup(() => socket.destroy())
    socket.once('connect', () => {
      socket.off('error', onError)
      resolve(socket)
    })
    // Direct: the error itself, which client.ts words as kubectl does (and retries a reset).
    const onError = (error: NodeJS.ErrnoException) => reject(via ? proxyError(via.proxy, error, via.server) : error)
    socket.once('error', onError)
  })
}

async function viaProxy(options: TransportOptions, proxy: URL, host: string, port: number, onCleanup: (cleanup: () => void) => void): Promise<net.Socket> {
  const proxyHost = proxy.hostname.replace(/^\[|\]$/g, '')
  const defaultPort = proxy.protocol === 'socks5:' ? 1080 : proxy.protocol === 'https:' ? 443 : 80
  const proxyPort = Number(proxy.port || defaultPort)
  let socket = await dial({host: proxyHost, port: proxyPort}, onCleanup, {proxy, server: options.server})
  if (proxy.protocol === 'https:') socket = await proxyTls(options, proxy, socket, onCleanup)
  if (proxy.protocol === 'socks5:') await socksConnect(options.server, proxy, socket, host, port)
  else await httpConnect(options.server, proxy, socket, host, port)
  return socket
}

function proxyTls(options: TransportOptions, proxy: URL, socket: net.Socket, onCleanup: (cleanup: () => void) => void): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const name = proxy.hostname.replace(/^\[|\]$/g, '')
    const secure = tls.connect({
      socket,
      ...(net.isIP(name) ? {} : {servername: name}),
      ...(options.proxyCa ? {ca: [...tls.rootCertificates, options.proxyCa.toString('utf8')]} : {}),
      rejectUnauthorized: !options.insecureSkipTlsVerify,
      host: name,
    })
    onCleanup(() => secure.destroy())
    secure.once('secureConnect', () => {
      secure.off('error', onError)
      resolve(secure)
    })
    const onError = (error: NodeJS.ErrnoException) => reject(proxyError(proxy, error, options.server))
    secure.once('error', onError)
  })
}

function proxyError(proxy: URL, error: NodeJS.ErrnoException | string, server: URL): KubeConnectionError {
  const reason = typeof error === 'string' ? error : describeProxyNetworkError(error)
  return new KubeConnectionError(server.origin, `proxy ${proxyLabel(proxy)}: ${reason}`, typeof error === 'string' ? undefined : {cause: error})
}

function describeProxyNetworkError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'no such host'
    case 'ECONNRESET':
      return 'connection reset by peer'
    default:
      return (error.code ? `${error.code}: ` : '') + (error.message.split('\n')[0] ?? '')
  }
}

/**
 * Reads from the socket until `complete` says how many bytes the answer has. Proxy handshakes
 * are lockstep and TLS or HTTP over the tunnel starts with the client, so no byte can follow an
 * answer unasked: the socket is left flowing with no listener until TLS or http takes it over.
 */
function readAnswer(socket: net.Socket, complete: (data: Buffer) => number | undefined, limit = 64 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0)
    const cleanup = () => {
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('end', onEnd)
    }
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      const length = complete(data)
      if (length === undefined) {
        if (data.length > limit) {
          cleanup()
          reject(new Error('answer too long'))
        }
        return
      }
      cleanup()
      resolve(data.subarray(0, length))
    }
    const onError = (error: Error) => {
      cleanup()
      reject(error)
    }
    const onEnd = () => {
      cleanup()
      reject(Object.assign(new Error('the proxy closed the connection'), {code: 'ECONNRESET'}))
    }
    socket.on('data', onData)
    socket.once('error', onError)
    socket.once('end', onEnd)
  })
}

/** HTTP CONNECT: `Proxy-Authorization: Basic` from the URL's user:password, as Go's transport sends it. */
async function httpConnect(server: URL, proxy: URL, socket: net.Socket, host: string, port: number): Promise<void> {
  const authority = hostPort(host, port)
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`]
  if (proxy.username || proxy.password) {
    const user = decodeURIComponent(proxy.username)
    const password = decodeURIComponent(proxy.password)
    lines.push(`Proxy-Authorization: Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`)
  }
  socket.write(`${lines.join('\r\n')}\r\n\r\n`)
  let answer: Buffer
  try {
    answer = await readAnswer(socket, (data) => {
      const end = data.indexOf('\r\n\r\n')
      return end < 0 ? undefined : end + 4
    })
  } catch (error) {
    throw proxyError(proxy, error as NodeJS.ErrnoException, server)
  }
  const statusLine = answer.toString('latin1').split('\r\n')[0] ?? ''
  const match = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine)
  if (!match) throw proxyError(proxy, 'not an HTTP proxy (its answer to CONNECT is not HTTP)', server)
  const code = Number(match[1])
  if (code === 200) return
  const text = (match[2] ?? '').replace(/[^\x20-\x7e]/g, '').slice(0, 80)
  const hint = code === 407 ? (proxy.username ? ' (check the user and password in the proxy URL)' : ' (the proxy URL has no user and password)') : ''
  throw proxyError(proxy, `CONNECT ${authority} answered ${code}${text ? ` ${text}` : ''}${hint}`, server)
}

const SOCKS_REPLIES: Record<number, string> = {
  1: 'general failure',
  2: 'connection not allowed by ruleset',
  3: 'network unreachable',
  4: 'host unreachable',
  5: 'connection refused by the target',
  6: 'TTL expired',
  7: 'command not supported',
  8: 'address type not supported',
}

/** RFC 1928 CONNECT, no authentication or RFC 1929 user/password; host names are resolved by the proxy, as Go's socks dialer does. */
async function socksConnect(server: URL, proxy: URL, socket: net.Socket, host: string, port: number): Promise<void> {
  const label = `socks5 proxy ${proxyLabel(proxy)}`
  const fail = (reason: string, cause?: unknown): KubeConnectionError => new KubeConnectionError(server.origin, `${label}: ${reason}`, cause === undefined ? undefined : {cause})
  const read = async (complete: (data: Buffer) => number | undefined): Promise<Buffer> => {
    try {
      return await readAnswer(socket, complete)
    } catch (error) {
      const e = error as NodeJS.ErrnoException
      throw fail(e.code === 'ECONNRESET' ? 'the proxy closed the connection' : describeProxyNetworkError(e), error)
    }
  }
  const withAuth = Boolean(proxy.username || proxy.password)
  socket.write(Buffer.from(withAuth ? [5, 2, 0, 2] : [5, 1, 0]))
  const greeting = await read((data) => (data.length >= 2 ? 2 : undefined))
  if (greeting[0] !== 5) throw fail('not a socks5 proxy')
  if (greeting[1] === 2) {
    if (!withAuth) throw fail('the proxy wants a user name and password (none in the proxy URL)')
    const user = Buffer.from(decodeURIComponent(proxy.username))
    const password = Buffer.from(decodeURIComponent(proxy.password))
    if (user.length > 255 || password.length > 255) throw fail('user name or password longer than 255 bytes')
    socket.write(Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([password.length]), password]))
    const auth = await read((data) => (data.length >= 2 ? 2 : undefined))
    if (auth[1] !== 0) throw fail('the proxy rejected the user name and password')
  } else if (greeting[1] !== 0) {
    throw fail(withAuth ? 'the proxy accepts neither no authentication nor a user name and password' : 'the proxy wants authentication (no user name and password in the proxy URL)')
  }
  const ipVersion = net.isIP(host)
  const address =
    ipVersion === 4
      ? Buffer.from([1, ...host.split('.').map(Number)])
      : ipVersion === 6
        ? Buffer.concat([Buffer.from([4]), ipv6Bytes(host)])
        : Buffer.concat([Buffer.from([3, Buffer.byteLength(host)]), Buffer.from(host)])
  const portBytes = Buffer.alloc(2)
  portBytes.writeUInt16BE(port)
  socket.write(Buffer.concat([Buffer.from([5, 1, 0]), address, portBytes]))
  const reply = await read((data) => {
    if (data.length < 5) return undefined
    const length = data[3] === 1 ? 4 : data[3] === 4 ? 16 : data[3] === 3 ? 1 + data[4]! : 0
    return data.length >= 4 + length + 2 ? 4 + length + 2 : undefined
  })
  if (reply[1] !== 0) throw fail(`CONNECT ${hostPort(host, port)}: ${SOCKS_REPLIES[reply[1]!] ?? `error ${reply[1]}`}`)
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::')
  const parts = (text: string) => (text ? text.split(':') : [])
  const left = parts(head)
  const right = parts(tail)
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left
  const out = Buffer.alloc(16)
  groups.forEach((group, i) => out.writeUInt16BE(Number.parseInt(group, 16) || 0, i * 2))
  return out
}

function hostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

/**
 * The proxy for a server when the kubeconfig names none: client-go's http.ProxyFromEnvironment.
 * HTTPS_PROXY (https servers) or HTTP_PROXY (http servers), upper case first; a value without a
 * scheme is http://. Never for localhost or a loopback address, nor for a host NO_PROXY matches.
 */
export function proxyFromEnvironment(server: URL, env: NodeJS.ProcessEnv): URL | undefined {
  const value = server.protocol === 'https:' ? env.HTTPS_PROXY || env.https_proxy : env.HTTP_PROXY || env.http_proxy
  if (!value) return undefined
  const host = server.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (host === 'localhost' || isLoopback(host)) return undefined
  const port = server.port || (server.protocol === 'https:' ? '443' : '80')
  if (noProxyMatches(env.NO_PROXY ?? env.no_proxy ?? '', host, port)) return undefined
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`)
    return (PROXY_SCHEMES as readonly string[]).includes(url.protocol) ? url : undefined
  } catch {
    return undefined
  }
}

function isLoopback(host: string): boolean {
  if (net.isIPv4(host)) return host.startsWith('127.')
  if (net.isIPv6(host)) return host === '::1' || /^::ffff:127\./.test(host)
  return false
}

/** golang.org/x/net/http/httpproxy's NO_PROXY: `*`, IPs, CIDRs, `name`, `.name`, `*.name`, each optionally with `:port`. */
export function noProxyMatches(noProxy: string, host: string, port: string): boolean {
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase()
    if (entry === '') continue
    if (entry === '*') return true
    if (entry.includes('/')) {
      if (net.isIP(host) && inCidr(host, entry)) return true
      continue
    }
    if (net.isIP(entry)) {
      if (entry === host) return true
      continue
    }
    let name = entry
    let entryPort: string | undefined
    const withPort = /^(.*):(\d+)$/.exec(entry)
    if (withPort && !net.isIPv6(entry)) {
      name = withPort[1]!
      entryPort = withPort[2]
      if (net.isIP(name.replace(/^\[|\]$/g, ''))) {
        if (name.replace(/^\[|\]$/g, '') === host && entryPort === port) return true
        continue
      }
    }
    if (entryPort !== undefined && entryPort !== port) continue
    if (name.startsWith('*.')) name = name.slice(1)
    if (name.startsWith('.')) {
      // `.example.com` matches the subdomains, not example.com itself.
      if (host.endsWith(name)) return true
    } else if (host === name || host.endsWith(`.${name}`)) {
      return true
    }
  }
  return false
}

function inCidr(host: string, cidr: string): boolean {
  const [base = '', bitsText = ''] = cidr.split('/')
  const bits = Number(bitsText)
  if (!net.isIP(base) || !Number.isInteger(bits)) return false
  const list = new net.BlockList()
  try {
    list.addSubnet(base, bits, net.isIPv6(base) ? 'ipv6' : 'ipv4')
    return list.check(host, net.isIPv6(host) ? 'ipv6' : 'ipv4')
  } catch {
    return false
  }
}
