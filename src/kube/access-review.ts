// Ask the cluster's own authorizer (RBAC plus any webhook, Node, ABAC...) through
// SubjectAccessReview: the only way to confirm an answer computed from RBAC objects. Identical
// questions are asked once; at most `concurrency` are in flight.
import type {KubeClient} from './client.js'
import {sanitizeForTerminal} from '../lib/sanitize.js'
import {KubeApiError, KubeConnectionError, KubeForbiddenError, KubeTimeoutError} from './errors.js'

export interface ResourceAttributes {
  namespace?: string
  verb: string
  group?: string
  version?: string
  resource: string
  subresource?: string
  name?: string
}

export interface NonResourceAttributes {
  path: string
  verb: string
}

export interface AccessQuestion {
  user: string
  groups?: string[]
  uid?: string
  extra?: Record<string, string[]>
  resourceAttributes?: ResourceAttributes
  nonResourceAttributes?: NonResourceAttributes
}

export interface AccessAnswer {
  allowed: boolean
  denied: boolean
  reason: string
  evaluationError: string
  /** The question could not be asked (no permission to create SubjectAccessReviews, or an error). */
  unverified: boolean
}

export interface AccessReviewResult {
  /** One answer per question, in the order asked. */
  answers: AccessAnswer[]
  /** Every answer is unverified; `message` says why, once. */
  unverified: boolean
  message?: string
  /** SubjectAccessReviews actually sent (after de-duplication). */
  requests: number
  /** Distinct questions (after de-duplication). */
  asked: number
  /**
   * Distinct questions left unverified because the endpoint failed them (timeout, connection,
   * HTTP error, an answer that is not a SubjectAccessReview) or was given up on: each cause in
   * words with its count, the most frequent first. Empty when every question was answered.
   */
  failures: {cause: string; count: number}[]
  /** Of those, answers that were JSON but not a valid SubjectAccessReview status. */
  malformed: number
  /** Set when the endpoint was given up on (it did not answer, or failed too often): why, in words. */
  gaveUp?: string
}

export interface ReviewOptions {
  concurrency?: number
  /**
   * Longest wait for one review (ms). Default: the client's --request-timeout, or
   * DEFAULT_REVIEW_TIMEOUT_MS when none is set, so a hanging endpoint cannot hang the run.
   */
  timeoutMs?: number
  /** Longest time spent on all reviews together (ms); default REVIEW_BUDGET_MS or 4 timeouts, whichever is longer. */
  budgetMs?: number
  /** Failures in a row after which the endpoint is given up on and the rest is not asked. */
  maxConsecutiveFailures?: number
}

/** A review is one small authorizer call: 30 s without an answer means the endpoint is not answering. */
export const DEFAULT_REVIEW_TIMEOUT_MS = 30_000
/** All reviews together, at least: a big cluster's thousands of reviews take seconds when the endpoint works. */
export const REVIEW_BUDGET_MS = 120_000
const MAX_CONSECUTIVE_FAILURES = 5

/**
 * The identity the API server gives a service account's token: what a SubjectAccessReview must
 * name to ask about `system:serviceaccount:<ns>:<name>`.
 */
export function serviceAccountIdentity(namespace: string, name: string): {user: string; groups: string[]} {
  return {user: `system:serviceaccount:${namespace}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated']}
}

const SAR_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews'

/** The key of a question: the same subject and attributes, whatever the order of groups. */
export function questionKey(question: AccessQuestion): string {
  const extra = question.extra ? Object.keys(question.extra).sort().map((key) => [key, [...question.extra![key]!].sort()]) : []
  return JSON.stringify([
    question.user,
    [...new Set(question.groups ?? [])].sort(),
    question.uid ?? '',
    extra,
    question.resourceAttributes ? sortedEntries(question.resourceAttributes) : null,
    question.nonResourceAttributes ? sortedEntries(question.nonResourceAttributes) : null,
  ])
}

interface Slot {
  question: AccessQuestion
  answer?: AccessAnswer
}

export async function reviewAccess(client: KubeClient, questions: AccessQuestion[], options: ReviewOptions = {}): Promise<AccessReviewResult> {
  const concurrency = Math.max(1, options.concurrency ?? 8)
  const timeoutMs = options.timeoutMs ?? (client.config.requestTimeoutMs > 0 ? client.config.requestTimeoutMs : DEFAULT_REVIEW_TIMEOUT_MS)
  const budgetMs = options.budgetMs ?? Math.max(REVIEW_BUDGET_MS, 4 * timeoutMs)
  const maxFailures = Math.max(1, options.maxConsecutiveFailures ?? MAX_CONSECUTIVE_FAILURES)
  const deadline = performance.now() + budgetMs
  const unique = new Map<string, Slot>()
  const keys = questions.map((question) => {
    const key = questionKey(question)
    if (!unique.has(key)) unique.set(key, {question})
    return key
  })
  const pending = [...unique.values()]
  let requests = 0
  let refusal: string | undefined
  // Why the rest was not asked: the endpoint failed too often in a row, or the time budget ran out.
  let gaveUp: string | undefined
  let failuresInARow = 0
  // Reviews the endpoint answered at all (even with a refusal): until one is, a timeout means it is not answering.
  let answered = 0
  let malformed = 0
  const causes = new Map<string, number>()
  const fail = (slot: Slot, cause: string): void => {
    causes.set(cause, (causes.get(cause) ?? 0) + 1)
    slot.answer = {allowed: false, denied: false, reason: '', evaluationError: cause, unverified: true}
    if (++failuresInARow >= maxFailures) gaveUp ??= `not sent after ${failuresInARow} failures in a row`
  }

  const ask = async (slot: Slot): Promise<void> => {
    if (refusal !== undefined || gaveUp !== undefined) return
    const remaining = deadline - performance.now()
    if (remaining <= 0) {
      gaveUp ??= `not sent: the ${formatMs(budgetMs)} allowed for all reviews ran out`
      return
    }
    requests++
    let review: unknown
    try {
      // The per-request bound: a review that never answers costs one timeout, not the run.
      review = await client.post<unknown>(SAR_PATH, toReview(slot.question), {timeoutMs: Math.max(1, Math.min(timeoutMs, Math.ceil(remaining)))})
    } catch (error) {
      if (error instanceof KubeForbiddenError) {
        // Not allowed to ask: every further question would get the same 403.
        refusal ??= `cannot verify with SubjectAccessReview: ${error.userMessage}`
        return
      }
      if (error instanceof KubeTimeoutError) {
        fail(slot, `timed out after ${formatMs(timeoutMs)}`)
        // The first question goes alone: when it times out, the others would each wait as long.
        if (answered === 0) gaveUp ??= `not sent: the endpoint answered no review within ${formatMs(timeoutMs)}`
        return
      }
      if (error instanceof KubeConnectionError) return fail(slot, `connection failed: ${error.reason}`)
      if (error instanceof KubeApiError) {
        // 400/404/422: this question was refused (the others may be fine); anything else is the endpoint failing.
        answered++
        if (error.code === 400 || error.code === 404 || error.code === 422) {
          causes.set(`refused (${error.code})`, (causes.get(`refused (${error.code})`) ?? 0) + 1)
          slot.answer = {allowed: false, denied: false, reason: '', evaluationError: error.userMessage, unverified: true}
          return
        }
        return fail(slot, error.code >= 200 && error.code < 300 ? 'the answer is not JSON' : sanitizeForTerminal(`HTTP ${error.code}${error.reason ? ` ${error.reason}` : ''}`))
      }
      throw error
    }
    answered++
    const status = readStatus(review)
    if (typeof status === 'string') {
      malformed++
      return fail(slot, `malformed answer: ${status}`)
    }
    failuresInARow = 0
    slot.answer = {...status, unverified: false}
  }

  // The first question alone: a 403 there stops everything after one request.
  if (pending.length > 0) await ask(pending[0]!)
  let next = 1
  const workers = Array.from({length: Math.min(concurrency, Math.max(0, pending.length - 1))}, async () => {
    while (refusal === undefined && gaveUp === undefined && next < pending.length) await ask(pending[next++]!)
  })
  await Promise.all(workers)

  const unverifiedAnswer = (): AccessAnswer => ({allowed: false, denied: false, reason: '', evaluationError: '', unverified: true})
  if (refusal === undefined) {
    const unasked = pending.filter((slot) => !slot.answer).length
    if (unasked > 0 && gaveUp) causes.set(gaveUp, unasked)
  }
  const answers = keys.map((key) => {
    const answer = unique.get(key)!.answer
    return refusal !== undefined || !answer ? unverifiedAnswer() : {...answer}
  })
  const result: AccessReviewResult = {
    answers,
    unverified: refusal !== undefined,
    requests,
    asked: pending.length,
    // A refusal is said once as `message`; the failures are the answers the endpoint could not give.
    failures: refusal !== undefined ? [] : [...causes].map(([cause, count]) => ({cause, count})).sort((a, b) => b.count - a.count),
    malformed: refusal !== undefined ? 0 : malformed,
  }
  if (refusal !== undefined) result.message = refusal
  else if (gaveUp !== undefined) result.gaveUp = gaveUp
  return result
}

/**
 * The status of a SubjectAccessReview answer, or what is wrong with it. Only a boolean `allowed`
 * is an answer: a missing or mistyped one must never read as "not allowed" (that would print
 * `denied`, a claim the server never made).
 */
export function readStatus(review: unknown): Omit<AccessAnswer, 'unverified'> | string {
  if (!isRecord(review)) return `the answer is ${describeValue(review)}, not an object`
  const status = review.status
  if (status === undefined) return 'no status'
  if (!isRecord(status)) return `status is ${describeValue(status)}`
  if (typeof status.allowed !== 'boolean') return `status.allowed is ${describeValue(status.allowed)}`
  for (const field of ['denied'] as const) {
    if (status[field] !== undefined && typeof status[field] !== 'boolean') return `status.${field} is ${describeValue(status[field])}`
  }
  for (const field of ['reason', 'evaluationError'] as const) {
    if (status[field] !== undefined && typeof status[field] !== 'string') return `status.${field} is ${describeValue(status[field])}`
  }
  if (status.allowed && status.denied === true) return 'status.allowed and status.denied are both true'
  return {
    allowed: status.allowed,
    denied: status.denied === true,
    reason: (status.reason as string | undefined) ?? '',
    evaluationError: (status.evaluationError as string | undefined) ?? '',
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'missing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

function toReview(question: AccessQuestion): unknown {
  const spec: Record<string, unknown> = {user: question.user}
  if (question.groups && question.groups.length > 0) spec.groups = question.groups
  if (question.uid) spec.uid = question.uid
  if (question.extra) spec.extra = question.extra
  if (question.resourceAttributes) spec.resourceAttributes = question.resourceAttributes
  if (question.nonResourceAttributes) spec.nonResourceAttributes = question.nonResourceAttributes
  return {apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec}
}

function sortedEntries(value: object): [string, unknown][] {
  return Object.entries(value).filter(([, v]) => v !== undefined && v !== '').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

// ---- discovery ----

export interface APIResource {
  name: string
  singularName?: string
  namespaced: boolean
  group?: string
  version?: string
  kind: string
  verbs: string[]
  shortNames?: string[]
  categories?: string[]
}

export interface APIResourceList {
  kind?: string
  apiVersion?: string
  groupVersion: string
  resources: APIResource[]
}

export interface APIGroup {
  name: string
  versions: {groupVersion: string; version: string}[]
  preferredVersion?: {groupVersion: string; version: string}
}

export interface DiscoveryResult {
  /** /api: the core group's versions (normally just v1). */
  coreVersions: string[]
  /** /apis */
  groups: APIGroup[]
  /** One list per core version and per group's preferred version that could be read. */
  resourceLists: APIResourceList[]
  /** Group versions that could not be read (an unavailable aggregated API), as kubectl warns. */
  failed: {groupVersion: string; message: string}[]
  requests: number
}

/** Legacy discovery, as kubectl api-resources does it: /api, /apis, then each preferred version. */
export async function discoverResources(client: KubeClient, options: {concurrency?: number} = {}): Promise<DiscoveryResult> {
  const before = client.requestCount
  const [core, apis] = await Promise.all([
    client.get<{versions?: string[]}>('/api'),
    client.get<{groups?: APIGroup[]}>('/apis'),
  ])
  const coreVersions = core.versions ?? []
  const groups = apis.groups ?? []
  const targets = [
    ...coreVersions.map((version) => ({groupVersion: version, path: `/api/${version}`})),
    ...groups.flatMap((group) => {
      const preferred = group.preferredVersion?.groupVersion ?? group.versions[0]?.groupVersion
      return preferred ? [{groupVersion: preferred, path: `/apis/${preferred}`}] : []
    }),
  ]
  const lists: (APIResourceList | undefined)[] = new Array(targets.length)
  const failed: {groupVersion: string; message: string}[] = []
  let next = 0
  const workers = Array.from({length: Math.min(Math.max(1, options.concurrency ?? 8), targets.length)}, async () => {
    while (next < targets.length) {
      const index = next++
      const target = targets[index]!
      try {
        lists[index] = await client.get<APIResourceList>(target.path)
      } catch (error) {
        if (error instanceof KubeApiError) failed.push({groupVersion: target.groupVersion, message: error.userMessage})
        else throw error
      }
    }
  })
  await Promise.all(workers)
  return {
    coreVersions,
    groups,
    resourceLists: lists.filter((list): list is APIResourceList => list !== undefined),
    failed,
    requests: client.requestCount - before,
  }
}
