// A fake kube-apiserver that speaks the real wire format (HTTPS, bearer tokens, typed lists with
// limit/continue, PartialObjectMetadataList, Table, Status errors with the real messages,
// discovery, SubjectAccessReview and SelfSubjectAccessReview), so that both our client and the
// real kubectl can be pointed at it. Every request is logged for assertions.
import {randomBytes} from 'node:crypto'
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import https from 'node:https'
import type {IncomingMessage, ServerResponse} from 'node:http'
import net, {type AddressInfo} from 'node:net'
import path from 'node:path'
import type {NonResourceRequest, RequestAttributes, ResourceRequest} from '../../src/rbac/types.js'
import {FakeStore, groupVersion, itemJson, objectJson, objectKey, partialMetadataJson, RESOURCES, type FakeStoreInput, type ResourceDef, type StoredObject} from './store.js'
import {decodeReview} from './protobuf.js'
import {makeTestCertificates} from './tls.js'

export interface FakeIdentity {
  username: string
  groups: string[]
  uid?: string
  extra?: Record<string, string[]>
}

export interface FakeDecision {
  allowed: boolean
  denied?: boolean
  reason?: string
  evaluationError?: string
}

/**
 * Decides every request the server receives (for the identity after impersonation) and the
 * content of every SubjectAccessReview / SelfSubjectAccessReview. A test can script a webhook:
 * allow what RBAC does not, deny what RBAC allows.
 */
export type FakeAuthorizer = (user: FakeIdentity, attributes: RequestAttributes) => FakeDecision | boolean

export interface FakeApiServerOptions {
  store?: FakeStoreInput
  /** The bearer token of the kubeconfig user; random when omitted. */
  token?: string
  /** Who that token is; default `admin` in system:masters. */
  identity?: FakeIdentity
  /** More tokens, and who they are. */
  users?: Record<string, FakeIdentity>
  /** Default: everything allowed. */
  authorize?: FakeAuthorizer
  /** Resources (`rolebindings.rbac.authorization.k8s.io`, `secrets`) every request may not touch: 403. */
  forbid?: string[]
  /** The first `requests` requests are answered `status` (429 by default) with Retry-After (none when `null`). */
  throttle?: {requests: number; retryAfterSeconds?: number | null; status?: 429 | 503}
  /** The first `count` requests have their connection destroyed without an answer (ECONNRESET). */
  resetConnections?: number
  /** The first `count` list requests that carry a continue token get 410 Expired. */
  expireContinue?: number
  /** Milliseconds to wait before answering (a function may choose per request). */
  delayMs?: number | ((request: LoggedRequest) => number)
  /** Also write a user whose token comes from an exec credential plugin (a node script that counts its runs). */
  exec?: {apiVersion?: 'client.authentication.k8s.io/v1' | 'client.authentication.k8s.io/v1beta1'; expirationSeconds?: number | null; delayMs?: number}
  /** Folder for the kubeconfig, certificates and plugin; a new temporary folder by default. */
  dir?: string
  /** The kubeconfig's current context: `fake` (token user, default) or `fake-exec`. */
  currentContext?: 'fake' | 'fake-exec'
  /** The kubeconfig context's namespace. */
  namespace?: string
  /**
   * Control-plane nodes and their /var/log files, served as the kubelet's /logs/ through the API
   * server proxy (GET /api/v1/nodes/NODE/proxy/logs/PATH, authorized as `get nodes/proxy`); the
   * nodes are listed at /api/v1/nodes with the control-plane label.
   */
  nodeLogs?: Record<string, Record<string, string | Buffer>>

  // ---- Hostile SubjectAccessReview answers (h14-verify: review confirmation hardening) ----
  /**
   * Overrides the answer to a SubjectAccessReview (or Local/Self...) after it was decided:
   * `'hang'` never answers (the connection stays open until stop()), `'reset'` destroys the
   * connection, a string is sent as the 201 body as is (malformed objects, non-JSON garbage),
   * undefined answers normally. `status` is what the server would have said.
   */
  reviewAnswer?: (status: Record<string, unknown>, request: LoggedRequest) => 'hang' | 'reset' | string | undefined
  // ---- end of h14-verify options ----
  /**
   * Hostile servers. `endlessBody`: matching requests get 200 and a JSON body that never ends
   * (written as fast as the client reads). `hang`: `tls-handshake` accepts TCP and never speaks
   * TLS (the kubeconfig points there); `response` reads the request and never answers; `body`
   * sends the headers and the start of a body, then nothing. `continueLoop` (paged lists):
   * `same-token` repeats the continue token it was sent, `cycle` alternates two tokens,
   * `repeat-items` gives fresh tokens but the first page again, `endless` fresh tokens and empty
   * pages forever.
   */
  endlessBody?: boolean | ((request: LoggedRequest) => boolean)
  hang?: {phase: 'tls-handshake' | 'response' | 'body'; when?: (request: LoggedRequest) => boolean}
  continueLoop?: 'same-token' | 'cycle' | 'repeat-items' | 'endless'
}

export interface LoggedRequest {
  method: string
  path: string
  query: Record<string, string>
  headers: Record<string, string | string[] | undefined>
  accept: string
  impersonateUser?: string
  impersonateGroups: string[]
  impersonateUid?: string
  /** Impersonate-Extra-<key> headers, keys decoded and lower-cased as the API server does. */
  impersonateExtra: Record<string, string[]>
  /** The authenticated identity before impersonation, when the token was known. */
  user?: string
  status?: number
  /** Secrets served with their data (full objects, not metadata): must stay 0 for our plugin. */
  secretsWithData: number
}

export interface FakeApiServer {
  url: string
  caFile: string
  caPem: string
  token: string
  kubeconfigPath: string
  dir: string
  store: FakeStore
  requests: LoggedRequest[]
  /** How many times the exec credential plugin ran (0 without `exec`). */
  execInvocations(): Promise<number>
  /** Bytes written by `endlessBody` answers, and TCP connections held by `hang: tls-handshake`. */
  hostile: {endlessBytes: number; heldConnections: number}
  stop(): Promise<void>
}

const JSON_TYPE = 'application/json'

export async function startFakeApiServer(options: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  const certs = await makeTestCertificates(options.dir)
  const dir = certs.dir
  const token = options.token ?? randomBytes(16).toString('hex')
  const users = new Map<string, FakeIdentity>(Object.entries(options.users ?? {}))
  users.set(token, options.identity ?? {username: 'admin', groups: ['system:masters', 'system:authenticated']})
  const execToken = `exec-${randomBytes(12).toString('hex')}`
  if (options.exec) users.set(execToken, {username: 'exec-user', groups: ['system:authenticated']})
  const store = new FakeStore(options.store)
  const requests: LoggedRequest[] = []
  const forbid = new Set(options.forbid ?? [])
  const state = {throttled: 0, expired: 0, resets: 0, loopTokens: 0}
  const hostile = {endlessBytes: 0, heldConnections: 0}

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'https://fake')
    const distinct = req.headersDistinct
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: {...req.headers},
      accept: req.headers.accept ?? '',
      impersonateGroups: distinct['impersonate-group'] ?? [],
      impersonateExtra: Object.fromEntries(
        Object.entries(distinct)
          .filter(([name]) => name.startsWith('impersonate-extra-'))
          .map(([name, values]) => [decodeURIComponent(name.slice('impersonate-extra-'.length)).toLowerCase(), values ?? []]),
      ),
      secretsWithData: 0,
    }
    if (req.headers['impersonate-user']) entry.impersonateUser = String(req.headers['impersonate-user'])
    if (req.headers['impersonate-uid']) entry.impersonateUid = String(req.headers['impersonate-uid'])
    requests.push(entry)
    if (options.resetConnections !== undefined && state.resets < options.resetConnections) {
      state.resets++
      req.socket.destroy()
      return
    }
    const endless = typeof options.endlessBody === 'function' ? options.endlessBody(entry) : options.endlessBody === true
    if (endless) {
      serveEndless(entry, res)
      return
    }
    if (options.hang && options.hang.phase !== 'tls-handshake' && (options.hang.when?.(entry) ?? true)) {
      // Read the request so the client is not stuck sending; then answer nothing (more).
      req.resume()
      if (options.hang.phase === 'body') {
        entry.status = 200
        res.writeHead(200, {'Content-Type': JSON_TYPE})
        res.write('{"kind":"List","apiVersion":"v1","metadata":{},"items":[')
      }
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const delay = typeof options.delayMs === 'function' ? options.delayMs(entry) : (options.delayMs ?? 0)
      const run = (): void => {
        try {
          answer(entry, url, Buffer.concat(chunks), res)
        } catch (error) {
          send(res, entry, 500, statusJson(500, 'InternalError', `fake apiserver: ${String(error)}`))
        }
      }
      if (delay > 0) setTimeout(run, delay)
      else run()
    })
  }

  // 200 and items forever: about 1 MiB per write, paced by the client's reading (backpressure).
  const serveEndless = (entry: LoggedRequest, res: ServerResponse): void => {
    entry.status = 200
    res.writeHead(200, {'Content-Type': JSON_TYPE})
    res.write('{"kind":"List","apiVersion":"v1","metadata":{},"items":[')
    const chunk = Buffer.from('{"metadata":{"name":"endless","namespace":"default"}},'.repeat(20_000))
    const pump = (): void => {
      while (!res.destroyed) {
        hostile.endlessBytes += chunk.length
        if (!res.write(chunk)) {
          res.once('drain', pump)
          return
        }
      }
    }
    res.on('error', () => {})
    pump()
  }

  const answer = (entry: LoggedRequest, url: URL, body: Buffer, res: ServerResponse): void => {
    const auth = entry.headers.authorization
    const bearer = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7).trim() : undefined
    const caller = bearer ? users.get(bearer) : undefined
    if (!caller) {
      send(res, entry, 401, statusJson(401, 'Unauthorized', 'Unauthorized'))
      return
    }
    entry.user = caller.username
    if (options.throttle && state.throttled < options.throttle.requests) {
      state.throttled++
      const seconds = options.throttle.retryAfterSeconds === undefined ? 1 : options.throttle.retryAfterSeconds
      const code = options.throttle.status ?? 429
      const reason = code === 429 ? 'TooManyRequests' : 'ServiceUnavailable'
      const message = code === 429 ? 'Too many requests, please try again later.' : 'The server is currently unable to handle the request'
      if (seconds === null) send(res, entry, code, statusJson(code, reason, message))
      else send(res, entry, code, statusJson(code, reason, message, {retryAfterSeconds: seconds}), {'Retry-After': String(seconds)})
      return
    }

    // Impersonation: the caller must be allowed to impersonate; then the request is the target's.
    let user: FakeIdentity = caller
    if (entry.impersonateUser) {
      const target = entry.impersonateUser
      const decision = decide(caller, {kind: 'resource', verb: 'impersonate', apiGroup: '', resource: 'users', name: target})
      if (!decision.allowed) {
        send(res, entry, 403, forbiddenJson(caller, {kind: 'resource', verb: 'impersonate', apiGroup: '', resource: 'users', name: target}, decision.reason))
        return
      }
      user = {username: target, groups: [...entry.impersonateGroups, 'system:authenticated']}
      if (entry.impersonateUid) user.uid = entry.impersonateUid
    } else if (entry.impersonateGroups.length > 0 || entry.impersonateUid || Object.keys(entry.impersonateExtra).length > 0) {
      send(res, entry, 500, statusJson(500, 'InternalError', 'requested [' + entry.impersonateGroups.map((group) => `{Group  ${group}  }`).join(' ') + '] without impersonating a user'))
      return
    }

    if (options.nodeLogs && entry.method === 'GET' && serveNodeLogs(entry, url, user, res)) return
    const parsed = parsePath(entry.method, url.pathname, url.searchParams)
    if (parsed.kind === 'nonResource') {
      serveNonResource(entry, parsed, user, res)
      return
    }
    if (parsed.kind === 'notFound') {
      send(res, entry, 404, statusJson(404, 'NotFound', 'the server could not find the requested resource'))
      return
    }
    const {def, attributes} = parsed
    const resourceName = def.group === '' ? def.resource : `${def.resource}.${def.group}`
    if (forbid.has(resourceName) || forbid.has(def.resource)) {
      send(res, entry, 403, forbiddenJson(user, attributes))
      return
    }
    if (!def.stored) {
      serveReview(entry, def, attributes, user, body, res)
      return
    }
    const decision = decide(user, attributes)
    if (!decision.allowed) {
      send(res, entry, 403, forbiddenJson(user, attributes, decision.reason))
      return
    }
    if (attributes.verb === 'get') serveGet(entry, def, attributes, res)
    else if (attributes.verb === 'list') serveList(entry, def, attributes, url.searchParams, res)
    else send(res, entry, 405, statusJson(405, 'MethodNotAllowed', `the fake apiserver only reads: ${attributes.verb} is not supported`))
  }

  // Answers the node list and node log paths; false for any other path.
  const serveNodeLogs = (entry: LoggedRequest, url: URL, user: FakeIdentity, res: ServerResponse): boolean => {
    const nodes = options.nodeLogs ?? {}
    if (url.pathname === '/api/v1/nodes') {
      const attributes: ResourceRequest = {kind: 'resource', verb: 'list', apiGroup: '', resource: 'nodes', namespace: ''}
      const decision = decide(user, attributes)
      if (!decision.allowed) send(res, entry, 403, forbiddenJson(user, attributes, decision.reason))
      else {
        const items = Object.keys(nodes).map((name) => ({metadata: {name, labels: {'node-role.kubernetes.io/control-plane': ''}}}))
        send(res, entry, 200, JSON.stringify({kind: 'NodeList', apiVersion: 'v1', metadata: {resourceVersion: store.resourceVersion}, items}))
      }
      return true
    }
    const match = /^\/api\/v1\/nodes\/([^/]+)\/proxy\/logs\/(.+)$/.exec(url.pathname)
    if (!match) return false
    const name = decodeURIComponent(match[1]!)
    const attributes: ResourceRequest = {kind: 'resource', verb: 'get', apiGroup: '', resource: 'nodes', subresource: 'proxy', name, namespace: ''}
    const decision = decide(user, attributes)
    if (!decision.allowed) {
      send(res, entry, 403, forbiddenJson(user, attributes, decision.reason))
      return true
    }
    const file = nodes[name]?.[match[2]!.split('/').map(decodeURIComponent).join('/')]
    if (file === undefined) {
      send(res, entry, 404, statusJson(404, 'NotFound', 'the server could not find the requested resource'))
      return true
    }
    entry.status = 200
    res.writeHead(200, {'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(file)})
    res.end(file)
    return true
  }

  const decide = (user: FakeIdentity, attributes: RequestAttributes): FakeDecision => {
    const result = options.authorize ? options.authorize(user, attributes) : true
    return typeof result === 'boolean' ? {allowed: result} : result
  }

  const serveNonResource = (entry: LoggedRequest, attributes: NonResourceRequest, user: FakeIdentity, res: ServerResponse): void => {
    const decision = decide(user, attributes)
    if (!decision.allowed) {
      send(res, entry, 403, JSON.stringify({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `forbidden: User "${user.username}" cannot ${attributes.verb} path "${attributes.path}"${decision.reason ? `: ${decision.reason}` : ''}`, reason: 'Forbidden', details: {}, code: 403}))
      return
    }
    const document = discovery(attributes.path, entry.headers.host)
    if (document === undefined) send(res, entry, 404, statusJson(404, 'NotFound', 'the server could not find the requested resource'))
    else send(res, entry, 200, JSON.stringify(document))
  }

  const serveGet = (entry: LoggedRequest, def: ResourceDef, attributes: ResourceRequest, res: ServerResponse): void => {
    const object = store.collection(def.group, def.resource)?.byKey.get(objectKey(def.namespaced ? attributes.namespace : undefined, attributes.name!))
    if (!object) {
      send(res, entry, 404, JSON.stringify({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${qualified(def)} "${attributes.name}" not found`, reason: 'NotFound', details: {name: attributes.name, group: def.group || undefined, kind: def.resource}, code: 404}))
      return
    }
    if (wantsMetadataOnly(entry.accept, false)) {
      send(res, entry, 200, partialMetadataJson(object))
      return
    }
    if (def.resource === 'secrets') entry.secretsWithData++
    send(res, entry, 200, objectJson(def, object))
  }

  const serveList = (entry: LoggedRequest, def: ResourceDef, attributes: ResourceRequest, query: URLSearchParams, res: ServerResponse): void => {
    const collection = store.collection(def.group, def.resource)!
    const items: StoredObject[] = def.namespaced && attributes.namespace ? (collection.byNamespace.get(attributes.namespace) ?? []) : collection.all
    const selector = parseSelector(query.get('labelSelector'))
    const fieldName = /^metadata\.name=(.*)$/.exec(query.get('fieldSelector') ?? '')?.[1]
    const filtered = selector || fieldName !== undefined ? items.filter((object) => matchesSelector(object, selector) && (fieldName === undefined || object.name === fieldName)) : items
    let start = 0
    const token = query.get('continue')
    if (token) {
      if (options.expireContinue !== undefined && state.expired < options.expireContinue) {
        state.expired++
        send(res, entry, 410, statusJson(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.'))
        return
      }
      const decoded = decodeContinue(token, entry.path)
      if (decoded === undefined) {
        send(res, entry, 400, statusJson(400, 'BadRequest', 'continue key is not valid: the token does not belong to this list'))
        return
      }
      start = decoded
    }
    const limit = Number(query.get('limit') ?? '0')
    const loop = token && limit > 0 ? options.continueLoop : undefined
    if (loop === 'repeat-items' || loop === 'endless') start = loop === 'endless' ? filtered.length : 0
    const end = limit > 0 ? Math.min(filtered.length, start + limit) : filtered.length
    const page = filtered.slice(start, end)
    const listMeta: Record<string, unknown> = {resourceVersion: store.resourceVersion}
    if (end < filtered.length) {
      listMeta.continue = encodeContinue(end, entry.path, store.resourceVersion)
      listMeta.remainingItemCount = filtered.length - end
    }
    // A hostile server's continue tokens: the list never ends (see FakeApiServerOptions.continueLoop).
    if (loop === 'same-token') listMeta.continue = token
    else if (loop === 'cycle') listMeta.continue = encodeContinue(start === limit ? 2 * limit : limit, entry.path, store.resourceVersion)
    else if (loop === 'repeat-items' || loop === 'endless') listMeta.continue = encodeContinue(start, entry.path, store.resourceVersion, ++state.loopTokens)
    const accept = entry.accept
    if (/as=Table/.test(accept)) {
      send(res, entry, 200, tableJson(page, listMeta))
      return
    }
    if (wantsMetadataOnly(accept, true)) {
      send(res, entry, 200, `{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":${JSON.stringify(listMeta)},"items":[${page.map(partialMetadataJson).join(',')}]}`)
      return
    }
    if (def.resource === 'secrets') entry.secretsWithData += page.length
    send(res, entry, 200, `{"kind":${JSON.stringify(def.kind + 'List')},"apiVersion":${JSON.stringify(groupVersion(def))},"metadata":${JSON.stringify(listMeta)},"items":[${page.map(itemJson).join(',')}]}`)
  }

  const serveReview = (entry: LoggedRequest, def: ResourceDef, attributes: ResourceRequest, caller: FakeIdentity, body: Buffer, res: ServerResponse): void => {
    if (entry.method !== 'POST') {
      send(res, entry, 405, statusJson(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`))
      return
    }
    const decision = decide(caller, attributes)
    if (!decision.allowed) {
      send(res, entry, 403, forbiddenJson(caller, attributes, decision.reason))
      return
    }
    let review: {apiVersion?: string; kind?: string; metadata?: unknown; spec?: Record<string, unknown>}
    try {
      review = String(entry.headers['content-type']).startsWith('application/vnd.kubernetes.protobuf') ? decodeReview(body)! : JSON.parse(body.toString('utf8'))
      if (!review) throw new Error('not a Kubernetes protobuf message')
    } catch {
      send(res, entry, 400, statusJson(400, 'BadRequest', 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf'))
      return
    }
    const spec = review.spec ?? {}
    const resourceAttributes = spec.resourceAttributes as Record<string, string> | undefined
    const nonResourceAttributes = spec.nonResourceAttributes as Record<string, string> | undefined
    let subject: FakeIdentity
    if (def.resource === 'subjectaccessreviews' || def.resource === 'localsubjectaccessreviews') {
      const groups = Array.isArray(spec.groups) ? (spec.groups as string[]) : []
      if (!spec.user && groups.length === 0) {
        send(res, entry, 422, invalidJson(def, 'spec.user', 'at least one of user or group must be specified'))
        return
      }
      subject = {username: String(spec.user ?? ''), groups}
      if (spec.uid) subject.uid = String(spec.uid)
    } else {
      subject = caller
    }
    if (Boolean(resourceAttributes) === Boolean(nonResourceAttributes)) {
      send(res, entry, 422, invalidJson(def, 'spec.resourceAttributes', 'exactly one of nonResourceAttributes or resourceAttributes must be specified'))
      return
    }
    const asked: RequestAttributes = resourceAttributes
      ? {
          kind: 'resource',
          verb: resourceAttributes.verb ?? '',
          apiGroup: resourceAttributes.group ?? '',
          resource: resourceAttributes.resource ?? '',
          ...(resourceAttributes.subresource ? {subresource: resourceAttributes.subresource} : {}),
          ...(resourceAttributes.name ? {name: resourceAttributes.name} : {}),
          namespace: def.resource === 'localsubjectaccessreviews' ? (attributes.namespace ?? '') : (resourceAttributes.namespace ?? ''),
        }
      : {kind: 'nonResource', verb: nonResourceAttributes!.verb ?? '', path: nonResourceAttributes!.path ?? ''}
    const verdict = decide(subject, asked)
    const status: Record<string, unknown> = {allowed: verdict.allowed}
    if (verdict.denied) status.denied = true
    if (verdict.reason) status.reason = verdict.reason
    if (verdict.evaluationError) status.evaluationError = verdict.evaluationError
    // ---- h14-verify: hostile review answers (options.reviewAnswer) ----
    const hostile = options.reviewAnswer?.(status, entry)
    if (hostile === 'hang') return
    if (hostile === 'reset') {
      res.socket?.destroy()
      return
    }
    if (hostile !== undefined) {
      send(res, entry, 201, hostile)
      return
    }
    // ---- end of h14-verify ----
    send(res, entry, 201, JSON.stringify({kind: def.kind, apiVersion: 'authorization.k8s.io/v1', metadata: {creationTimestamp: null}, spec, status}))
  }

  const server = https.createServer({cert: certs.certPem, key: certs.keyPem, keepAlive: true}, handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  // A black hole for TLS: connections are accepted and held, and not one byte is sent back.
  const held = new Set<net.Socket>()
  const blackhole = options.hang?.phase === 'tls-handshake'
    ? net.createServer((socket) => {
        hostile.heldConnections++
        held.add(socket)
        socket.on('error', () => {})
        socket.on('close', () => held.delete(socket))
      })
    : undefined
  if (blackhole) await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve))
  const port = ((blackhole ?? server).address() as AddressInfo).port
  const serverUrl = `https://127.0.0.1:${port}`

  await mkdir(dir, {recursive: true})
  const counterFile = path.join(dir, 'exec-invocations.log')
  const kubeconfigPath = path.join(dir, 'kubeconfig')
  const usersYaml = [`- name: fake-admin`, `  user:`, `    token: ${token}`]
  const contexts = [`- name: fake`, `  context:`, `    cluster: fake`, `    user: fake-admin`, ...(options.namespace ? [`    namespace: ${options.namespace}`] : [])]
  if (options.exec) {
    const plugin = path.join(dir, 'exec-plugin.mjs')
    const apiVersion = options.exec.apiVersion ?? 'client.authentication.k8s.io/v1'
    const expiration = options.exec.expirationSeconds === null ? null : (options.exec.expirationSeconds ?? 3600)
    await writeFile(plugin, execPluginSource({counterFile, token: execToken, apiVersion, expirationSeconds: expiration, delayMs: options.exec.delayMs ?? 0}))
    usersYaml.push(`- name: fake-exec`, `  user:`, `    exec:`, `      apiVersion: ${apiVersion}`, `      command: ${JSON.stringify(process.execPath)}`, `      args: [${JSON.stringify(plugin)}]`, `      interactiveMode: Never`)
    contexts.push(`- name: fake-exec`, `  context:`, `    cluster: fake`, `    user: fake-exec`, ...(options.namespace ? [`    namespace: ${options.namespace}`] : []))
  }
  await writeFile(kubeconfigPath, [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fake',
    '  cluster:',
    `    server: ${serverUrl}`,
    `    certificate-authority: ${JSON.stringify(certs.caFile)}`,
    'users:',
    ...usersYaml,
    'contexts:',
    ...contexts,
    `current-context: ${options.currentContext ?? 'fake'}`,
    '',
  ].join('\n'))

  return {
    url: serverUrl,
    caFile: certs.caFile,
    caPem: certs.caPem,
    token,
    kubeconfigPath,
    dir,
    store,
    requests,
    hostile,
    async execInvocations() {
      try {
        return (await readFile(counterFile, 'utf8')).split('\n').filter(Boolean).length
      } catch {
        return 0
      }
    },
    async stop() {
      for (const socket of held) socket.destroy()
      if (blackhole) await new Promise<void>((resolve) => blackhole.close(() => resolve()))
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      // A folder we made is ours to remove; one the caller passed is theirs.
      if (!options.dir) await rm(dir, {recursive: true, force: true})
    },
  }
}

type ParsedPath = {kind: 'resource'; def: ResourceDef; attributes: ResourceRequest} | (NonResourceRequest & {kind: 'nonResource'}) | {kind: 'notFound'}

/** Request path to authorizer attributes, as the API server's RequestInfoFactory does. */
export function parsePath(method: string, pathname: string, query: URLSearchParams): ParsedPath {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent)
  let group: string
  let version: string
  let rest: string[]
  if (parts[0] === 'api' && parts.length >= 3) {
    group = ''
    version = parts[1]!
    rest = parts.slice(2)
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!
    version = parts[2]!
    rest = parts.slice(3)
  } else {
    return {kind: 'nonResource', verb: method.toLowerCase() === 'get' ? 'get' : method.toLowerCase(), path: pathname}
  }
  let namespace = ''
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1]!
    rest = rest.slice(2)
  }
  const resource = rest[0]!
  const name = rest[1]
  const def = RESOURCES.find((candidate) => candidate.group === group && candidate.version === version && candidate.resource === resource)
  if (!def || rest.length > 2 || (!def.namespaced && namespace) ) return {kind: 'notFound'}
  // GET /api/v1/namespaces/<name> names a namespace, not a scope.
  let verb: string
  if (method === 'POST') verb = 'create'
  else if (method === 'GET' || method === 'HEAD') verb = name ? 'get' : query.get('watch') === 'true' ? 'watch' : 'list'
  else verb = method.toLowerCase()
  const attributes: ResourceRequest = {kind: 'resource', verb, apiGroup: group, resource, namespace}
  if (name) attributes.name = name
  return {kind: 'resource', def, attributes}
}

function discovery(pathname: string, host: string | string[] | undefined): unknown {
  const groups = new Map<string, ResourceDef[]>()
  for (const def of RESOURCES) {
    const key = groupVersion(def)
    if (!groups.has(key)) groups.set(key, [])
    groups.get(key)!.push(def)
  }
  const resourceList = (gv: string): unknown => ({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gv,
    resources: (groups.get(gv) ?? []).map((def) => ({
      name: def.resource,
      singularName: def.singular,
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: def.verbs,
      ...(def.shortNames ? {shortNames: def.shortNames} : {}),
      ...(def.stored ? {storageVersionHash: Buffer.from(def.kind).toString('base64').slice(0, 11)} : {}),
    })),
  })
  const apiGroup = (name: string): unknown => ({
    name,
    versions: [{groupVersion: `${name}/v1`, version: 'v1'}],
    preferredVersion: {groupVersion: `${name}/v1`, version: 'v1'},
  })
  const apiGroupNames = [...new Set(RESOURCES.filter((def) => def.group !== '').map((def) => def.group))]
  const clean = pathname.replace(/\/+$/, '') || '/'
  if (clean === '/version') return {major: '1', minor: '32', gitVersion: 'v1.32.0-fake', gitCommit: '0000000000000000000000000000000000000000', gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: 'go1.23.0', compiler: 'gc', platform: 'linux/amd64'}
  if (clean === '/api') return {kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{clientCIDR: '0.0.0.0/0', serverAddress: typeof host === 'string' ? host : '127.0.0.1'}]}
  if (clean === '/api/v1') return resourceList('v1')
  if (clean === '/apis') return {kind: 'APIGroupList', apiVersion: 'v1', groups: apiGroupNames.map(apiGroup)}
  const match = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(clean)
  if (match && apiGroupNames.includes(match[1]!)) {
    if (!match[2]) return {kind: 'APIGroup', apiVersion: 'v1', ...(apiGroup(match[1]!) as object)}
    if (groups.has(`${match[1]}/${match[2]}`)) return resourceList(`${match[1]}/${match[2]}`)
  }
  return undefined
}

function send(res: ServerResponse, entry: LoggedRequest, code: number, body: string, headers: Record<string, string> = {}): void {
  entry.status = code
  const payload = Buffer.from(body)
  res.writeHead(code, {'Content-Type': JSON_TYPE, 'Content-Length': payload.length, 'Cache-Control': 'no-cache, private', ...headers})
  res.end(payload)
}

function statusJson(code: number, reason: string, message: string, details?: Record<string, unknown>): string {
  return JSON.stringify({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? {details} : {}), code})
}

function qualified(def: ResourceDef): string {
  return def.group === '' ? def.resource : `${def.resource}.${def.group}`
}

/** The API server's exact forbidden message (k8s.io/apiserver/pkg/endpoints/handlers/responsewriters). */
function forbiddenJson(user: FakeIdentity, attributes: ResourceRequest, reason?: string): string {
  const resource = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource
  const def = RESOURCES.find((candidate) => candidate.resource === attributes.resource && candidate.group === attributes.apiGroup)
  const what = def ? qualified(def) : attributes.apiGroup ? `${attributes.resource}.${attributes.apiGroup}` : attributes.resource
  const subject = attributes.name ? `${what} "${attributes.name}"` : what
  const scope = attributes.namespace ? `in the namespace "${attributes.namespace}"` : 'at the cluster scope'
  const message = `${subject} is forbidden: User "${user.username}" cannot ${attributes.verb} resource "${resource}" in API group "${attributes.apiGroup}" ${scope}${reason ? `: ${reason}` : ''}`
  const details: Record<string, unknown> = {}
  if (attributes.name) details.name = attributes.name
  if (attributes.apiGroup) details.group = attributes.apiGroup
  details.kind = attributes.resource
  return JSON.stringify({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'Forbidden', details, code: 403})
}

function invalidJson(def: ResourceDef, field: string, message: string): string {
  return JSON.stringify({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${def.kind}.authorization.k8s.io "" is invalid: ${field}: Invalid value: "": ${message}`, reason: 'Invalid', details: {group: 'authorization.k8s.io', kind: def.kind, causes: [{reason: 'FieldValueInvalid', message, field}]}, code: 422})
}

function wantsMetadataOnly(accept: string, list: boolean): boolean {
  return list ? /as=PartialObjectMetadataList/.test(accept) : /as=PartialObjectMetadata(?!List)/.test(accept)
}

// kubectl's default output asks for a Table; a Name and a creation-time column are enough for it.
function tableJson(page: StoredObject[], listMeta: Record<string, unknown>): string {
  const columns = [
    {name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0},
    {name: 'Created At', type: 'date', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0},
  ]
  const rows = page.map((object) => `{"cells":[${JSON.stringify(object.name)},${JSON.stringify(object.creationTimestamp)}],"object":${partialMetadataJson(object)}}`)
  return `{"kind":"Table","apiVersion":"meta.k8s.io/v1","metadata":${JSON.stringify(listMeta)},"columnDefinitions":${JSON.stringify(columns)},"rows":[${rows.join(',')}]}`
}

// Opaque to clients, as the real server's are, and bound to the list they continue.
function encodeContinue(start: number, listPath: string, resourceVersion: string, nonce?: number): string {
  return Buffer.from(JSON.stringify({v: 'fake/v1', rv: resourceVersion, start, path: listPath, ...(nonce === undefined ? {} : {nonce})})).toString('base64url')
}

function decodeContinue(token: string, listPath: string): number | undefined {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {v?: string; start?: number; path?: string}
    if (value.v !== 'fake/v1' || value.path !== listPath || typeof value.start !== 'number' || value.start < 0) return undefined
    return value.start
  } catch {
    return undefined
  }
}

type Selector = {key: string; op: '=' | '!=' | 'exists' | '!exists'; value?: string}[]

function parseSelector(text: string | null): Selector | undefined {
  if (!text) return undefined
  return text.split(',').map((part) => {
    const match = /^\s*(!?)([^=!\s]+)\s*(?:(==|=|!=)\s*(.*?))?\s*$/.exec(part)
    if (!match) return {key: part, op: 'exists' as const}
    if (!match[3]) return {key: match[2]!, op: match[1] ? ('!exists' as const) : ('exists' as const)}
    return {key: match[2]!, op: match[3] === '!=' ? ('!=' as const) : ('=' as const), value: match[4] ?? ''}
  })
}

function matchesSelector(object: StoredObject, selector: Selector | undefined): boolean {
  if (!selector) return true
  const labels = ((object.object.metadata as {labels?: Record<string, string>}).labels ?? {})
  return selector.every((term) => {
    const value = labels[term.key]
    if (term.op === 'exists') return value !== undefined
    if (term.op === '!exists') return value === undefined
    if (term.op === '=') return value === term.value
    return value !== term.value
  })
}

function execPluginSource(options: {counterFile: string; token: string; apiVersion: string; expirationSeconds: number | null; delayMs: number}): string {
  return `// Exec credential plugin of the fake apiserver: counts its runs, prints an ExecCredential.
import {appendFileSync} from 'node:fs'
appendFileSync(${JSON.stringify(options.counterFile)}, process.pid + '\\n')
const info = process.env.KUBERNETES_EXEC_INFO ? JSON.parse(process.env.KUBERNETES_EXEC_INFO) : null
if (${JSON.stringify(options.apiVersion)} === 'client.authentication.k8s.io/v1' && !info) { console.error('KUBERNETES_EXEC_INFO is not set'); process.exit(1) }
const status = {token: ${JSON.stringify(options.token)}}
${options.expirationSeconds === null ? '' : `status.expirationTimestamp = new Date(Date.now() + ${options.expirationSeconds * 1000}).toISOString()`}
setTimeout(() => {
  process.stdout.write(JSON.stringify({apiVersion: ${JSON.stringify(options.apiVersion)}, kind: 'ExecCredential', status}))
}, ${options.delayMs})
`
}
