// Against a real upstream kube-apiserver (see cluster.ts): the plugin's answers compared with the
// real RBAC authorizer, a real webhook authorizer and the audit log the real server writes.
import {readdir, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {runCli, startSampleCluster, type WhoCanJsonSubject} from '../who-can/helpers.js'
import {startRealCluster, type RealCluster} from './cluster.js'
import {generatePolicy, questionsFor, subjectKey, type Question} from './policy-generator.js'

const binDir = inject('realClusterBin')
const title = (name: string) => (binDir ? name : `${name}: SKIPPED, ${inject('realClusterSkipReason')}`)

interface Report {
  subjects: WhoCanJsonSubject[]
  serverOnly: {kind: string; name: string; namespace: string; checks: {allowed: boolean; reason?: string}[]}[]
}

/** Seeded policies in the differential test, 12 questions each. */
const POLICIES = 12

const parse = (stdout: string) => JSON.parse(stdout) as Report

/** Applies the objects as one List, as admin, and expects the server to take them all. */
async function applyObjects(cluster: RealCluster, objects: Record<string, unknown>[]): Promise<void> {
  const applied = await cluster.kubectl(['apply', '-f', '-'], {input: JSON.stringify({apiVersion: 'v1', kind: 'List', items: objects})})
  expect(applied.exitCode, applied.stderr).toBe(0)
}

describe.skipIf(!binDir)(title('real kube-apiserver: differential RBAC'), () => {
  let cluster: RealCluster
  beforeAll(async () => {
    cluster = await startRealCluster({binDir, aggregation: true})
  })
  afterAll(async () => cluster?.stop())

  // Who a question allows, asked of the real authorizer one subject at a time: each subject as its
  // bindings name it (a group alone, a user or ServiceAccount without groups), so the set is
  // comparable with who-can's list of bound subjects.
  function reviewsFor(question: Question, candidates: string[]): Record<string, unknown>[] {
    return candidates.map((key) => {
      const [kind, rest] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)]
      const identity = kind === 'Group' ? {user: 'ksa-probe-nobody', groups: [rest]}
        : kind === 'ServiceAccount' ? {user: `system:serviceaccount:${rest.replace('/', ':')}`, groups: []}
        : {user: rest, groups: []}
      return {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {...identity, resourceAttributes: {
          verb: question.verb, resource: question.resource, group: '',
          ...(question.subresource ? {subresource: question.subresource} : {}),
          ...(question.name ? {name: question.name} : {}),
          ...(question.namespace ? {namespace: question.namespace} : {}),
        }},
      }
    })
  }

  /** The servers' answers (`status`) to the reviews, in order, created with kubectl. */
  async function review(reviews: Record<string, unknown>[], kubeconfig?: string): Promise<Record<string, unknown>[]> {
    const input = reviews.map((r) => JSON.stringify(r)).join('\n')
    const result = await cluster.kubectl(['create', '-f', '-', '-o', 'json', '--validate=false'], {input, ...(kubeconfig ? {kubeconfig} : {})})
    expect(result.stderr).toBe('')
    // kubectl prints the created objects one after another, each pretty-printed (top-level braces at column 0).
    const items = JSON.parse(`[${result.stdout.trim().replace(/\n\}\n\{/g, '\n},\n{')}]`) as {status: Record<string, unknown>}[]
    expect(items).toHaveLength(reviews.length)
    return items.map((item) => item.status)
  }

  async function truth(question: Question, candidates: string[]): Promise<Set<string>> {
    const statuses = await review(reviewsFor(question, candidates))
    return new Set(candidates.filter((_, i) => statuses[i]!.allowed === true))
  }

  const answerOf = (report: Report, candidates: Set<string>) => new Set(report.subjects.map(subjectKey).filter((key) => candidates.has(key)))

  it('who-can --manifests, connected who-can and the real authorizer agree on every question', async () => {
    let policies = 0
    let questions = 0
    const disagreements: string[] = []
    for (let seed = 1; seed <= POLICIES; seed++) {
      const policy = generatePolicy(seed)
      const file = path.join(cluster.dir, `policy-${seed}.yaml`)
      await writeFile(file, policy.yaml)
      const applied = await cluster.kubectl(['apply', '-f', file])
      expect(applied.stderr).toBe('')
      await cluster.waitForAggregation(policy.aggregatedWithRules)
      policies++
      const candidates = new Set(policy.candidates)
      const ask = async (question: Question) => {
        // RESOURCE/NAME; a subresource goes in --subresource (RESOURCE/SUBRESOURCE/NAME is not kubectl's form).
        const target = `${question.resource}${question.name ? `/${question.name}` : ''}`
        const scope = [...(question.namespace ? ['-n', question.namespace] : ['-A']), ...(question.subresource ? ['--subresource', question.subresource] : [])]
        // The offline question names the resource as the server would resolve it.
        const [offline, online] = await Promise.all([
          runCli(['who-can', question.verb, target, ...scope, '--manifests', file, '-o', 'json']),
          runCli(['who-can', question.verb, target, ...scope, '--kubeconfig', cluster.kubeconfigPath, '--no-confirm', '-o', 'json'], {env: {KUBECONFIG: ''}}),
        ])
        expect(offline.exitCode, offline.stderr).toBe(0)
        expect(online.exitCode, online.stderr).toBe(0)
        // All namespaces: who can in at least one of the policy's namespaces or cluster-wide.
        const scopes = question.namespace ? [question.namespace] : ['', ...policy.namespaces]
        const real = new Set<string>()
        for (const ns of scopes) for (const key of await truth({...question, namespace: ns}, policy.candidates)) real.add(key)
        const sets = {offline: answerOf(parse(offline.stdout), candidates), online: answerOf(parse(online.stdout), candidates), real}
        questions++
        const show = (set: Set<string>) => [...set].sort().join(' ')
        if (show(sets.offline) !== show(sets.real) || show(sets.online) !== show(sets.real)) {
          disagreements.push(`seed ${seed} who-can ${question.verb} ${target} ${scope.join(' ')}\n  manifests: ${show(sets.offline)}\n  connected: ${show(sets.online)}\n  server:    ${show(sets.real)}`)
        }
      }
      // A few questions at a time: each is two CLI start-ups, which a second core halves.
      const pending = questionsFor(policy, seed)
      while (pending.length > 0) await Promise.all(pending.splice(0, 3).map(ask))
    }
    process.stderr.write(`differential RBAC against kube-apiserver: ${policies} policies, ${questions} questions, ${disagreements.length} disagreements\n`)
    expect(disagreements).toEqual([])
    expect(questions).toBe(POLICIES * 12)
  }, 600_000)

  // The fault tests run against our fake API server: it must answer a SubjectAccessReview as the real
  // one does, down to the fields (a denial by RBAC is exactly {allowed: false}; a missing role is a
  // reason) and the reason's wording.
  it('the fake API server answers the same SubjectAccessReviews as the real one, field for field', async () => {
    const files = (await readdir(cluster.dir)).filter((f) => /^policy-\d+\.yaml$/.test(f)).map((f) => path.join(cluster.dir, f))
    expect(files).toHaveLength(POLICIES)
    const fake = await startSampleCluster({manifests: files})
    try {
      let compared = 0
      let allows = 0
      const differences: string[] = []
      for (let seed = 1; seed <= POLICIES; seed++) {
        const policy = generatePolicy(seed)
        for (const question of questionsFor(policy, seed)) {
          {
            const reviews = reviewsFor(question, policy.candidates)
            const [real, ours] = [await review(reviews), await review(reviews, fake.kubeconfigPath)]
            real.forEach((status, i) => {
              compared++
              // The real authorizer visits bindings of one kind in its informer cache's order (no
              // fixed order): an allow is compared up to the binding it names, and several errors
              // (missing roles) as a set; every other answer whole.
              const shape = (s: Record<string, unknown>) => s.allowed === true
                ? {allowed: true, reason: String(s.reason).replace(/^(RBAC: allowed by (Cluster)?RoleBinding ").*$/, '$1...')}
                : {...s, ...(typeof s.reason === 'string' ? {reason: s.reason.replace(/^RBAC: \[(.*)\]$/, (_, list: string) => `RBAC: [${list.split(', ').sort().join(', ')}]`)} : {})}
              if (status.allowed === true) allows++
              if (JSON.stringify(shape(status)) !== JSON.stringify(shape(ours[i]!))) differences.push(`${JSON.stringify(reviews[i])}\n  real: ${JSON.stringify(status)}\n  fake: ${JSON.stringify(ours[i])}`)
            })
          }
        }
      }
      process.stderr.write(`fake against real kube-apiserver: ${compared} SubjectAccessReviews (${allows} allowed, compared up to the binding's name; ${compared - allows} others compared whole), ${differences.length} differences\n`)
      expect(differences).toEqual([])
      expect(compared).toBeGreaterThan(500)
    } finally {
      await fake.stop()
    }
  }, 600_000)
})

describe.skipIf(!binDir)(title('real kube-apiserver: confirmation with a webhook authorizer'), () => {
  let cluster: RealCluster
  const ns = 'confirm-a'
  beforeAll(async () => {
    cluster = await startRealCluster({
      binDir,
      // Like an EKS access entry: grants to a ServiceAccount no RBAC object names, and denies one user RBAC allows.
      webhook: (review) => {
        const resource = review.resourceAttributes?.resource
        if (review.user === `system:serviceaccount:${ns}:webhook-sa` && resource === 'secrets') return {allowed: true, reason: 'access entry webhook-sa-secrets'}
        if (review.user === 'dana' && resource === 'secrets') return {allowed: false, denied: true, reason: 'access entry blocks dana'}
        return undefined
      },
    })
    const objects = [
      {apiVersion: 'v1', kind: 'Namespace', metadata: {name: ns}},
      {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'webhook-sa', namespace: ns}},
      {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'quiet-sa', namespace: ns}},
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: {name: 'secret-reader', namespace: ns}, rules: [{apiGroups: [''], resources: ['secrets'], verbs: ['get']}]},
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: {name: 'readers', namespace: ns}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader'},
        subjects: [{kind: 'User', name: 'carol', apiGroup: 'rbac.authorization.k8s.io'}, {kind: 'User', name: 'dana', apiGroup: 'rbac.authorization.k8s.io'}]},
    ]
    await applyObjects(cluster, objects)
  })
  afterAll(async () => cluster?.stop())

  it('confirmed, denied and server-only come out with the reasons the real server gives', async () => {
    const result = await runCli(['who-can', 'get', 'secrets', '-n', ns, '--check-serviceaccounts', '--kubeconfig', cluster.kubeconfigPath, '-o', 'json'], {env: {KUBECONFIG: ''}})
    expect(result.exitCode, result.stderr).toBe(0)
    const report = parse(result.stdout)
    const carol = report.subjects.find((s) => s.kind === 'User' && s.name === 'carol')!
    const dana = report.subjects.find((s) => s.kind === 'User' && s.name === 'dana')!
    expect(carol.confirmation).toBe('confirmed')
    // The real RBAC authorizer's reason names the binding.
    expect(carol.checks?.[0]?.reason).toBe('RBAC: allowed by RoleBinding "readers/confirm-a" of Role "secret-reader" to User "carol"')
    expect(dana.confirmation).toBe('denied')
    expect(dana.checks?.[0]?.reason).toBe('access entry blocks dana')
    expect(report.serverOnly.map((grant) => `${grant.namespace}/${grant.name}`)).toEqual([`${ns}/webhook-sa`])
    expect(report.serverOnly[0]!.checks[0]!.reason).toBe('access entry webhook-sa-secrets')
    // system:masters is confirmed by the real server too (it answers before any authorizer).
    expect(report.subjects.find((s) => s.name === 'system:masters')?.confirmation).toBe('confirmed')
  })

  it('a denial by RBAC alone comes back with no reason and no denied field, and is reported as denied', async () => {
    // The real server's answer to "may quiet-sa get secrets": allowed false, no reason.
    const review = {apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: {user: `system:serviceaccount:${ns}:quiet-sa`, groups: ['system:serviceaccounts'], resourceAttributes: {verb: 'get', resource: 'secrets', namespace: ns}}}
    const answer = await cluster.kubectl(['create', '-f', '-', '-o', 'json'], {input: JSON.stringify(review)})
    const status = (JSON.parse(answer.stdout) as {status: Record<string, unknown>}).status
    expect(status).toEqual({allowed: false})
  })
})

/** One event of `recent -o json`, as far as these tests read it. */
interface JsonEvent {
  verb: string; user: {username: string; groups?: string[]}; impersonator?: {username: string}; resource?: string; subresource?: string; name?: string; namespace?: string
  code: number; decision?: string; reason?: string; requestURI?: string; system?: true
}

interface JsonFinding {ruleId: string; severity: string; who: string; what: string; detail?: string}

const jsonLines = <T>(stdout: string): T[] => stdout.trim().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as T)

for (const audit of ['metadata', 'request'] as const) describe.skipIf(!binDir)(title(`real kube-apiserver: who did, from its audit log (${audit === 'metadata' ? 'Metadata level, no RequestReceived stage' : 'Request level, every stage'})`), () => {
  let cluster: RealCluster
  const ns = 'audit-a'
  const restricted = 'audit-restricted'
  const app = `system:serviceaccount:${ns}:app`
  let events: JsonEvent[] = []
  beforeAll(async () => {
    // The ClusterRole aggregation controller runs too: a controller's own background writes to RBAC
    // (and its token request) are what a real log is full of.
    cluster = await startRealCluster({binDir, audit, aggregation: true, users: [{name: 'alice', groups: ['devs']}, {name: 'mallory'}, {name: 'bob'}]})
    const objects = [
      {apiVersion: 'v1', kind: 'Namespace', metadata: {name: ns}},
      {apiVersion: 'v1', kind: 'Namespace', metadata: {name: restricted, labels: {'pod-security.kubernetes.io/enforce': 'restricted'}}},
      // No controller-manager makes these: the ServiceAccount admission plugin needs `default`.
      {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'default', namespace: ns}},
      {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'default', namespace: restricted}},
      {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'app', namespace: ns}},
      {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'db', namespace: ns}, stringData: {password: 'planted-secret-value-3141'}},
      {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'settings', namespace: ns}, data: {mode: 'on'}},
      {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'web', namespace: ns}, spec: {containers: [{name: 'web', image: 'nginx'}]}},
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: {name: 'secret-reader', namespace: ns}, rules: [{apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch']}]},
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: {name: 'devs-read', namespace: ns}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'secret-reader'},
        subjects: [{kind: 'Group', name: 'devs', apiGroup: 'rbac.authorization.k8s.io'}]},
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: {name: 'pod-reader', namespace: ns}, rules: [{apiGroups: [''], resources: ['pods'], verbs: ['get', 'list']}]},
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: {name: 'bob-pods', namespace: ns}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'pod-reader'},
        subjects: [{kind: 'User', name: 'bob', apiGroup: 'rbac.authorization.k8s.io'}]},
    ]
    await applyObjects(cluster, objects)
    await cluster.waitForAggregation(['admin'])

    // The scenario: routine reads, then an attack's steps.
    const ok = async (run: ReturnType<RealCluster['kubectl']>, exitCode: number) => {
      const result = await run
      expect(result.exitCode, result.stderr).toBe(exitCode)
    }
    await ok(cluster.kubectl(['get', 'secret', 'db', '-n', ns], {as: 'alice'}), 0)
    await ok(cluster.kubectl(['get', 'configmaps', '-n', ns], {as: 'alice'}), 0)
    await ok(cluster.kubectl(['get', 'secret', 'db', '-n', ns], {as: 'mallory'}), 1)
    await ok(cluster.kubectl(['get', 'secret', 'db', '-n', ns, `--as=${app}`]), 1)
    const token = await cluster.kubectl(['create', 'token', 'app', '-n', ns])
    expect(token.exitCode, token.stderr).toBe(0)
    // The minted token, used with kubectl from outside: what a stolen token looks like.
    await ok(cluster.kubectl(['get', 'secrets', '-n', ns], {kubeconfig: await cluster.kubeconfigWithToken('stolen-app-token', token.stdout.trim())}), 1)
    // bob may read pods but not exec into them: kubectl gets the pod, then the exec is refused.
    await ok(cluster.kubectl(['exec', 'web', '-n', ns, '--', 'cat', '/var/run/secrets/kubernetes.io/serviceaccount/token'], {as: 'bob'}), 1)
    await ok(cluster.kubectl(['create', 'clusterrolebinding', 'mallory-admin', '--clusterrole=cluster-admin', '--user=mallory']), 0)
    // Refused by PodSecurity admission: 403, yet the authorization decision is allow.
    const privileged = {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'root', namespace: restricted}, spec: {containers: [{name: 'c', image: 'busybox', securityContext: {privileged: true}}]}}
    await ok(cluster.kubectl(['create', '-f', '-'], {input: JSON.stringify(privileged)}), 1)

    const result = await runCli(['recent', '-f', cluster.auditLogPath, '--resource', 'all', '-o', 'json'])
    expect(result.exitCode, result.stderr).toBe(0)
    events = jsonLines<JsonEvent>(result.stdout)
  })
  afterAll(async () => cluster?.stop())

  const find = (user: string, verb: string, resource: string, subresource?: string) =>
    events.filter((e) => e.user.username === user && e.verb === verb && e.resource === resource && e.subresource === subresource)

  it('attributes every scripted request exactly: user, impersonator, groups, object, code, decision, reason', () => {
    const aliceGet = find('alice', 'get', 'secrets')
    expect(aliceGet).toHaveLength(1)
    expect(aliceGet[0]).toMatchObject({name: 'db', namespace: ns, code: 200, decision: 'allow'})
    expect(aliceGet[0]!.user.groups).toEqual(['devs', 'system:authenticated'])
    expect(aliceGet[0]!.reason).toBe(`RBAC: allowed by RoleBinding "devs-read/${ns}" of Role "secret-reader" to Group "devs"`)
    expect(find('alice', 'list', 'configmaps')).toHaveLength(1)
    expect(find('mallory', 'get', 'secrets')).toEqual([expect.objectContaining({code: 403, decision: 'forbid'})])

    // Impersonation: the event is the ServiceAccount's, and names the admin who sent it.
    const impersonated = find(app, 'get', 'secrets')
    expect(impersonated).toEqual([expect.objectContaining({code: 403, decision: 'forbid', impersonator: expect.objectContaining({username: 'admin'})})])
    expect(find('admin', 'create', 'serviceaccounts', 'token')).toEqual([expect.objectContaining({name: 'app', namespace: ns, code: 201})])
    const stolen = find(app, 'list', 'secrets')
    expect(stolen).toEqual([expect.objectContaining({code: 403, decision: 'forbid'})])
    expect(stolen[0]!.impersonator).toBeUndefined()
    expect(find('bob', 'get', 'pods')).toEqual([expect.objectContaining({name: 'web', code: 200})])
    // kubectl 1.34 tries exec over WebSocket first (a GET), then falls back to SPDY (a POST): both refused.
    expect(find('bob', 'get', 'pods', 'exec')).toEqual([expect.objectContaining({name: 'web', code: 403, decision: 'forbid'})])
    expect(find('bob', 'create', 'pods', 'exec')).toEqual([expect.objectContaining({name: 'web', code: 403, decision: 'forbid'})])
    expect(find('admin', 'create', 'clusterrolebindings')).toEqual([expect.objectContaining({name: 'mallory-admin', code: 201})])
    // The admission refusal: 403 with the permission granted.
    const refused = events.filter((e) => e.verb === 'create' && e.resource === 'pods' && e.namespace === restricted)
    expect(refused).toEqual([expect.objectContaining({code: 403, decision: 'allow'})])
  })

  it('reports nothing the scenario did not do, besides the server\'s own background requests, labelled system', () => {
    const scripted = new Set(['alice', 'mallory', 'bob', app])
    const background = events.filter((e) => e.system)
    const rest = events.filter((e) => !e.system)
    // A real log is mostly the control plane: the API server's own identity and the controller.
    expect(background.length).toBeGreaterThan(rest.length)
    expect(new Set(background.map((e) => e.user.username))).toEqual(new Set([
      'system:apiserver', 'system:kube-controller-manager', 'system:serviceaccount:kube-system:clusterrole-aggregation-controller',
    ]))
    // Everything else is the test's: admin's setup and scripted calls, or a scripted identity's
    // request (kubectl's discovery reads included).
    for (const e of rest) expect(e.user.username === 'admin' || scripted.has(e.user.username), JSON.stringify(e)).toBe(true)
    const byScripted = rest.filter((e) => e.user.username !== 'admin' && e.resource !== undefined)
    expect(byScripted.map((e) => `${e.user.username} ${e.verb} ${e.resource}${e.subresource ? `/${e.subresource}` : ''} ${e.code}`).sort()).toEqual([
      'alice get secrets 200', 'alice list configmaps 200', 'bob create pods/exec 403', 'bob get pods 200', 'bob get pods/exec 403', 'mallory get secrets 403',
      `${app} get secrets 403`, `${app} list secrets 403`,
    ].sort())
  })

  it('--no-system leaves out exactly the events labelled system', async () => {
    const result = await runCli(['recent', '-f', cluster.auditLogPath, '--resource', 'all', '--no-system', '-o', 'json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const shown = jsonLines<JsonEvent>(result.stdout)
    expect(shown.length).toBe(events.filter((e) => !e.system).length)
    const background = new Set(events.filter((e) => e.system).map((e) => e.user.username))
    expect(shown.some((e) => e.system || background.has(e.user.username))).toBe(false)
  })

  it('--findings raises what the attack should raise, and nothing on the background', async () => {
    const result = await runCli(['recent', '-f', cluster.auditLogPath, '--findings', '-o', 'json'])
    expect(result.exitCode, result.stderr).toBe(0)
    const findings = jsonLines<JsonFinding>(result.stdout)
    const raised = (ruleId: string, who: string) => findings.filter((f) => f.ruleId === ruleId && f.who === who)
    expect(raised('serviceaccount-token-minted', 'admin')).toEqual([expect.objectContaining({what: `token for service account ${ns}/app`})])
    expect(raised('suspicious-kubectl', app)).toHaveLength(1)
    expect(raised('serviceaccount-denied', app)).toHaveLength(1)
    expect(raised('privileged-impersonation', app)).toEqual([expect.objectContaining({what: 'impersonated by admin'})])
    expect(raised('lateral-movement', 'bob')).toEqual([expect.objectContaining({what: expect.stringContaining(`exec ${ns}/web`)})])
    expect(raised('forbidden-create', 'bob')).toEqual([expect.objectContaining({what: `create pods/exec in ${ns}`})])
    // Only the request body says what a binding grants: at Metadata level the change is only seen.
    if (audit === 'request') expect(raised('rbac-grants-secret-access', 'admin').filter((f) => f.what.includes('clusterrolebindings'))).toEqual([expect.objectContaining({severity: 'critical', what: 'create clusterrolebindings mallory-admin'})])
    else expect(raised('rbac-object-access', 'admin').some((f) => f.what === 'write clusterrolebindings')).toBe(true)
    // The PodSecurity refusal is admission, not a missing permission; at Request level the attempt
    // itself is seen: a privileged pod, refused.
    expect(findings.filter((f) => f.ruleId === 'forbidden-create' && f.what.includes(restricted))).toEqual([])
    if (audit === 'request') expect(raised('privileged-workload', 'admin')).toEqual([expect.objectContaining({severity: 'medium', what: `create pods ${restricted}/root`, detail: 'privileged container c; refused (403)'})])
    else expect(findings.filter((f) => f.ruleId === 'privileged-workload')).toEqual([])
    // Nothing on the background: every finding is about an identity the test used.
    expect(new Set(findings.map((f) => f.who))).toEqual(new Set(['admin', 'alice', 'mallory', 'bob', app]))
  })

  it('never prints the secret value the server logged (Request level logs the Secret body and last-applied-configuration)', async () => {
    const raw = await cluster.readAudit()
    if (audit === 'request') expect(JSON.stringify(raw)).toContain('planted-secret-value-3141')
    for (const output of ['json', 'wide', 'yaml', 'csv']) {
      const result = await runCli(['recent', '-f', cluster.auditLogPath, '--resource', 'all', '-o', output])
      expect(result.exitCode, result.stderr).toBe(0)
      expect(result.stdout + result.stderr).not.toContain('planted-secret-value-3141')
    }
  })
})

describe.skipIf(!binDir)(title('real kube-apiserver: least privilege (unused --write-suggestions)'), () => {
  let cluster: RealCluster
  const ns = 'least-a'
  beforeAll(async () => {
    cluster = await startRealCluster({binDir, users: [{name: 'erin'}]})
    const objects = [
      {apiVersion: 'v1', kind: 'Namespace', metadata: {name: ns}},
      {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'db', namespace: ns}, stringData: {password: 'x'}},
      {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'settings', namespace: ns}, data: {mode: 'on'}},
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: {name: 'wide', namespace: ns}, rules: [{apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch']}]},
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: {name: 'erin-wide', namespace: ns}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'wide'},
        subjects: [{kind: 'User', name: 'erin', apiGroup: 'rbac.authorization.k8s.io'}]},
    ]
    await applyObjects(cluster, objects)
  })
  afterAll(async () => cluster?.stop())

  it('its suggestions pass apply --dry-run=server, and once applied who-can shows exactly what was used', async () => {
    expect((await cluster.kubectl(['get', 'secret', 'db', '-n', ns], {as: 'erin'})).exitCode).toBe(0)
    const dir = path.join(cluster.dir, 'suggestions')
    const result = await runCli(['unused', '-f', cluster.auditLogPath, '-n', ns, '--kubeconfig', cluster.kubeconfigPath, '-o', 'json', '--write-suggestions', dir], {env: {KUBECONFIG: ''}})
    expect(result.exitCode, result.stderr).toBe(0)
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml')).sort()
    expect(files.length).toBeGreaterThan(0)
    const deletes = files.filter((f) => f.startsWith('delete-'))
    const applies = files.filter((f) => !f.startsWith('delete-'))
    for (const f of applies) {
      const dry = await cluster.kubectl(['apply', '--dry-run=server', '-f', path.join(dir, f)])
      expect(dry.exitCode, `${f}: ${dry.stderr}`).toBe(0)
    }
    for (const f of deletes) {
      const dry = await cluster.kubectl(['delete', '--dry-run=server', '-f', path.join(dir, f)])
      expect(dry.exitCode, `${f}: ${dry.stderr}`).toBe(0)
    }
    for (const f of applies) expect((await cluster.kubectl(['apply', '-f', path.join(dir, f)])).exitCode).toBe(0)
    for (const f of deletes) expect((await cluster.kubectl(['delete', '-f', path.join(dir, f)])).exitCode).toBe(0)

    const ask = async (args: string[]) => {
      const answer = await runCli(['who-can', ...args, '-n', ns, '--kubeconfig', cluster.kubeconfigPath, '-o', 'json'], {env: {KUBECONFIG: ''}})
      expect(answer.exitCode, answer.stderr).toBe(0)
      return parse(answer.stdout).subjects.some((s) => s.kind === 'User' && s.name === 'erin')
    }
    expect(await ask(['get', 'secret/db'])).toBe(true)
    expect(await ask(['list', 'secrets'])).toBe(false)
    expect(await ask(['watch', 'secrets'])).toBe(false)
    expect(await ask(['get', 'configmaps'])).toBe(false)
    expect(await ask(['get', 'secret/other'])).toBe(false)
    // And the real server agrees.
    expect((await cluster.kubectl(['auth', 'can-i', 'get', 'secret/db', '-n', ns], {as: 'erin'})).stdout.trim()).toBe('yes')
    expect((await cluster.kubectl(['auth', 'can-i', 'list', 'secrets', '-n', ns], {as: 'erin'})).stdout.trim()).toBe('no')
  })
})
