// Every failure of talking to a cluster ends as one of these: a one-line message a person can act
// on, and an exit code a script can branch on. Commands print `userMessage` and exit with
// `exitCode`; they never print a stack trace for these.
import {sanitizeForTerminal} from '../lib/sanitize.js'

/** Exit codes shared by every command that talks to a cluster. 1 stays oclif's generic failure. */
export const KUBE_EXIT_CODES = {
  /** kubeconfig missing, unreadable, or naming a context/cluster/user that does not exist. */
  config: 3,
  /** The API server could not be reached (DNS, refused, reset, timeout, TLS). */
  unreachable: 4,
  /** 401: the credentials were rejected, or an exec/auth-provider plugin failed. */
  unauthorized: 5,
  /** 403 on a request the command cannot do without. */
  forbidden: 6,
  /** Any other error Status from the server. */
  api: 7,
} as const

/** The `Status` object the API server sends with every error (meta/v1). */
export interface KubeStatus {
  kind?: string
  apiVersion?: string
  status?: string
  message?: string
  reason?: string
  code?: number
  details?: {name?: string; group?: string; kind?: string; retryAfterSeconds?: number; causes?: {message?: string}[]}
}

export class KubeError extends Error {
  readonly exitCode: number
  /** One line, safe to print as is (no stack, no secret). */
  readonly userMessage: string

  constructor(userMessage: string, exitCode: number, options?: {cause?: unknown}) {
    super(userMessage, options)
    this.name = new.target.name
    // Server messages and plugin output are not ours: no escape sequence reaches the terminal.
    this.userMessage = sanitizeForTerminal(oneLine(userMessage))
    this.exitCode = exitCode
  }
}

export class KubeConfigError extends KubeError {
  constructor(message: string, options?: {cause?: unknown}) {
    super(message, KUBE_EXIT_CODES.config, options)
  }
}

/** Network-level failure: the request never got an HTTP answer. */
export class KubeConnectionError extends KubeError {
  readonly server: string
  /** Short cause in words: `connection refused`, `timeout after 30s`, `certificate signed by unknown authority`... */
  readonly reason: string

  constructor(server: string, reason: string, options?: {cause?: unknown}) {
    super(`cannot reach ${server}: ${reason}`, KUBE_EXIT_CODES.unreachable, options)
    this.server = server
    this.reason = reason
  }
}

export class KubeTimeoutError extends KubeConnectionError {}

/**
 * A response body past --max-response-size (an API server that never ends its body would
 * otherwise fill the memory): the connection is dropped and nothing of the body is used.
 */
export class KubeResponseTooLargeError extends KubeError {
  readonly method: string
  readonly path: string
  readonly limitBytes: number

  constructor(request: {method: string; path: string}, limitBytes: number, together = false) {
    const what = together ? 'the responses being read together are' : 'the response is'
    super(`${request.method} ${request.path}: ${what} larger than ${formatBytes(limitBytes)} (--max-response-size); the connection was closed`, KUBE_EXIT_CODES.api)
    this.method = request.method
    this.path = request.path
    this.limitBytes = limitBytes
  }
}

/**
 * A paged list that would never end: a continue token the server already sent, a page that
 * repeats objects already listed, or more pages than any cluster has. What was read is not a
 * whole list; callers treat it as that list failing.
 */
export class KubeListError extends KubeError {
  readonly path: string

  /** `endless`: the list never ends (tokens, repeated items); `malformed`: a page is not a list. */
  constructor(path: string, problem: string, kind: 'endless' | 'malformed' = 'endless') {
    super(kind === 'endless' ? `the list of ${path} does not end: ${problem}` : `the list of ${path} is malformed: ${problem}`, KUBE_EXIT_CODES.api)
    this.path = path
  }
}

/** `256 MiB`, `1.5 GiB`, `512 KiB`, `100 B`: how the limit is printed (the flag takes `256Mi`). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`
}

/** A credential plugin (exec, auth-provider, token file) failed before any request was sent. */
export class KubeCredentialError extends KubeError {
  constructor(message: string, options?: {cause?: unknown}) {
    super(message, KUBE_EXIT_CODES.unauthorized, options)
  }
}

/** The server answered with an error `Status`; `message` is the server's own words. */
export class KubeApiError extends KubeError {
  readonly code: number
  readonly reason: string
  readonly status: KubeStatus
  readonly method: string
  readonly path: string

  constructor(code: number, status: KubeStatus, request: {method: string; path: string}, exitCode: number = KUBE_EXIT_CODES.api) {
    const message = oneLine(status.message || `${request.method} ${request.path}: HTTP ${code}${status.reason ? ` ${status.reason}` : ''}`)
    super(message, exitCode)
    this.code = code
    this.reason = status.reason ?? ''
    this.status = status
    this.method = request.method
    this.path = request.path
  }
}

export class KubeUnauthorizedError extends KubeApiError {
  constructor(status: KubeStatus, request: {method: string; path: string}) {
    super(401, {...status, message: status.message || 'Unauthorized: the server rejected the credentials (check the token or run the login command of your cluster again)'}, request, KUBE_EXIT_CODES.unauthorized)
  }
}

export class KubeForbiddenError extends KubeApiError {
  constructor(status: KubeStatus, request: {method: string; path: string}) {
    super(403, status, request, KUBE_EXIT_CODES.forbidden)
  }
}

export class KubeNotFoundError extends KubeApiError {
  constructor(status: KubeStatus, request: {method: string; path: string}) {
    super(404, status, request)
  }
}

/** 410 Gone on a list with `continue`: the token outlived the server's compaction window. */
export class KubeExpiredError extends KubeApiError {
  constructor(status: KubeStatus, request: {method: string; path: string}) {
    super(410, status, request)
  }
}

/** Build the typed error for an HTTP error answer. */
export function apiErrorFor(code: number, status: KubeStatus, request: {method: string; path: string}): KubeApiError {
  if (code === 401) return new KubeUnauthorizedError(status, request)
  if (code === 403) return new KubeForbiddenError(status, request)
  if (code === 404) return new KubeNotFoundError(status, request)
  if (code === 410) return new KubeExpiredError(status, request)
  return new KubeApiError(code, status, request)
}

/** Messages come from the server: keep them to one line so they cannot forge output lines. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim()
}

/** For commands: the one line to print for any error, typed or not, without a stack trace. */
export function describeError(error: unknown): {message: string; exitCode: number} {
  if (error instanceof KubeError) return {message: error.userMessage, exitCode: error.exitCode}
  if (error instanceof Error) return {message: sanitizeForTerminal(oneLine(error.message)), exitCode: 1}
  return {message: sanitizeForTerminal(oneLine(String(error))), exitCode: 1}
}
