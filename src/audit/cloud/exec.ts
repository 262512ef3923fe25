// Runs one page-sized call of a cloud CLI. Throttling is retried with bounded exponential backoff;
// anything else becomes a typed CloudSourceError. Each call returns one page, so memory stays at a
// page whatever the window.
import {execa} from 'execa'
import {CloudSourceError, classifyCliFailure, isThrottle, notInstalled, type CliName} from './errors.js'

export interface RetryPolicy {
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = {attempts: 5, baseDelayMs: 1000, maxDelayMs: 20_000}

export function retryPolicy(partial?: Partial<RetryPolicy>): RetryPolicy {
  return {...DEFAULT_RETRY, ...partial}
}

export interface CliCall {
  cli: CliName
  args: string[]
  /** Names what is read, for error messages (`log group /aws/eks/x/cluster`). */
  context: string
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal
  retry: RetryPolicy
  onRetry?: (attempt: number, delayMs: number) => void
}

export class AbortedError extends Error {
  constructor() {
    super('aborted')
    this.name = 'AbortedError'
  }
}

/** Run the CLI, return stdout. Throws CloudSourceError, or AbortedError when the signal fired. */
export async function runCli(call: CliCall): Promise<{stdout: string; retries: number}> {
  let retries = 0
  for (let attempt = 1; ; attempt++) {
    if (call.signal?.aborted) throw new AbortedError()
    const result = await execa(call.cli, call.args, {
      env: call.env,
      extendEnv: call.env === undefined,
      reject: false,
      stdin: 'ignore',
      cancelSignal: call.signal,
      forceKillAfterDelay: 2000,
      maxBuffer: 256 * 1024 * 1024,
      encoding: 'utf8',
    })
    if (call.signal?.aborted || result.isCanceled) throw new AbortedError()
    const code = (result as {code?: string}).code
    if (code === 'ENOENT' || (result.failed && result.exitCode === undefined && /ENOENT/.test(String(result.message)))) {
      throw notInstalled(call.cli)
    }
    if (!result.failed) return {stdout: String(result.stdout), retries}
    const stderr = String(result.stderr ?? '') || String(result.message ?? '')
    if (isThrottle(stderr) && attempt < call.retry.attempts) {
      const delay = backoff(call.retry, attempt)
      retries++
      call.onRetry?.(attempt, delay)
      await sleep(delay, call.signal)
      continue
    }
    throw classifyCliFailure(call.cli, stderr, call.context)
  }
}

/** Exponential backoff with full jitter, capped. */
export function backoff(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2))
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError())
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(new AbortedError())
    }
    signal?.addEventListener('abort', onAbort, {once: true})
  })
}

export function parseJsonOutput(stdout: string, cli: CliName, context: string): unknown {
  const text = stdout.trim()
  if (text === '') return null
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new CloudSourceError('bad-output', `${cli} returned output that is not JSON while reading ${context}`, {cause: error})
  }
}
