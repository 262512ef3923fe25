// Hostile networks, seen through the built CLI (`who-can get secrets -A --kubeconfig ...`): an API
// server whose body never ends, one that never finishes the TLS handshake, one that goes silent
// mid-request, continue tokens that never end a list, and kubeconfig/environment proxies (HTTP
// CONNECT with and without credentials, socks5 with and without credentials, a refusing proxy,
// a 407). Every run must end in the right answer, an answer marked INCOMPLETE (exit 8) or one
// clear line; none may hang or grow without bound. Figures (time to the error, peak RSS against
// the endless body, tunnels used) go to stderr.
import {readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import path from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, it, type ExpectStatic} from 'vitest'
import {generateCluster, startFakeApiServer, type FakeApiServer, type FakeApiServerOptions} from '../fake-apiserver/index.js'
import {BIN, requireBuild, ROOT, STACK_TRACE, userEnv} from './helpers.js'

type Ending = 'correct' | 'incomplete' | 'error'

interface Run {
  exitCode: number | undefined
  stdout: string
  stderr: string
  seconds: number
  peakMb: number
  /** Killed by the test: RSS above the bound, or still running at the deadline. */
  killed?: string
}

interface Subject {
  kind: string
  name: string
  namespace?: string
}

const SMALL = {namespaces: 4, roles: 12, roleBindings: 24, clusterRoles: 6, clusterRoleBindings: 6, serviceAccountsPerNamespace: 1, secretsPerNamespace: 1}
// More than 500 rolebindings: the lists take several pages.
const PAGED = {namespaces: 20, roles: 300, roleBindings: 1200, clusterRoles: 40, clusterRoleBindings: 600, serviceAccountsPerNamespace: 2, secretsPerNamespace: 1}
/** Before the fix the CLI grew to 23 GB: the test stops it well before it hurts the machine. */
const KILL_ABOVE_MB = 2048
const RSS_BOUND_MB = 1024

const rows: string[][] = []
const baselines = new Map<string, Subject[]>()
const key = (s: Subject) => `${s.kind}/${s.namespace ?? ''}/${s.name}`

function cliArgs(kubeconfig: string, extra: string[] = []): string[] {
  return ['who-can', 'get', 'secrets', '-A', '--kubeconfig', kubeconfig, '-o', 'json', ...extra]
}

/** The built CLI, its peak RSS sampled from /proc (VmHWM, the kernel's own high-water mark). */
async function runMeasured(args: string[], options: {env?: Record<string, string>; deadlineMs?: number} = {}): Promise<Run> {
  const started = performance.now()
  const child = execa('node', [BIN, ...args], {cwd: ROOT, reject: false, env: userEnv(options.env), extendEnv: false, encoding: 'utf8'})
  let peakKb = 0
  let killed: string | undefined
  const poll = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
      const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
      peakKb = Math.max(peakKb, hwm)
      if (hwm > KILL_ABOVE_MB * 1024 && !killed) {
        killed = `killed at ${(hwm / 1024).toFixed(0)} MB RSS`
        child.kill('SIGKILL')
      }
    } catch {
      // not started yet, or already gone
    }
  }, 25)
  const deadline = setTimeout(() => {
    killed = `still running after ${((options.deadlineMs ?? 150_000) / 1000).toFixed(0)} s`
    child.kill('SIGKILL')
  }, options.deadlineMs ?? 150_000)
  const r = await child
  clearInterval(poll)
  clearTimeout(deadline)
  const run: Run = {exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr), seconds: (performance.now() - started) / 1000, peakMb: peakKb / 1024}
  if (killed) run.killed = killed
  return run
}

/** The ending of a run, checked as the faults suite does; returns a short detail for the table. */
function judge(expect: ExpectStatic, run: Run, cluster: string, allowed: Ending[], errorSays?: RegExp): {ending: Ending; detail: string} {
  expect(run.killed, `the CLI had to be stopped: ${run.killed}\n${run.stderr.slice(0, 2000)}`).toBeUndefined()
  expect(run.stderr, 'no stack trace').not.toMatch(STACK_TRACE)
  expect(run.stderr, 'no node warnings').not.toMatch(/DeprecationWarning|MaxListenersExceeded|ExperimentalWarning/)
  // oclif wraps a long error at 80 columns, continuing with ` ›`: match the message as one line.
  const flat = run.stderr.replace(/\s*\n\s*›[ \t]+(?=\S)(?!Error:)/g, ' ')
  const errLines = run.stderr.split('\n').filter((l) => l.trim() !== '')
  const flatLines = flat.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('warning: discovery'))
  const detail = (flatLines.find((l) => /error/i.test(l)) ?? flatLines.find((l) => /does not end/.test(l)) ?? flatLines.find((l) => /INCOMPLETE/.test(l)) ?? flatLines[0] ?? '').trim().slice(0, 200)
  let ending: Ending
  if (run.exitCode === 0) {
    const subjects = (JSON.parse(run.stdout) as {subjects: Subject[]}).subjects
    expect(subjects.map(key), 'a run that exits 0 gives the whole answer').toEqual((baselines.get(cluster) ?? []).map(key))
    ending = 'correct'
  } else if (run.exitCode === 8) {
    expect(run.stderr).toContain('INCOMPLETE')
    const truth = new Set((baselines.get(cluster) ?? []).map(key))
    const subjects = (JSON.parse(run.stdout) as {subjects: Subject[]}).subjects
    expect(subjects.map(key).filter((k) => !truth.has(k)), 'an incomplete answer invents nothing').toEqual([])
    ending = 'incomplete'
    if (errorSays) expect(flat).toMatch(errorSays)
  } else {
    expect(run.stdout.trim(), 'an error prints no partial data').toBe('')
    const final = errLines.filter((l) => !l.startsWith('warning:'))
    expect(final.filter((l) => /Error:/.test(l)).length, `one clear error, got:\n${run.stderr}`).toBe(1)
    expect(final.filter((l) => !l.startsWith(' ›')), `nothing but that error, got:\n${run.stderr}`).toEqual([])
    if (errorSays) expect(flat).toMatch(errorSays)
    ending = 'error'
  }
  expect(allowed, `ended as ${ending}: ${detail}`).toContain(ending)
  return {ending, detail}
}

async function start(cluster: 'small' | 'paged', options: Partial<FakeApiServerOptions> = {}): Promise<FakeApiServer> {
  return startFakeApiServer({store: generateCluster(cluster === 'small' ? SMALL : PAGED), ...options})
}

/** A copy of the server's kubeconfig with `proxy-url` (and optionally another server address). */
function withCluster(server: FakeApiServer, fields: {proxyUrl?: string; server?: string; tlsServerName?: string}): string {
  let text = readFileSync(server.kubeconfigPath, 'utf8')
  const extra = [
    ...(fields.proxyUrl ? [`    proxy-url: ${fields.proxyUrl}`] : []),
    ...(fields.tlsServerName ? [`    tls-server-name: ${fields.tlsServerName}`] : []),
  ]
  if (fields.server) text = text.replace(/server: \S+/, `server: ${fields.server}`)
  text = text.replace(/(    server: \S+\n)/, `$1${extra.map((l) => `${l}\n`).join('')}`)
  const file = path.join(server.dir, `kubeconfig-${Math.random().toString(36).slice(2)}`)
  writeFileSync(file, text)
  return file
}

beforeAll(async () => {
  requireBuild()
  for (const cluster of ['small', 'paged'] as const) {
    const server = await start(cluster)
    try {
      const r = await runMeasured(cliArgs(server.kubeconfigPath, cluster === 'paged' ? ['--no-confirm'] : []))
      if (r.exitCode !== 0) throw new Error(`fault-free baseline failed (${cluster}): ${r.stderr}`)
      baselines.set(cluster, (JSON.parse(r.stdout) as {subjects: Subject[]}).subjects)
    } finally {
      await server.stop()
    }
  }
})

afterAll(() => {
  if (rows.length === 0) return
  const header = ['CASE', 'EXIT', 'ENDED', 'TIME', 'PEAK RSS', 'DETAIL']
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  const table = all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ')).join('\n')
  const bad = rows.filter((r) => r[2]?.startsWith('WRONG')).length
  process.stderr.write(`${table}\nhardening network: ${rows.length} hostile cases, ${rows.length - bad} ended as allowed, ${bad} wrong\n`)
})

function record(name: string, run: Run | undefined, ending: string, detail: string): void {
  rows.push([name, String(run?.exitCode ?? ''), ending, run ? `${run.seconds.toFixed(1)} s` : '', run ? `${run.peakMb.toFixed(0)} MB` : '', detail])
}

interface Case {
  name: string
  cluster: 'small' | 'paged'
  server: Partial<FakeApiServerOptions>
  extraArgs?: string[]
  allowed: Ending[]
  errorSays?: RegExp
  /** Peak RSS must stay under this (MB). */
  rssBound?: number
  deadlineMs?: number
}

const cases: Case[] = [
  // 1. Endless body: capped, one line naming the path and the cap; memory bounded.
  {name: 'endless body on every request', cluster: 'small', server: {endlessBody: true}, allowed: ['error', 'incomplete'], errorSays: /larger than 256 MiB.*--max-response-size/, rssBound: RSS_BOUND_MB},
  {name: 'endless body, --max-response-size 16Mi', cluster: 'small', server: {endlessBody: true}, extraArgs: ['--max-response-size', '16Mi'], allowed: ['error', 'incomplete'], errorSays: /larger than 16 MiB/, rssBound: RSS_BOUND_MB},
  {name: 'endless body on rolebindings only', cluster: 'small', server: {endlessBody: (r) => r.path.endsWith('/rolebindings')}, allowed: ['error', 'incomplete'], errorSays: /rolebindings.*larger than 256 MiB/, rssBound: RSS_BOUND_MB},
  // 2. Every wait is bounded without --request-timeout.
  {name: 'TLS handshake never completes', cluster: 'small', server: {hang: {phase: 'tls-handshake'}}, allowed: ['error'], errorSays: /TLS handshake timeout/},
  {name: 'server never answers (no --request-timeout)', cluster: 'small', server: {hang: {phase: 'response', when: (r) => /\/(cluster)?role(binding)?s$/.test(r.path)}}, allowed: ['error', 'incomplete'], errorSays: /no data from the server for 1m/},
  {name: 'server stops mid-body (no --request-timeout)', cluster: 'small', server: {hang: {phase: 'body', when: (r) => r.path.endsWith('/clusterroles')}}, allowed: ['error', 'incomplete'], errorSays: /no data from the server for 1m/},
  // 3. Continue tokens that never end a list, even with --request-timeout.
  {name: 'continue token repeated', cluster: 'paged', server: {continueLoop: 'same-token'}, extraArgs: ['--no-confirm', '--request-timeout', '5s'], allowed: ['incomplete', 'error'], errorSays: /same continue token twice/, deadlineMs: 60_000},
  {name: 'continue tokens cycle', cluster: 'paged', server: {continueLoop: 'cycle'}, extraArgs: ['--no-confirm', '--request-timeout', '5s'], allowed: ['incomplete', 'error'], errorSays: /same continue token twice/, deadlineMs: 60_000},
  {name: 'pages repeat earlier items', cluster: 'paged', server: {continueLoop: 'repeat-items'}, extraArgs: ['--no-confirm', '--request-timeout', '5s'], allowed: ['incomplete', 'error'], errorSays: /repeats? .*already (listed|seen)/, deadlineMs: 60_000},
]

describe.concurrent('hostile API servers end in the answer, INCOMPLETE, or one clear line', () => {
  for (const c of cases) {
    it(c.name, {timeout: 200_000}, async ({expect}) => {
      const server = await start(c.cluster, c.server)
      let run: Run | undefined
      try {
        run = await runMeasured(cliArgs(server.kubeconfigPath, c.extraArgs), c.deadlineMs ? {deadlineMs: c.deadlineMs} : {})
        const {ending, detail} = judge(expect, run, c.cluster, c.allowed, c.errorSays)
        if (c.rssBound) expect(run.peakMb, `peak RSS ${run.peakMb.toFixed(0)} MB`).toBeLessThan(c.rssBound)
        const extra = c.server.endlessBody ? `; server wrote ${(server.hostile.endlessBytes / 1024 ** 2).toFixed(0)} MiB` : ''
        record(c.name, run, ending, detail + extra)
      } catch (error) {
        record(c.name, run, 'WRONG', run?.killed ?? String(error).split('\n')[0]!.slice(0, 140))
        throw error
      } finally {
        await server.stop()
      }
    })
  }
})

// ---------- proxies ----------

interface Proxy {
  url: string
  /** Tunnels opened to the API server. */
  tunnels: number
  /** Connections refused for bad or missing credentials. */
  refused: number
  stop(): Promise<void>
}

/** Everything is tunnelled to 127.0.0.1 (the fake server), whatever host the client asked for. */
function tunnel(client: net.Socket, port: number, onOpen: (upstream: net.Socket) => void): void {
  const upstream = net.connect(port, '127.0.0.1', () => onOpen(upstream))
  upstream.on('error', () => client.destroy())
  client.on('error', () => upstream.destroy())
  client.on('close', () => upstream.destroy())
  upstream.on('close', () => client.destroy())
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as net.AddressInfo).port
}

async function connectProxy(auth?: {user: string; pass: string}): Promise<Proxy> {
  const proxy: Proxy = {url: '', tunnels: 0, refused: 0, stop: async () => {}}
  const sockets = new Set<net.Socket>()
  const server = http.createServer((_req, res) => res.writeHead(405).end())
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    sockets.add(client)
    client.on('error', () => {})
    const expected = auth ? `Basic ${Buffer.from(`${auth.user}:${auth.pass}`).toString('base64')}` : undefined
    if (expected && req.headers['proxy-authorization'] !== expected) {
      proxy.refused++
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n')
      return
    }
    const port = Number(/:(\d+)$/.exec(req.url ?? '')?.[1])
    tunnel(client, port, (upstream) => {
      proxy.tunnels++
      sockets.add(upstream)
      client.write('HTTP/1.1 200 Connection established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      client.pipe(upstream).pipe(client)
    })
  })
  const port = await listen(server)
  proxy.url = auth ? `http://${auth.user}:${auth.pass}@127.0.0.1:${port}` : `http://127.0.0.1:${port}`
  proxy.stop = async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return proxy
}

/** RFC 1928 (CONNECT only) with RFC 1929 user/password when `auth` is set. */
async function socksProxy(auth?: {user: string; pass: string}): Promise<Proxy> {
  const proxy: Proxy = {url: '', tunnels: 0, refused: 0, stop: async () => {}}
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    sockets.add(client)
    client.on('error', () => {})
    let buffer = Buffer.alloc(0)
    let stage: 'greeting' | 'auth' | 'request' | 'open' = 'greeting'
    const onData = (chunk: Buffer): void => {
      buffer = Buffer.concat([buffer, chunk])
      if (stage === 'greeting') {
        if (buffer.length < 2 || buffer.length < 2 + buffer[1]!) return
        const methods = [...buffer.subarray(2, 2 + buffer[1]!)]
        buffer = buffer.subarray(2 + buffer[1]!)
        const method = auth ? 0x02 : 0x00
        if (!methods.includes(method)) {
          proxy.refused++
          client.end(Buffer.from([5, 0xff]))
          return
        }
        client.write(Buffer.from([5, method]))
        stage = auth ? 'auth' : 'request'
      }
      if (stage === 'auth') {
        if (buffer.length < 2) return
        const ulen = buffer[1]!
        if (buffer.length < 3 + ulen) return
        const plen = buffer[2 + ulen]!
        if (buffer.length < 3 + ulen + plen) return
        const user = buffer.subarray(2, 2 + ulen).toString()
        const pass = buffer.subarray(3 + ulen, 3 + ulen + plen).toString()
        buffer = buffer.subarray(3 + ulen + plen)
        if (user !== auth!.user || pass !== auth!.pass) {
          proxy.refused++
          client.end(Buffer.from([1, 1]))
          return
        }
        client.write(Buffer.from([1, 0]))
        stage = 'request'
      }
      if (stage === 'request') {
        if (buffer.length < 5) return
        const atyp = buffer[3]!
        const addrLen = atyp === 1 ? 4 : atyp === 4 ? 16 : 1 + buffer[4]!
        if (buffer.length < 4 + addrLen + 2) return
        const port = buffer.readUInt16BE(4 + addrLen)
        buffer = buffer.subarray(4 + addrLen + 2)
        stage = 'open'
        client.off('data', onData)
        tunnel(client, port, (upstream) => {
          proxy.tunnels++
          sockets.add(upstream)
          client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]))
          if (buffer.length > 0) upstream.write(buffer)
          client.pipe(upstream).pipe(client)
        })
      }
    }
    client.on('data', onData)
  })
  const port = await listen(server)
  proxy.url = auth ? `socks5://${auth.user}:${auth.pass}@127.0.0.1:${port}` : `socks5://127.0.0.1:${port}`
  proxy.stop = async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  return proxy
}

async function unusedPort(): Promise<number> {
  const probe = net.createServer()
  const port = await listen(probe)
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

interface ProxyCase {
  name: string
  proxy: () => Promise<Proxy | undefined>
  /** How the CLI is pointed at the proxy. */
  setup: (server: FakeApiServer, proxy: Proxy | undefined) => Promise<{kubeconfig: string; env?: Record<string, string>}>
  allowed: Ending[]
  errorSays?: RegExp
  /** Tunnels the proxy must have opened (at least one when true, none when false). */
  tunnels?: boolean
}

const creds = {user: 'alice', pass: 's3cr3t'}
const proxyCases: ProxyCase[] = [
  {name: 'proxy-url http:// (CONNECT)', proxy: () => connectProxy(), setup: async (s, p) => ({kubeconfig: withCluster(s, {proxyUrl: p!.url})}), allowed: ['correct'], tunnels: true},
  {name: 'proxy-url http://user:pass@ (CONNECT, basic auth)', proxy: () => connectProxy(creds), setup: async (s, p) => ({kubeconfig: withCluster(s, {proxyUrl: p!.url})}), allowed: ['correct'], tunnels: true},
  {name: 'proxy-url socks5://', proxy: () => socksProxy(), setup: async (s, p) => ({kubeconfig: withCluster(s, {proxyUrl: p!.url})}), allowed: ['correct'], tunnels: true},
  {name: 'proxy-url socks5://user:pass@', proxy: () => socksProxy(creds), setup: async (s, p) => ({kubeconfig: withCluster(s, {proxyUrl: p!.url})}), allowed: ['correct'], tunnels: true},
  {
    name: 'HTTPS_PROXY (no proxy-url), server by name',
    proxy: () => connectProxy(),
    // Loopback addresses are never proxied (as Go's ProxyFromEnvironment): the server is named.
    setup: async (s, p) => ({kubeconfig: withCluster(s, {server: s.url.replace('127.0.0.1', 'kube.example.test'), tlsServerName: 'localhost'}), env: {HTTPS_PROXY: p!.url}}),
    allowed: ['correct'],
    tunnels: true,
  },
  {
    name: 'HTTPS_PROXY to a dead proxy, 127.0.0.1 not proxied',
    proxy: async () => undefined,
    setup: async (s) => ({kubeconfig: s.kubeconfigPath, env: {HTTPS_PROXY: `http://127.0.0.1:${await unusedPort()}`}}),
    allowed: ['correct'],
  },
  {
    // The name only resolves through the proxy: going direct is what NO_PROXY asks, and fails so.
    name: 'NO_PROXY names the server: direct',
    proxy: () => connectProxy(),
    setup: async (s, p) => ({kubeconfig: withCluster(s, {server: s.url.replace('127.0.0.1', 'kube.example.test'), tlsServerName: 'localhost'}), env: {HTTPS_PROXY: p!.url, NO_PROXY: 'other.example, .example.test'}}),
    allowed: ['error'],
    errorSays: /no such host kube\.example\.test/,
    tunnels: false,
  },
  {name: 'proxy answers 407 (wrong password)', proxy: () => connectProxy(creds), setup: async (s, p) => ({kubeconfig: withCluster(s, {proxyUrl: p!.url.replace(creds.pass, 'wrong')})}), allowed: ['error'], errorSays: /proxy 127\.0\.0\.1:\d+: .*407 Proxy Authentication Required/},
  {name: 'proxy answers 407 (no credentials)', proxy: () => connectProxy(creds), setup: async (s, p) => ({kubeconfig: withCluster(s, {proxyUrl: p!.url.replace(`${creds.user}:${creds.pass}@`, '')})}), allowed: ['error'], errorSays: /407/},
  {name: 'socks5 proxy rejects the password', proxy: () => socksProxy(creds), setup: async (s, p) => ({kubeconfig: withCluster(s, {proxyUrl: p!.url.replace(creds.pass, 'wrong')})}), allowed: ['error'], errorSays: /socks5 proxy 127\.0\.0\.1:\d+: .*rejected the user name and password/},
  {name: 'proxy refuses connections', proxy: async () => undefined, setup: async (s) => ({kubeconfig: withCluster(s, {proxyUrl: `http://127.0.0.1:${await unusedPort()}`})}), allowed: ['error'], errorSays: /proxy 127\.0\.0\.1:\d+: connection refused/},
  {name: 'socks5 proxy refuses connections', proxy: async () => undefined, setup: async (s) => ({kubeconfig: withCluster(s, {proxyUrl: `socks5://127.0.0.1:${await unusedPort()}`})}), allowed: ['error'], errorSays: /proxy 127\.0\.0\.1:\d+: connection refused/},
]

describe.concurrent('proxies from the kubeconfig and the environment', () => {
  for (const c of proxyCases) {
    it(c.name, {timeout: 120_000}, async ({expect}) => {
      const server = await start('small')
      const proxy = await c.proxy()
      let run: Run | undefined
      try {
        const {kubeconfig, env} = await c.setup(server, proxy)
        run = await runMeasured(cliArgs(kubeconfig), {...(env ? {env} : {}), deadlineMs: 90_000})
        const {ending, detail} = judge(expect, run, 'small', c.allowed, c.errorSays)
        // Never the proxy password on the terminal.
        expect(run.stderr).not.toContain(creds.pass)
        if (c.tunnels === true) expect(proxy!.tunnels, 'requests went through the proxy').toBeGreaterThan(0)
        if (c.tunnels === false) expect(proxy!.tunnels, 'the proxy was bypassed').toBe(0)
        const through = proxy ? `; ${proxy.tunnels} tunnel(s) for ${server.requests.length} requests${proxy.refused ? `, ${proxy.refused} refused` : ''}` : ''
        record(`proxy: ${c.name}`, run, ending, detail + through)
      } catch (error) {
        record(`proxy: ${c.name}`, run, 'WRONG', run?.killed ?? String(error).split('\n')[0]!.slice(0, 140))
        throw error
      } finally {
        await proxy?.stop()
        await server.stop()
      }
    })
  }
})
