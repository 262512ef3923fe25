import {describe, expect, it} from 'vitest'
import {syntheticSnapshot} from './synthetic.js'
import {whoCan, defaultTargets, DEFAULT_VERBS} from './who-can.js'

describe('syntheticSnapshot', () => {
  const opts = {namespaces: 20, roles: 200, roleBindings: 400, clusterRoles: 10, clusterRoleBindings: 30, seed: 7}

  it('has exactly the requested sizes, and bindings reference existing roles', () => {
    const s = syntheticSnapshot(opts)
    expect([s.namespaces!.length, s.roles.length, s.roleBindings.length, s.clusterRoles.length, s.clusterRoleBindings.length]).toEqual([
      20, 200, 400, 10, 30,
    ])
    const roleKeys = new Set(s.roles.map((r) => `${r.metadata.namespace}/${r.metadata.name}`))
    const crNames = new Set(s.clusterRoles.map((r) => r.metadata.name))
    for (const b of s.roleBindings) {
      if (b.roleRef.kind === 'Role') expect(roleKeys.has(`${b.metadata.namespace}/${b.roleRef.name}`)).toBe(true)
      else expect(crNames.has(b.roleRef.name)).toBe(true)
    }
    for (const b of s.clusterRoleBindings) expect(crNames.has(b.roleRef.name)).toBe(true)
  })

  it('is deterministic for a seed and differs between seeds', () => {
    expect(JSON.stringify(syntheticSnapshot(opts))).toBe(JSON.stringify(syntheticSnapshot(opts)))
    expect(JSON.stringify(syntheticSnapshot({...opts, seed: 8}))).not.toBe(JSON.stringify(syntheticSnapshot(opts)))
  })

  it('gives who-can something to find', () => {
    const a = whoCan(syntheticSnapshot(opts), {verbs: [...DEFAULT_VERBS], targets: defaultTargets(), allNamespaces: true})
    expect(a.subjects.length).toBeGreaterThan(10)
    expect(a.subjects.some((s) => s.kind === 'ServiceAccount' && s.scope.namespaces.length > 0)).toBe(true)
  })
})
