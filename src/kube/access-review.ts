// Ask the cluster's own authorizer (RBAC plus any webhook, Node, ABAC...) through
// SubjectAccessReview: the only way to confirm an answer computed from RBAC objects. Identical
// questions are asked once; at most `concurrency` are in flight.
import type {KubeClient} from './client.js'
import {KubeApiError, KubeForbiddenError} from './errors.js'

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
}

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

export async function reviewAccess(client: KubeClient, questions: AccessQuestion[], options: {concurrency?: number} = {}): Promise<AccessReviewResult> {
  const concurrency = Math.max(1, options.concurrency ?? 8)
  const unique = new Map<string, {question: AccessQuestion; answer?: AccessAnswer}>()
  const keys = questions.map((question) => {
    const key = questionKey(question)
    if (!unique.has(key)) unique.set(key, {question})
    return key
  })
  const pending = [...unique.values()]
  let requests = 0
  let refusal: string | undefined

  const ask = async (slot: {question: AccessQuestion; answer?: AccessAnswer}): Promise<void> => {
    if (refusal !== undefined) return
    requests++
    try {
      const review = await client.post<{status?: {allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string}}>(SAR_PATH, toReview(slot.question))
      const status = review.status ?? {}
      slot.answer = {allowed: status.allowed === true, denied: status.denied === true, reason: status.reason ?? '', evaluationError: status.evaluationError ?? '', unverified: false}
    } catch (error) {
      if (error instanceof KubeForbiddenError) {
        // Not allowed to ask: every further question would get the same 403.
        refusal ??= `cannot verify with SubjectAccessReview: ${error.userMessage}`
        return
      }
      // Invalid question or server error: this answer stays unverified, the others go on.
      if (error instanceof KubeApiError) {
        slot.answer = {allowed: false, denied: false, reason: '', evaluationError: error.userMessage, unverified: true}
        return
      }
      throw error
    }
  }

  // The first question alone: a 403 there stops everything after one request.
  if (pending.length > 0) await ask(pending[0]!)
  let next = 1
  const workers = Array.from({length: Math.min(concurrency, Math.max(0, pending.length - 1))}, async () => {
    while (refusal === undefined && next < pending.length) await ask(pending[next++]!)
  })
  await Promise.all(workers)

  const unverifiedAnswer = (): AccessAnswer => ({allowed: false, denied: false, reason: '', evaluationError: '', unverified: true})
  const answers = keys.map((key) => {
    const answer = unique.get(key)!.answer
    return refusal !== undefined || !answer ? unverifiedAnswer() : {...answer}
  })
  const result: AccessReviewResult = {answers, unverified: refusal !== undefined, requests}
  if (refusal !== undefined) result.message = refusal
  return result
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
