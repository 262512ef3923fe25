import {describe, expect, it} from 'vitest'
import {builtinResourceTable, qualified, resolveResource, tableFromDiscovery, type APIResourceListJson} from './resources.js'

const table = builtinResourceTable()
const ok = (text: string) => {
  const r = resolveResource(text, table)
  if (!r.ok) throw new Error(r.error)
  return {resource: qualified(r.info), sub: r.subresource, namespaced: r.info.namespaced}
}

describe('builtinResourceTable', () => {
  it('covers the API groups a who-can question may name, with no duplicate (group, resource)', () => {
    const groups = new Set(table.resources.map((r) => r.group))
    for (const g of [
      '',
      'apps',
      'batch',
      'rbac.authorization.k8s.io',
      'networking.k8s.io',
      'policy',
      'storage.k8s.io',
      'certificates.k8s.io',
      'coordination.k8s.io',
      'discovery.k8s.io',
      'autoscaling',
      'admissionregistration.k8s.io',
      'apiextensions.k8s.io',
      'authorization.k8s.io',
      'authentication.k8s.io',
      'events.k8s.io',
    ]) {
      expect(groups.has(g), g).toBe(true)
    }
    const keys = table.resources.map((r) => `${r.group}/${r.resource}`)
    expect(new Set(keys).size).toBe(keys.length)
  })
})

describe('resolveResource', () => {
  it('accepts plural, singular, short name and Kind', () => {
    expect(ok('secrets')).toEqual({resource: 'secrets', sub: undefined, namespaced: true})
    expect(ok('secret').resource).toBe('secrets')
    expect(ok('Secret').resource).toBe('secrets')
    expect(ok('cm').resource).toBe('configmaps')
    expect(ok('deploy').resource).toBe('deployments.apps')
    expect(ok('no')).toEqual({resource: 'nodes', sub: undefined, namespaced: false})
    expect(ok('crds').resource).toBe('customresourcedefinitions.apiextensions.k8s.io')
  })

  it('accepts resource.group and resource.version.group', () => {
    expect(ok('deployments.apps').resource).toBe('deployments.apps')
    expect(ok('deploy.apps').resource).toBe('deployments.apps')
    expect(ok('deployments.v1.apps').resource).toBe('deployments.apps')
    expect(ok('events.events.k8s.io').resource).toBe('events.events.k8s.io')
    expect(ok('ingresses.networking.k8s.io').resource).toBe('ingresses.networking.k8s.io')
  })

  it('prefers the core group when a name exists in several groups, like kubectl', () => {
    expect(ok('events').resource).toBe('events')
    expect(ok('ev').resource).toBe('events')
  })

  it('accepts resource/subresource and rejects unknown subresources', () => {
    expect(ok('pods/exec')).toEqual({resource: 'pods', sub: 'exec', namespaced: true})
    expect(ok('deployments.apps/scale')).toEqual({resource: 'deployments.apps', sub: 'scale', namespaced: true})
    const bad = resolveResource('pods/shell', table)
    expect(bad.ok).toBe(false)
    if (!bad.ok) expect(bad.error).toMatch(/pods has no subresource "shell"; it has pods\/attach/)
    expect(resolveResource('pods/', table).ok).toBe(false)
  })

  it('explains unknown names with suggestions', () => {
    const r = resolveResource('secretz', table)
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.suggestions).toContain('secrets')
      expect(r.error).toBe(`the server doesn't have a resource type "secretz"; did you mean secrets?`)
    }
    const none = resolveResource('qqqqqqqq', table)
    expect(none.ok).toBe(false)
    if (!none.ok) expect(none.suggestions).toEqual([])
    expect(resolveResource('deployments.nosuch.io', table).ok).toBe(false)
    expect(resolveResource('  ', table).ok).toBe(false)
  })
})

describe('tableFromDiscovery', () => {
  const core: APIResourceListJson = {
    groupVersion: 'v1',
    resources: [
      {name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po']},
      {name: 'pods/exec', singularName: '', namespaced: true, kind: 'PodExecOptions'},
      {name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod'},
      {name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret'},
    ],
  }
  const widgetsV1: APIResourceListJson = {
    groupVersion: 'example.com/v1',
    resources: [{name: 'widgets', singularName: 'widget', namespaced: true, kind: 'Widget', shortNames: ['wd']}],
  }
  const widgetsV2: APIResourceListJson = {
    groupVersion: 'example.com/v2',
    resources: [
      {name: 'widgets', singularName: 'widget', namespaced: false, kind: 'Widget', shortNames: ['wd']},
      {name: 'widgets/status', singularName: '', namespaced: false, kind: 'Widget'},
    ],
  }

  it('builds resources with their subresources and resolves CRDs', () => {
    const t = tableFromDiscovery([widgetsV1, core])
    expect(t.resources.find((r) => r.resource === 'pods')).toEqual({
      group: '',
      version: 'v1',
      resource: 'pods',
      singular: 'pod',
      kind: 'Pod',
      shortNames: ['po'],
      namespaced: true,
      subresources: ['exec', 'log'],
    })
    const w = resolveResource('wd', t)
    expect(w.ok && qualified(w.info)).toBe('widgets.example.com')
    expect(w.ok && w.info.version).toBe('v1') // first list seen for the group, without a group list
  })

  it('uses each group preferred version when the /apis group list is given', () => {
    const t = tableFromDiscovery([core, widgetsV1, widgetsV2], {
      groups: [{name: 'example.com', preferredVersion: {groupVersion: 'example.com/v2', version: 'v2'}}],
    })
    const w = t.resources.filter((r) => r.resource === 'widgets')
    expect(w).toHaveLength(1)
    expect(w[0]).toMatchObject({version: 'v2', namespaced: false, subresources: ['status']})
  })
})
