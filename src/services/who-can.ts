// who-can, end to end: get the RBAC objects (a cluster or manifests), ask the engine, and when
// connected confirm every answer with the API server's own authorizer (SubjectAccessReview),
// which also sees webhook authorizers (EKS access entries, GKE IAM, AKS Azure RBAC).
import type {AccessQuestion, AccessReviewResult} from '../kube/access-review.js'
import type {KubeClient} from '../kube/client.js'
import type {KubeOptions} from '../kube/flags.js'
import type {MissingRead} from '../kube/rbac-fetch.js'
import {builtinResourceTable, type ResourceTable} from '../rbac/resources.js'
import {subjectIdentity, targetLabel, whoCan, type GrantedAccess, type SubjectGrant, type WhoCanAnswer, type WhoCanTarget} from '../rbac/who-can.js'
import type {RbacSnapshot, RequestAttributes, ServiceAccountRef} from '../rbac/types.js'
import {parseQuestion, type Question} from './who-can-question.js'
import type {IndirectGrant} from '../rbac/indirect.js'

export interface WhoCanOptions {
  args: string[]
  verbs?: string[]
  subresource?: string
  namespace?: string
  allNamespaces: boolean
  expandGroups: boolean
  checkServiceAccounts: boolean
  /** Offline: read RBAC from these files or folders instead of a cluster. */
  manifests?: string[]
  /** Ask the API server to confirm each answer (connected only). */
  confirm: boolean
  kube: KubeOptions
  /** Diagnostics for stderr. */
  onWarning?: (message: string) => void
  onProgress?: (message: string) => void
  /** SubjectAccessReviews in flight at once. */
  concurrency?: number
  /** `--indirect`: also the subjects that reach secrets through other paths (src/rbac/indirect.ts). */
  indirect?: boolean
}

/**
 * confirmed: the server allows every access RBAC grants; denied: it allows none (RBAC says yes,
 * the server says no); partial: some; unverified: the caller may not ask, or a review got no
 * usable answer (timeout, error, malformed answer: never read as a denial); offline: no server;
 * skipped: --no-confirm.
 */
export type Confirmation = 'confirmed' | 'denied' | 'partial' | 'unverified' | 'offline' | 'skipped'

export interface AccessCheck {
  verb: string
  target: string
  /** '' for cluster-wide. */
  namespace: string
  allowed: boolean
  unverified: boolean
  reason?: string
}

export interface ReportedSubject extends SubjectGrant {
  confirmation: Confirmation
  checks?: AccessCheck[]
}

/** A ServiceAccount the server allows although no RBAC object grants it (`--check-serviceaccounts`). */
export interface ServerOnlyGrant {
  kind: 'ServiceAccount'
  namespace: string
  name: string
  checks: AccessCheck[]
}

export interface WhoCanReport extends Omit<WhoCanAnswer, 'subjects'> {
  source: {kind: 'manifests'; paths: string[]} | {kind: 'cluster'; server: string; context?: string}
  subjects: ReportedSubject[]
  serverOnly: ServerOnlyGrant[]
  confirmation: {enabled: boolean; requests: number; unverifiedReason?: string; failed?: ReviewFailures}
  /** Set when some RBAC objects could not be read or were malformed: the answer may be missing subjects. */
  incomplete?: Incompleteness
  stats: {requests: number; fetchMs: number; analysisMs: number; confirmMs: number; roles: number; bindings: number}
  /** `--indirect` only: kept apart from the direct grants in `subjects`. */
  indirect?: ReportedIndirect[]
}

/** Why an answer may lack subjects. */
export interface Incompleteness {
  /** Lists the caller may not read. */
  missing: MissingRead[]
  /**
   * Inputs skipped as malformed or unreadable: a file, a document of a file, or one object (a
   * role whose rules are not a list, a binding without roleRef...), each with what is wrong.
   */
  skipped?: SkippedInput[]
}

export interface SkippedInput {
  /** `FILE: document N`, `ClusterRole "name"`: terminal-safe. */
  source: string
  reason: string
}

/**
 * SubjectAccessReviews the endpoint did not answer usably (timeouts, errors, malformed answers):
 * the subjects they concern stay `unverified`; the RBAC answer stands.
 */
export interface ReviewFailures {
  /** Distinct reviews that could not be used, of `asked`. */
  count: number
  asked: number
  /** Of those, answers that were not a valid SubjectAccessReview. */
  malformed: number
  causes: {cause: string; count: number}[]
  /** The endpoint was given up on: no further round of reviews was sent. */
  gaveUp?: string
}

/** An indirect path with the API server's word on the access that opens it. */
export interface ReportedIndirect extends IndirectGrant {
  confirmation: Confirmation
  checks?: AccessCheck[]
}

/** Exit code of an answer computed without every RBAC object (distinct from connection errors). */
export const INCOMPLETE_EXIT_CODE = 8

export async function runWhoCan(options: WhoCanOptions): Promise<WhoCanReport> {
  if (options.allNamespaces && options.namespace) throw new UsageError('use either -n/--namespace or -A/--all-namespaces, not both')
  return options.manifests && options.manifests.length > 0 ? runOffline(options) : runConnected(options)
}

export class UsageError extends Error {
  override name = 'UsageError'
}

async function runOffline(options: WhoCanOptions): Promise<WhoCanReport> {
  const question = parseQuestion({args: options.args, verbs: options.verbs, subresource: options.subresource}, builtinResourceTable())
  const started = performance.now()
  const {loadManifests} = await import('../kube/load-manifests.js')
  const loaded = await loadManifests(options.manifests!)
  // What was skipped is said once, in the INCOMPLETE account; notes (assumptions) go as they are.
  for (const w of loaded.notes) options.onWarning?.(w)
  const fetchMs = performance.now() - started
  // Offline there is no context: without -n, the question is about the `default` namespace, as kubectl.
  const namespace = options.allNamespaces ? undefined : (options.namespace ?? 'default')
  const analysisStart = performance.now()
  const answer = ask(loaded.snapshot, question, {...options, namespace})
  const analysisMs = performance.now() - analysisStart
  return {
    ...answer,
    source: {kind: 'manifests', paths: options.manifests!},
    subjects: answer.subjects.map((s) => ({...s, confirmation: 'offline' as const})),
    serverOnly: [],
    confirmation: {enabled: false, requests: 0},
    stats: {requests: 0, fetchMs, analysisMs, confirmMs: 0, ...sizeOf(loaded.snapshot)},
    ...(options.indirect ? {indirect: (await indirectFor(loaded.snapshot, options.allNamespaces, namespace)).map((g) => ({...g, confirmation: 'offline' as const}))} : {}),
    ...(loaded.skipped.length > 0 ? {incomplete: {missing: [], skipped: loaded.skipped}} : {}),
  }
}

async function indirectFor(snapshot: RbacSnapshot, allNamespaces: boolean, namespace: string | undefined): Promise<IndirectGrant[]> {
  const {indirectWhoCan} = await import('../rbac/indirect.js')
  return indirectWhoCan(snapshot, {allNamespaces, ...(namespace ? {namespace} : {})})
}

async function runConnected(options: WhoCanOptions): Promise<WhoCanReport> {
  const {createKubeClient} = await import('../kube/client.js')
  const client = await createKubeClient(options.kube, {onWarning: options.onWarning})
  const namespace = options.allNamespaces ? undefined : (options.namespace ?? client.config.namespace)
  const started = performance.now()
  const table = await resourceTable(client, options)
  const question = parseQuestion({args: options.args, verbs: options.verbs, subresource: options.subresource}, table)
  const {fetchRbacSnapshot} = await import('../kube/rbac-fetch.js')
  options.onProgress?.(`reading RBAC objects from ${client.server}`)
  const fetched = await fetchRbacSnapshot(client, {
    namespaces: options.allNamespaces,
    serviceAccounts: options.expandGroups || options.checkServiceAccounts,
  })
  const fetchMs = performance.now() - started
  const analysisStart = performance.now()
  const answer = ask(fetched.snapshot, question, {...options, namespace})
  const analysisMs = performance.now() - analysisStart

  const confirmStart = performance.now()
  let subjects: ReportedSubject[] = answer.subjects.map((s) => ({...s, confirmation: 'skipped' as const}))
  let serverOnly: ServerOnlyGrant[] = []
  let serverOnlyGap: MissingRead | undefined
  const rounds: ReviewFailures[] = []
  const confirmation: WhoCanReport['confirmation'] = {enabled: options.confirm, requests: 0}
  if (options.confirm) {
    options.onProgress?.('confirming with SubjectAccessReview')
    const confirmed = await confirm(client, answer.subjects, question.targets, options)
    subjects = answer.subjects.map((s, i) => ({...s, ...confirmed.results[i]!}))
    confirmation.requests = confirmed.requests
    rounds.push(confirmed.failed)
    if (confirmed.unverifiedReason) confirmation.unverifiedReason = confirmed.unverifiedReason
    if (options.checkServiceAccounts && confirmed.failed.gaveUp) {
      // Asking about every ServiceAccount of an endpoint that stopped answering would only wait again.
      serverOnlyGap = {
        kind: 'subjectaccessreviews.authorization.k8s.io',
        verb: 'create',
        reason: confirmed.failed.gaveUp,
        description: 'ask about the ServiceAccounts RBAC does not name (--check-serviceaccounts)',
      }
    } else if (options.checkServiceAccounts && !confirmed.unverifiedReason) {
      const known = new Set(answer.subjects.map((s) => s.key))
      const found = await findServerOnlyGrants(client, fetched.snapshot, fetched.snapshot.serviceAccounts ?? [], known, question, namespace, options)
      serverOnly = found.grants
      confirmation.requests += found.requests
      rounds.push(found.failed)
      if (found.failed.count > 0) {
        // Here a review that went unanswered may hide a grant: that part of the answer is missing.
        serverOnlyGap = {
          kind: 'subjectaccessreviews.authorization.k8s.io',
          verb: 'create',
          reason: found.failed.causes.map((c) => `${c.count} ${c.cause}`).join('; '),
          description: `ask about ${found.failed.count} of ${found.failed.asked} ServiceAccount questions (--check-serviceaccounts)`,
        }
      }
    }
  }
  const confirmMs = performance.now() - confirmStart

  const report: WhoCanReport = {
    ...answer,
    source: {kind: 'cluster', server: client.server, ...(client.config.contextName ? {context: client.config.contextName} : {})},
    subjects,
    serverOnly,
    confirmation,
    stats: {requests: client.requestCount, fetchMs, analysisMs, confirmMs, ...sizeOf(fetched.snapshot)},
  }
  const missing = serverOnlyGap ? [...fetched.missing, serverOnlyGap] : fetched.missing
  const skipped = fetched.malformed.map((m): SkippedInput => ({source: m.object, reason: m.problem}))
  if (missing.length > 0 || skipped.length > 0) report.incomplete = {missing, ...(skipped.length > 0 ? {skipped} : {})}
  if (options.indirect) {
    const indirect: ReportedIndirect[] = (await indirectFor(fetched.snapshot, options.allNamespaces, namespace)).map((g) => ({
      ...g,
      confirmation: options.confirm ? 'unverified' : 'skipped',
    }))
    if (options.confirm && !confirmation.unverifiedReason && !rounds.some((r) => r.gaveUp)) {
      // The same SubjectAccessReviews for each indirect path (the Node authorizer's entry is not an
      // RBAC grant: its access is per node and pod, so it stays unverified).
      options.onProgress?.('confirming the indirect paths with SubjectAccessReview')
      const {indirectTargets} = await import('../rbac/indirect.js')
      const rbacGrants = indirect.filter((g) => !g.synthetic)
      const confirmed = await confirm(client, rbacGrants, indirectTargets(), options)
      rbacGrants.forEach((g, i) => Object.assign(g, confirmed.results[i]))
      confirmation.requests += confirmed.requests
      rounds.push(confirmed.failed)
    }
    report.indirect = indirect
  }
  const failed = mergeFailures(rounds)
  if (failed.count > 0) confirmation.failed = failed
  if (failed.malformed > 0) {
    // A server that answers reviews with malformed objects is not one whose other answers can be
    // taken at their word either: as with a malformed RBAC object, the answer is marked incomplete.
    const skipped = [...(report.incomplete?.skipped ?? []), {source: 'access review answers', reason: `${failed.malformed} malformed (no status, or an allowed that is not a boolean): the subjects they concern are unverified`}]
    report.incomplete = {missing: report.incomplete?.missing ?? [], skipped}
  }
  client.close()
  return report
}

function ask(snapshot: RbacSnapshot, question: Question, options: WhoCanOptions & {namespace?: string}): WhoCanAnswer {
  return whoCan(snapshot, {
    verbs: question.verbs,
    targets: question.targets,
    allNamespaces: options.allNamespaces,
    expandGroups: options.expandGroups,
    ...(options.namespace ? {namespace: options.namespace} : {}),
  })
}

/** The cluster's own resource list (CRDs, aggregated APIs) when a resource was named; built-in otherwise. */
async function resourceTable(client: KubeClient, options: WhoCanOptions): Promise<ResourceTable> {
  const namesResource = options.args.some((a) => !a.startsWith('/')) && options.args.length > 0
  if (!namesResource) return builtinResourceTable()
  try {
    const {discoverResources} = await import('../kube/access-review.js')
    const {tableFromDiscovery} = await import('../rbac/resources.js')
    const discovery = await discoverResources(client)
    return tableFromDiscovery(discovery.resourceLists, {groups: discovery.groups})
  } catch (error) {
    // An unreachable server (refused, TLS handshake or no-data timeout) fails the RBAC lists too:
    // falling back would only make the person wait for the same timeout a second time.
    const {KubeConnectionError, KubeCredentialError, KubeUnauthorizedError} = await import('../kube/errors.js')
    if (error instanceof KubeConnectionError || error instanceof KubeCredentialError || error instanceof KubeUnauthorizedError) throw error
    options.onWarning?.(`discovery failed (${(error as Error).message}); resolving resource names from the built-in table`)
    return builtinResourceTable()
  }
}

interface CheckPlan {
  subject: number
  check: AccessCheck
}

/** What confirmation needs of a grant: who holds it and which (verb, target, scope) it gives. */
type ConfirmableGrant = Pick<SubjectGrant, 'kind' | 'name' | 'namespace' | 'access'>

/**
 * One SubjectAccessReview per subject, granted (verb, target) and scope: cluster-wide grants are
 * asked at the cluster scope (namespace ''), RoleBinding grants in each of their namespaces. The
 * identity carries the groups that subject really has, so group-granted access is seen too.
 */
async function confirm(
  client: KubeClient,
  subjects: readonly ConfirmableGrant[],
  targetList: readonly WhoCanTarget[],
  options: WhoCanOptions,
): Promise<{results: {confirmation: Confirmation; checks: AccessCheck[]}[]; requests: number; unverifiedReason?: string; failed: ReviewFailures}> {
  const {reviewAccess} = await import('../kube/access-review.js')
  const targets = new Map(targetList.map((t) => [targetLabel(t), t]))
  const questions: AccessQuestion[] = []
  const plan: CheckPlan[] = []
  subjects.forEach((subject, index) => {
    const identity = subjectIdentity(subject)
    for (const access of subject.access) {
      const target = targets.get(access.target)
      if (!target) continue
      for (const ns of scopesOf(access)) {
        questions.push(toQuestion(identity, access.verb, target, ns))
        plan.push({subject: index, check: {verb: access.verb, target: access.target, namespace: ns, allowed: false, unverified: true}})
      }
    }
  })
  const result: AccessReviewResult = await reviewAccess(client, questions, {concurrency: options.concurrency ?? 16})
  const checks: AccessCheck[][] = subjects.map(() => [])
  result.answers.forEach((answer, i) => {
    const p = plan[i]!
    const check: AccessCheck = {...p.check, allowed: answer.allowed, unverified: answer.unverified}
    const reason = answer.reason || answer.evaluationError
    if (reason) check.reason = reason
    checks[p.subject]!.push(check)
  })
  return {
    results: checks.map((c) => ({confirmation: verdict(c), checks: c})),
    requests: result.requests,
    failed: failuresOf(result),
    ...(result.message ? {unverifiedReason: result.message} : {}),
  }
}

function failuresOf(result: AccessReviewResult): ReviewFailures {
  return {count: result.failures.reduce((n, f) => n + f.count, 0), asked: result.asked, malformed: result.malformed, causes: result.failures, ...(result.gaveUp ? {gaveUp: result.gaveUp} : {})}
}

/** Several rounds of reviews (subjects, server-only, indirect) add up into one account. */
function mergeFailures(rounds: readonly ReviewFailures[]): ReviewFailures {
  const total: ReviewFailures = {count: 0, asked: 0, malformed: 0, causes: []}
  for (const round of rounds) {
    total.count += round.count
    total.asked += round.asked
    total.malformed += round.malformed
    for (const c of round.causes) {
      const same = total.causes.find((t) => t.cause === c.cause)
      if (same) same.count += c.count
      else total.causes.push({...c})
    }
  }
  total.causes.sort((a, b) => b.count - a.count)
  const gaveUp = rounds.find((r) => r.gaveUp)?.gaveUp
  if (gaveUp) total.gaveUp = gaveUp
  return total
}

function verdict(checks: AccessCheck[]): Confirmation {
  if (checks.length === 0 || checks.some((c) => c.unverified)) return 'unverified'
  const allowed = checks.filter((c) => c.allowed).length
  if (allowed === checks.length) return 'confirmed'
  return allowed === 0 ? 'denied' : 'partial'
}

function scopesOf(access: GrantedAccess): string[] {
  return access.scope.clusterWide ? [''] : access.scope.namespaces
}

/**
 * `--check-serviceaccounts`: ask about every ServiceAccount in scope that RBAC did not name, to
 * find what a webhook authorizer (or anything outside RBAC) grants.
 */
async function findServerOnlyGrants(
  client: KubeClient,
  snapshot: RbacSnapshot,
  serviceAccounts: ServiceAccountRef[],
  known: Set<string>,
  question: Question,
  namespace: string | undefined,
  options: WhoCanOptions,
): Promise<{grants: ServerOnlyGrant[]; requests: number; failed: ReviewFailures}> {
  const {reviewAccess} = await import('../kube/access-review.js')
  const {authorize, indexSnapshot} = await import('../rbac/authorizer.js')
  const index = indexSnapshot(snapshot)
  const inScope = serviceAccounts.filter((sa) => namespace === undefined || sa.namespace === namespace)
  const candidates = inScope.filter((sa) => !known.has(`ServiceAccount:${sa.namespace}/${sa.name}`))
  const questions: AccessQuestion[] = []
  const plan: {sa: number; check: AccessCheck}[] = []
  candidates.forEach((sa, index_) => {
    const identity = subjectIdentity({kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace})
    // Asked in the namespace of the question, or, across all namespaces, in the account's own.
    const ns = namespace ?? sa.namespace
    for (const target of question.targets) {
      const scoped = target.kind === 'resource' && target.namespaced ? ns : ''
      for (const verb of question.verbs) {
        const q = toQuestion(identity, verb, target, scoped)
        // What RBAC already explains (for instance through a group binding) is not asked.
        if (authorize(index, identity, toAttributes(q)).allowed) continue
        questions.push(q)
        plan.push({sa: index_, check: {verb, target: targetLabel(target), namespace: scoped, allowed: false, unverified: true}})
      }
    }
  })
  options.onProgress?.(`asking about ${candidates.length} ServiceAccounts that RBAC does not name`)
  const result = await reviewAccess(client, questions, {concurrency: options.concurrency ?? 16})
  const bySa = new Map<number, AccessCheck[]>()
  result.answers.forEach((answer, i) => {
    if (!answer.allowed) return
    const p = plan[i]!
    const check: AccessCheck = {...p.check, allowed: true, unverified: false}
    if (answer.reason) check.reason = answer.reason
    bySa.set(p.sa, [...(bySa.get(p.sa) ?? []), check])
  })
  const grants = [...bySa.entries()].map(([i, checks]) => ({kind: 'ServiceAccount' as const, namespace: candidates[i]!.namespace, name: candidates[i]!.name, checks}))
  return {grants, requests: result.requests, failed: failuresOf(result)}
}

function toQuestion(identity: {user: string; groups: string[]}, verb: string, target: WhoCanTarget, namespace: string): AccessQuestion {
  if (target.kind === 'nonResource') return {user: identity.user, groups: identity.groups, nonResourceAttributes: {path: target.path, verb}}
  return {
    user: identity.user,
    groups: identity.groups,
    resourceAttributes: {
      verb,
      group: target.apiGroup,
      resource: target.resource,
      ...(target.subresource ? {subresource: target.subresource} : {}),
      ...(target.name ? {name: target.name} : {}),
      ...(target.namespaced && namespace ? {namespace} : {}),
    },
  }
}

function toAttributes(q: AccessQuestion): RequestAttributes {
  if (q.nonResourceAttributes) return {kind: 'nonResource', verb: q.nonResourceAttributes.verb, path: q.nonResourceAttributes.path}
  const r = q.resourceAttributes!
  return {
    kind: 'resource',
    verb: r.verb,
    apiGroup: r.group ?? '',
    resource: r.resource,
    ...(r.subresource ? {subresource: r.subresource} : {}),
    ...(r.name ? {name: r.name} : {}),
    ...(r.namespace ? {namespace: r.namespace} : {}),
  }
}

function sizeOf(snapshot: RbacSnapshot): {roles: number; bindings: number} {
  return {
    roles: snapshot.roles.length + snapshot.clusterRoles.length,
    bindings: snapshot.roleBindings.length + snapshot.clusterRoleBindings.length,
  }
}
