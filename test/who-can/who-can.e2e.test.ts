import {mkdtemp, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execa} from 'execa'
import {describe, expect, it} from 'vitest'
import type {FakeApiServer} from '../fake-apiserver/index.js'
import {BIN, CORPUS, HAS_CORPUS, runCli, SAMPLES_RBAC, startSampleCluster, type WhoCanJsonSubject as Subject} from './helpers.js'


const find = (subjects: Subject[], kind: string, name: string, namespace?: string) =>
  subjects.find((s) => s.kind === kind && s.name === name && (namespace === undefined || s.namespace === namespace))

describe('who-can offline (--manifests), through the built executable', () => {
  it('answers the default question across all namespaces with grant paths and warnings', async () => {
    const result = await runCli(['who-can', '--manifests', SAMPLES_RBAC, '-A', '-o', 'json'])
    expect(result.exitCode).toBe(0)
    const report = JSON.parse(result.stdout) as {subjects: Subject[]; query: {verbs: string[]; targets: string[]}}
    expect(report.query.verbs).toEqual(['get', 'list', 'watch'])
    expect(report.query.targets).toEqual(['secrets', 'configmaps'])
    const masters = find(report.subjects, 'Group', 'system:masters')!
    expect(masters.risks.map((r) => r.code)).toContain('superuser')
    expect(masters.confirmation).toBe('offline')
    const alice = find(report.subjects, 'User', 'alice@acme.example.com')!
    expect(alice.scope.clusterWide).toBe(true)
    expect(alice.paths[0]!.binding).toEqual({kind: 'ClusterRoleBinding', name: 'platform-admins'})
    const ci = find(report.subjects, 'ServiceAccount', 'ci-runner', 'ci')!
    expect(ci.scope).toEqual({clusterWide: false, namespaces: ['payments', 'web']})
    expect(ci.risks.map((r) => r.code)).toContain('wildcard-rule')
    // resourceNames-limited access is not an answer to an unnamed question.
    expect(find(report.subjects, 'ServiceAccount', 'payments-api', 'payments')).toBeUndefined()
    expect(result.stderr).toContain('ServiceAccount subject "backup" has no namespace and matches nobody')
    expect(result.stderr).toContain('"frontend-secret-reader" not found')
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('names the one secret an app may read, with resourceNames', async () => {
    const result = await runCli(['who-can', 'get', 'secret/payments-api-db', '-n', 'payments', '--manifests', SAMPLES_RBAC, '-o', 'json'])
    expect(result.exitCode).toBe(0)
    const report = JSON.parse(result.stdout) as {subjects: Subject[]}
    const api = find(report.subjects, 'ServiceAccount', 'payments-api', 'payments')!
    expect(api.paths.map((p) => p.role.name)).toEqual(['payments-api-secret'])
  })

  it('prints a kubectl-like table, and wide shows the paths', async () => {
    const table = await runCli(['who-can', '--manifests', SAMPLES_RBAC, '-n', 'payments'])
    expect(table.exitCode).toBe(0)
    expect(table.stdout.split('\n')[0]).toMatch(/^KIND\s+SUBJECT\s+ACCESS\s+SCOPE\s+CONFIRMED\s+RISK$/)
    expect(table.stdout).toMatch(/ServiceAccount\s+ci\/ci-runner\s+get,list,watch secrets,configmaps\s+payments\s+offline/)
    const wide = await runCli(['who-can', '--manifests', SAMPLES_RBAC, '-n', 'payments', '-o', 'wide', '--no-headers'])
    expect(wide.stdout).not.toContain('KIND')
    expect(wide.stdout).toContain('ClusterRoleBinding/platform-admins -> ClusterRole/')
  })

  it('expands broad groups into the ServiceAccounts they cover', async () => {
    const result = await runCli(['who-can', 'get', 'configmaps', '-n', 'payments', '--manifests', SAMPLES_RBAC, '--expand-groups', '-o', 'json'])
    const report = JSON.parse(result.stdout) as {subjects: Subject[]}
    const covered = report.subjects.filter((s) => s.coveredThrough?.includes('system:serviceaccounts:payments'))
    expect(covered.length).toBeGreaterThan(0)
    expect(covered.every((s) => s.namespace === 'payments')).toBe(true)
  })

  it('rejects an unknown resource with exit 2 and a suggestion, without a stack trace', async () => {
    const result = await runCli(['who-can', 'get', 'secretz', '--manifests', SAMPLES_RBAC])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('secrets')
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it.skipIf(!HAS_CORPUS)('reads the Kubernetes default policy: who can get secrets in kube-system', async () => {
    const result = await runCli(['who-can', 'get', 'secrets', '-n', 'kube-system', '--manifests', join(CORPUS, 'rbac'), '-o', 'json'])
    expect(result.exitCode).toBe(0)
    const report = JSON.parse(result.stdout) as {subjects: Subject[]}
    const names = report.subjects.map((s) => (s.kind === 'ServiceAccount' ? `${s.namespace}/${s.name}` : s.name))
    // Derived by hand from the fixtures: cluster-roles.yaml gives system:kube-controller-manager
    // `get secrets`; controller-roles give generic-garbage-collector and namespace-controller `*`
    // on `*`; namespace-role-bindings bind bootstrap-signer and token-cleaner Roles in kube-system.
    expect(names).toEqual(expect.arrayContaining([
      'system:masters',
      'system:kube-controller-manager',
      'kube-system/generic-garbage-collector',
      'kube-system/namespace-controller',
      'kube-system/bootstrap-signer',
      'kube-system/token-cleaner',
    ]))
    // system:node has no binding in the default policy (the Node authorizer serves nodes).
    expect(names).not.toContain('system:node')
  })
})

describe('who-can against a cluster (fake kube-apiserver), confirmed by SubjectAccessReview', () => {

  it('labels answers confirmed or denied, finds server-only grants, and never reads a secret', async () => {
    const sa = await startSampleClusterWithReporting()
    try {
      const result = await runCli(['who-can', '--kubeconfig', sa.kubeconfigPath, '-n', 'payments', '--check-serviceaccounts', '-o', 'json'])
      expect(result.stderr).not.toMatch(/\n\s+at /)
      expect(result.exitCode).toBe(0)
      const report = JSON.parse(result.stdout) as {subjects: Subject[]; serverOnly: {namespace: string; name: string; checks: {reason?: string}[]}[]; confirmation: {requests: number}}
      expect(find(report.subjects, 'Group', 'system:masters')!.confirmation).toBe('confirmed')
      expect(find(report.subjects, 'ServiceAccount', 'ci-runner', 'ci')!.confirmation).toBe('confirmed')
      const alice = find(report.subjects, 'User', 'alice@acme.example.com')!
      expect(alice.confirmation).toBe('denied')
      expect(alice.checks!.every((c) => c.reason === 'webhook: alice is suspended')).toBe(true)
      expect(report.serverOnly).toEqual([
        expect.objectContaining({namespace: 'payments', name: 'reporting', checks: [expect.objectContaining({reason: 'webhook: EKS access entry arn:aws:iam::1:role/reporting'})]}),
      ])
      // Only metadata was ever listed: no secret's data crossed the wire.
      expect(sa.requests.reduce((n, r) => n + r.secretsWithData, 0)).toBe(0)
      expect(sa.requests.some((r) => r.path.includes('/secrets') && r.method === 'GET')).toBe(false)
      const sars = sa.requests.filter((r) => r.path.endsWith('/subjectaccessreviews')).length
      expect(sars).toBe(report.confirmation.requests)
    } finally {
      await sa.stop()
    }
  })

  it('sends SubjectAccessReviews with the groups a ServiceAccount really carries', async () => {
    const seen: {user: string; groups: string[]}[] = []
    const cluster = await startSampleCluster({
      webhook: (user) => {
        seen.push({user: user.username, groups: user.groups})
        return undefined
      },
    })
    try {
      const result = await runCli(['who-can', '--kubeconfig', cluster.kubeconfigPath, '-n', 'payments'])
      expect(result.exitCode).toBe(0)
      expect(result.stdout).toMatch(/ServiceAccount\s+ci\/ci-runner\s+.*\s+confirmed\s/)
      expect(seen).toContainEqual({user: 'system:serviceaccount:ci:ci-runner', groups: ['system:serviceaccounts', 'system:serviceaccounts:ci', 'system:authenticated']})
      expect(seen.some((s) => s.user === 'sensitive-access:member-of:payments-devs' && s.groups.includes('payments-devs'))).toBe(true)
    } finally {
      await cluster.stop()
    }
  })

  it('marks the answer incomplete and exits 8 when a kind cannot be listed', async () => {
    const cluster = await startSampleCluster({forbid: ['rolebindings.rbac.authorization.k8s.io']})
    try {
      const result = await runCli(['who-can', '--kubeconfig', cluster.kubeconfigPath, '-A', '--no-confirm'])
      expect(result.exitCode).toBe(8)
      expect(result.stderr).toContain('INCOMPLETE')
      expect(result.stderr).toContain('cannot list rolebindings.rbac.authorization.k8s.io at cluster scope')
      expect(result.stdout).toContain('system:masters')
    } finally {
      await cluster.stop()
    }
  })

  it('says once that answers are unverified when the caller may not create SubjectAccessReviews', async () => {
    const cluster = await startSampleCluster({forbid: ['subjectaccessreviews.authorization.k8s.io']})
    try {
      const result = await runCli(['who-can', '--kubeconfig', cluster.kubeconfigPath, '-n', 'payments', '-o', 'json'])
      expect(result.exitCode).toBe(0)
      const report = JSON.parse(result.stdout) as {subjects: Subject[]}
      expect(report.subjects.every((s) => s.confirmation === 'unverified')).toBe(true)
      expect(result.stderr.match(/answers are unverified/g)).toHaveLength(1)
      expect(cluster.requests.filter((r) => r.path.endsWith('/subjectaccessreviews'))).toHaveLength(1)
    } finally {
      await cluster.stop()
    }
  })

  it('gives one clear line and exit 4 when the server cannot be reached', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sa-unreachable-'))
    const kubeconfig = join(dir, 'config')
    await writeFile(kubeconfig, `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`)
    const result = await runCli(['who-can', '--kubeconfig', kubeconfig])
    expect(result.exitCode).toBe(4)
    expect(result.stderr).toContain('cannot reach https://127.0.0.1:1')
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  async function startSampleClusterWithReporting(): Promise<FakeApiServer> {
    // The sample objects plus a ServiceAccount that only the webhook knows about.
    const {loadManifests} = await import('../../src/kube/load-manifests.js')
    const loaded = await loadManifests([SAMPLES_RBAC])
    return startSampleCluster({
      webhook: (user, attrs) => {
        if (user.username === 'system:serviceaccount:payments:reporting' && attrs.kind === 'resource' && attrs.resource === 'secrets' && attrs.verb === 'get') {
          return {allowed: true, reason: 'webhook: EKS access entry arn:aws:iam::1:role/reporting'}
        }
        if (user.username === 'alice@acme.example.com') return {allowed: false, denied: true, reason: 'webhook: alice is suspended'}
        return undefined
      },
      store: {
        rbac: loaded.snapshot,
        namespaces: loaded.snapshot.namespaces,
        serviceAccounts: [...loaded.snapshot.serviceAccounts, {namespace: 'payments', name: 'reporting'}],
        secrets: [{namespace: 'payments', name: 'payments-api-db', data: {password: 'PLANTED-SECRET-VALUE'}}],
      },
    })
  }
})

describe('kubectl plugin discovery', () => {
  it('kubectl finds the executable on PATH and runs `kubectl sensitive-access who-can`', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sa-plugin-'))
    await symlink(BIN, join(dir, 'kubectl-sensitive_access'))
    const env = {PATH: `${dir}:${process.env.PATH}`, NO_COLOR: '1'}
    const list = await execa('kubectl', ['plugin', 'list'], {env, reject: false})
    expect(list.stdout).toContain(join(dir, 'kubectl-sensitive_access'))
    const run = await execa('kubectl', ['sensitive-access', 'who-can', '--manifests', SAMPLES_RBAC, '-A'], {env, reject: false})
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(/Group\s+system:masters/)
    const help = await execa('kubectl', ['sensitive-access', 'who-can', '--help'], {env, reject: false})
    expect(help.stdout).toContain('kubectl sensitive-access who-can')
  })
})
