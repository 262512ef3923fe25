// Conformance with Kubernetes' matching helpers. Cases are ported, in our own words, from
// plugin/pkg/auth/authorizer/rbac/rbac_test.go (TestRuleMatches) and
// pkg/registry/rbac/validation/rule_test.go (TestAppliesTo), plus the edge cases of
// pkg/apis/rbac/v1/evaluation_helpers.go that those tests leave implicit.
import {describe, expect, it} from 'vitest'
import {
  apiGroupMatches,
  appliesTo,
  firstApplyingSubject,
  nonResourceURLMatches,
  resourceMatches,
  resourceNameMatches,
  ruleAllows,
  verbMatches,
} from './matches.js'
import type {PolicyRule, RequestAttributes, Subject} from './types.js'

const res = (verb: string, apiGroup: string, resource: string, subresource = '', name = ''): RequestAttributes => ({
  kind: 'resource',
  verb,
  apiGroup,
  resource,
  ...(subresource ? {subresource} : {}),
  ...(name ? {name} : {}),
})
const url = (verb: string, path: string): RequestAttributes => ({kind: 'nonResource', verb, path})

describe('the single-field matchers', () => {
  it('verbMatches: exact and case-sensitive, * for all', () => {
    expect(verbMatches({verbs: ['get', 'list']}, 'list')).toBe(true)
    expect(verbMatches({verbs: ['get']}, 'GET')).toBe(false)
    expect(verbMatches({verbs: ['*']}, 'impersonate')).toBe(true)
    expect(verbMatches({verbs: []}, 'get')).toBe(false)
  })

  it('apiGroupMatches: "" is the core group and * includes it', () => {
    expect(apiGroupMatches({verbs: [], apiGroups: ['']}, '')).toBe(true)
    expect(apiGroupMatches({verbs: [], apiGroups: ['']}, 'apps')).toBe(false)
    expect(apiGroupMatches({verbs: [], apiGroups: ['*']}, '')).toBe(true)
    expect(apiGroupMatches({verbs: []}, '')).toBe(false)
  })

  it('resourceMatches: *, exact combined name, */subresource', () => {
    const r = (...resources: string[]): PolicyRule => ({verbs: ['*'], resources})
    expect(resourceMatches(r('*'), 'pods/exec', 'exec')).toBe(true)
    expect(resourceMatches(r('pods'), 'pods', '')).toBe(true)
    expect(resourceMatches(r('pods'), 'pods/status', 'status')).toBe(false)
    expect(resourceMatches(r('pods/status'), 'pods', '')).toBe(false)
    expect(resourceMatches(r('pods/status'), 'pods/status', 'status')).toBe(true)
    expect(resourceMatches(r('*/status'), 'deployments/status', 'status')).toBe(true)
    expect(resourceMatches(r('*/status'), 'deployments', '')).toBe(false)
    expect(resourceMatches(r('*/status'), 'pods/statusx', 'statusx')).toBe(false)
    // `*/scale` is not a prefix glob: it never matches the parent resource or other subresources.
    expect(resourceMatches(r('*/scale'), 'deployments/status', 'status')).toBe(false)
    expect(resourceMatches(r('pods/*'), 'pods/exec', 'exec')).toBe(false)
  })

  it('resourceNameMatches: empty list = every name; a list never matches an unnamed request', () => {
    expect(resourceNameMatches({verbs: ['get']}, '')).toBe(true)
    expect(resourceNameMatches({verbs: ['get'], resourceNames: []}, 'x')).toBe(true)
    expect(resourceNameMatches({verbs: ['get'], resourceNames: ['a', 'b']}, 'b')).toBe(true)
    expect(resourceNameMatches({verbs: ['get'], resourceNames: ['a']}, 'c')).toBe(false)
    expect(resourceNameMatches({verbs: ['list'], resourceNames: ['a']}, '')).toBe(false)
  })

  it('nonResourceURLMatches: exact, *, and trailing-* prefixes', () => {
    const u = (...nonResourceURLs: string[]): PolicyRule => ({verbs: ['get'], nonResourceURLs})
    expect(nonResourceURLMatches(u('/healthz'), '/healthz')).toBe(true)
    expect(nonResourceURLMatches(u('/healthz'), '/healthz/ping')).toBe(false)
    expect(nonResourceURLMatches(u('*'), '/anything')).toBe(true)
    expect(nonResourceURLMatches(u('/healthz*'), '/healthz/etcd')).toBe(true)
    expect(nonResourceURLMatches(u('/healthz*'), '/healthzfoo')).toBe(true)
    expect(nonResourceURLMatches(u('/apis/*'), '/apis')).toBe(false)
    // Go's TrimRight removes every trailing star.
    expect(nonResourceURLMatches(u('/api**'), '/apis')).toBe(true)
  })
})

describe('ruleAllows (rbac_test.go TestRuleMatches)', () => {
  // Each case: the rule, then requests with the expected decision.
  const cases: {name: string; rule: PolicyRule; requests: [RequestAttributes, boolean][]}[] = [
    {
      name: 'star verb, exact match other',
      rule: {verbs: ['*'], apiGroups: ['group1'], resources: ['resource1']},
      requests: [
        [res('verb1', 'group1', 'resource1'), true],
        [res('verb1', 'group2', 'resource1'), false],
        [res('verb1', 'group1', 'resource2'), false],
        [res('verb1', 'group2', 'resource2'), false],
        [res('verb2', 'group1', 'resource1'), true],
        [res('verb2', 'group2', 'resource1'), false],
        [res('verb2', 'group1', 'resource2'), false],
        [res('verb2', 'group2', 'resource2'), false],
      ],
    },
    {
      name: 'star group, exact match other',
      rule: {verbs: ['verb1'], apiGroups: ['*'], resources: ['resource1']},
      requests: [
        [res('verb1', 'group1', 'resource1'), true],
        [res('verb1', 'group2', 'resource1'), true],
        [res('verb1', 'group1', 'resource2'), false],
        [res('verb1', 'group2', 'resource2'), false],
        [res('verb2', 'group1', 'resource1'), false],
        [res('verb2', 'group2', 'resource1'), false],
        [res('verb2', 'group1', 'resource2'), false],
        [res('verb2', 'group2', 'resource2'), false],
      ],
    },
    {
      name: 'star resource, exact match other',
      rule: {verbs: ['verb1'], apiGroups: ['group1'], resources: ['*']},
      requests: [
        [res('verb1', 'group1', 'resource1'), true],
        [res('verb1', 'group2', 'resource1'), false],
        [res('verb1', 'group1', 'resource2'), true],
        [res('verb1', 'group2', 'resource2'), false],
        [res('verb2', 'group1', 'resource1'), false],
        [res('verb2', 'group2', 'resource1'), false],
        [res('verb2', 'group1', 'resource2'), false],
        [res('verb2', 'group2', 'resource2'), false],
      ],
    },
    {
      name: 'tuple expansion',
      rule: {verbs: ['verb1', 'verb2'], apiGroups: ['group1', 'group2'], resources: ['resource1', 'resource2']},
      requests: ['verb1', 'verb2'].flatMap((v) =>
        ['group1', 'group2'].flatMap((g) => ['resource1', 'resource2'].map((r): [RequestAttributes, boolean] => [res(v, g, r), true])),
      ),
    },
    {
      name: 'subresource expansion',
      rule: {verbs: ['*'], apiGroups: ['*'], resources: ['resource1/subresource1']},
      requests: [
        [res('verb1', 'group1', 'resource1', 'subresource1'), true],
        [res('verb1', 'group2', 'resource1', 'subresource2'), false],
        [res('verb1', 'group1', 'resource2', 'subresource1'), false],
        [res('verb1', 'group2', 'resource2', 'subresource1'), false],
        [res('verb2', 'group1', 'resource1', 'subresource1'), true],
        [res('verb2', 'group2', 'resource1', 'subresource2'), false],
        [res('verb2', 'group1', 'resource2', 'subresource1'), false],
        [res('verb2', 'group2', 'resource2', 'subresource1'), false],
      ],
    },
    {
      name: 'star nonresource, exact match other',
      rule: {verbs: ['verb1'], nonResourceURLs: ['*']},
      requests: [
        ...['/foo', '/foo/bar', '/foo/baz', '/foo/bar/one', '/foo/baz/one'].map((p): [RequestAttributes, boolean] => [url('verb1', p), true]),
        ...['/foo', '/foo/bar', '/foo/baz', '/foo/bar/one', '/foo/baz/one'].map((p): [RequestAttributes, boolean] => [url('verb2', p), false]),
      ],
    },
    {
      name: 'star nonresource subpath',
      rule: {verbs: ['verb1'], nonResourceURLs: ['/foo/*']},
      requests: [
        [url('verb1', '/foo'), false],
        [url('verb1', '/foo/bar'), true],
        [url('verb1', '/foo/baz'), true],
        [url('verb1', '/foo/bar/one'), true],
        [url('verb1', '/foo/baz/one'), true],
        [url('verb1', '/notfoo'), false],
        [url('verb1', '/notfoo/bar'), false],
        [url('verb1', '/notfoo/baz'), false],
        [url('verb1', '/notfoo/bar/one'), false],
        [url('verb1', '/notfoo/baz/one'), false],
      ],
    },
    {
      name: 'star verb, exact nonresource',
      rule: {verbs: ['*'], nonResourceURLs: ['/foo', '/foo/bar/one']},
      requests: ['verb1', 'verb2'].flatMap((v) => [
        [url(v, '/foo'), true] as [RequestAttributes, boolean],
        [url(v, '/foo/bar'), false] as [RequestAttributes, boolean],
        [url(v, '/foo/baz'), false] as [RequestAttributes, boolean],
        [url(v, '/foo/bar/one'), true] as [RequestAttributes, boolean],
        [url(v, '/foo/baz/one'), false] as [RequestAttributes, boolean],
      ]),
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      for (const [req, want] of c.requests) expect([req, ruleAllows(req, c.rule)]).toEqual([req, want])
    })
  }

  it('a resource rule never allows a non-resource request and vice versa', () => {
    expect(ruleAllows(url('get', '/api'), {verbs: ['*'], apiGroups: ['*'], resources: ['*']})).toBe(false)
    expect(ruleAllows(res('get', '', 'pods'), {verbs: ['*'], nonResourceURLs: ['*']})).toBe(false)
  })

  it('resourceNames restrict get of that name and never allow list', () => {
    const rule: PolicyRule = {verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets'], resourceNames: ['db']}
    expect(ruleAllows(res('get', '', 'secrets', '', 'db'), rule)).toBe(true)
    expect(ruleAllows(res('get', '', 'secrets', '', 'other'), rule)).toBe(false)
    expect(ruleAllows(res('list', '', 'secrets'), rule)).toBe(false)
  })
})

describe('appliesTo (rule_test.go TestAppliesTo)', () => {
  const cases: {subjects: Subject[]; user: string; groups?: string[]; ns?: string; want: boolean; name: string}[] = [
    {subjects: [{kind: 'User', name: 'foobar'}], user: 'foobar', want: true, name: 'single subject that matches username'},
    {
      subjects: [{kind: 'User', name: 'barfoo'}, {kind: 'User', name: 'foobar'}],
      user: 'foobar',
      want: true,
      name: 'multiple subjects, one that matches username',
    },
    {
      subjects: [{kind: 'User', name: 'barfoo'}, {kind: 'User', name: 'foobar'}],
      user: 'zimzam',
      want: false,
      name: 'multiple subjects, none that match username',
    },
    {
      subjects: [{kind: 'User', name: 'barfoo'}, {kind: 'Group', name: 'foobar'}],
      user: 'zimzam',
      groups: ['foobar'],
      want: true,
      name: 'multiple subjects, one that match group',
    },
    {
      subjects: [{kind: 'User', name: 'barfoo'}, {kind: 'Group', name: 'foobar'}],
      user: 'zimzam',
      groups: ['foobar'],
      ns: 'namespace1',
      want: true,
      name: 'multiple subjects, one that match group, should ignore namespace',
    },
    {
      subjects: [
        {kind: 'User', name: 'barfoo'},
        {kind: 'Group', name: 'foobar'},
        {kind: 'ServiceAccount', namespace: 'kube-system', name: 'default'},
      ],
      user: 'system:serviceaccount:kube-system:default',
      ns: 'default',
      want: true,
      name: 'multiple subjects with a service account that matches',
    },
    {subjects: [{kind: 'User', name: '*'}], user: 'foobar', ns: 'default', want: false, name: '* user subject name does not match all users'},
    {
      subjects: [{kind: 'Group', name: 'system:authenticated'}, {kind: 'Group', name: 'system:unauthenticated'}],
      user: 'foobar',
      groups: ['system:authenticated'],
      ns: 'default',
      want: true,
      name: 'binding to all authenticated and unauthenticated subjects matches authenticated user',
    },
    {
      subjects: [{kind: 'Group', name: 'system:authenticated'}, {kind: 'Group', name: 'system:unauthenticated'}],
      user: 'system:anonymous',
      groups: ['system:unauthenticated'],
      ns: 'default',
      want: true,
      name: 'binding to all authenticated and unauthenticated subjects matches anonymous user',
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      expect(firstApplyingSubject(c.user, c.groups ?? [], c.subjects, c.ns ?? '') >= 0).toBe(c.want)
    })
  }

  it('a ServiceAccount subject without namespace takes the RoleBinding namespace', () => {
    const sa: Subject = {kind: 'ServiceAccount', name: 'app'}
    expect(appliesTo('system:serviceaccount:web:app', [], sa, 'web')).toBe(true)
    expect(appliesTo('system:serviceaccount:other:app', [], sa, 'web')).toBe(false)
  })

  it('a ServiceAccount subject without namespace in a ClusterRoleBinding matches nobody', () => {
    const sa: Subject = {kind: 'ServiceAccount', name: 'app'}
    expect(appliesTo('system:serviceaccount::app', [], sa, '')).toBe(false)
    expect(appliesTo('app', [], sa, '')).toBe(false)
  })

  it('an explicit subject namespace wins over the binding namespace', () => {
    const sa: Subject = {kind: 'ServiceAccount', name: 'runner', namespace: 'ci'}
    expect(appliesTo('system:serviceaccount:ci:runner', [], sa, 'web')).toBe(true)
    expect(appliesTo('system:serviceaccount:web:runner', [], sa, 'web')).toBe(false)
  })

  it('a user named like a group is not in the group, and unknown kinds match nobody', () => {
    expect(appliesTo('devs', [], {kind: 'Group', name: 'devs'}, '')).toBe(false)
    expect(appliesTo('devs', ['devs'], {kind: 'Robot', name: 'devs'}, '')).toBe(false)
  })
})
