// Which cluster, as whom, and how: resolved from kubeconfig files and flags with kubectl's rules.
//  - `--kubeconfig` alone, else every file of KUBECONFIG (merged: the first file to define a
//    name wins, current-context comes from the first file that sets it, missing files are
//    skipped), else ~/.kube/config.
//  - `--context`, then `--cluster` / `--user` override the context's parts; the namespace comes
//    from `-n`, else the context, else `default`.
//  - `--server`, `--token`, `--certificate-authority`, `--insecure-skip-tls-verify` override the
//    cluster and user.
// client-node's KubeConfig parses the files (it is loaded lazily: ~0.7 s) and signs requests for
// the auth-providers (gcp, oidc, azure); exec plugins and token files are handled in
// credentials.ts.
import {existsSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parse as parseYaml} from 'yaml'
import {
  cachedCredentials,
  execCredentials,
  staticCredentials,
  tokenFileCredentials,
  type CredentialProvider,
  type ExecClusterInfo,
  type ExecConfig,
} from './credentials.js'
import {KubeConfigError, KubeCredentialError} from './errors.js'
import type {KubeOptions} from './flags.js'

export interface Impersonation {
  user?: string
  groups?: string[]
  uid?: string
}

export interface ResolvedKubeConfig {
  /** https://host:port, without a trailing slash. */
  server: string
  contextName?: string
  clusterName?: string
  userName?: string
  namespace: string
  /** True when the namespace came from `-n` rather than the context or the default. */
  namespaceFromFlag: boolean
  tls: {ca?: Buffer; insecureSkipTlsVerify: boolean; servername?: string}
  credentials: CredentialProvider
  impersonate?: Impersonation
  /** 0 means no timeout. */
  requestTimeoutMs: number
  /** The kubeconfig files read, in precedence order. */
  files: string[]
}

/** kubectl's file precedence, without reading anything. */
export function kubeconfigFiles(options: {kubeconfig?: string}, env: NodeJS.ProcessEnv = process.env): {files: string[]; explicit: boolean} {
  if (options.kubeconfig) return {files: [options.kubeconfig], explicit: true}
  const list = env.KUBECONFIG
  if (list && list.length > 0) {
    const seen = new Set<string>()
    const files = list.split(path.delimiter).filter((file) => file !== '' && !seen.has(file) && seen.add(file))
    return {files, explicit: false}
  }
  const home = env.HOME || os.homedir()
  return {files: [path.join(home, '.kube', 'config')], explicit: false}
}

type KubeConfigClass = typeof import('@kubernetes/client-node').KubeConfig
type KubeConfigInstance = InstanceType<KubeConfigClass>
type KCluster = ReturnType<KubeConfigInstance['getClusters']>[number]
type KUser = ReturnType<KubeConfigInstance['getUsers']>[number]
type KContext = ReturnType<KubeConfigInstance['getContexts']>[number]

interface LoadedFile {
  file: string
  kc: KubeConfigInstance
  /** The parsed YAML, for the fields client-node 1.4 drops (tokenFile, as-groups, as-uid...). */
  rawUsers: Map<string, Record<string, unknown>>
}

/** Load and resolve: everything a client needs to talk to the chosen cluster. */
export async function loadKubeConfig(
  options: KubeOptions = {},
  env: NodeJS.ProcessEnv = process.env,
  /** For tests: where a pod's service account files are. */
  paths: {serviceAccountDir?: string} = {},
): Promise<ResolvedKubeConfig> {
  const {files, explicit} = kubeconfigFiles(options, env)
  const present = files.filter((file) => existsSync(file))
  if (explicit && present.length === 0) throw new KubeConfigError(`kubeconfig ${files[0]} does not exist`)
  // Inside a pod with no kubeconfig, kubectl uses the pod's service account (client-go's in-cluster config).
  const inCluster = present.length === 0 && !options.context && !options.cluster && !options.user ? inClusterConfig(options, env, paths.serviceAccountDir) : undefined
  if (inCluster) return inCluster
  const {KubeConfig} = await import('@kubernetes/client-node')
  const loaded = present.map((file) => loadFile(KubeConfig, file))

  // Merge with first-wins on names (client-node's mergeConfig throws on duplicates instead).
  const clusters = new Map<string, {value: KCluster; file: LoadedFile}>()
  const users = new Map<string, {value: KUser; file: LoadedFile}>()
  const contexts = new Map<string, {value: KContext; file: LoadedFile}>()
  let currentContext: string | undefined
  for (const file of loaded) {
    for (const cluster of file.kc.getClusters()) if (!clusters.has(cluster.name)) clusters.set(cluster.name, {value: cluster, file})
    for (const user of file.kc.getUsers()) if (!users.has(user.name)) users.set(user.name, {value: user, file})
    for (const context of file.kc.getContexts()) if (!contexts.has(context.name)) contexts.set(context.name, {value: context, file})
    const current = file.kc.getCurrentContext()
    if (!currentContext && current) currentContext = current
  }

  const contextName = options.context ?? currentContext
  const context = contextName ? contexts.get(contextName)?.value : undefined
  if (options.context && !context) throw new KubeConfigError(`context "${options.context}" does not exist`)
  const clusterName = options.cluster ?? context?.cluster
  const userName = options.user ?? context?.user
  const cluster = clusterName ? clusters.get(clusterName)?.value : undefined
  if (options.cluster && !cluster) throw new KubeConfigError(`cluster "${options.cluster}" does not exist`)
  const userEntry = userName ? users.get(userName) : undefined
  if (options.user && !userEntry) throw new KubeConfigError(`user "${options.user}" does not exist`)
  const user = userEntry?.value

  const serverText = options.server ?? cluster?.server
  if (!serverText) {
    const where = loaded.length === 0 ? `no kubeconfig found (looked at ${files.join(', ')})` : contextName ? `context "${contextName}" has no cluster server` : 'the kubeconfig has no current-context'
    throw new KubeConfigError(`${where}: pass --kubeconfig, --context or --server`)
  }
  const server = normaliseServer(serverText)

  const insecureSkipTlsVerify = options.insecureSkipTlsVerify === true || (cluster?.skipTLSVerify ?? false)
  let ca: Buffer | undefined
  // As kubectl: an explicit --certificate-authority wins; with --insecure-skip-tls-verify no CA is used.
  if (!insecureSkipTlsVerify) {
    if (options.certificateAuthority) ca = readOrFail(options.certificateAuthority, 'certificate authority')
    else if (!options.server || options.server === cluster?.server) ca = bufferFrom(cluster?.caFile, cluster?.caData, 'certificate-authority')
  }

  const raw = userEntry && userName ? userEntry.file.rawUsers.get(userName) : undefined
  const kubeconfigDir = userEntry ? path.dirname(userEntry.file.file) : undefined
  let credentials: CredentialProvider
  if (options.token) {
    credentials = staticCredentials('token', {authorization: `Bearer ${options.token}`})
  } else {
    const execCluster: ExecClusterInfo = {server}
    if (cluster?.caData) execCluster['certificate-authority-data'] = cluster.caData
    else if (ca) execCluster['certificate-authority-data'] = ca.toString('base64')
    if (insecureSkipTlsVerify) execCluster['insecure-skip-tls-verify'] = true
    if (cluster?.tlsServerName) execCluster['tls-server-name'] = cluster.tlsServerName
    credentials = credentialsFor(user, raw, userEntry?.file.kc, {kubeconfigDir, cluster: execCluster})
  }

  const impersonate = impersonationFor(options, user, raw)
  const resolved: ResolvedKubeConfig = {
    server,
    namespace: options.namespace || context?.namespace || 'default',
    namespaceFromFlag: Boolean(options.namespace),
    tls: {insecureSkipTlsVerify},
    credentials,
    requestTimeoutMs: options.requestTimeoutMs ?? 0,
    files: loaded.map((file) => file.file),
  }
  if (ca) resolved.tls.ca = ca
  if (cluster?.tlsServerName) resolved.tls.servername = cluster.tlsServerName
  if (contextName && context) resolved.contextName = contextName
  if (clusterName) resolved.clusterName = clusterName
  if (userName) resolved.userName = userName
  if (impersonate) resolved.impersonate = impersonate
  return resolved
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

function inClusterConfig(options: KubeOptions, env: NodeJS.ProcessEnv, dir = SERVICE_ACCOUNT_DIR): ResolvedKubeConfig | undefined {
  const host = env.KUBERNETES_SERVICE_HOST
  const port = env.KUBERNETES_SERVICE_PORT
  const tokenFile = path.join(dir, 'token')
  if (!host || !port || !existsSync(tokenFile)) return undefined
  const hostPart = host.includes(':') ? `[${host}]` : host
  const insecureSkipTlsVerify = options.insecureSkipTlsVerify === true
  const caFile = options.certificateAuthority ?? path.join(dir, 'ca.crt')
  let namespace = options.namespace
  if (!namespace) {
    try {
      namespace = readFileSync(path.join(dir, 'namespace'), 'utf8').trim() || undefined
    } catch {
      // No namespace file: kubectl falls back to `default`.
    }
  }
  const resolved: ResolvedKubeConfig = {
    server: normaliseServer(options.server ?? `https://${hostPart}:${port}`),
    namespace: namespace ?? 'default',
    namespaceFromFlag: Boolean(options.namespace),
    tls: {insecureSkipTlsVerify},
    credentials: options.token ? staticCredentials('token', {authorization: `Bearer ${options.token}`}) : tokenFileCredentials(tokenFile),
    requestTimeoutMs: options.requestTimeoutMs ?? 0,
    files: [],
  }
  if (!insecureSkipTlsVerify && existsSync(caFile)) resolved.tls.ca = readOrFail(caFile, 'certificate authority')
  if (options.impersonate) resolved.impersonate = options.impersonate
  return resolved
}

function loadFile(KubeConfig: KubeConfigClass, file: string): LoadedFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new KubeConfigError(`cannot read kubeconfig ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {cause: error})
  }
  const kc = new KubeConfig()
  const rawUsers = new Map<string, Record<string, unknown>>()
  // An empty file is a valid, empty kubeconfig for kubectl.
  if (text.trim() === '') return {file, kc, rawUsers}
  let doc: unknown
  try {
    doc = parseYaml(text)
    kc.loadFromString(text)
  } catch (error) {
    throw new KubeConfigError(`invalid kubeconfig ${file}: ${firstLine(error)}`, {cause: error})
  }
  // client-node resolves certificate paths against the file's folder, as kubectl does.
  kc.makePathsAbsolute(path.dirname(file))
  const users = (doc as {users?: {name?: unknown; user?: unknown}[]} | null)?.users
  if (Array.isArray(users)) {
    for (const entry of users) {
      if (entry && typeof entry.name === 'string' && entry.user && typeof entry.user === 'object') rawUsers.set(entry.name, entry.user as Record<string, unknown>)
    }
  }
  return {file, kc, rawUsers}
}

function credentialsFor(
  user: KUser | undefined,
  raw: Record<string, unknown> | undefined,
  kc: KubeConfigInstance | undefined,
  execOptions: {kubeconfigDir?: string; cluster: ExecClusterInfo},
): CredentialProvider {
  if (!user) return staticCredentials('none', {})
  const cert = bufferFrom(user.certFile ?? undefined, user.certData ?? undefined, 'client-certificate')
  const key = bufferFrom(user.keyFile ?? undefined, user.keyData ?? undefined, 'client-key')
  const clientCert = cert && key ? {cert, key} : {}
  if (user.exec) {
    const exec = user.exec as ExecConfig
    if (!exec.command) throw new KubeConfigError(`user "${user.name}": exec has no command`)
    const provider = execCredentials(exec, {
      cluster: execOptions.cluster,
      ...(execOptions.kubeconfigDir ? {kubeconfigDir: execOptions.kubeconfigDir} : {}),
      interactive: process.stdin.isTTY === true,
    })
    if (!cert) return provider
    // A kubeconfig client certificate is kept when the plugin only returns a token.
    return {...provider, get: async () => ({...clientCert, ...(await provider.get())})}
  }
  if (user.authProvider && kc) {
    const userName = user.name
    // gcp/oidc/azure: client-node refreshes and caches inside the user's config; we add the
    // single-flight so parallel requests share one refresh.
    // One KubeConfig whose current user is this one: client-node's authenticators keep their
    // refresh state (OIDC expiry, gcp cached token) in it between refreshes.
    const signer = new (kc.constructor as KubeConfigClass)()
    signer.loadFromOptions({clusters: [], users: [user], contexts: [{name: 'signer', cluster: '', user: userName}], currentContext: 'signer'})
    return cachedCredentials('auth-provider', async () => {
      const opts: {headers?: Record<string, string>} = {}
      try {
        await signer.applyToHTTPSOptions(opts as never)
      } catch (error) {
        throw new KubeCredentialError(`auth-provider "${String(user.authProvider?.name)}" for user "${userName}": ${firstLine(error)}`, {cause: error})
      }
      const authorization = opts.headers?.Authorization
      return {credentials: {...clientCert, ...(authorization ? {authorization} : {})}}
    })
  }
  const tokenFile = typeof raw?.tokenFile === 'string' ? raw.tokenFile : undefined
  if (user.token) return staticCredentials('token', {...clientCert, authorization: `Bearer ${user.token.trim()}`})
  if (tokenFile) {
    const absolute = execOptions.kubeconfigDir && !path.isAbsolute(tokenFile) ? path.join(execOptions.kubeconfigDir, tokenFile) : tokenFile
    const provider = tokenFileCredentials(absolute)
    return {...provider, get: async () => ({...clientCert, ...(await provider.get())})}
  }
  if (user.username) {
    return staticCredentials('basic', {...clientCert, authorization: `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`})
  }
  if (cert && key) return staticCredentials('client-certificate', clientCert)
  return staticCredentials('none', {})
}

function impersonationFor(options: KubeOptions, user: KUser | undefined, raw: Record<string, unknown> | undefined): Impersonation | undefined {
  // Flags replace the kubeconfig's `as`, `as-groups`, `as-uid` (kubectl's override semantics).
  if (options.impersonate) return options.impersonate
  const result: Impersonation = {}
  if (user?.impersonateUser) result.user = user.impersonateUser
  const groups = raw?.['as-groups']
  if (Array.isArray(groups) && groups.length > 0) result.groups = groups.map(String)
  if (typeof raw?.['as-uid'] === 'string') result.uid = raw['as-uid']
  return Object.keys(result).length > 0 ? result : undefined
}

function normaliseServer(text: string): string {
  // kubectl accepts `host:port` and assumes https.
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    throw new KubeConfigError(`invalid server address "${text}"`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new KubeConfigError(`invalid server address "${text}": only https:// and http:// are supported`)
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`
}

function bufferFrom(file: string | undefined | null, data: string | undefined | null, what: string): Buffer | undefined {
  if (file) return readOrFail(file, what)
  if (data) return Buffer.from(data, 'base64')
  return undefined
}

function readOrFail(file: string, what: string): Buffer {
  try {
    return readFileSync(file)
  } catch (error) {
    throw new KubeConfigError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {cause: error})
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.split('\n')[0] ?? text
}
