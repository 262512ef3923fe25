// Conformance with pkg/controller/clusterroleaggregation (TestSyncClusterRole), ported in our own
// words, plus label-selector semantics and the transitive fixpoint the controller converges to.
import {describe, expect, it} from 'vitest'
import {aggregateClusterRoles, ruleKey, selectorError, selectorMatches} from './aggregate.js'
import type {LabelSelector, PolicyRule, Role} from './types.js'

const hammer = (): PolicyRule[] => [
  {verbs: ['hammer'], resources: ['nails']},
  {verbs: ['hammer'], resources: ['wedges']},
]
const chisel = (): PolicyRule[] => [{verbs: ['chisel'], resources: ['mortises']}]
const saw = (): PolicyRule[] => [{verbs: ['saw'], resources: ['boards']}]
const role = (name: string, labels: Record<string, string>, rules: PolicyRule[]): Role => ({
  kind: 'ClusterRole',
  metadata: {name, labels},
  rules,
})
const combined = (selectors: Record<string, string>[], ...rules: PolicyRule[][]): Role => ({
  kind: 'ClusterRole',
  metadata: {name: 'combined'},
  aggregationRule: {clusterRoleSelectors: selectors.map((matchLabels) => ({matchLabels}))},
  rules: rules.flat(),
})
const rulesOf = (roles: Role[], name: string) => roles.find((r) => r.metadata.name === name)!.rules

describe('aggregateClusterRoles (TestSyncClusterRole)', () => {
  const cases: {name: string; start: Role[]; want: PolicyRule[]}[] = [
    {
      name: 'remove dead rules',
      start: [role('hammer', {foo: 'bar'}, hammer()), combined([{foo: 'bar'}], saw())],
      want: hammer(),
    },
    {
      name: 'strip rules',
      start: [role('hammer', {foo: 'not-bar'}, hammer()), combined([{foo: 'bar'}], hammer())],
      want: [],
    },
    {
      name: 'select properly and put in order',
      start: [
        role('hammer', {foo: 'bar'}, hammer()),
        role('chisel', {foo: 'bar'}, chisel()),
        role('saw', {foo: 'not-bar'}, saw()),
        combined([{foo: 'bar'}]),
      ],
      want: [...chisel(), ...hammer()],
    },
    {
      name: 'select properly with multiple selectors',
      start: [
        role('hammer', {foo: 'bar'}, hammer()),
        role('chisel', {foo: 'bar'}, chisel()),
        role('saw', {foo: 'not-bar'}, saw()),
        combined([{foo: 'bar'}, {foo: 'not-bar'}]),
      ],
      want: [...chisel(), ...hammer(), ...saw()],
    },
    {
      name: 'select properly remove duplicates',
      start: [
        role('hammer', {foo: 'bar'}, hammer()),
        role('chisel', {foo: 'bar'}, chisel()),
        role('saw', {foo: 'bar'}, saw()),
        role('other-saw', {foo: 'not-bar'}, saw()),
        combined([{foo: 'bar'}, {foo: 'not-bar'}]),
      ],
      want: [...chisel(), ...hammer(), ...saw()],
    },
    {
      name: 'no diff skip',
      start: [role('hammer', {foo: 'bar'}, hammer()), combined([{foo: 'bar'}], hammer())],
      want: hammer(),
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const out = aggregateClusterRoles(c.start)
      expect(rulesOf(out.clusterRoles, 'combined')).toEqual(c.want)
      expect(out.warnings).toEqual([])
    })
  }

  it('orders by selector first, then by role name within a selector (as the controller)', () => {
    const out = aggregateClusterRoles([
      role('a-saw', {kind: 'cut'}, saw()),
      role('z-hammer', {kind: 'hit'}, hammer()),
      combined([{kind: 'hit'}, {kind: 'cut'}]),
    ])
    expect(rulesOf(out.clusterRoles, 'combined')).toEqual([...hammer(), ...saw()])
  })

  it('treats nil and empty lists as equal when dropping duplicates, but not different order', () => {
    const out = aggregateClusterRoles([
      role('a', {x: 'y'}, [{verbs: ['get'], resources: ['pods']}]),
      role('b', {x: 'y'}, [{verbs: ['get'], resources: ['pods'], resourceNames: []}, {verbs: ['get'], apiGroups: [], resources: ['pods']}]),
      role('c', {x: 'y'}, [{verbs: ['list', 'get'], resources: ['pods']}, {verbs: ['get', 'list'], resources: ['pods']}]),
      combined([{x: 'y'}]),
    ])
    expect(rulesOf(out.clusterRoles, 'combined').map(ruleKey)).toEqual([
      ruleKey({verbs: ['get'], resources: ['pods']}),
      ruleKey({verbs: ['list', 'get'], resources: ['pods']}),
      ruleKey({verbs: ['get', 'list'], resources: ['pods']}),
    ])
  })

  it('never aggregates a role into itself', () => {
    const self: Role = {...combined([{foo: 'bar'}]), metadata: {name: 'combined', labels: {foo: 'bar'}}}
    const out = aggregateClusterRoles([self, role('hammer', {foo: 'bar'}, hammer())])
    expect(rulesOf(out.clusterRoles, 'combined')).toEqual(hammer())
  })

  it('reaches the fixpoint the controller converges to (admin <- edit <- view)', () => {
    // Names sort admin < edit < view, so one pass in name order would give admin edit's OLD rules.
    const start: Role[] = [
      {kind: 'ClusterRole', metadata: {name: 'admin'}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {'to-admin': 'true'}}]}, rules: []},
      {kind: 'ClusterRole', metadata: {name: 'edit', labels: {'to-admin': 'true'}}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {'to-edit': 'true'}}]}, rules: []},
      {kind: 'ClusterRole', metadata: {name: 'view', labels: {'to-edit': 'true'}}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {'to-view': 'true'}}]}, rules: []},
      role('pieces-view', {'to-view': 'true'}, chisel()),
      role('pieces-edit', {'to-edit': 'true'}, saw()),
      role('pieces-admin', {'to-admin': 'true'}, hammer()),
    ]
    const out = aggregateClusterRoles(start)
    expect(rulesOf(out.clusterRoles, 'view')).toEqual(chisel())
    expect(rulesOf(out.clusterRoles, 'edit')).toEqual([...saw(), ...chisel()])
    expect(rulesOf(out.clusterRoles, 'admin')).toEqual([...saw(), ...chisel(), ...hammer()])
    expect(out.passes).toBeGreaterThan(1)
    // The input is not modified.
    expect(start[0]!.rules).toEqual([])
  })

  it('settles on cycles', () => {
    const out = aggregateClusterRoles([
      {kind: 'ClusterRole', metadata: {name: 'a', labels: {g: 'a'}}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {g: 'b'}}]}, rules: hammer()},
      {kind: 'ClusterRole', metadata: {name: 'b', labels: {g: 'b'}}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {g: 'a'}}]}, rules: saw()},
    ])
    expect(out.warnings).toEqual([])
    expect(rulesOf(out.clusterRoles, 'a')).toEqual(rulesOf(out.clusterRoles, 'b'))
  })

  it('leaves a role with an invalid selector unchanged and says why', () => {
    const bad: Role = {
      kind: 'ClusterRole',
      metadata: {name: 'bad'},
      aggregationRule: {clusterRoleSelectors: [{matchExpressions: [{key: 'k', operator: 'In', values: []}]}]},
      rules: saw(),
    }
    const out = aggregateClusterRoles([bad, role('hammer', {k: 'v'}, hammer())])
    expect(rulesOf(out.clusterRoles, 'bad')).toEqual(saw())
    expect(out.warnings[0]).toContain('ClusterRole "bad": invalid aggregation selector')
  })
})

describe('label selectors', () => {
  const labels = {app: 'web', tier: 'front'}
  const cases: [LabelSelector, boolean][] = [
    [{}, true], // an empty selector selects everything
    [{matchLabels: {app: 'web'}}, true],
    [{matchLabels: {app: 'web', tier: 'back'}}, false],
    [{matchExpressions: [{key: 'app', operator: 'In', values: ['db', 'web']}]}, true],
    [{matchExpressions: [{key: 'app', operator: 'In', values: ['db']}]}, false],
    [{matchExpressions: [{key: 'zone', operator: 'NotIn', values: ['a']}]}, true], // absent key passes NotIn
    [{matchExpressions: [{key: 'app', operator: 'NotIn', values: ['web']}]}, false],
    [{matchExpressions: [{key: 'tier', operator: 'Exists'}]}, true],
    [{matchExpressions: [{key: 'zone', operator: 'Exists'}]}, false],
    [{matchExpressions: [{key: 'zone', operator: 'DoesNotExist'}]}, true],
    [{matchLabels: {app: 'web'}, matchExpressions: [{key: 'tier', operator: 'DoesNotExist'}]}, false], // AND
  ]
  it.each(cases.map((c, i) => [i, ...c] as const))('case %i', (_i, sel, want) => {
    expect(selectorMatches(sel, labels)).toBe(want)
  })

  it('reports selectors the API would reject', () => {
    expect(selectorError({matchExpressions: [{key: 'k', operator: 'Exists', values: ['x']}]})).toMatch(/takes no values/)
    expect(selectorError({matchExpressions: [{key: 'k', operator: 'NotIn'}]})).toMatch(/at least one value/)
    expect(selectorError({matchExpressions: [{key: 'k', operator: 'Near' as 'In', values: ['x']}]})).toMatch(/not a valid/)
    expect(selectorError({matchLabels: {a: 'b'}})).toBeUndefined()
  })
})
