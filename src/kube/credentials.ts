// How a kubeconfig user proves who it is, as one object every request asks: `get()` returns the
// Authorization header and/or client certificate to use now.
//
// client-node 1.4's ExecAuth caches a plugin's output per user name, but only when the plugin
// returns an expirationTimestamp (without one it runs the plugin on every request), it does not
// de-duplicate concurrent refreshes (N parallel requests on a cold cache start N plugin processes:
// N browser windows for kubelogin, N STS calls for `aws eks get-token`), and it does not set
// KUBERNETES_EXEC_INFO. So exec plugins are run here, as client-go runs them; the other
// auth-providers (gcp, oidc, azure) stay with client-node, behind the same single-flight cache.
import {spawn} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {KubeCredentialError} from './errors.js'

export interface Credentials {
  /** Full header value: `Bearer ...` or `Basic ...`. */
  authorization?: string
  /** PEM client certificate and key, from the kubeconfig or an exec plugin. */
  cert?: Buffer | string
  key?: Buffer | string
}

export type CredentialKind = 'none' | 'token' | 'token-file' | 'basic' | 'client-certificate' | 'exec' | 'auth-provider'

export interface CredentialProvider {
  readonly kind: CredentialKind
  /** Safe to call from many requests at once: at most one refresh runs at a time. */
  get(): Promise<Credentials>
  /** The server rejected the credential (401): the next `get()` fetches a fresh one. */
  invalidate(): void
  /** True when `invalidate()` + retry can help (the credential comes from a plugin or a file). */
  readonly refreshable: boolean
}

/** Static credentials: a token, basic auth, a client certificate, or nothing. */
export function staticCredentials(kind: CredentialKind, credentials: Credentials): CredentialProvider {
  return {kind, refreshable: false, get: async () => credentials, invalidate: () => {}}
}

/**
 * A credential with a lifetime: `fetch` runs at most once at a time and its result is shared until
 * `expiresAt` (minus a margin) or until invalidated.
 */
export function cachedCredentials(
  kind: CredentialKind,
  fetch: () => Promise<{credentials: Credentials; expiresAt?: number}>,
  options: {now?: () => number; marginMs?: number} = {},
): CredentialProvider {
  const now = options.now ?? Date.now
  // Refresh a little early so a token does not expire in flight.
  const margin = options.marginMs ?? 10_000
  let current: {credentials: Credentials; refreshAt?: number} | undefined
  let pending: Promise<Credentials> | undefined
  return {
    kind,
    refreshable: true,
    get() {
      if (current && (current.refreshAt === undefined || current.refreshAt > now())) return Promise.resolve(current.credentials)
      if (!pending) {
        pending = fetch().then(
          (fresh) => {
            // A token shorter-lived than twice the margin is refreshed at half its life, not on every request.
            const fetchedAt = now()
            current = {credentials: fresh.credentials}
            if (fresh.expiresAt !== undefined) current.refreshAt = fresh.expiresAt - Math.min(margin, Math.max(0, fresh.expiresAt - fetchedAt) / 2)
            pending = undefined
            return fresh.credentials
          },
          (error: unknown) => {
            pending = undefined
            throw error
          },
        )
      }
      return pending
    },
    invalidate() {
      current = undefined
    },
  }
}

/** The `exec` stanza of a kubeconfig user (client.authentication.k8s.io). */
export interface ExecConfig {
  apiVersion?: string
  command: string
  args?: string[]
  env?: {name: string; value: string}[] | null
  installHint?: string
  provideClusterInfo?: boolean
  interactiveMode?: string
}

export interface ExecClusterInfo {
  server: string
  'certificate-authority-data'?: string
  'insecure-skip-tls-verify'?: boolean
  'tls-server-name'?: string
}

const EXEC_API_VERSIONS = new Set(['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'])

/**
 * Run an exec credential plugin as client-go does: KUBERNETES_EXEC_INFO on its environment,
 * stdin and stderr passed through only when it may be interactive, its ExecCredential parsed and
 * cached until `status.expirationTimestamp` (for the whole process when it has none).
 */
export function execCredentials(exec: ExecConfig, options: {kubeconfigDir?: string; cluster?: ExecClusterInfo; interactive?: boolean} = {}): CredentialProvider {
  return cachedCredentials('exec', () => runExecPlugin(exec, options))
}

async function runExecPlugin(
  exec: ExecConfig,
  options: {kubeconfigDir?: string; cluster?: ExecClusterInfo; interactive?: boolean},
): Promise<{credentials: Credentials; expiresAt?: number}> {
  const apiVersion = exec.apiVersion ?? 'client.authentication.k8s.io/v1beta1'
  if (!EXEC_API_VERSIONS.has(apiVersion)) {
    throw new KubeCredentialError(`exec plugin: unsupported apiVersion "${apiVersion}" (use client.authentication.k8s.io/v1 or v1beta1)`)
  }
  // client-go resolves a relative command containing a separator against the kubeconfig's folder.
  let command = exec.command
  if (options.kubeconfigDir && !path.isAbsolute(command) && command.includes(path.sep)) command = path.join(options.kubeconfigDir, command)
  const interactive = (options.interactive ?? false) && exec.interactiveMode !== 'Never'
  const info: Record<string, unknown> = {apiVersion, kind: 'ExecCredential', spec: {interactive}}
  if (exec.provideClusterInfo && options.cluster) (info.spec as Record<string, unknown>).cluster = options.cluster
  const env: NodeJS.ProcessEnv = {...process.env, KUBERNETES_EXEC_INFO: JSON.stringify(info)}
  for (const entry of exec.env ?? []) env[entry.name] = entry.value

  const {code, stdout, stderr, spawnError} = await new Promise<{code: number | null; stdout: string; stderr: string; spawnError?: NodeJS.ErrnoException}>((resolve) => {
    const child = spawn(command, exec.args ?? [], {env, stdio: [interactive ? 'inherit' : 'ignore', 'pipe', interactive ? 'inherit' : 'pipe']})
    let out = ''
    let err = ''
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk))
    child.on('error', (error: NodeJS.ErrnoException) => resolve({code: null, stdout: out, stderr: err, spawnError: error}))
    child.on('close', (exitCode) => resolve({code: exitCode, stdout: out, stderr: err}))
  })
  if (spawnError) {
    const hint = exec.installHint ? ` (${oneLine(exec.installHint)})` : ''
    const why = spawnError.code === 'ENOENT' ? 'executable not found' : spawnError.message
    throw new KubeCredentialError(`exec plugin "${exec.command}": ${why}${hint}`, {cause: spawnError})
  }
  if (code !== 0) {
    const last = stderr.trim().split('\n').pop() ?? ''
    throw new KubeCredentialError(`exec plugin "${exec.command}" exited with code ${code}${last ? `: ${oneLine(last)}` : ''}`)
  }
  let credential: {apiVersion?: string; kind?: string; status?: {token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string}}
  try {
    credential = JSON.parse(stdout)
  } catch {
    throw new KubeCredentialError(`exec plugin "${exec.command}" did not print an ExecCredential (output is not JSON)`)
  }
  if (credential?.kind !== 'ExecCredential' || credential.apiVersion !== apiVersion || !credential.status) {
    throw new KubeCredentialError(`exec plugin "${exec.command}" printed ${credential?.kind ?? 'something'} ${credential?.apiVersion ?? ''}, expected ExecCredential ${apiVersion} with a status`)
  }
  const status = credential.status
  const credentials: Credentials = {}
  if (status.token) credentials.authorization = `Bearer ${status.token}`
  if (status.clientCertificateData && status.clientKeyData) {
    credentials.cert = status.clientCertificateData
    credentials.key = status.clientKeyData
  }
  if (!credentials.authorization && !credentials.cert) throw new KubeCredentialError(`exec plugin "${exec.command}" returned neither a token nor a client certificate`)
  const expiresAt = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : undefined
  return {credentials, expiresAt: Number.isNaN(expiresAt) ? undefined : expiresAt}
}

/** `tokenFile`: read when first needed, re-read when the server rejects it (rotated tokens). */
export function tokenFileCredentials(file: string): CredentialProvider {
  return cachedCredentials('token-file', async () => {
    try {
      const token = (await readFile(file, 'utf8')).trim()
      return {credentials: {authorization: `Bearer ${token}`}}
    } catch (error) {
      throw new KubeCredentialError(`cannot read token file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {cause: error})
    }
  })
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim()
}
