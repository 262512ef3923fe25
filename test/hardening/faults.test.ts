// API faults injected by the fake kube-apiserver, seen through the built CLI (`who-can
// --kubeconfig`): every run must end in the fault-free answer, in an answer marked INCOMPLETE
// (exit 8), or in one clear, specific line and a non-zero exit. Never a stack trace, never a
// silently partial answer. The table of faults and outcomes goes to stderr.
import {afterAll, beforeAll, describe, it} from 'vitest'
import {loadManifests} from '../../src/kube/load-manifests.js'
import {authorize as rbacAuthorize, indexSnapshot} from '../../src/rbac/authorizer.js'
import {generateCluster, startFakeApiServer, type FakeApiServer, type FakeApiServerOptions, type FakeAuthorizer} from '../fake-apiserver/index.js'
import {requireBuild, runCli, SAMPLES_RBAC, STACK_TRACE} from './helpers.js'

interface Subject {
  kind: string
  name: string
  namespace?: string
  confirmation?: string
}

type Ending = 'correct' | 'incomplete' | 'error'

interface Scenario {
  fault: string
  /** The cluster: the sample RBAC objects, or a generated one big enough to page (limit 500). */
  cluster: 'sample' | 'paged'
  options: Partial<FakeApiServerOptions>
  /** A scripted authorizer that may throw: the fake server answers 500 InternalError then. */
  failing?: (attrs: Parameters<FakeAuthorizer>[1], user: Parameters<FakeAuthorizer>[0]) => boolean
  extraArgs?: string[]
  /** The endings this fault may legitimately have. */
  allowed: Ending[]
  /** What a clear error must name. */
  errorSays?: RegExp
  /** SubjectAccessReviews all failed: no answer may claim to be confirmed or denied by the server. */
  noConfirmations?: boolean
}

const PAGED_SCALE = {namespaces: 20, roles: 300, roleBindings: 1200, clusterRoles: 40, clusterRoleBindings: 600, serviceAccountsPerNamespace: 2, secretsPerNamespace: 1}

function scenarios(): Scenario[] {
  let listFailures = 0
  return [
    {fault: '429 + Retry-After: 1, first 3 requests', cluster: 'sample', options: {throttle: {requests: 3, retryAfterSeconds: 1}}, allowed: ['correct']},
    {fault: '429 + Retry-After: 0, first 3 requests', cluster: 'sample', options: {throttle: {requests: 3, retryAfterSeconds: 0}}, allowed: ['correct']},
    {fault: '429 without Retry-After, first 2 requests', cluster: 'sample', options: {throttle: {requests: 2, retryAfterSeconds: null}}, allowed: ['correct']},
    {fault: '503 + Retry-After: 1, first 2 requests', cluster: 'sample', options: {throttle: {requests: 2, retryAfterSeconds: 1, status: 503}}, allowed: ['correct']},
    {fault: '429 on every request', cluster: 'sample', options: {throttle: {requests: 1_000_000, retryAfterSeconds: 0}}, extraArgs: ['--request-timeout', '20s'], allowed: ['error', 'incomplete'], errorSays: /429|too many|throttl|rate/i},
    {
      fault: '500 on the first 2 RBAC lists',
      cluster: 'sample',
      options: {},
      failing: (attrs) => attrs.kind === 'resource' && attrs.verb === 'list' && attrs.apiGroup === 'rbac.authorization.k8s.io' && listFailures++ < 2,
      allowed: ['correct', 'incomplete', 'error'],
      errorSays: /500|internal/i,
    },
    {fault: '500 on every rolebindings list', cluster: 'sample', options: {}, failing: (attrs) => attrs.kind === 'resource' && attrs.verb === 'list' && attrs.resource === 'rolebindings', allowed: ['incomplete', 'error'], errorSays: /500|internal|rolebindings/i},
    {fault: 'every answer 2.5 s late, --request-timeout 1s', cluster: 'sample', options: {delayMs: 2500}, extraArgs: ['--request-timeout', '1s'], allowed: ['error'], errorSays: /timeout|timed out/i},
    {fault: 'first answer 3 s late, --request-timeout 1s', cluster: 'sample', options: {delayMs: delayFirst(3000)}, extraArgs: ['--request-timeout', '1s'], allowed: ['correct', 'error'], errorSays: /timeout|timed out/i},
    {fault: 'connection reset, first 2 requests', cluster: 'sample', options: {resetConnections: 2}, allowed: ['correct', 'error'], errorSays: /reset|ECONNRESET|socket|connection/i},
    {fault: 'connection reset on every request', cluster: 'sample', options: {resetConnections: 1_000_000}, allowed: ['error'], errorSays: /reset|ECONNRESET|socket|connection|reach/i},
    {fault: '410 Expired continue token (paged lists)', cluster: 'paged', options: {expireContinue: 1}, allowed: ['correct']},
    {fault: '403 on roles', cluster: 'sample', options: {forbid: ['roles.rbac.authorization.k8s.io']}, allowed: ['incomplete']},
    {fault: '403 on clusterrolebindings', cluster: 'sample', options: {forbid: ['clusterrolebindings.rbac.authorization.k8s.io']}, allowed: ['incomplete']},
    {fault: 'SubjectAccessReview answers 500', cluster: 'sample', options: {}, failing: (attrs) => attrs.kind === 'resource' && attrs.resource === 'subjectaccessreviews', allowed: ['correct', 'error'], errorSays: /subjectaccessreview|500|internal/i, noConfirmations: true},
    {fault: 'SubjectAccessReview 3 s late, --request-timeout 1s', cluster: 'sample', options: {delayMs: (r) => (r.path.endsWith('/subjectaccessreviews') ? 3000 : 0)}, extraArgs: ['--request-timeout', '1s'], allowed: ['correct', 'error'], errorSays: /timeout|timed out/i, noConfirmations: true},
  ]
}

function delayFirst(ms: number): (r: unknown) => number {
  let first = true
  return () => {
    const d = first ? ms : 0
    first = false
    return d
  }
}

async function start(cluster: 'sample' | 'paged', options: Partial<FakeApiServerOptions>, failing?: Scenario['failing']): Promise<FakeApiServer> {
  if (cluster === 'paged') {
    const store = generateCluster(PAGED_SCALE)
    return startFakeApiServer({store, ...options, authorize: guarded(() => true, failing)})
  }
  const loaded = await loadManifests([SAMPLES_RBAC])
  const index = indexSnapshot(loaded.snapshot)
  const base: FakeAuthorizer = (user, attrs) => {
    if (user.groups.includes('system:masters')) return {allowed: true, reason: ''}
    const r = rbacAuthorize(index, {user: user.username, groups: user.groups}, attrs)
    return {allowed: r.allowed, reason: r.reason}
  }
  return startFakeApiServer({store: {rbac: loaded.snapshot, namespaces: loaded.snapshot.namespaces, serviceAccounts: loaded.snapshot.serviceAccounts}, ...options, authorize: guarded(base, failing)})
}

function guarded(base: FakeAuthorizer, failing?: Scenario['failing']): FakeAuthorizer {
  return (user, attrs) => {
    if (failing?.(attrs, user)) throw new Error('injected internal error')
    return base(user, attrs)
  }
}

function args(cluster: 'sample' | 'paged', kubeconfig: string): string[] {
  return cluster === 'paged' ? ['who-can', '--kubeconfig', kubeconfig, '-A', '--no-confirm', '-o', 'json'] : ['who-can', '--kubeconfig', kubeconfig, '-n', 'payments', '-o', 'json']
}

const key = (s: Subject) => `${s.kind}/${s.namespace ?? ''}/${s.name}`

const baselines = new Map<string, Subject[]>()

beforeAll(async () => {
  requireBuild()
  for (const cluster of ['sample', 'paged'] as const) {
    const server = await start(cluster, {})
    try {
      const r = await runCli(args(cluster, server.kubeconfigPath))
      if (r.exitCode !== 0) throw new Error(`fault-free baseline failed (${cluster}): ${r.stderr}`)
      baselines.set(cluster, (JSON.parse(r.stdout) as {subjects: Subject[]}).subjects)
    } finally {
      await server.stop()
    }
  }
})

const rows: string[][] = []
afterAll(() => {
  if (rows.length === 0) return
  const header = ['FAULT', 'EXIT', 'ENDED', 'DETAIL']
  const order = scenarios().map((x) => x.fault)
  rows.sort((a, b) => order.indexOf(a[0] as string) - order.indexOf(b[0] as string))
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)))
  const table = all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ')).join('\n')
  const bad = rows.filter((r) => r[2]?.startsWith('WRONG')).length
  process.stderr.write(`${table}\nhardening faults: ${rows.length} faults injected, ${rows.length - bad} ended as allowed, ${bad} wrong\n`)
})

// Concurrent: each fault has its own server, and most of the time is spent waiting (Retry-After, delays).
describe.concurrent('API faults end in the right answer, INCOMPLETE, or one clear error', () => {
  for (const scenario of scenarios()) {
    it(scenario.fault, {timeout: 90_000}, async ({expect}) => {
      const server = await start(scenario.cluster, scenario.options, scenario.failing)
      let ending: string
      let detail = ''
      let exit = ''
      try {
        const r = await runCli([...args(scenario.cluster, server.kubeconfigPath), ...(scenario.extraArgs ?? [])])
        exit = String(r.exitCode)
        const errLines = r.stderr.split('\n').filter((l) => l.trim() !== '')
        detail = (errLines.find((l) => /error/i.test(l)) ?? errLines.find((l) => /INCOMPLETE/.test(l)) ?? errLines[0] ?? '').trim().slice(0, 120)
        expect(r.stderr, 'no stack trace').not.toMatch(STACK_TRACE)
        expect(r.stdout, 'no stack trace').not.toMatch(STACK_TRACE)
        if (r.exitCode === 0) {
          const subjects = (JSON.parse(r.stdout) as {subjects: Subject[]}).subjects
          const expected = baselines.get(scenario.cluster) as Subject[]
          expect(subjects.map(key), 'a run that exits 0 must give the whole fault-free answer').toEqual(expected.map(key))
          if (scenario.noConfirmations) {
            // Every review failed: each answer must say so itself (the CONFIRMED column).
            expect(subjects.filter((s) => s.confirmation !== 'unverified')).toEqual([])
            detail = `all ${subjects.length} subjects marked unverified; ${detail}`
          } else expect(subjects.map((s) => s.confirmation)).toEqual(expected.map((s) => s.confirmation))
          ending = 'correct'
        } else if (r.exitCode === 8) {
          expect(r.stderr).toContain('INCOMPLETE')
          const subjects = (JSON.parse(r.stdout) as {subjects: Subject[]}).subjects
          // What is listed must be a subset of the truth: missing kinds hide subjects, never invent them.
          const truth = new Set((baselines.get(scenario.cluster) as Subject[]).map(key))
          expect(subjects.map(key).filter((k) => !truth.has(k))).toEqual([])
          ending = 'incomplete'
        } else {
          expect(r.stdout.trim(), 'an error prints no partial data').toBe('')
          // Retry warnings are progress; what ends the run is one message (oclif wraps it at 80
          // columns, continuing with ` ›`).
          const final = errLines.filter((l) => !l.startsWith('warning:'))
          expect(final.filter((l) => /Error:/.test(l)).length, `one clear error, got:\n${r.stderr}`).toBe(1)
          expect(final.filter((l) => !l.startsWith(' ›')), `nothing but that error, got:\n${r.stderr}`).toEqual([])
          if (scenario.errorSays) expect(r.stderr).toMatch(scenario.errorSays)
          ending = 'error'
        }
        expect(scenario.allowed, `ended as ${ending}: ${detail}`).toContain(ending)
        rows.push([scenario.fault, exit, ending, detail])
      } catch (error) {
        rows.push([scenario.fault, exit, 'WRONG', detail || String(error).split('\n')[0]!.slice(0, 140)])
        throw error
      } finally {
        await server.stop()
      }
    })
  }
})
