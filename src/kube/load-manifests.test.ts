import {mkdtemp, mkdir, rm, symlink, writeFile} from 'node:fs/promises'
import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {whoCan, defaultTargets, DEFAULT_VERBS} from '../rbac/who-can.js'
import {loadManifests, ManifestLoadError} from './load-manifests.js'

const here = dirname(fileURLToPath(import.meta.url))
const samples = resolve(here, '../../samples/rbac')
const corpus = resolve(here, '../../../shared/corpus/rbac')

describe('loadManifests on a folder tree', () => {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sa-manifests-'))
    await mkdir(join(dir, 'nested/deeper'), {recursive: true})
    await writeFile(
      join(dir, 'a.yaml'),
      'kind: ClusterRole\nmetadata: {name: agg}\naggregationRule: {clusterRoleSelectors: [{matchLabels: {x: "1"}}]}\n',
    )
    await writeFile(
      join(dir, 'nested/deeper/b.yml'),
      'kind: ClusterRole\nmetadata: {name: piece, labels: {x: "1"}}\nrules: [{verbs: [get], apiGroups: [""], resources: [secrets]}]\n',
    )
    await writeFile(
      join(dir, 'nested/c.json'),
      JSON.stringify({kind: 'ClusterRoleBinding', metadata: {name: 'b'}, roleRef: {kind: 'ClusterRole', name: 'agg'}, subjects: [{kind: 'User', name: 'u'}]}),
    )
    await writeFile(join(dir, 'nested/notes.txt'), 'kind: ClusterRole\nmetadata: {name: ignored}\n')
    await writeFile(join(dir, 'broken.yaml'), 'kind: Role\nmetadata: [\n')
  })
  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('walks recursively, reads .yaml/.yml/.json only, applies aggregation, reports bad documents', async () => {
    const l = await loadManifests([dir])
    expect(l.files.map((f) => f.slice(dir.length + 1))).toEqual(['a.yaml', 'broken.yaml', 'nested/c.json', 'nested/deeper/b.yml'])
    expect(l.snapshot.clusterRoles.find((r) => r.metadata.name === 'agg')!.rules).toEqual([
      {verbs: ['get'], apiGroups: [''], resources: ['secrets']},
    ])
    expect(l.warnings).toEqual([expect.stringMatching(/broken\.yaml: document 1: invalid YAML/)])
    const a = whoCan(l.snapshot, {verbs: ['get'], targets: defaultTargets(), allNamespaces: false})
    expect(a.subjects.map((s) => s.key)).toEqual(['Group:system:masters', 'User:u'])
  })

  it('reads a file named explicitly whatever its extension, and warns about missing paths', async () => {
    const l = await loadManifests([join(dir, 'nested/notes.txt'), join(dir, 'nope')])
    expect(l.snapshot.clusterRoles.map((r) => r.metadata.name)).toEqual(['ignored'])
    expect(l.warnings).toEqual([`${join(dir, 'nope')}: no such file or folder; skipped`])
  })

  it('fails with a clear message when nothing can be read', async () => {
    await expect(loadManifests([join(dir, 'nope')])).rejects.toThrow(ManifestLoadError)
    await expect(loadManifests([join(dir, 'nope')])).rejects.toThrow(/no manifest files found/)
  })
})

describe.skipIf(!existsSync(corpus))('loadManifests on the Kubernetes default policy', () => {
  it('loads the six files without a problem', async () => {
    const l = await loadManifests([corpus])
    expect(l.warnings).toEqual([])
    // 31 + 38 ClusterRoles, 10 + 38 ClusterRoleBindings, 7 Roles, 7 RoleBindings (SOURCES.md).
    expect(l.kept).toEqual({ClusterRole: 69, ClusterRoleBinding: 48, Role: 7, RoleBinding: 7})
  })
})

describe('the bundled demo cluster (samples/rbac)', () => {
  // Expected answers derived by reading samples/rbac/*.yaml (see samples/rbac/README.md).
  it('who-can -A for the default question', async () => {
    const l = await loadManifests([samples])
    expect(l.warnings).toEqual([])
    const a = whoCan(l.snapshot, {verbs: [...DEFAULT_VERBS], targets: defaultTargets(), allNamespaces: true})
    const rows = a.subjects.map((s) => [s.key, s.targets.join(','), s.scope.clusterWide ? '*' : s.scope.namespaces.join(',')])
    expect(rows).toEqual([
      ['Group:system:masters', 'secrets,configmaps', '*'],
      ['User:alice@acme.example.com', 'secrets,configmaps', '*'], // platform-admins -> cluster-admin
      // acme-edit = acme-edit-secrets + (transitively) acme-view-workloads via acme-view
      ['Group:payments-devs', 'secrets,configmaps', 'payments'],
      ['Group:support-team', 'configmaps', '*'], // acme-view has no secrets
      ['Group:system:authenticated', 'configmaps', 'web'],
      ['Group:system:serviceaccounts:payments', 'configmaps', 'payments'],
      ['ServiceAccount:ci/ci-runner', 'secrets,configmaps', 'payments,web'], // wildcard Role deployer twice
      ['ServiceAccount:monitoring/default', 'secrets', 'monitoring'],
      ['ServiceAccount:monitoring/prometheus', 'configmaps', '*'],
    ])
    // payments-api reads only its own secret: absent here, present when the question names it.
    const named = whoCan(l.snapshot, {
      verbs: ['get'],
      targets: [{kind: 'resource', apiGroup: '', resource: 'secrets', name: 'payments-api-db', namespaced: true}],
      namespace: 'payments',
      allNamespaces: false,
    })
    expect(named.subjects.map((s) => s.key)).toContain('ServiceAccount:payments/payments-api')
    expect(a.warnings.map((w) => w.code)).toEqual(['dangling-serviceaccount', 'missing-role'])
    expect(a.missingRoleBindings.map((p) => `${p.binding.namespace}/${p.binding.name} -> ${p.role.kind} ${p.role.name}`)).toEqual([
      'web/frontend-secrets -> Role frontend-secret-reader',
    ])
    const risks = Object.fromEntries(a.subjects.map((s) => [s.key, s.risks.map((r) => r.code)]))
    expect(risks['ServiceAccount:ci/ci-runner']).toContain('wildcard-rule')
    expect(risks['ServiceAccount:monitoring/default']).toContain('default-service-account')
    expect(risks['Group:system:authenticated']).toContain('broad-group')
  })

  it('--expand-groups lists the payments ServiceAccounts and every ServiceAccount for system:authenticated', async () => {
    const l = await loadManifests([samples])
    const a = whoCan(l.snapshot, {verbs: ['list'], targets: defaultTargets(), allNamespaces: true, expandGroups: true})
    const api = a.subjects.find((s) => s.key === 'ServiceAccount:payments/payments-api')!
    expect(api.coveredThrough).toEqual(['system:authenticated', 'system:serviceaccounts:payments'])
    expect(api.scope).toEqual({clusterWide: false, namespaces: ['payments', 'web']})
    const covered = a.subjects.filter((s) => s.coveredThrough).length
    expect(covered).toBe(11) // every ServiceAccount in 00-namespaces.yaml is authenticated
  })
})

describe('loadManifests: what cannot be used is a counted skip', () => {
  let dir = ''
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sa-manifests-skips-'))
    await mkdir(join(dir, 'good'))
    await mkdir(join(dir, 'elsewhere'))
    await mkdir(join(dir, 'no-rbac'))
    await mkdir(join(dir, 'empty'))
    await writeFile(join(dir, 'elsewhere/role.yaml'), 'kind: ClusterRole\nmetadata: {name: linked}\nrules: []\n')
    await writeFile(join(dir, 'good/binding.yaml'), 'kind: ClusterRoleBinding\nmetadata: {name: b}\nroleRef: {kind: ClusterRole, name: linked}\nsubjects: [{kind: User, name: u}]\n')
    await symlink(join(dir, 'elsewhere/role.yaml'), join(dir, 'good/role.yaml'))
    await symlink(join(dir, 'nowhere.yaml'), join(dir, 'good/dangling.yaml'))
    // A link back up must not loop.
    await symlink(join(dir, 'good'), join(dir, 'good/loop'))
    await writeFile(join(dir, 'no-rbac/deploy.yaml'), 'kind: Deployment\nmetadata: {name: d}\n')
    execFileSync('mkfifo', [join(dir, 'fifo.yaml')])
  })
  afterAll(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('follows symbolic links, and names broken links, FIFOs, missing paths and folders without RBAC objects', async () => {
    const l = await loadManifests([join(dir, 'good'), join(dir, 'no-rbac'), join(dir, 'empty'), join(dir, 'fifo.yaml'), join(dir, 'missing')])
    expect(l.snapshot.clusterRoles.map((r) => r.metadata.name)).toEqual(['linked'])
    expect(l.skipped.map((s) => [s.source.slice(dir.length + 1), s.reason])).toEqual([
      ['good/dangling.yaml', 'broken symbolic link (ENOENT)'],
      ['empty', 'no .yaml, .yml or .json file in this folder'],
      ['fifo.yaml', 'not a regular file or folder'],
      ['missing', 'no such file or folder'],
      ['no-rbac', 'no RBAC object (Role, ClusterRole, RoleBinding, ClusterRoleBinding) in this folder'],
    ])
  })
})
