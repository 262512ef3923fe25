// A real control plane for the tests: upstream kube-apiserver (built by scripts/real-cluster/build.sh)
// over its own etcd, on 127.0.0.1 and free ports only, with the real Node+RBAC authorizer, a real
// webhook authorizer (an HTTPS server in this process, the way EKS access entries, GKE IAM and AKS
// Azure RBAC look from outside), static tokens, ServiceAccount signing keys and an audit log.
//
// No controller runs but, on request, ClusterRole aggregation: ServiceAccounts are created by the
// tests, and deleted namespaces stay Terminating (use fresh names). stop() ends exactly the processes start() made.
import {spawn, type ChildProcess} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {createWriteStream, existsSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {createServer as createHttpsServer, request as httpsRequest, type Server} from 'node:https'
import {createServer as createNetServer} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {makeTestCertificates} from '../fake-apiserver/tls.js'

/** The attributes a webhook authorizer receives (SubjectAccessReview v1 spec). */
export interface WebhookReview {
  user: string
  groups: string[]
  uid?: string
  extra?: Record<string, string[]>
  resourceAttributes?: {namespace?: string; verb?: string; group?: string; version?: string; resource?: string; subresource?: string; name?: string}
  nonResourceAttributes?: {path?: string; verb?: string}
}

/** allowed, denied (stops the chain, RBAC is never asked), or undefined: no opinion, RBAC decides. */
export type WebhookDecision = {allowed: true; reason: string} | {allowed: false; denied: true; reason: string} | undefined
export type WebhookAuthorizer = (review: WebhookReview) => WebhookDecision

export interface CommandResult {
  exitCode: number | undefined
  stdout: string
  stderr: string
}

export type AuditProfile = 'metadata' | 'request'

export interface RealClusterUser {
  name: string
  groups?: string[]
}

export interface RealClusterOptions {
  /** Folder holding kube-apiserver and kubectl of one version. */
  binDir: string
  /** etcd executable; `etcd` on PATH by default (Debian's etcd-server). */
  etcd?: string
  /**
   * metadata: every request at Metadata level without its RequestReceived stage (a common production
   * policy); request: Request level (bodies of writes) with every stage.
   */
  audit?: AuditProfile
  /** Users with static bearer tokens. `admin` (system:masters) always exists. */
  users?: RealClusterUser[]
  webhook?: WebhookAuthorizer
  /**
   * Runs kube-controller-manager with only its ClusterRole aggregation controller: aggregated
   * ClusterRoles get their rules as on a real cluster.
   */
  aggregation?: boolean
}

export interface RealCluster {
  dir: string
  server: string
  caFile: string
  auditLogPath: string
  /** kubeconfig of the system:masters user `admin`. */
  kubeconfigPath: string
  binDir: string
  kubectlPath: string
  /** A kubeconfig for one of the static-token users (cached per user). */
  kubeconfigFor(user: string): Promise<string>
  /** A kubeconfig holding a bearer token as is (e.g. from `kubectl create token`). */
  kubeconfigWithToken(name: string, token: string): Promise<string>
  /**
   * One raw HTTPS request to the API server, as a client other than kubectl would send it: with a
   * bearer token or none (anonymous), and the User-Agent given. Resolves with the status code.
   */
  request(path: string, options?: {token?: string; userAgent?: string; method?: string; body?: string}): Promise<number>
  /** The static token of a user. */
  tokenFor(user: string): string
  /** Runs the kubectl built beside the API server, as admin unless `as` names a token user. */
  kubectl(args: string[], options?: {as?: string; kubeconfig?: string; input?: string}): Promise<CommandResult>
  /** Replaces the webhook authorizer's decisions (no cache: the server asks every time). */
  setWebhook(webhook: WebhookAuthorizer | undefined): void
  /** Every review the webhook authorizer received, in order. */
  webhookReviews: WebhookReview[]
  /** Waits until the aggregation controller has filled an aggregated ClusterRole's rules. */
  waitForAggregation(names: string[]): Promise<void>
  /** Parsed audit events written so far. */
  readAudit(): Promise<Record<string, unknown>[]>
  stop(): Promise<void>
}

/** kube-controller-manager's own user, as kubeadm names it (a system identity). */
const CONTROLLER_MANAGER = 'system:kube-controller-manager'

const AUDIT_POLICIES: Record<AuditProfile, string> = {
  metadata: ['apiVersion: audit.k8s.io/v1', 'kind: Policy', 'omitStages: ["RequestReceived"]', 'rules:', '- level: Metadata', ''].join('\n'),
  request: ['apiVersion: audit.k8s.io/v1', 'kind: Policy', 'rules:', '- level: Request', ''].join('\n'),
}

/** A port nobody listens on now (the kernel picks it; the tiny race is retried by the caller). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

function kubeconfigText(server: string, caFile: string, user: string, token: string): string {
  // JSON is YAML: no quoting surprises in paths or tokens.
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{name: 'real', cluster: {server, 'certificate-authority': caFile}}],
    users: [{name: user, user: {token}}],
    contexts: [{name: 'real', context: {cluster: 'real', user, namespace: 'default'}}],
    'current-context': 'real',
  }, null, 2)
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, alive: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const dead = alive()
    if (dead) throw new Error(`${what}: ${dead}`)
    if (await check().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs / 1000}s`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

interface Started {
  child: ChildProcess
  exited: () => string | undefined
  logPath: string
}

function startProcess(command: string, args: string[], logPath: string): Started {
  const log = createWriteStream(logPath)
  const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe']})
  child.stdout?.pipe(log)
  child.stderr?.pipe(log)
  let exit: string | undefined
  child.on('exit', (code, signal) => {
    exit = `exited (${signal ?? code}); see ${logPath}`
  })
  child.on('error', (error) => {
    exit = `could not start ${command}: ${error.message}`
  })
  return {child, exited: () => exit, logPath}
}

async function stopProcess(started: Started | undefined): Promise<void> {
  if (!started || started.exited() || started.child.exitCode !== null) return
  const done = new Promise<void>((resolve) => started.child.once('exit', () => resolve()))
  started.child.kill('SIGTERM')
  const timer = setTimeout(() => started.child.kill('SIGKILL'), 10_000)
  await done
  clearTimeout(timer)
}

/** GET over TLS with our CA; the body when the answer is 200, else undefined. */
function httpsGet(url: string, ca: string, token: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = httpsRequest(url, {ca, headers: {authorization: `Bearer ${token}`}, timeout: 5000}, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve(response.statusCode === 200 ? Buffer.concat(chunks).toString('utf8').trim() : undefined))
      response.on('error', () => resolve(undefined))
    })
    request.on('timeout', () => request.destroy())
    request.on('error', () => resolve(undefined))
    request.end()
  })
}

async function tail(file: string, lines = 15): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text.trimEnd().split('\n').slice(-lines).join('\n')
}

async function startWebhook(certs: {certPem: string; keyPem: string}, holder: {decide: WebhookAuthorizer | undefined; reviews: WebhookReview[]}): Promise<{server: Server; port: number}> {
  const server = createHttpsServer({cert: certs.certPem, key: certs.keyPem}, (request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      let status: {allowed: boolean; denied?: boolean; reason?: string} = {allowed: false}
      let apiVersion = 'authorization.k8s.io/v1'
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {apiVersion?: string; spec?: WebhookReview}
        apiVersion = body.apiVersion ?? apiVersion
        const spec = body.spec ?? {user: '', groups: []}
        const review: WebhookReview = {...spec, groups: spec.groups ?? []}
        holder.reviews.push(review)
        const decision = holder.decide?.(review)
        if (decision) status = decision
      } catch {
        // An unreadable review gets "no opinion": RBAC still decides.
      }
      response.writeHead(200, {'content-type': 'application/json'})
      response.end(JSON.stringify({apiVersion, kind: 'SubjectAccessReview', status}))
    })
  })
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      resolve(typeof address === 'object' && address ? address.port : 0)
    })
  })
  return {server, port}
}

/** Starts etcd, the webhook authorizer and kube-apiserver; resolves once /readyz says ok. */
export async function startRealCluster(options: RealClusterOptions): Promise<RealCluster> {
  const apiserverPath = path.join(options.binDir, 'kube-apiserver')
  const kubectlPath = path.join(options.binDir, 'kubectl')
  for (const binary of [apiserverPath, kubectlPath]) {
    if (!existsSync(binary)) throw new Error(`${binary} is missing: run scripts/real-cluster/build.sh`)
  }
  // etcd on tmpfs when there is one: fsync on every write slows a 2-core machine's start a lot.
  const shm = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir()
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ksa-real-cluster-'))
  const etcdDir = await mkdtemp(path.join(shm, 'ksa-etcd-'))
  const file = (name: string) => path.join(dir, name)
  const certs = await makeTestCertificates(await mkdir(file('pki'), {recursive: true}).then(() => file('pki')))
  await execa('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file('pki/sa.key')])
  await execa('openssl', ['ec', '-in', file('pki/sa.key'), '-pubout', '-out', file('pki/sa.pub')])

  const users: RealClusterUser[] = [
    {name: 'admin', groups: ['system:masters']},
    ...(options.aggregation ? [{name: CONTROLLER_MANAGER}] : []),
    ...(options.users ?? []),
  ]
  const tokens = new Map(users.map((user) => [user.name, randomBytes(24).toString('hex')]))
  await writeFile(file('tokens.csv'), users.map((user, i) => `${tokens.get(user.name)},${user.name},uid-${i},"${(user.groups ?? []).join(',')}"`).join('\n') + '\n', {mode: 0o600})
  await writeFile(file('audit-policy.yaml'), AUDIT_POLICIES[options.audit ?? 'metadata'])

  const holder: {decide: WebhookAuthorizer | undefined; reviews: WebhookReview[]} = {decide: options.webhook, reviews: []}
  const webhook = await startWebhook(certs, holder)
  await writeFile(file('webhook.kubeconfig'), kubeconfigText(`https://127.0.0.1:${webhook.port}/authorize`, certs.caFile, 'apiserver', 'unused'))

  let etcd: Started | undefined
  let apiserver: Started | undefined
  let controllers: Started | undefined
  const cleanup = async () => {
    await stopProcess(controllers)
    await stopProcess(apiserver)
    await stopProcess(etcd)
    await new Promise<void>((resolve) => webhook.server.close(() => resolve()))
    webhook.server.closeAllConnections()
    await rm(etcdDir, {recursive: true, force: true})
  }
  // A worker that dies must not leave a control plane running.
  const killOnExit = () => {
    controllers?.child.kill('SIGKILL')
    apiserver?.child.kill('SIGKILL')
    etcd?.child.kill('SIGKILL')
  }
  process.once('exit', killOnExit)

  try {
    const [clientPort, peerPort, securePort] = [await freePort(), await freePort(), await freePort()]
    const etcdUrl = `http://127.0.0.1:${clientPort}`
    etcd = startProcess(options.etcd ?? 'etcd', [
      '--name', 'ksa', '--data-dir', etcdDir,
      '--listen-client-urls', etcdUrl, '--advertise-client-urls', etcdUrl,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `ksa=http://127.0.0.1:${peerPort}`, '--log-level', 'warn',
    ], file('etcd.log'))
    const started = etcd
    await waitFor('etcd', async () => (await fetch(`${etcdUrl}/health`)).ok, 30_000, () => started.exited())

    const issuer = 'https://kubernetes.default.svc.cluster.local'
    apiserver = startProcess(apiserverPath, [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${securePort}`,
      `--cert-dir=${file('pki')}`, `--tls-cert-file=${file('pki/server.crt')}`, `--tls-private-key-file=${file('pki/server.key')}`,
      `--client-ca-file=${certs.caFile}`,
      `--token-auth-file=${file('tokens.csv')}`,
      // Webhook before RBAC: it can allow what no RBAC object grants and deny what RBAC allows.
      '--authorization-mode=Node,Webhook,RBAC',
      `--authorization-webhook-config-file=${file('webhook.kubeconfig')}`,
      '--authorization-webhook-version=v1',
      '--authorization-webhook-cache-authorized-ttl=0s', '--authorization-webhook-cache-unauthorized-ttl=0s',
      `--service-account-issuer=${issuer}`, `--api-audiences=${issuer}`,
      `--service-account-key-file=${file('pki/sa.pub')}`, `--service-account-signing-key-file=${file('pki/sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/24',
      '--allow-privileged=true',
      `--audit-policy-file=${file('audit-policy.yaml')}`, `--audit-log-path=${file('audit.log')}`, '--audit-log-mode=blocking',
      '--profiling=false', '--v=1',
    ], file('kube-apiserver.log'))
    const server = `https://127.0.0.1:${securePort}`
    const adminToken = tokens.get('admin')!
    const running = apiserver
    await waitFor('kube-apiserver', async () => (await httpsGet(`${server}/readyz`, certs.caPem, adminToken)) === 'ok', 120_000, () => running.exited())

    const kubeconfigs = new Map<string, string>()
    const kubeconfigWithToken = async (name: string, token: string) => {
      const target = file(`kubeconfig-${name.replace(/[^a-zA-Z0-9_.-]/g, '_')}`)
      await writeFile(target, kubeconfigText(server, certs.caFile, name, token), {mode: 0o600})
      return target
    }
    const kubeconfigFor = async (user: string) => {
      const cached = kubeconfigs.get(user)
      if (cached) return cached
      const token = tokens.get(user)
      if (!token) throw new Error(`no static token for user ${JSON.stringify(user)}`)
      const target = await kubeconfigWithToken(user, token)
      kubeconfigs.set(user, target)
      return target
    }
    const kubeconfigPath = await kubeconfigFor('admin')
    if (options.aggregation) {
      // As real clusters run it: its own identity, and each controller under its own ServiceAccount
      // (kube-system/clusterrole-aggregation-controller), minted through the TokenRequest API.
      controllers = startProcess(path.join(options.binDir, 'kube-controller-manager'), [
        `--kubeconfig=${await kubeconfigFor(CONTROLLER_MANAGER)}`,
        '--controllers=clusterrole-aggregation', '--leader-elect=false', '--secure-port=0',
        '--use-service-account-credentials=true', '--v=1',
      ], file('kube-controller-manager.log'))
    }

    return {
      dir,
      server,
      caFile: certs.caFile,
      auditLogPath: file('audit.log'),
      kubeconfigPath,
      binDir: options.binDir,
      kubectlPath,
      kubeconfigFor,
      kubeconfigWithToken,
      request(requestPath, {token, userAgent, method, body} = {}) {
        return new Promise((resolve, reject) => {
          const headers: Record<string, string> = {'user-agent': userAgent ?? 'ksa-test/1.0', accept: 'application/json'}
          if (token) headers.authorization = `Bearer ${token}`
          if (body !== undefined) headers['content-type'] = 'application/json'
          const sent = httpsRequest(`${server}${requestPath}`, {ca: certs.caPem, headers, method: method ?? 'GET', timeout: 10_000}, (response) => {
            response.resume()
            response.on('end', () => resolve(response.statusCode ?? 0))
          })
          sent.on('timeout', () => sent.destroy(new Error(`timeout on ${requestPath}`)))
          sent.on('error', reject)
          sent.end(body)
        })
      },
      tokenFor(user) {
        const token = tokens.get(user)
        if (!token) throw new Error(`no static token for user ${JSON.stringify(user)}`)
        return token
      },
      async kubectl(args, {as, kubeconfig, input} = {}) {
        const config = kubeconfig ?? (await kubeconfigFor(as ?? 'admin'))
        const result = await execa(kubectlPath, ['--kubeconfig', config, ...args], {reject: false, env: {KUBECONFIG: '', HOME: dir}, ...(input !== undefined ? {input} : {})})
        return {exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr)}
      },
      setWebhook(decide) {
        holder.decide = decide
      },
      webhookReviews: holder.reviews,
      async waitForAggregation(names) {
        if (!controllers) throw new Error('start the cluster with aggregation: true')
        const running = controllers
        for (const name of names) {
          await waitFor(`aggregation of ClusterRole ${name}`, async () => {
            const result = await execa(kubectlPath, ['--kubeconfig', kubeconfigPath, 'get', 'clusterrole', name, '-o', 'json'], {reject: false, env: {KUBECONFIG: ''}})
            return result.exitCode === 0 && ((JSON.parse(result.stdout) as {rules?: unknown[] | null}).rules ?? []).length > 0
          }, 60_000, () => running.exited())
        }
      },
      async readAudit() {
        const text = await readFile(file('audit.log'), 'utf8').catch(() => '')
        return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>)
      },
      async stop() {
        process.removeListener('exit', killOnExit)
        await cleanup()
        await rm(dir, {recursive: true, force: true})
      },
    }
  } catch (error) {
    const logs = [etcd?.logPath, apiserver?.logPath, controllers?.logPath].filter((p): p is string => p !== undefined)
    const details = (await Promise.all(logs.map(async (log) => `--- ${log}\n${await tail(log)}`))).join('\n')
    process.removeListener('exit', killOnExit)
    await cleanup()
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${details}`)
  }
}
