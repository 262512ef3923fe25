// A labelled corpus made on the real kube-apiserver: ordinary traffic (people reading what they
// own, a CI deployment, an operator's client-go reads, the controller's background) and one attack
// per step, each labelled with the (rule, identity) it should raise. --findings over the server's
// own audit log is then scored per rule: true positives, false positives (any finding of severity
// low or above that no attack step explains), misses. Info-level hunting summaries are not scored.
import {afterAll, beforeAll, describe, expect, inject, it} from 'vitest'
import {runCli} from '../who-can/helpers.js'
import {startRealCluster, type RealCluster} from './cluster.js'

const binDir = inject('realClusterBin')
const title = (name: string) => (binDir ? name : `${name}: SKIPPED, ${inject('realClusterSkipReason')}`)

interface JsonFinding {ruleId: string; severity: string; who: string; what: string; detail?: string}

const APPS = 'apps'
const PAYMENTS = 'payments'
const LOGGING = 'logging'
const app = `system:serviceaccount:${APPS}:app`
const operator = `system:serviceaccount:${APPS}:operator`

describe.skipIf(!binDir)(title('real kube-apiserver: detections scored on a labelled scenario'), () => {
  let cluster: RealCluster
  /** The attack steps: the (rule, who) each must raise. */
  const expected: {step: string; ruleId: string; who: string | RegExp}[] = []
  const sameWho = (e: {who: string | RegExp}, who: string) => (typeof e.who === 'string' ? e.who === who : e.who.test(who))
  let findings: JsonFinding[] = []

  beforeAll(async () => {
    cluster = await startRealCluster({
      binDir,
      audit: 'request',
      aggregation: true,
      users: [{name: 'alice', groups: ['devs']}, {name: 'bob', groups: ['sre']}, {name: 'ci-deployer', groups: ['ci']}, {name: 'mallory', groups: ['devs']}, {name: 'system:node:worker-1', groups: ['system:nodes']}],
    })
    const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, role: string, subject: Record<string, string>, namespace?: string) => ({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind, metadata: {name, ...(namespace ? {namespace} : {})},
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role}, subjects: [subject],
    })
    const user = (name: string) => ({kind: 'User', name, apiGroup: 'rbac.authorization.k8s.io'})
    const objects = [
      ...[APPS, PAYMENTS, LOGGING].map((name) => ({apiVersion: 'v1', kind: 'Namespace', metadata: {name}})),
      ...[APPS, PAYMENTS, LOGGING].map((namespace) => ({apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'default', namespace}})),
      {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'app', namespace: APPS}},
      {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'operator', namespace: APPS}},
      {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'db', namespace: APPS}, stringData: {password: 'apps-db-value'}},
      {apiVersion: 'v1', kind: 'Secret', metadata: {name: 'stripe', namespace: PAYMENTS}, stringData: {key: 'payments-value'}},
      {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'settings', namespace: APPS}, data: {mode: 'on'}},
      {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'fluent-bit-config', namespace: LOGGING}, data: {'fluent-bit.conf': '[OUTPUT]'}},
      {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'web', namespace: APPS}, spec: {containers: [{name: 'web', image: 'nginx'}]}},
      binding('RoleBinding', 'devs-view', 'view', {kind: 'Group', name: 'devs', apiGroup: 'rbac.authorization.k8s.io'}, APPS),
      binding('RoleBinding', 'alice-edit', 'edit', user('alice'), APPS),
      binding('RoleBinding', 'mallory-edit', 'edit', user('mallory'), APPS),
      binding('RoleBinding', 'ci-edit', 'edit', user('ci-deployer'), APPS),
      binding('ClusterRoleBinding', 'sre-admin', 'cluster-admin', {kind: 'Group', name: 'sre', apiGroup: 'rbac.authorization.k8s.io'}),
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: {name: 'operator', namespace: APPS}, rules: [{apiGroups: [''], resources: ['secrets', 'configmaps'], verbs: ['get', 'list', 'watch']}]},
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: {name: 'operator', namespace: APPS}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'operator'},
        subjects: [{kind: 'ServiceAccount', name: 'operator', namespace: APPS}]},
    ]
    const applied = await cluster.kubectl(['apply', '-f', '-'], {input: JSON.stringify({apiVersion: 'v1', kind: 'List', items: objects})})
    expect(applied.exitCode, applied.stderr).toBe(0)
    // Granting edit (secrets, exec) or cluster-admin is reported whoever does it, by design: the
    // setup's own grants are labelled as what they are.
    for (const ruleId of ['rbac-grants-secret-access', 'rbac-object-access']) expected.push({step: 'setup: admin grants edit, cluster-admin and a secret-reading Role', ruleId, who: 'admin'})
    await cluster.waitForAggregation(['admin', 'edit', 'view'])
    const run = async (args: string[], options: Parameters<RealCluster['kubectl']>[1] = {}) => (await cluster.kubectl(args, options)).exitCode
    const attack = async (step: string, raises: [ruleId: string, who: string | RegExp][], action: () => Promise<unknown>) => {
      for (const [ruleId, who] of raises) expected.push({step, ruleId, who})
      await action()
    }

    // Ordinary traffic: nothing here may raise a finding above info.
    expect(await run(['get', 'configmaps', '-n', APPS], {as: 'alice'})).toBe(0)
    expect(await run(['get', 'secret', 'db', '-n', APPS, '-o', 'name'], {as: 'alice'})).toBe(0)
    expect(await run(['get', 'pods', '-n', APPS], {as: 'alice'})).toBe(0)
    const deployment = {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'api', namespace: APPS}, spec: {replicas: 1, selector: {matchLabels: {app: 'api'}},
      template: {metadata: {labels: {app: 'api'}}, spec: {containers: [{name: 'api', image: 'example/api:1.2', securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false}}]}}}}
    expect((await cluster.kubectl(['apply', '-f', '-'], {as: 'ci-deployer', input: JSON.stringify(deployment)})).exitCode).toBe(0)
    expect(await run(['create', 'configmap', 'release', '-n', APPS, '--from-literal=version=1.2'], {as: 'ci-deployer'})).toBe(0)
    expect(await run(['get', 'nodes'], {as: 'bob'})).toBe(0)
    expect(await run(['get', 'pods', '-A'], {as: 'bob'})).toBe(0)
    // An operator reading its own namespace's secrets with client-go, as it does all day.
    const operatorToken = (await cluster.kubectl(['create', 'token', 'operator', '-n', APPS])).stdout.trim()
    for (const path of [`/api/v1/namespaces/${APPS}/secrets`, `/api/v1/namespaces/${APPS}/secrets/db`, `/api/v1/namespaces/${APPS}/configmaps`]) {
      expect(await cluster.request(path, {token: operatorToken, userAgent: 'operator/v0.4.1 (linux/amd64) kubernetes/abcdef'})).toBe(200)
    }
    // Minting the operator's token above was admin's: an attack step like any other mint by a person.
    expected.push({step: 'token minted for the operator by admin', ruleId: 'serviceaccount-token-minted', who: 'admin'})

    // Attacks, one step each.
    const appToken = (await cluster.kubectl(['create', 'token', 'app', '-n', APPS])).stdout.trim()
    const stolen = await cluster.kubeconfigWithToken('stolen-app', appToken)
    await attack('a stolen service account token used with kubectl, probing and reaching across namespaces', [
      ['suspicious-kubectl', app], ['serviceaccount-denied', app], ['serviceaccount-cross-namespace-secret', app], ['permission-probing', app],
    ], async () => {
      await run(['get', 'secrets', '-n', APPS], {kubeconfig: stolen})
      await run(['get', 'secrets', '-n', PAYMENTS], {kubeconfig: stolen})
      await run(['auth', 'can-i', '--list', '-n', APPS], {kubeconfig: stolen})
    })
    await attack('a privileged pod mounting the node\'s root', [['privileged-workload', 'mallory']], async () => {
      const pod = {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'debug', namespace: APPS}, spec: {hostPID: true, containers: [{name: 'c', image: 'busybox', securityContext: {privileged: true}}], volumes: [{name: 'host', hostPath: {path: '/'}}]}}
      await cluster.kubectl(['create', '-f', '-'], {as: 'mallory', input: JSON.stringify(pod)})
    })
    await attack('exec into a pod to read its token', [['lateral-movement', 'mallory']], () =>
      run(['exec', 'web', '-n', APPS, '--', 'cat', '/var/run/secrets/kubernetes.io/serviceaccount/token'], {as: 'mallory'}))
    await attack('credentials written into a configmap', [['configmap-credential-keys', 'mallory']], () =>
      run(['create', 'configmap', 'backup', '-n', APPS, '--from-literal=aws_secret_access_key=AKIAEXAMPLE'], {as: 'mallory'}))
    await attack('a refused cluster-admin grant', [['forbidden-create', 'mallory'], ['rbac-object-access', 'mallory']], () =>
      run(['create', 'clusterrolebinding', 'mallory-admin', '--clusterrole=cluster-admin', '--user=mallory'], {as: 'mallory'}))
    await attack('a cluster-admin grant by a compromised admin', [['rbac-grants-secret-access', 'bob'], ['rbac-object-access', 'bob']], () =>
      run(['create', 'clusterrolebinding', 'backdoor', '--clusterrole=cluster-admin', '--user=mallory'], {as: 'bob'}))
    await attack('RBAC reconnaissance', [['rbac-object-access', 'bob']], async () => {
      for (const kind of ['clusterroles', 'clusterrolebindings', 'rolebindings']) await run(['get', kind, '-A'], {as: 'bob'})
    })
    await attack('every secret of the cluster listed', [['secret-read-burst', 'bob']], () => run(['get', 'secrets', '-A'], {as: 'bob'}))
    await attack('a token minted for a kube-system controller', [['serviceaccount-token-minted', 'bob']], () =>
      run(['create', 'token', 'clusterrole-aggregation-controller', '-n', 'kube-system'], {as: 'bob'}))
    await attack('impersonating system:masters', [['privileged-impersonation', 'system:admin']], () =>
      run(['get', 'secrets', '-n', PAYMENTS, '--as=system:admin', '--as-group=system:masters'], {as: 'bob'}))
    await attack('the log shipper\'s configuration deleted', [['logging-tampering', 'bob']], () =>
      run(['delete', 'configmap', 'fluent-bit-config', '-n', LOGGING], {as: 'bob'}))
    await attack('aws-auth rewritten', [['identity-configmap-change', 'bob']], () =>
      run(['create', 'configmap', 'aws-auth', '-n', 'kube-system', '--from-literal=mapUsers=[]'], {as: 'bob'}))
    await attack('a kubelet credential used by hand', [['node-secret-denied', 'system:node:worker-1']], () =>
      run(['get', 'secret', 'stripe', '-n', PAYMENTS], {as: 'system:node:worker-1'}))
    // The rule counts denials per source address; every client here is 127.0.0.1, so the anonymous
    // scan and the other steps' denials make one finding about "N identities".
    await attack('anonymous scanning', [['unauthenticated-scanning', /^(system:anonymous|\d+ identities)$/]], async () => {
      for (const path of ['/api/v1/secrets', '/api/v1/configmaps', '/api/v1/namespaces/kube-system/secrets', '/api/v1/pods', '/apis/rbac.authorization.k8s.io/v1/clusterroles', '/api/v1/nodes', '/api/v1/serviceaccounts']) {
        expect(await cluster.request(path, {userAgent: 'curl/8.5.0'})).toBe(403)
      }
    })
    await attack('configmaps opened to anonymous callers, then read by one', [['anonymous-allowed', 'system:anonymous']], async () => {
      const open = [
        {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: {name: 'public-config', namespace: APPS}, rules: [{apiGroups: [''], resources: ['configmaps'], verbs: ['get']}]},
        {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: {name: 'public-config', namespace: APPS}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'public-config'},
          subjects: [{kind: 'Group', name: 'system:unauthenticated', apiGroup: 'rbac.authorization.k8s.io'}]},
      ]
      expect((await cluster.kubectl(['apply', '-f', '-'], {as: 'bob', input: JSON.stringify({apiVersion: 'v1', kind: 'List', items: open})})).exitCode).toBe(0)
      expect(await cluster.request(`/api/v1/namespaces/${APPS}/configmaps/settings`, {userAgent: 'curl/8.5.0'})).toBe(200)
    })
    await attack('a known attack tool', [['known-scanner-agent', 'mallory']], () => cluster.request(`/api/v1/namespaces/${APPS}/pods`, {token: cluster.tokenFor('mallory'), userAgent: 'kube-hunter/0.6.8'}))

    const result = await runCli(['recent', '-f', cluster.auditLogPath, '--findings', '-o', 'json'])
    expect(result.exitCode, result.stderr).toBe(0)
    findings = result.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as JsonFinding)
  })
  afterAll(async () => cluster?.stop())

  it('raises every attack step and nothing on the ordinary traffic (per-rule true positives, false positives, misses)', () => {
    const scored = findings.filter((f) => f.severity !== 'info')
    const explains = (f: JsonFinding) => expected.some((e) => e.ruleId === f.ruleId && sameWho(e, f.who))
    const rules = [...new Set([...expected.map((e) => e.ruleId), ...scored.map((f) => f.ruleId)])].sort()
    const rows = rules.map((ruleId) => ({
      ruleId,
      tp: new Set(expected.filter((e) => e.ruleId === ruleId && scored.some((f) => f.ruleId === ruleId && sameWho(e, f.who))).map((e) => String(e.who))).size,
      fp: scored.filter((f) => f.ruleId === ruleId && !explains(f)).length,
      miss: new Set(expected.filter((e) => e.ruleId === ruleId && !scored.some((f) => f.ruleId === ruleId && sameWho(e, f.who))).map((e) => String(e.who))).size,
    }))
    const table = ['rule                                    TP  FP  miss', ...rows.map((r) => `${r.ruleId.padEnd(40)}${String(r.tp).padStart(2)}  ${String(r.fp).padStart(2)}  ${String(r.miss).padStart(4)}`)]
    process.stderr.write(`detections on the real kube-apiserver's log (${expected.length} labelled attack findings, ${scored.length} findings above info):\n${table.join('\n')}\n`)
    const unexplained = scored.filter((f) => !explains(f)).map((f) => `${f.severity} ${f.ruleId} ${f.who}: ${f.what}`)
    const missed = expected.filter((e) => !scored.some((f) => f.ruleId === e.ruleId && sameWho(e, f.who))).map((e) => `${e.ruleId} ${String(e.who)} (${e.step})`)
    expect({unexplained, missed}).toEqual({unexplained: [], missed: []})
  })

  it('the privileged pod is critical, the exec names the token path, the grant is critical', () => {
    const one = (ruleId: string, who: string) => findings.filter((f) => f.ruleId === ruleId && f.who === who)
    expect(one('privileged-workload', 'mallory')).toEqual([expect.objectContaining({severity: 'critical', what: `create pods ${APPS}/debug`})])
    expect(one('lateral-movement', 'mallory').map((f) => f.what)).toEqual([expect.stringContaining('/var/run/secrets/kubernetes.io/serviceaccount/token')])
    expect(one('rbac-grants-secret-access', 'bob')).toEqual([expect.objectContaining({severity: 'critical', what: 'create clusterrolebindings backdoor'})])
    expect(one('rbac-object-access', 'bob').some((f) => f.what === 'RBAC reconnaissance' && f.severity === 'medium')).toBe(true)
  })
})
