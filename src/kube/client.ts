// Our own request layer on node:https. client-node's generated APIs cannot send several
// Impersonate-Group headers, have no request timeout, and decode every object into class
// instances; here a request is one JSON document over a keep-alive connection.
// Hostile or broken servers are bounded: connections (direct or through the kubeconfig's or the
// environment's proxy) are made in transport.ts with kubectl's connect and TLS handshake
// timeouts; a response that makes no progress for a minute fails even without
// --request-timeout; buffered bodies are capped by --max-response-size; a paged list whose
// continue tokens never end it fails as a KubeListError.
import {createHash} from 'node:crypto'
import http from 'node:http'
import https from 'node:https'
import type {ResolvedKubeConfig} from './config.js'
import type {Credentials} from './credentials.js'
import {
  apiErrorFor,
  KubeApiError,
  KubeConfigError,
  KubeConnectionError,
  KubeExpiredError,
  KubeListError,
  KubeResponseTooLargeError,
  KubeTimeoutError,
  type KubeStatus,
} from './errors.js'
import {createAgent, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS} from './transport.js'

/**
 * Backstop of a paged list: 10,000 pages of 500 are five million objects, more than etcd holds
 * for any cluster. A server that keeps sending fresh continue tokens and new objects stops here.
 */
export const MAX_LIST_PAGES = 10_000

/** Accept header of a metadata-only list: the server sends names/labels/annotations, never `data`. */
export const METADATA_ONLY_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json'

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>
  body?: unknown
  accept?: string
  /** Overrides the request timeout of the config for this request (ms, 0 = none). */
  timeoutMs?: number
}

export interface ListOptions {
  metadataOnly?: boolean
  /** Page size (kubectl's --chunk-size); 0 asks for everything at once. */
  limit?: number
  labelSelector?: string
  fieldSelector?: string
}

export interface ListResult<T> {
  items: T[]
  kind?: string
  apiVersion?: string
  resourceVersion?: string
  /** Number of HTTP requests this list took (pages, retries, restart). */
  requests: number
  /** The list was restarted from the first page after its continue token expired (410). */
  restarted: boolean
}

export interface KubeClientOptions {
  /** Upper bound of parallel connections to the server. */
  maxSockets?: number
  /** Retries of 429/503 answers. */
  maxThrottleRetries?: number
  /** Longest Retry-After honoured; longer waits are cut to this. */
  maxRetryAfterMs?: number
  /** Retries of a GET whose connection was reset. */
  maxResetRetries?: number
  /** Diagnostics (retries, restarts): the command sends them to stderr. */
  onWarning?: (message: string) => void
  /** For tests: how to wait. */
  sleep?: (ms: number) => Promise<void>
  userAgent?: string
  /** TCP connect, proxy negotiation included (kubectl: 30 s). */
  connectTimeoutMs?: number
  /** TLS handshake (kubectl: 10 s). */
  tlsHandshakeTimeoutMs?: number
  /** A response (headers or body) that sends nothing for this long fails; a longer --request-timeout replaces it. */
  idleTimeoutMs?: number
  /** Overrides the config's --max-response-size (tests). */
  maxResponseBytes?: number
  /** Pages after which a list is taken as endless. */
  maxListPages?: number
}

/** A buffered response being read: its bytes count against --max-response-size. */
interface Buffering {
  method: string
  path: string
  bytes: number
  abort: (error: Error) => void
}

interface RawResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

export class KubeClient {
  readonly server: string
  readonly config: ResolvedKubeConfig
  /** HTTP requests sent, retries included: the benchmark's request count. */
  requestCount = 0
  private readonly agent: http.Agent
  /** Streams hold their connection for long: fresh connections, not the shared keep-alive pool. */
  private readonly streamAgent: http.Agent
  private readonly options: Required<Omit<KubeClientOptions, 'onWarning'>> & Pick<KubeClientOptions, 'onWarning'>
  private readonly base: URL
  /** Buffered bodies being read, and their bytes together: the --max-response-size budget. */
  private readonly buffering = new Set<Buffering>()
  private bufferedBytes = 0

  constructor(config: ResolvedKubeConfig, options: KubeClientOptions = {}) {
    this.config = config
    this.server = config.server
    this.base = new URL(config.server)
    this.options = {
      maxSockets: options.maxSockets ?? 16,
      maxThrottleRetries: options.maxThrottleRetries ?? 5,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 10_000,
      maxResetRetries: options.maxResetRetries ?? 3,
      onWarning: options.onWarning,
      sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      userAgent: options.userAgent ?? 'kubectl-sensitive-access/0.1.0',
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      tlsHandshakeTimeoutMs: options.tlsHandshakeTimeoutMs ?? DEFAULT_TLS_HANDSHAKE_TIMEOUT_MS,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      maxResponseBytes: options.maxResponseBytes ?? config.maxResponseBytes,
      maxListPages: options.maxListPages ?? MAX_LIST_PAGES,
    }
    const transport = {
      server: this.base,
      connectTimeoutMs: this.options.connectTimeoutMs,
      tlsHandshakeTimeoutMs: this.options.tlsHandshakeTimeoutMs,
      insecureSkipTlsVerify: config.tls.insecureSkipTlsVerify,
      ...(config.proxy ? {proxy: config.proxy} : {}),
      ...(config.tls.ca ? {proxyCa: config.tls.ca} : {}),
    }
    this.agent = createAgent(transport, {keepAlive: true, maxSockets: this.options.maxSockets, maxFreeSockets: this.options.maxSockets})
    this.streamAgent = createAgent(transport, {keepAlive: false})
  }

  async get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options)
  }

  async post<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, {...options, body})
  }

  /** One API call; error answers become typed errors carrying the server's message. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options)
    if (response.status >= 200 && response.status < 300) {
      try {
        return JSON.parse(response.body.toString('utf8')) as T
      } catch {
        throw new KubeApiError(response.status, {message: `${method} ${path}: the server sent a response that is not JSON`}, {method, path})
      }
    }
    throw apiErrorFor(response.status, parseStatus(response), {method, path})
  }

  /**
   * Every item of a collection, page by page (`limit` + `continue`). When the continue token
   * expires (410) the list restarts from the first page once, and says so.
   */
  async listAll<T = Record<string, unknown>>(path: string, options?: ListOptions): Promise<ListResult<T>>
  /** With `map`, each page's raw objects are converted as they arrive and can be freed (managedFields are large). */
  async listAll<T, U>(path: string, options: ListOptions & {map: (item: T) => U}): Promise<ListResult<U>>
  async listAll<T, U>(path: string, options: ListOptions & {map?: (item: T) => U} = {}): Promise<ListResult<T | U>> {
    const limit = options.limit ?? 500
    const accept = options.metadataOnly ? METADATA_ONLY_ACCEPT : 'application/json'
    let requests = 0
    let restarted = false
    const items: (T | U)[] = []
    const map = options.map
    let kind: string | undefined
    let apiVersion: string | undefined
    let resourceVersion: string | undefined
    let token: string | undefined
    // A hostile or broken server can keep a list going for ever; what was seen tells (hashes:
    // tokens are opaque and may be large).
    const seenTokens = new Set<string>()
    const seenItems = new Set<string>()
    let pages = 0
    for (;;) {
      const query: Record<string, string | number | undefined> = {}
      if (limit > 0) query.limit = limit
      if (token) query.continue = token
      if (options.labelSelector) query.labelSelector = options.labelSelector
      if (options.fieldSelector) query.fieldSelector = options.fieldSelector
      const before = this.requestCount
      let page: {kind?: string; apiVersion?: string; metadata?: {continue?: string; resourceVersion?: string}; items?: T[] | null}
      try {
        page = await this.get(path, {query, accept})
      } catch (error) {
        requests += this.requestCount - before
        if (error instanceof KubeExpiredError && token && !restarted) {
          restarted = true
          this.options.onWarning?.(`the list of ${path} took too long and its continue token expired; listing again from the start`)
          items.length = 0
          token = undefined
          seenTokens.clear()
          seenItems.clear()
          pages = 0
          continue
        }
        throw error
      }
      requests += this.requestCount - before
      // A malformed answer (null, an array, `items` as an object or a string) is that list unread,
      // never a TypeError or a walk over a string's characters.
      if (page === null || typeof page !== 'object' || Array.isArray(page)) throw new KubeListError(path, `page ${pages + 1} is not a list object (${describeJsonType(page)})`, 'malformed')
      if (page.items != null && !Array.isArray(page.items)) throw new KubeListError(path, `page ${pages + 1} has items that are not a list (${describeJsonType(page.items)})`, 'malformed')
      if (page.metadata?.continue !== undefined && page.metadata.continue !== null && typeof page.metadata.continue !== 'string') {
        throw new KubeListError(path, `page ${pages + 1} has a continue token that is not a string (${describeJsonType(page.metadata.continue)})`, 'malformed')
      }
      kind ??= page.kind
      apiVersion ??= page.apiVersion
      resourceVersion ??= page.metadata?.resourceVersion
      pages++
      // One by one: spreading a huge unpaged (limit=0) list into push() would overflow the stack.
      for (const item of page.items ?? []) {
        const identity = itemIdentity(item)
        if (identity) {
          if (seenItems.has(identity.key)) throw new KubeListError(path, `page ${pages} repeats ${identity.label}, already listed`)
          seenItems.add(identity.key)
        }
        items.push(map ? map(item) : item)
      }
      token = page.metadata?.continue || undefined
      if (!token) break
      const digest = createHash('sha256').update(token).digest('base64')
      if (seenTokens.has(digest)) throw new KubeListError(path, `the server sent the same continue token twice (after page ${pages})`)
      seenTokens.add(digest)
      if (pages >= this.options.maxListPages) throw new KubeListError(path, `still more after ${pages} pages`)
    }
    const result: ListResult<T | U> = {items, requests, restarted}
    if (kind) result.kind = kind
    if (apiVersion) result.apiVersion = apiVersion
    if (resourceVersion) result.resourceVersion = resourceVersion
    return result
  }

  /**
   * GET a path and stream its body (node logs through the API server proxy can be gigabytes, so
   * they are never buffered whole). Same auth, TLS, impersonation and typed status errors as
   * `request`; 429 and an expired refreshable credential are retried before the body starts. The
   * request timeout covers the wait for the response headers, not the transfer; the no-progress
   * bound covers both, and --max-response-size does not apply. Aborting the signal destroys the
   * connection and ends the iteration with an error.
   */
  async stream(path: string, options: {signal?: AbortSignal; accept?: string; query?: RequestOptions['query']; timeoutMs?: number} = {}): Promise<AsyncIterable<Buffer>> {
    let throttled = 0
    let reauthenticated = false
    for (;;) {
      options.signal?.throwIfAborted()
      const credentials = await this.config.credentials.get()
      const response = await this.openStream(path, options, credentials)
      const status = response.statusCode ?? 0
      if (status >= 200 && status < 300) return response
      // An error answer is a Status of a few hundred bytes: 1 MiB of it is plenty, the rest is dropped.
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of response) {
        chunks.push(chunk as Buffer)
        size += (chunk as Buffer).length
        if (size > 1024 * 1024) {
          response.destroy()
          break
        }
      }
      const raw: RawResponse = {status, headers: response.headers, body: Buffer.concat(chunks)}
      const retryable = status === 429 || (status === 503 && response.headers['retry-after'] !== undefined)
      if (retryable && throttled < this.options.maxThrottleRetries) {
        throttled++
        const wait = Math.min(retryAfterMs(response.headers['retry-after']), this.options.maxRetryAfterMs)
        this.options.onWarning?.(`GET ${path}: server answered ${status}, retrying in ${(wait / 1000).toFixed(wait < 1000 ? 1 : 0)}s (${throttled}/${this.options.maxThrottleRetries})`)
        await this.options.sleep(wait)
        continue
      }
      if (status === 401 && this.config.credentials.refreshable && !reauthenticated) {
        reauthenticated = true
        this.config.credentials.invalidate()
        continue
      }
      throw apiErrorFor(status, parseStatus(raw), {method: 'GET', path})
    }
  }

  private openStream(path: string, options: {signal?: AbortSignal; accept?: string; query?: RequestOptions['query']; timeoutMs?: number}, credentials: Credentials): Promise<http.IncomingMessage> {
    const {url, headers, tls, transport} = this.prepare(path, options.query, options.accept ?? '*/*', credentials)
    const timeoutMs = options.timeoutMs ?? this.config.requestTimeoutMs
    this.requestCount++
    const requestOptions = {method: 'GET', headers, agent: this.streamAgent, ...(options.signal ? {signal: options.signal} : {}), ...(url.protocol === 'https:' ? tls : {})}
    return this.dispatch<http.IncomingMessage>((onResponse) => transport.request(url, requestOptions, onResponse), (response, finish) => finish(undefined, response), timeoutMs)
  }

  /** Close idle keep-alive connections so the process can exit. */
  close(): void {
    this.agent.destroy()
  }

  private async send(method: string, path: string, options: RequestOptions): Promise<RawResponse> {
    let throttled = 0
    let resets = 0
    let reauthenticated = false
    for (;;) {
      const credentials = await this.config.credentials.get()
      let response: RawResponse
      try {
        response = await this.once(method, path, options, credentials)
      } catch (error) {
        // A reset keep-alive connection is normal (the server closed an idle socket); a GET is safe to resend.
        if (error instanceof KubeConnectionError && isReset(error) && method === 'GET' && resets < this.options.maxResetRetries) {
          resets++
          await this.options.sleep(100 * resets)
          continue
        }
        throw error
      }
      // As client-go: 429 is always retried; 503 only when the server says when (Retry-After), since
      // an unavailable aggregated API (metrics.k8s.io) answers 503 without one and will not recover.
      const retryable = response.status === 429 || (response.status === 503 && response.headers['retry-after'] !== undefined)
      if (retryable && throttled < this.options.maxThrottleRetries) {
        throttled++
        const wait = Math.min(retryAfterMs(response.headers['retry-after']), this.options.maxRetryAfterMs)
        this.options.onWarning?.(`${method} ${path}: server answered ${response.status}, retrying in ${(wait / 1000).toFixed(wait < 1000 ? 1 : 0)}s (${throttled}/${this.options.maxThrottleRetries})`)
        await this.options.sleep(wait)
        continue
      }
      if (response.status === 401 && this.config.credentials.refreshable && !reauthenticated) {
        reauthenticated = true
        this.config.credentials.invalidate()
        continue
      }
      return response
    }
  }

  /** URL, headers (credentials, impersonation) and TLS options shared by every kind of request. */
  private prepare(path: string, query: RequestOptions['query'], accept: string, credentials: Credentials) {
    const url = new URL(this.base.pathname.replace(/\/$/, '') + path, this.base)
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value))
    const headers: http.OutgoingHttpHeaders = {Accept: accept, 'User-Agent': this.options.userAgent}
    if (credentials.authorization) headers.Authorization = credentials.authorization
    const impersonate = this.config.impersonate
    if (impersonate?.user) headers['Impersonate-User'] = impersonate.user
    // An array value makes node send one header line per group, as the API server expects.
    if (impersonate?.groups && impersonate.groups.length > 0) headers['Impersonate-Group'] = impersonate.groups
    if (impersonate?.uid) headers['Impersonate-Uid'] = impersonate.uid
    for (const [key, values] of Object.entries(impersonate?.extra ?? {})) {
      if (values.length > 0) headers[`Impersonate-Extra-${escapeExtraKey(key)}`] = values
    }
    const tls: https.RequestOptions = {rejectUnauthorized: !this.config.tls.insecureSkipTlsVerify}
    if (this.config.tls.ca) tls.ca = this.config.tls.ca
    if (this.config.tls.servername) tls.servername = this.config.tls.servername
    if (credentials.cert && credentials.key) {
      tls.cert = credentials.cert
      tls.key = credentials.key
    }
    const transport = url.protocol === 'http:' ? http : https
    return {url, headers, tls, transport}
  }

  /**
   * Counts a buffered body's bytes against --max-response-size: one response past the limit, or
   * all responses being read together past it (then the largest goes: parallel lists of an
   * endless server would otherwise each take the whole limit).
   */
  private track(method: string, path: string, abort: (error: Error) => void): {add: (bytes: number) => void; done: () => void} {
    const entry: Buffering = {method, path, bytes: 0, abort}
    this.buffering.add(entry)
    const limit = this.options.maxResponseBytes
    return {
      add: (bytes) => {
        entry.bytes += bytes
        this.bufferedBytes += bytes
        if (entry.bytes > limit) {
          entry.abort(new KubeResponseTooLargeError(entry, limit))
          return
        }
        if (this.bufferedBytes > limit) {
          let largest = entry
          for (const other of this.buffering) if (other.bytes > largest.bytes) largest = other
          largest.abort(new KubeResponseTooLargeError(largest, limit, true))
        }
      },
      done: () => {
        if (!this.buffering.delete(entry)) return
        this.bufferedBytes -= entry.bytes
      },
    }
  }

  private once(method: string, path: string, options: RequestOptions, credentials: Credentials): Promise<RawResponse> {
    const {url, headers, tls, transport} = this.prepare(path, options.query, options.accept ?? 'application/json', credentials)
    let payload: Buffer | undefined
    if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body))
      headers['Content-Type'] = 'application/json'
      headers['Content-Length'] = payload.length
    }
    const timeoutMs = options.timeoutMs ?? this.config.requestTimeoutMs
    this.requestCount++
    const server = this.server
    return this.dispatch<RawResponse>(
      (onResponse) => transport.request(url, {method, headers, agent: this.agent, ...(url.protocol === 'https:' ? tls : {})}, onResponse),
      (response, finish, fail) => {
        let chunks: Buffer[] = []
        const budget = this.track(method, path, (error) => {
          chunks = []
          budget.done()
          fail(error)
        })
        const settle = (error: Error | undefined, value?: RawResponse) => {
          budget.done()
          finish(error, value)
        }
        // A Content-Length past the limit is refused before a byte is read.
        const declared = Number(response.headers['content-length'])
        if (Number.isFinite(declared) && declared > this.options.maxResponseBytes) {
          fail(new KubeResponseTooLargeError({method, path}, this.options.maxResponseBytes))
          budget.done()
          return
        }
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk)
          budget.add(chunk.length)
        })
        response.on('end', () => settle(undefined, {status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks)}))
        response.on('error', (error) => settle(this.connectionError(error)))
        response.on('aborted', () => settle(new KubeConnectionError(server, 'connection closed before the response was complete')))
        response.on('close', () => budget.done())
      },
      timeoutMs,
      payload,
    )
  }

  /**
   * Sends one request and settles once, with what onResponse passes to finish, a connection error
   * (an abort through the caller's signal stays itself), or a timeout (--request-timeout).
   */
  private dispatch<T>(
    open: (onResponse: (response: http.IncomingMessage) => void) => http.ClientRequest,
    onResponse: (response: http.IncomingMessage, finish: (error: Error | undefined, value?: T) => void, fail: (error: Error) => void) => void,
    timeoutMs: number,
    payload?: Buffer,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      let settled = false
      const finish = (error: Error | undefined, value?: T): void => {
        if (settled) return
        settled = true
        if (timer) clearTimeout(timer)
        if (error) reject(error)
        else resolve(value as T)
      }
      let request: http.ClientRequest | undefined
      let response: http.IncomingMessage | undefined
      // Settle with this error and drop the connection (the socket's own errors come after, ignored).
      // A stream already handed out ends with this error too, not node's bare "aborted".
      const fail = (error: Error): void => {
        finish(error)
        response?.destroy(error)
        request?.destroy(error)
      }
      try {
        request = open((answer) => {
          response = answer
          onResponse(answer, finish, fail)
        })
      } catch (error) {
        // Node refuses header values with control characters (an --as value with a newline...).
        finish(new KubeConfigError(`cannot send the request: ${(error as Error).message}`, {cause: error}))
        return
      }
      request.on('error', (error: NodeJS.ErrnoException) => finish(error.name === 'AbortError' ? error : this.connectionError(error)))
      if (timeoutMs > 0) {
        timer = setTimeout(() => fail(new KubeTimeoutError(this.server, `timeout after ${formatMs(timeoutMs)} (--request-timeout)`)), timeoutMs)
      }
      // No progress, even without --request-timeout: the socket's idle timer runs once connected
      // (connect and TLS have their own bounds in transport.ts) and covers a streamed body too.
      const idleMs = Math.max(this.options.idleTimeoutMs, timeoutMs)
      if (idleMs > 0) {
        request.setTimeout(idleMs, () => fail(new KubeTimeoutError(this.server, `no data from the server for ${formatDuration(idleMs)} (set --request-timeout to wait longer)`)))
      }
      request.end(payload)
    })
  }

  private connectionError(error: NodeJS.ErrnoException): KubeConnectionError {
    if (error instanceof KubeConnectionError) return error
    return new KubeConnectionError(this.server, describeNetworkError(error, this.base.hostname), {cause: error})
  }
}

/** Build a client from kubectl-style options, loading the kubeconfig (lazily imports client-node). */
export async function createKubeClient(options: import('./flags.js').KubeOptions = {}, clientOptions: KubeClientOptions = {}): Promise<KubeClient> {
  const {loadKubeConfig} = await import('./config.js')
  return new KubeClient(await loadKubeConfig(options), clientOptions)
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED'])

function isReset(error: KubeConnectionError): boolean {
  const code = (error.cause as NodeJS.ErrnoException | undefined)?.code
  return (code !== undefined && RESET_CODES.has(code)) || /socket hang up/.test(String((error.cause as Error | undefined)?.message))
}

/** The one line a person needs, in the words kubectl uses. */
export function describeNetworkError(error: NodeJS.ErrnoException, host: string): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `no such host ${host}`
    case 'ECONNRESET':
      return 'connection reset by peer'
    case 'EPIPE':
      return 'broken pipe'
    case 'ETIMEDOUT':
      return 'connection timed out'
    case 'EHOSTUNREACH':
      return 'no route to host'
    case 'ENETUNREACH':
      return 'network is unreachable'
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
      return 'tls: certificate signed by unknown authority (set the cluster\'s certificate-authority, or --insecure-skip-tls-verify)'
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: the server certificate is not valid for ${host}`
    case 'CERT_HAS_EXPIRED':
      return 'tls: the server certificate has expired'
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'tls handshake failed (is the address an HTTPS API server?)'
    default:
      if (/socket hang up/.test(error.message)) return 'connection closed by the server'
      return (error.code ? `${error.code}: ` : '') + (error.message.split('\n')[0] ?? '')
  }
}

function parseStatus(response: RawResponse): KubeStatus {
  const text = response.body.toString('utf8')
  try {
    const parsed = JSON.parse(text) as KubeStatus
    if (parsed && typeof parsed === 'object') return parsed
  } catch {
    // Not a Status: proxies and load balancers answer with HTML or plain text.
  }
  const snippet = text.trim().split('\n')[0]?.slice(0, 200)
  return {code: response.status, message: snippet ? `HTTP ${response.status}: ${snippet}` : `HTTP ${response.status}`}
}

/** Retry-After in seconds (the API server's form) or an HTTP date; 1 s when absent or unreadable. */
function retryAfterMs(value: string | string[] | undefined): number {
  const text = Array.isArray(value) ? value[0] : value
  if (!text) return 1000
  if (/^\d+$/.test(text.trim())) return Number(text.trim()) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? 1000 : Math.max(0, date - Date.now())
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

/** `30s`, `1m0s`, `1m30s`, `2h0m0s`: Go's duration words, as kubectl prints them. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return formatMs(ms)
  const totalSeconds = Math.round(ms / 1000)
  const hours = Math.floor(totalSeconds / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  const secondsPart = `${minutes}m${totalSeconds % 60}s`
  return hours > 0 ? `${hours}h${secondsPart}` : secondsPart
}

/** What makes an object of a list unique (its uid, else namespace and name), and how to name it. */
function itemIdentity(item: unknown): {key: string; label: string} | undefined {
  const meta = (item as {metadata?: {uid?: unknown; name?: unknown; namespace?: unknown}} | null)?.metadata
  if (!meta || typeof meta !== 'object') return undefined
  const name = typeof meta.name === 'string' && meta.name !== '' ? `${typeof meta.namespace === 'string' && meta.namespace ? `${meta.namespace}/` : ''}${meta.name}` : undefined
  if (typeof meta.uid === 'string' && meta.uid !== '') return {key: `uid:${meta.uid}`, label: name ? `${name} (uid ${meta.uid})` : `uid ${meta.uid}`}
  return name ? {key: `name:${name}`, label: name} : undefined
}

/**
 * An `as-user-extra` key as a header-name suffix, as client-go writes it: bytes that may not appear
 * in a header name, and `%` itself (left out of the token characters below), are percent-encoded (`acme.com/project` -> `acme.com%2Fproject`);
 * the API server decodes them (and lower-cases the key).
 */
export function escapeExtraKey(key: string): string {
  let out = ''
  for (const byte of Buffer.from(key, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += /^[A-Za-z0-9!#$&'*+\-.^_`|~]$/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}
