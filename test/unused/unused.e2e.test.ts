// `unused` through the built executable (run `npm run build` first): the fixture cluster and log
// where every class appears, the suggestion files re-analysed with `who-can --manifests`, a fake
// API server as the RBAC source, and the sample data (whose planted secret must never show).
import {mkdtemp, readdir, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {parseAllDocuments} from 'yaml'
import {loadManifests} from '../../src/kube/load-manifests.js'
import {authorize} from '../../src/rbac/authorizer.js'
import {startFakeApiServer} from '../fake-apiserver/index.js'
import {runCli, SAMPLES_RBAC} from '../who-can/helpers.js'

const HERE = dirname(fileURLToPath(import.meta.url))
const FIXTURES = join(HERE, 'fixtures')
const RBAC = join(FIXTURES, 'rbac')
const LOG = join(FIXTURES, 'audit.log')
const SAMPLE_LOG = resolve(HERE, '../../samples/audit/sample-audit.log')
const PLANTED = 's3cr3t-SAMPLE-VALUE'

interface Report {
  subjects: {key: string; class: string; evidence: {count: number}; suggestions: string[]}[]
  indirect?: {key: string; label: string; class: string}[]
  noGrant: {user: string; reason: string}[]
  denied: {user: string}[]
  suggestions: {id: string; action: string; file: string}[]
}

// Exactly what the fixture log shows each subject doing (the suggestions must grant this and no more).
const USED: Record<string, {user: string; groups: string[]; uses: [verb: string, ns: string, resource: string, name?: string][]}> = {
  'User:carol': {user: 'carol', groups: ['system:authenticated'], uses: [['get', 'shop', 'secrets', 'db']]},
  'User:grace': {user: 'grace', groups: ['system:authenticated'], uses: [['get', 'shop', 'secrets', 'payment-token']]},
  'ServiceAccount:billing/reporter': {
    user: 'system:serviceaccount:billing:reporter',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:billing', 'system:authenticated'],
    uses: [['list', 'billing', 'configmaps']],
  },
  'ServiceAccount:mon/agent': {user: 'system:serviceaccount:mon:agent', groups: ['system:serviceaccounts', 'system:serviceaccounts:mon', 'system:authenticated'], uses: [['list', '', 'secrets']]},
  'ServiceAccount:shop/app': {user: 'system:serviceaccount:shop:app', groups: ['system:serviceaccounts', 'system:serviceaccounts:shop', 'system:authenticated'], uses: [['get', 'shop', 'secrets', 'api-key']]},
}
// Never used, with secrets-only bindings: after the suggestions they can read nothing.
const REMOVED: Record<string, {user: string; groups: string[]}> = {
  'User:dave': {user: 'dave', groups: ['system:authenticated']},
  'User:frank': {user: 'frank', groups: ['system:authenticated']},
  'Group:auditors': {user: 'someone', groups: ['auditors', 'system:authenticated']},
}

describe('unused, through the built executable', () => {
  it('prints every class in a table, and the same report as JSON', async () => {
    const table = await runCli(['unused', '--manifests', RBAC, '-f', LOG, '--indirect'])
    expect(table.stderr).not.toMatch(/\n\s+at /)
    expect(table.exitCode).toBe(0)
    expect(table.stdout).toMatch(/can-and-did\s+User\s+carol\s+get,list,watch secrets\s+cluster-wide\s+2026-11-20T09:05:00.000Z\s+2\s+shop\/secrets\/db/)
    expect(table.stdout).toMatch(/can-never-did\s+User\s+dave\s/)
    expect(table.stdout).toMatch(/system:node:n1\s+1\s+.*Node authorizer/)
    expect(table.stdout).toMatch(/system:serviceaccount:shop:intruder\s+2\s/)
    expect(table.stdout).toContain('create deployments.apps in ns shop -> mount any secret')
    const json = await runCli(['unused', '--manifests', RBAC, '-f', LOG, '--indirect', '-o', 'json'])
    const report = JSON.parse(json.stdout) as Report
    expect(report.subjects.find((s) => s.key === 'User:carol')).toMatchObject({class: 'used', evidence: {count: 2}})
    expect(report.indirect!.find((s) => s.key === 'ServiceAccount:shop/deployer' && s.label === 'indirect: pod-create')!.class).toBe('used')
    expect(report.noGrant.map((n) => n.reason).sort()).toEqual(['node-authorizer', 'non-rbac-authorizer', 'removed-binding', 'unknown'])
    expect(report.denied.map((d) => d.user)).toEqual(['system:serviceaccount:shop:intruder'])
    const yaml = await runCli(['unused', '--manifests', RBAC, '-f', LOG, '-o', 'yaml'])
    expect(yaml.exitCode).toBe(0)
    expect(yaml.stdout).toContain('class: used')
  })

  it('writes suggestions that, applied to the manifests, grant exactly what was used', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'unused-suggestions-'))
    const result = await runCli(['unused', '--manifests', RBAC, '-f', LOG, '--write-suggestions', dir, '-o', 'json'])
    expect(result.exitCode).toBe(0)
    const report = JSON.parse(result.stdout) as Report
    const files = (await readdir(dir)).sort()
    expect(files).toEqual(report.suggestions.map((s) => s.file).sort())
    expect(files.length).toBe(6)

    // Every document is a full, valid RBAC object.
    const deleted = new Set<string>()
    const applied = new Map<string, unknown>()
    for (const file of files) {
      const text = await readFile(join(dir, file), 'utf8')
      expect(text.startsWith('# Suggested by kubectl sensitive-access unused')).toBe(true)
      const isDelete = text.includes('# ACTION: DELETE')
      for (const doc of parseAllDocuments(text)) {
        expect(doc.errors).toEqual([])
        const o = doc.toJS() as {apiVersion: string; kind: string; metadata: {name: string; namespace?: string}; rules?: unknown[]; roleRef?: {apiGroup: string; kind: string; name: string}; subjects?: unknown[]}
        expect(o.apiVersion).toBe('rbac.authorization.k8s.io/v1')
        expect(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']).toContain(o.kind)
        expect(o.metadata.name.length).toBeLessThanOrEqual(253)
        expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
        // Cluster-scoped kinds carry no namespace, namespaced ones always do.
        expect(typeof o.metadata.namespace).toBe(o.kind.startsWith('Cluster') ? 'undefined' : 'string')
        if (o.kind.endsWith('Binding')) {
          expect(o.roleRef!.apiGroup).toBe('rbac.authorization.k8s.io')
          expect((o.subjects ?? []).length).toBeGreaterThan(0)
        } else expect((o.rules ?? []).length).toBeGreaterThan(0)
        const key = `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`
        if (isDelete) deleted.add(key)
        else applied.set(key, o)
      }
    }
    expect([...deleted].sort()).toEqual(['ClusterRoleBinding//ops-read-secrets', 'RoleBinding/billing/reporter-config'])

    // The original manifests minus the deleted bindings, with edited objects replaced, plus the new ones.
    const original = parseAllDocuments(await readFile(join(RBAC, 'rbac.yaml'), 'utf8')).map((d) => d.toJS() as {kind: string; metadata?: {name: string; namespace?: string}})
    const merged: unknown[] = []
    for (const o of original) {
      const key = `${o.kind}/${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`
      if (deleted.has(key)) continue
      if (applied.has(key)) {
        merged.push(applied.get(key))
        applied.delete(key)
      } else merged.push(o)
    }
    merged.push(...applied.values())
    const mergedDir = await mkdtemp(join(tmpdir(), 'unused-merged-'))
    const {stringify} = await import('yaml')
    await writeFile(join(mergedDir, 'merged.yaml'), merged.map((o) => stringify(o)).join('---\n'))

    // Unnamed access, as who-can answers it: only the lists that were used, where they were used.
    const whoCan = await runCli(['who-can', '--manifests', mergedDir, '-A', '-o', 'json'])
    expect(whoCan.exitCode).toBe(0)
    const answer = JSON.parse(whoCan.stdout) as {subjects: {key: string; access: {verb: string; target: string; scope: {clusterWide: boolean; namespaces: string[]}}[]}[]}
    const unnamed = (key: string) =>
      (answer.subjects.find((s) => s.key === key)?.access ?? []).flatMap((a) => (a.scope.clusterWide ? [''] : a.scope.namespaces).map((ns) => `${a.verb} ${ns} ${a.target}`)).sort()
    for (const [key, who] of Object.entries(USED)) {
      expect(unnamed(key), key).toEqual(who.uses.filter((u) => u[3] === undefined).map(([verb, ns, resource]) => `${verb} ${ns} ${resource}`).sort())
    }
    for (const key of Object.keys(REMOVED)) expect(unnamed(key), key).toEqual([])

    // Named access: each object read is still readable, its neighbours and other verbs are not.
    const snapshot = (await loadManifests([mergedDir])).snapshot
    const can = (who: {user: string; groups: string[]}, verb: string, ns: string, resource: string, name?: string) =>
      authorize(snapshot, who, {kind: 'resource', verb, apiGroup: '', resource, ...(ns ? {namespace: ns} : {}), ...(name ? {name} : {})}).allowed
    for (const [key, who] of Object.entries(USED)) {
      for (const [verb, ns, resource, name] of who.uses) {
        expect(can(who, verb, ns, resource, name), `${key} ${verb} ${ns}/${resource}/${name ?? ''}`).toBe(true)
        if (name) expect(can(who, verb, ns, resource, 'something-else'), key).toBe(false)
        for (const other of ['get', 'list', 'watch'].filter((v) => v !== verb)) {
          expect(can(who, other, ns, resource, name ?? 'x'), `${key} ${other}`).toBe(false)
        }
        expect(can(who, verb, 'elsewhere', resource, name), `${key} elsewhere`).toBe(ns === '')
      }
    }
    for (const [key, who] of Object.entries(REMOVED)) {
      for (const resource of ['secrets', 'configmaps']) {
        for (const ns of ['shop', 'billing', 'mon']) expect(can(who, 'get', ns, resource, 'db'), `${key} ${ns}/${resource}`).toBe(false)
      }
    }
  })

  it('reads RBAC from a cluster (fake kube-apiserver) and only lists RBAC objects', async () => {
    const loaded = await loadManifests([RBAC])
    const server = await startFakeApiServer({
      store: {rbac: loaded.snapshot, namespaces: loaded.snapshot.namespaces, serviceAccounts: loaded.snapshot.serviceAccounts},
      // A webhook-like authorizer that refuses pods/exec to shop/deployer although RBAC grants it.
      authorize: (user, attributes) =>
        user.username === 'system:serviceaccount:shop:deployer' && attributes.kind === 'resource' && attributes.subresource === 'exec'
          ? {allowed: false, reason: 'exec is blocked by policy'}
          : {allowed: true, reason: ''},
    })
    try {
      const result = await runCli(['unused', '--kubeconfig', server.kubeconfigPath, '-f', LOG, '-o', 'json'])
      expect(result.stderr).not.toMatch(/\n\s+at /)
      expect(result.exitCode).toBe(0)
      const report = JSON.parse(result.stdout) as Report & {source: {kind: string}}
      expect(report.source.kind).toBe('cluster')
      const offline = JSON.parse((await runCli(['unused', '--manifests', RBAC, '-f', LOG, '-o', 'json'])).stdout) as Report
      // Same RBAC objects, same join.
      expect(report.subjects.map((s) => [s.key, s.class])).toEqual(offline.subjects.map((s) => [s.key, s.class]))
      expect(report.suggestions.map((s) => s.id)).toEqual(offline.suggestions.map((s) => s.id))
      expect(server.requests.some((r) => r.path.includes('/secrets'))).toBe(false)
      // who-can --indirect reads the same cluster the same way.
      const indirect = await runCli(['who-can', '--kubeconfig', server.kubeconfigPath, '-n', 'shop', '--indirect', '-o', 'json'])
      expect(indirect.exitCode).toBe(0)
      type Checked = {key: string; label: string; confirmation: string; checks?: {verb: string; target: string; allowed: boolean; reason?: string}[]}
      const answer = JSON.parse(indirect.stdout) as {indirect: Checked[]}
      const deployer = answer.indirect.filter((g) => g.key === 'ServiceAccount:shop/deployer')
      expect(deployer.map((g) => g.label)).toEqual(['indirect: pod-create', 'indirect: exec'])
      // Each path is confirmed with SubjectAccessReview like a direct grant: the server refuses exec.
      expect(deployer.map((g) => g.confirmation)).toEqual(['confirmed', 'denied'])
      expect(deployer[1]!.checks!.every((c) => !c.allowed && c.reason === 'exec is blocked by policy')).toBe(true)
      expect(answer.indirect.find((g) => g.label === 'indirect: node-authorizer')?.confirmation).toBe('unverified')
      const reviews = server.requests.filter((r) => r.path.endsWith('/subjectaccessreviews'))
      expect(reviews.length).toBeGreaterThan(0)
      const noConfirm = JSON.parse((await runCli(['who-can', '--kubeconfig', server.kubeconfigPath, '-n', 'shop', '--indirect', '--no-confirm', '-o', 'json'])).stdout) as {indirect: Checked[]}
      expect(new Set(noConfirm.indirect.map((g) => g.confirmation))).toEqual(new Set(['skipped']))
    } finally {
      await server.stop()
    }
  })

  it('is INCOMPLETE (exit 8) when a manifest input or an RBAC object was skipped, as who-can is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ksa-unused-skip-'))
    const rbac = join(dir, 'rbac')
    const {cp, mkdir} = await import('node:fs/promises')
    await mkdir(rbac)
    await cp(RBAC, rbac, {recursive: true})
    await writeFile(join(rbac, 'zz-deep.json'), '['.repeat(100_000) + ']'.repeat(100_000))
    await writeFile(join(rbac, 'zz-bad-role.yaml'), 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: broken}\nrules: {verbs: [get]}\n')
    const clean = await runCli(['unused', '--manifests', RBAC, '-f', LOG, '-o', 'json'])
    const result = await runCli(['unused', '--manifests', rbac, '-f', LOG, '-o', 'json'])
    expect(result.stderr).not.toMatch(/\n\s+at /)
    expect(result.exitCode, result.stderr).toBe(8)
    expect(result.stderr).toMatch(/zz-deep\.json/)
    expect(result.stderr).toMatch(/broken/)
    const report = JSON.parse(result.stdout) as Report & {incomplete?: {skipped?: {source: string}[]}}
    expect(report.incomplete?.skipped?.length).toBe(2)
    // The rest of the answer stands.
    expect(report.subjects.map((s) => [s.key, s.class])).toEqual((JSON.parse(clean.stdout) as Report).subjects.map((s) => [s.key, s.class]))
  })

  it('never prints the planted secret value of the sample log, in any format', async () => {
    for (const format of ['table', 'json', 'yaml']) {
      const result = await runCli(['unused', '--manifests', SAMPLES_RBAC, '-f', SAMPLE_LOG, '--indirect', '-o', format])
      expect(result.exitCode).toBe(0)
      expect(result.stdout).not.toContain(PLANTED)
      expect(result.stderr).not.toContain(PLANTED)
      expect(result.stdout).not.toContain('last-applied-configuration')
    }
  })

  it('counts bad input as a skip and rejects bad flags with exit 2, without a stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'unused-bad-'))
    const bad = join(dir, 'bad.log')
    // The broken line names secrets, so the byte prefilter lets it through to the parser.
    await writeFile(bad, `${(await readFile(LOG, 'utf8')).split('\n')[0]}\n{"objectRef":{"resource":"secrets"}, not json\n`)
    const skipped = await runCli(['unused', '--manifests', RBAC, '-f', bad])
    expect(skipped.exitCode).toBe(0)
    expect(skipped.stderr).toMatch(/skipped 1 bad record/)
    // (`  at FILE:LINE: reason` is the skip report; a stack frame ends in `:LINE:COLUMN`.)
    expect(skipped.stderr).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m)
    const both = await runCli(['unused', '--manifests', RBAC, '-f', LOG, '-n', 'shop', '-A'])
    expect(both.exitCode).toBe(2)
    expect(both.stderr).toContain('not both')
    const since = await runCli(['unused', '--manifests', RBAC, '-f', LOG, '--since', 'soon'])
    expect(since.exitCode).toBe(2)
    expect(since.stderr).not.toMatch(/\n\s+at /)
    const noManifests = await runCli(['unused', '--manifests', join(dir, 'missing'), '-f', LOG])
    expect(noManifests.exitCode).toBe(2)
  })

  it('honours the window: --since with --now drops older events', async () => {
    const result = await runCli(['unused', '--manifests', RBAC, '-f', LOG, '--since', '2h', '--now', '2026-11-20T13:30:00Z', '-o', 'json'])
    expect(result.exitCode).toBe(0)
    const report = JSON.parse(result.stdout) as Report
    // carol's reads (09:00) are outside 11:30-13:30; the denied attempts (13:00) are inside.
    expect(report.subjects.find((s) => s.key === 'User:carol')!.class).toBe('unused')
    expect(report.subjects.find((s) => s.key === 'ServiceAccount:mon/agent')!.class).toBe('used')
    expect(report.denied.map((d) => d.user)).toEqual(['system:serviceaccount:shop:intruder'])
    // What the window was goes to stderr, never into the data.
    expect(result.stderr).toContain('note: window 2026-11-20T11:30:00.000Z .. 2026-11-20T13:30:00.000Z: 7 secret/configmap events')
  })
})

describe('who-can --indirect, through the built executable', () => {
  it('adds indirect subjects apart from direct grants, in JSON and in the table', async () => {
    const json = await runCli(['who-can', '--manifests', RBAC, '-A', '--indirect', '-o', 'json'])
    expect(json.exitCode).toBe(0)
    const report = JSON.parse(json.stdout) as {subjects: {key: string}[]; indirect: {key: string; label: string; explanation: string[]}[]}
    expect(report.subjects.map((s) => s.key)).not.toContain('ServiceAccount:shop/deployer')
    expect(report.indirect.filter((g) => g.key === 'ServiceAccount:shop/deployer').map((g) => g.label)).toEqual(['indirect: pod-create', 'indirect: exec'])
    const table = await runCli(['who-can', '--manifests', RBAC, '-n', 'shop', '--indirect', '-o', 'table'])
    expect(table.exitCode).toBe(0)
    expect(table.stdout).toContain('Indirect paths to secrets')
    expect(table.stdout).toMatch(/shop\/deployer\s+indirect: exec\s+offline\s+create pods\/exec in ns shop -> read the secrets mounted in running pods in shop/)
    const plain = await runCli(['who-can', '--manifests', RBAC, '-A', '-o', 'json'])
    expect((JSON.parse(plain.stdout) as {indirect?: unknown}).indirect).toBeUndefined()
  })
})
