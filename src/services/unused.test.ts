import {dirname, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import type {AuditEvent} from '../audit/event.js'
import {readAuditEvents} from '../audit/reader.js'
import {loadManifests} from '../kube/load-manifests.js'
import {authorize} from '../rbac/authorizer.js'
import type {RbacSnapshot} from '../rbac/types.js'
import {createUsageAnalysis, indirectUseOf, leastPrivilege, objectName, slug, suggestionFileText} from './unused.js'

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../test/unused/fixtures')

async function analyse(options: {namespace?: string; indirect: boolean}) {
  const loaded = await loadManifests([resolve(FIXTURES, 'rbac')])
  const analysis = createUsageAnalysis(loaded.snapshot, options)
  for await (const e of readAuditEvents([resolve(FIXTURES, 'audit.log')])) analysis.add(e)
  return {snapshot: loaded.snapshot, result: analysis.finish()}
}

describe('createUsageAnalysis on the fixture cluster and log', () => {
  it('classifies every subject: can and did, can but never did', async () => {
    const {result} = await analyse({indirect: false})
    const cls = Object.fromEntries(result.subjects.map((s) => [s.key, s.class]))
    expect(cls).toEqual({
      'Group:system:masters': 'unused',
      'User:carol': 'used',
      'User:dave': 'unused',
      'User:erin': 'unused',
      'User:frank': 'unused',
      'User:grace': 'used',
      'User:ivan': 'unused',
      'Group:auditors': 'unused',
      'ServiceAccount:billing/reporter': 'used',
      'ServiceAccount:mon/agent': 'used',
      'ServiceAccount:shop/app': 'used',
    })
    const carol = result.subjects.find((s) => s.key === 'User:carol')!
    expect(carol.evidence).toMatchObject({count: 2, lastAccess: '2026-11-20T09:05:00.000Z', objects: ['shop/secrets/db'], verbs: ['get']})
    expect(carol.usedBindings).toEqual(['ClusterRoleBinding/ops-read-secrets'])
    // A name-limited grant is a subject too, with the name in its access.
    expect(result.subjects.find((s) => s.key === 'ServiceAccount:shop/app')!.access.map((a) => a.target)).toEqual(['secrets "api-key"'])
  })

  it('explains reads no RBAC object grants, from the event authorization reason', async () => {
    const {result} = await analyse({indirect: false})
    const why = Object.fromEntries(result.noGrant.map((n) => [n.user, n.reason]))
    expect(why).toEqual({
      'system:node:n1': 'node-authorizer',
      'old-admin': 'removed-binding',
      'arn:aws:iam::1:role/reporting': 'non-rbac-authorizer',
      mystery: 'unknown',
    })
    expect(result.noGrant.find((n) => n.user === 'old-admin')!.explanation).toContain('ClusterRoleBinding "old-admin"')
    expect(result.denied).toEqual([
      expect.objectContaining({user: 'system:serviceaccount:shop:intruder', evidence: expect.objectContaining({count: 2, verbs: ['get', 'list']})}),
    ])
  })

  it('suggests deleting, editing and narrowing bindings, and leaves mixed roles to a human', async () => {
    const {result} = await analyse({indirect: false})
    expect(result.suggestions.map((s) => [s.id, s.action])).toEqual([
      ['delete-clusterrolebinding-ops-read-secrets', 'delete-binding'],
      ['delete-rolebinding-billing-reporter-config', 'delete-binding'],
      ['edit-rolebinding-shop-team', 'remove-subjects'],
      ['narrow-serviceaccount-billing-reporter', 'replace-with-least-privilege'],
      ['narrow-user-carol', 'replace-with-least-privilege'],
      ['narrow-user-grace', 'replace-with-least-privilege'],
    ])
    const edit = result.suggestions.find((s) => s.id === 'edit-rolebinding-shop-team')!
    expect(edit.objects[0]!.subjects).toEqual([{apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'ivan'}])
    const erin = result.subjects.find((s) => s.key === 'User:erin')!
    expect(erin.suggestions).toEqual([])
    expect(erin.notes.join(' ')).toContain('ClusterRoleBinding/mixed -> ClusterRole/viewer-plus grants more than reading secrets/configmaps')
    // Used exactly as granted: nothing to suggest.
    expect(result.subjects.find((s) => s.key === 'ServiceAccount:mon/agent')!.suggestions).toEqual([])
    expect(result.subjects.find((s) => s.key === 'ServiceAccount:shop/app')!.suggestions).toEqual([])
  })

  it('restricts the join to one namespace with -n', async () => {
    const {result} = await analyse({namespace: 'billing', indirect: false})
    expect(result.subjects.map((s) => s.key)).not.toContain('User:grace')
    expect(result.subjects.find((s) => s.key === 'ServiceAccount:billing/reporter')!.class).toBe('used')
    expect(result.noGrant.map((n) => n.user).sort()).toEqual(['arn:aws:iam::1:role/reporting', 'old-admin'])
    // carol's reads were in shop: unseen from billing, so her ClusterRoleBinding is not judged.
    expect(result.subjects.find((s) => s.key === 'User:carol')!.class).toBe('unused')
    expect(result.suggestions.map((s) => s.id)).toEqual(['delete-rolebinding-billing-reporter-config', 'narrow-serviceaccount-billing-reporter'])
    expect(result.subjects.find((s) => s.key === 'User:carol')!.notes).toEqual([
      'ClusterRoleBinding/ops-read-secrets grants in every namespace but only billing was analysed: run without -n to judge it',
    ])
  })

  it('joins indirect paths with the events that exercise them', async () => {
    const {result} = await analyse({indirect: true})
    const deployer = result.indirect!.filter((s) => s.key === 'ServiceAccount:shop/deployer')
    expect(deployer.map((s) => [s.label, s.class, s.evidence.count])).toEqual([
      ['indirect: pod-create', 'used', 1],
      ['indirect: exec', 'unused', 0],
    ])
    expect(result.indirect!.find((s) => s.path === 'node-authorizer')!.class).toBe('used')
    // With -n, only that namespace's events count: the kubelet read was in shop.
    const billing = await analyse({namespace: 'billing', indirect: true})
    expect(billing.result.indirect!.find((s) => s.path === 'node-authorizer')!.evidence.count).toBe(0)
  })
})

describe('attribution by the authorization reason', () => {
  const read = (user: string, groups: string[], reason: string): AuditEvent => ({
    time: Date.parse('2026-11-21T00:00:00Z'),
    verb: 'list',
    user: {username: user, groups},
    sourceIPs: [],
    resource: 'configmaps',
    apiGroup: '',
    namespace: 'billing',
    code: 200,
    decision: 'allow',
    reason,
    origin: {format: 'k8s'},
  })

  it('credits the binding the server names, and nothing when another authorizer allowed it', async () => {
    const loaded = await loadManifests([resolve(FIXTURES, 'rbac')])
    const analysis = createUsageAnalysis(loaded.snapshot, {indirect: false})
    // The reporter ServiceAccount, also in group auditors: both subjects of the binding match it.
    const groups = ['auditors', 'system:serviceaccounts', 'system:serviceaccounts:billing', 'system:authenticated']
    analysis.add(read('system:serviceaccount:billing:reporter', groups, 'RBAC: allowed by RoleBinding "reporter-config/billing" of ClusterRole "configmap-reader" to Group "auditors"'))
    analysis.add(read('auditor-2', ['auditors', 'system:authenticated'], 'webhook: allowed by IAM'))
    const result = analysis.finish()
    const count = (key: string) => result.subjects.find((s) => s.key === key)!.evidence.count
    // Same binding, two matching subjects: the reason names the group, so only the group is credited.
    expect(count('Group:auditors')).toBe(1)
    expect(count('ServiceAccount:billing/reporter')).toBe(0)
    // The webhook-allowed read exercised no RBAC grant, and RBAC would allow it: not a no-grant read either.
    expect(result.noGrant).toEqual([])
  })
})

describe('leastPrivilege', () => {
  it('writes resourceNames for named gets, keeps lists unnamed, one Role per namespace and a ClusterRole for cluster-wide lists', () => {
    const subject = {kind: 'User', name: 'Zoë@Example.com', key: 'User:Zoë@Example.com'}
    const objects = leastPrivilege(subject, [
      {time: 0, verb: 'get', namespace: 'a', resource: 'secrets', name: 'x'},
      {time: 0, verb: 'get', namespace: 'a', resource: 'secrets', name: 'y'},
      {time: 0, verb: 'list', namespace: 'b', resource: 'configmaps'},
      {time: 0, verb: 'list', namespace: '', resource: 'secrets'},
    ])
    expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}`)).toEqual(['ClusterRole/', 'ClusterRoleBinding/', 'Role/a', 'RoleBinding/a', 'Role/b', 'RoleBinding/b'])
    expect(objects[2]!.rules).toEqual([{apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: ['x', 'y']}])
    expect(objects[4]!.rules).toEqual([{apiGroups: [''], resources: ['configmaps'], verbs: ['list']}])
    for (const o of objects) expect(o.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
    // The result grants the uses and nothing else.
    const snapshot: RbacSnapshot = {
      roles: objects.filter((o) => o.kind === 'Role') as never,
      clusterRoles: objects.filter((o) => o.kind === 'ClusterRole') as never,
      roleBindings: objects.filter((o) => o.kind === 'RoleBinding') as never,
      clusterRoleBindings: objects.filter((o) => o.kind === 'ClusterRoleBinding') as never,
    }
    const who = {user: 'Zoë@Example.com', groups: ['system:authenticated']}
    const can = (verb: string, namespace: string, resource: string, name?: string) =>
      authorize(snapshot, who, {kind: 'resource', verb, apiGroup: '', resource, namespace, ...(name ? {name} : {})}).allowed
    expect(can('get', 'a', 'secrets', 'x')).toBe(true)
    expect(can('get', 'a', 'secrets', 'z')).toBe(false)
    expect(can('list', 'b', 'configmaps')).toBe(true)
    expect(can('get', 'b', 'configmaps', 'any')).toBe(false)
    expect(can('list', '', 'secrets')).toBe(true)
    expect(can('watch', '', 'secrets')).toBe(false)
  })

  it('makes valid names of any identity, short and unique', () => {
    const long = 'system:serviceaccount:' + 'n'.repeat(300)
    const a = objectName(`x-${slug(long)}`, long)
    const b = objectName(`x-${slug(long)}`, long + '2')
    expect(a.length).toBeLessThanOrEqual(253)
    expect(a).not.toBe(b)
    expect(slug('..Ünïcode  --name..')).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
  })
})

describe('indirectUseOf', () => {
  const event = (over: Partial<AuditEvent>): AuditEvent => ({time: 0, verb: 'get', user: {username: 'u', groups: []}, sourceIPs: [], origin: {format: 'k8s'}, ...over})
  it('maps events to the path they exercise', () => {
    expect(indirectUseOf(event({verb: 'create', resource: 'cronjobs', apiGroup: 'batch'}))).toEqual(['pod-create'])
    expect(indirectUseOf(event({verb: 'create', resource: 'pods', subresource: 'exec'}))).toEqual(['exec'])
    expect(indirectUseOf(event({verb: 'create', resource: 'serviceaccounts', subresource: 'token'}))).toEqual(['token-request'])
    expect(indirectUseOf(event({verb: 'create', resource: 'clusterrolebindings', apiGroup: 'rbac.authorization.k8s.io'}))).toEqual(['rbac-escalation'])
    expect(indirectUseOf(event({verb: 'get', resource: 'nodes', subresource: 'proxy'}))).toEqual(['node-proxy'])
    expect(indirectUseOf(event({verb: 'update', resource: 'certificatesigningrequests', subresource: 'approval'}))).toEqual(['csr-approval'])
    expect(indirectUseOf(event({verb: 'get', resource: 'secrets', impersonator: {username: 'bob', groups: []}}))).toEqual(['impersonate'])
    expect(indirectUseOf(event({verb: 'get', resource: 'pods'}))).toEqual([])
  })
})

describe('suggestion files with hostile names', () => {
  it('a binding name with line breaks cannot add a YAML document or a command line of its own', async () => {
    const name = 'legit\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n# kubectl delete ns kube-system'
    const namespace = 'web\rx'
    const text = await suggestionFileText({
      id: 'delete-x', action: 'delete-binding', subjects: ['User:bob'], summary: `delete RoleBinding/${namespace}/${name}`,
      deletes: [{kind: 'RoleBinding', name, namespace}],
      objects: [{apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: {name, namespace}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r'}, subjects: []}],
      file: 'delete-x.yaml', with: ['other\nfile.yaml'],
    })
    const {parseAllDocuments} = await import('yaml')
    const docs = parseAllDocuments(text)
    expect(docs).toHaveLength(1)
    expect(docs[0]!.toJS().metadata.name).toBe(name)
    // Every line before the object is a comment, and the delete command is one line.
    const header = text.slice(0, text.indexOf('\n---\n'))
    for (const line of header.trimEnd().split('\n')) expect(line.startsWith('#')).toBe(true)
    expect(header).toContain(`kubectl delete rolebinding $'legit\\x0a---\\x0aapiVersion: v1`)
    expect(text).not.toContain('\r')
  })
})
