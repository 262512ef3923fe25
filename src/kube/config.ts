// Which cluster, as whom, and how: resolved from kubeconfig files and flags with kubectl's rules.
//  - `--kubeconfig` alone, else every file of KUBECONFIG (merged: the first file to define a
//    name wins, current-context comes from the first file that sets it, missing files are
//    skipped), else ~/.kube/config.
//  - `--context`, then `--cluster` / `--user` override the context's parts; the namespace comes
//    from `-n`, else the context, else `default`.
//  - `--server`, `--token`, `--certificate-authority`, `--insecure-skip-tls-verify` override the
//    cluster and user.
//  - The cluster's `proxy-url` (http, https, socks5) is the proxy; without one, HTTPS_PROXY /
//    HTTP_PROXY and NO_PROXY decide, as client-go's ProxyFromEnvironment.
// The files are parsed here with `yaml`, not with client-node's KubeConfig: importing
// @kubernetes/client-node costs about a second of startup, more than the whole of a typical run.
// client-node is imported lazily only for a user with an `auth-provider` (gcp, oidc, azure),
// whose token refresh we do not re-implement; exec plugins and token files are in credentials.ts.
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
import {DEFAULT_MAX_RESPONSE_BYTES, PROXY_SCHEMES, proxyFromEnvironment} from './transport.js'

export interface Impersonation {
  user?: string
  groups?: string[]
  uid?: string
  /** kubeconfig `as-user-extra`: Impersonate-Extra-<key> headers. */
  extra?: Record<string, string[]>
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
  /** --max-response-size: the most bytes of buffered response bodies held at once. */
  maxResponseBytes: number
  /** The cluster's `proxy-url`, else HTTPS_PROXY/HTTP_PROXY unless NO_PROXY matches (client-go's rules). */
  proxy?: URL
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

/** A `clusters[].cluster` entry, with relative file paths already made absolute. */
export interface KubeconfigCluster {
  name: string
  server?: string
  certificateAuthority?: string
  /** Base64, as in the file. */
  certificateAuthorityData?: string
  insecureSkipTlsVerify: boolean
  tlsServerName?: string
  /** http://, https:// or socks5:// (client-go's parseProxyURL); may carry user:password. */
  proxyUrl?: string
}

/** An `auth-provider` stanza (gcp, oidc, azure): only client-node's authenticators use it. */
export interface KubeconfigAuthProvider {
  name: string
  config?: Record<string, string>
}

/** A `users[].user` entry, with relative file paths already made absolute. */
export interface KubeconfigUser {
  name: string
  clientCertificate?: string
  clientCertificateData?: string
  clientKey?: string
  clientKeyData?: string
  token?: string
  tokenFile?: string
  username?: string
  password?: string
  exec?: ExecConfig
  authProvider?: KubeconfigAuthProvider
  as?: string
  asGroups?: string[]
  asUid?: string
  asUserExtra?: Record<string, string[]>
}

export interface KubeconfigContext {
  name: string
  cluster?: string
  user?: string
  namespace?: string
}

/** One kubeconfig file, parsed and checked, in file order. */
export interface KubeconfigFile {
  file: string
  clusters: KubeconfigCluster[]
  users: KubeconfigUser[]
  contexts: KubeconfigContext[]
  currentContext?: string
}

/**
 * Parse one kubeconfig's text. Relative paths (certificate-authority, client-certificate,
 * client-key, tokenFile, and exec.command when it contains a path separator) are resolved against
 * the file's folder, as client-go's ResolvePaths does. Invalid YAML or a field of the wrong type
 * throws a KubeConfigError naming the file and the field.
 */
export function parseKubeconfig(text: string, file: string): KubeconfigFile {
  const result: KubeconfigFile = {file, clusters: [], users: [], contexts: []}
  // An empty file is a valid, empty kubeconfig for kubectl.
  if (text.trim() === '') return result
  let doc: unknown
  try {
    // As kubectl's go-yaml: `<<:` merge keys work and a repeated key keeps its last value. The
    // YAML 1.2 core schema stays (not 1.1) so that unquoted timestamps in auth-provider configs
    // remain strings, as go-yaml leaves them. Warnings would go to stderr unasked.
    doc = parseYaml(text, {merge: true, uniqueKeys: false, logLevel: 'error'})
  } catch (error) {
    throw new KubeConfigError(`invalid kubeconfig ${file}: ${firstLine(error)}`, {cause: error})
  }
  if (doc === null || doc === undefined) return result
  const base = path.dirname(path.resolve(file))
  const check = new FieldReader(file)
  const top = check.map(doc, '')
  const current = check.string(top['current-context'], 'current-context')
  if (current) result.currentContext = current

  check.list(top.clusters, 'clusters').forEach((entry, i) => {
    const where = `clusters[${i}]`
    const item = check.map(entry, where)
    const name = check.name(item.name, where)
    const body = check.map(item.cluster ?? {}, `${where}.cluster`)
    const cluster: KubeconfigCluster = {name, insecureSkipTlsVerify: check.boolean(body['insecure-skip-tls-verify'], `${where}.cluster.insecure-skip-tls-verify`) ?? false}
    const server = check.string(body.server, `${where}.cluster.server`)
    if (server) cluster.server = server
    const ca = check.string(body['certificate-authority'], `${where}.cluster.certificate-authority`)
    if (ca) cluster.certificateAuthority = resolvePath(base, ca)
    const caData = check.base64(body['certificate-authority-data'], `${where}.cluster.certificate-authority-data`)
    if (caData) cluster.certificateAuthorityData = caData
    const serverName = check.string(body['tls-server-name'], `${where}.cluster.tls-server-name`)
    if (serverName) cluster.tlsServerName = serverName
    const proxyUrl = check.string(body['proxy-url'], `${where}.cluster.proxy-url`)
    if (proxyUrl) cluster.proxyUrl = check.proxyUrl(proxyUrl, `${where}.cluster.proxy-url`)
    result.clusters.push(cluster)
  })

  check.list(top.users, 'users').forEach((entry, i) => {
    const where = `users[${i}]`
    const item = check.map(entry, where)
    const user: KubeconfigUser = {name: check.name(item.name, where)}
    const body = check.map(item.user ?? {}, `${where}.user`)
    const text = (key: string): string | undefined => check.string(body[key], `${where}.user.${key}`)
    const fileField = (key: string): string | undefined => {
      const value = text(key)
      return value ? resolvePath(base, value) : undefined
    }
    assign(user, 'clientCertificate', fileField('client-certificate'))
    assign(user, 'clientCertificateData', check.base64(body['client-certificate-data'], `${where}.user.client-certificate-data`))
    assign(user, 'clientKey', fileField('client-key'))
    assign(user, 'clientKeyData', check.base64(body['client-key-data'], `${where}.user.client-key-data`))
    assign(user, 'token', text('token'))
    assign(user, 'tokenFile', fileField('tokenFile'))
    assign(user, 'username', text('username'))
    assign(user, 'password', text('password'))
    assign(user, 'as', text('as'))
    assign(user, 'asUid', text('as-uid'))
    const groups = check.strings(body['as-groups'], `${where}.user.as-groups`)
    if (groups && groups.length > 0) user.asGroups = groups
    if (body['as-user-extra'] !== undefined && body['as-user-extra'] !== null) {
      const extra: Record<string, string[]> = {}
      for (const [key, values] of Object.entries(check.map(body['as-user-extra'], `${where}.user.as-user-extra`))) {
        extra[key] = check.strings(values, `${where}.user.as-user-extra.${key}`) ?? []
      }
      if (Object.keys(extra).length > 0) user.asUserExtra = extra
    }
    if (body.exec !== undefined && body.exec !== null) user.exec = readExec(check, body.exec, `${where}.user.exec`, base)
    if (body['auth-provider'] !== undefined && body['auth-provider'] !== null) {
      const at = `${where}.user.auth-provider`
      const provider = check.map(body['auth-provider'], at)
      const authProvider: KubeconfigAuthProvider = {name: check.string(provider.name, `${at}.name`) ?? ''}
      if (provider.config !== undefined && provider.config !== null) {
        const config: Record<string, string> = {}
        for (const [key, value] of Object.entries(check.map(provider.config, `${at}.config`))) config[key] = check.string(value, `${at}.config.${key}`) ?? ''
        authProvider.config = config
      }
      user.authProvider = authProvider
    }
    result.users.push(user)
  })

  check.list(top.contexts, 'contexts').forEach((entry, i) => {
    const where = `contexts[${i}]`
    const item = check.map(entry, where)
    const context: KubeconfigContext = {name: check.name(item.name, where)}
    const body = check.map(item.context ?? {}, `${where}.context`)
    assign(context, 'cluster', check.string(body.cluster, `${where}.context.cluster`))
    assign(context, 'user', check.string(body.user, `${where}.context.user`))
    assign(context, 'namespace', check.string(body.namespace, `${where}.context.namespace`))
    result.contexts.push(context)
  })
  return result
}

function readExec(check: FieldReader, value: unknown, where: string, base: string): ExecConfig {
  const body = check.map(value, where)
  const command = check.string(body.command, `${where}.command`)
  if (!command) throw check.fail(`${where}.command is missing`)
  // client-go resolves the command only when it is a path, not a name looked up on PATH.
  const exec: ExecConfig = {command: command.includes(path.sep) ? resolvePath(base, command) : command}
  assign(exec, 'apiVersion', check.string(body.apiVersion, `${where}.apiVersion`))
  assign(exec, 'args', check.strings(body.args, `${where}.args`))
  if (body.env !== undefined && body.env !== null) {
    exec.env = check.list(body.env, `${where}.env`).map((entry, i) => {
      const variable = check.map(entry, `${where}.env[${i}]`)
      return {name: check.string(variable.name, `${where}.env[${i}].name`) ?? '', value: check.string(variable.value, `${where}.env[${i}].value`) ?? ''}
    })
  }
  assign(exec, 'installHint', check.string(body.installHint, `${where}.installHint`))
  assign(exec, 'provideClusterInfo', check.boolean(body.provideClusterInfo, `${where}.provideClusterInfo`))
  assign(exec, 'interactiveMode', check.string(body.interactiveMode, `${where}.interactiveMode`))
  return exec
}

/** client-go's ResolvePath: empty and absolute paths stay as they are. */
function resolvePath(base: string, file: string): string {
  return path.isAbsolute(file) ? file : path.join(base, file)
}

function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value
}

/** Type checks with kubectl's strictness (a number where a string belongs is an error), naming the file and field. */
class FieldReader {
  constructor(private readonly file: string) {}

  fail(problem: string): KubeConfigError {
    return new KubeConfigError(`invalid kubeconfig ${this.file}: ${problem}`)
  }

  map(value: unknown, where: string): Record<string, unknown> {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>
    throw this.fail(`${where || 'the document'} must be a mapping, not ${describe(value)}`)
  }

  list(value: unknown, where: string): unknown[] {
    if (value === undefined || value === null) return []
    if (Array.isArray(value)) return value
    throw this.fail(`${where} must be a list, not ${describe(value)}`)
  }

  name(value: unknown, where: string): string {
    // Same wording as client-node's, which parsed these files before.
    if (value === undefined || value === null || value === '') throw this.fail(`${where}.name is missing`)
    return this.string(value, `${where}.name`)!
  }

  string(value: unknown, where: string): string | undefined {
    if (value === undefined || value === null) return undefined
    if (typeof value === 'string') return value
    throw this.fail(`${where} must be a string, not ${describe(value)}`)
  }

  strings(value: unknown, where: string): string[] | undefined {
    if (value === undefined || value === null) return undefined
    return this.list(value, where).map((item, i) => this.string(item, `${where}[${i}]`) ?? '')
  }

  boolean(value: unknown, where: string): boolean | undefined {
    if (value === undefined || value === null) return undefined
    if (typeof value === 'boolean') return value
    throw this.fail(`${where} must be true or false, not ${describe(value)}`)
  }

  /** client-go's parseProxyURL; the URL itself is never quoted (it may hold a password). */
  proxyUrl(value: string, where: string): string {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      throw this.fail(`${where} is not a URL`)
    }
    if (!(PROXY_SCHEMES as readonly string[]).includes(url.protocol)) throw this.fail(`${where}: unsupported scheme ${JSON.stringify(url.protocol.replace(/:$/, ''))}, must be http, https, or socks5`)
    if (!url.hostname) throw this.fail(`${where} has no host`)
    return value
  }

  base64(value: unknown, where: string): string | undefined {
    const text = this.string(value, where)
    // Buffer.from(..., 'base64') silently drops what is not base64; kubectl refuses such a file.
    if (text !== undefined && !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(text)) throw this.fail(`${where} is not base64`)
    return text
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  // Never the value itself: it may be a token or a password.
  if (typeof value === 'string') return 'a string'
  if (typeof value === 'number' || typeof value === 'bigint') return 'a number'
  if (typeof value === 'boolean') return 'a boolean'
  return typeof value
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
  const loaded = present.map((file) => loadFile(file))

  // Merge with first-wins on names, as client-go does across KUBECONFIG files.
  const clusters = new Map<string, KubeconfigCluster>()
  const users = new Map<string, KubeconfigUser>()
  const contexts = new Map<string, KubeconfigContext>()
  let currentContext: string | undefined
  for (const file of loaded) {
    for (const cluster of file.clusters) if (!clusters.has(cluster.name)) clusters.set(cluster.name, cluster)
    for (const user of file.users) if (!users.has(user.name)) users.set(user.name, user)
    for (const context of file.contexts) if (!contexts.has(context.name)) contexts.set(context.name, context)
    if (!currentContext && file.currentContext) currentContext = file.currentContext
  }

  const contextName = options.context ?? currentContext
  const context = contextName ? contexts.get(contextName) : undefined
  if (options.context && !context) throw new KubeConfigError(`context "${options.context}" does not exist`)
  const clusterName = options.cluster ?? context?.cluster
  const userName = options.user ?? context?.user
  const cluster = clusterName ? clusters.get(clusterName) : undefined
  if (options.cluster && !cluster) throw new KubeConfigError(`cluster "${options.cluster}" does not exist`)
  const user = userName ? users.get(userName) : undefined
  if (options.user && !user) throw new KubeConfigError(`user "${options.user}" does not exist`)

  const serverText = options.server ?? cluster?.server
  if (!serverText) {
    const where = loaded.length === 0 ? `no kubeconfig found (looked at ${files.join(', ')})` : contextName ? `context "${contextName}" has no cluster server` : 'the kubeconfig has no current-context'
    throw new KubeConfigError(`${where}: pass --kubeconfig, --context or --server`)
  }
  const server = normaliseServer(serverText)

  const insecureSkipTlsVerify = options.insecureSkipTlsVerify === true || (cluster?.insecureSkipTlsVerify ?? false)
  let ca: Buffer | undefined
  // As kubectl: an explicit --certificate-authority wins; with --insecure-skip-tls-verify no CA is used.
  if (!insecureSkipTlsVerify) {
    if (options.certificateAuthority) ca = readOrFail(options.certificateAuthority, 'certificate authority')
    else if (cluster && (!options.server || options.server === cluster.server)) {
      ca = bufferFrom(cluster.certificateAuthority, cluster.certificateAuthorityData, 'certificate-authority', `cluster "${cluster.name}"`)
    }
  }

  let credentials: CredentialProvider
  if (options.token) {
    credentials = staticCredentials('token', {authorization: `Bearer ${options.token}`})
  } else {
    const execCluster: ExecClusterInfo = {server}
    if (cluster?.certificateAuthorityData) execCluster['certificate-authority-data'] = cluster.certificateAuthorityData
    else if (ca) execCluster['certificate-authority-data'] = ca.toString('base64')
    if (insecureSkipTlsVerify) execCluster['insecure-skip-tls-verify'] = true
    if (cluster?.tlsServerName) execCluster['tls-server-name'] = cluster.tlsServerName
    const file = user ? loaded.find((entry) => entry.users.includes(user)) : undefined
    credentials = credentialsFor(user, {...(file ? {kubeconfigDir: path.dirname(path.resolve(file.file))} : {}), cluster: execCluster})
  }

  const impersonate = impersonationFor(options, user)
  const resolved: ResolvedKubeConfig = {
    server,
    namespace: options.namespace || context?.namespace || 'default',
    namespaceFromFlag: Boolean(options.namespace),
    tls: {insecureSkipTlsVerify},
    credentials,
    requestTimeoutMs: options.requestTimeoutMs ?? 0,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    files: loaded.map((file) => file.file),
  }
  // As kubectl: the cluster's proxy-url (kept when --server points elsewhere), else the environment.
  const proxy = cluster?.proxyUrl ? new URL(cluster.proxyUrl) : proxyFromEnvironment(new URL(server), env)
  if (proxy) resolved.proxy = proxy
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
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    files: [],
  }
  const proxy = proxyFromEnvironment(new URL(resolved.server), env)
  if (proxy) resolved.proxy = proxy
  if (!insecureSkipTlsVerify && existsSync(caFile)) resolved.tls.ca = readOrFail(caFile, 'certificate authority')
  if (options.impersonate) resolved.impersonate = options.impersonate
  return resolved
}

function loadFile(file: string): KubeconfigFile {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new KubeConfigError(`cannot read kubeconfig ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {cause: error})
  }
  return parseKubeconfig(text, file)
}

function credentialsFor(user: KubeconfigUser | undefined, execOptions: {kubeconfigDir?: string; cluster: ExecClusterInfo}): CredentialProvider {
  if (!user) return staticCredentials('none', {})
  const owner = `user "${user.name}"`
  const cert = bufferFrom(user.clientCertificate, user.clientCertificateData, 'client-certificate', owner)
  const key = bufferFrom(user.clientKey, user.clientKeyData, 'client-key', owner)
  const clientCert = cert && key ? {cert, key} : {}
  if (user.exec) {
    const provider = execCredentials(user.exec, {
      cluster: execOptions.cluster,
      ...(execOptions.kubeconfigDir ? {kubeconfigDir: execOptions.kubeconfigDir} : {}),
      interactive: process.stdin.isTTY === true,
    })
    if (!cert) return provider
    // A kubeconfig client certificate is kept when the plugin only returns a token.
    return {...provider, get: async () => ({...clientCert, ...(await provider.get())})}
  }
  if (user.authProvider) return authProviderCredentials(user, clientCert)
  if (user.token) return staticCredentials('token', {...clientCert, authorization: `Bearer ${user.token.trim()}`})
  if (user.tokenFile) {
    const provider = tokenFileCredentials(user.tokenFile)
    return {...provider, get: async () => ({...clientCert, ...(await provider.get())})}
  }
  if (user.username) {
    return staticCredentials('basic', {...clientCert, authorization: `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}`})
  }
  if (cert && key) return staticCredentials('client-certificate', clientCert)
  return staticCredentials('none', {})
}

/**
 * gcp/oidc/azure: client-node refreshes and caches inside the user's config; we add the
 * single-flight so parallel requests share one refresh. client-node is imported here, on the
 * first request, and only for these users.
 */
function authProviderCredentials(user: KubeconfigUser, clientCert: {cert?: Buffer; key?: Buffer}): CredentialProvider {
  const userName = user.name
  const providerName = user.authProvider?.name ?? ''
  // client-node's User shape (config_types.d.ts). Its authenticators write refreshed tokens back
  // into authProvider.config, so it gets its own copy. A `token` beside the auth-provider wins
  // in client-node (applyAuthorizationHeader), so it is passed on.
  const signerUser: {name: string; authProvider: {name: string; config: Record<string, string>}; token?: string} = {
    name: userName,
    authProvider: {name: providerName, config: {...(user.authProvider?.config ?? {})}},
  }
  if (user.token) signerUser.token = user.token
  // One KubeConfig whose current user is this one: client-node's authenticators keep their
  // refresh state (OIDC expiry, gcp cached token) in it between refreshes.
  let signer: Promise<{applyToHTTPSOptions(opts: never): Promise<void>}> | undefined
  return cachedCredentials('auth-provider', async () => {
    const opts: {headers?: Record<string, string>} = {}
    try {
      signer ??= import('@kubernetes/client-node').then(({KubeConfig}) => {
        const kc = new KubeConfig()
        kc.loadFromOptions({clusters: [], users: [signerUser], contexts: [{name: 'signer', cluster: '', user: userName}], currentContext: 'signer'})
        return kc
      })
      await (await signer).applyToHTTPSOptions(opts as never)
    } catch (error) {
      throw new KubeCredentialError(`auth-provider "${providerName}" for user "${userName}": ${firstLine(error)}`, {cause: error})
    }
    const authorization = opts.headers?.Authorization
    return {credentials: {...clientCert, ...(authorization ? {authorization} : {})}}
  })
}

function impersonationFor(options: KubeOptions, user: KubeconfigUser | undefined): Impersonation | undefined {
  // Flags replace the kubeconfig's `as`, `as-groups`, `as-uid`, `as-user-extra` (kubectl's override semantics).
  if (options.impersonate) return options.impersonate
  const result: Impersonation = {}
  if (user?.as) result.user = user.as
  if (user?.asGroups) result.groups = user.asGroups
  if (user?.asUid) result.uid = user.asUid
  if (user?.asUserExtra) result.extra = user.asUserExtra
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

function bufferFrom(file: string | undefined, data: string | undefined, what: string, owner: string): Buffer | undefined {
  // kubectl refuses a cluster or user that sets both (client-go's validation: "... are both specified").
  if (file && data) throw new KubeConfigError(`${owner} sets both ${what} and ${what}-data: keep one`)
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
