import {describe, expect, it} from 'vitest'
import type {AuditEvent} from './event.js'
import {buildFilter, FilterError, globToRegExp, matches, normaliseResource, parseDuration, prefilterNeedles} from './filter.js'

const NOW = Date.parse('2024-05-02T12:00:00Z')

function e(extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    time: Date.parse('2024-05-02T11:00:00Z'),
    verb: 'get',
    user: {username: 'alice@example.com', groups: ['devs', 'system:authenticated']},
    sourceIPs: ['10.0.0.1'],
    resource: 'secrets',
    namespace: 'prod',
    name: 'db-password',
    origin: {format: 'k8s'},
    ...extra,
  }
}

describe('buildFilter + matches', () => {
  it('defaults to secrets and configmaps', () => {
    const f = buildFilter({}, NOW)
    expect(matches(e(), f)).toBe(true)
    expect(matches(e({resource: 'configmaps'}), f)).toBe(true)
    expect(matches(e({resource: 'pods'}), f)).toBe(false)
    expect(matches(e({resource: undefined}), f)).toBe(false)
    expect(matches(e({resource: 'pods'}), buildFilter({resource: 'all'}, NOW))).toBe(true)
  })

  it('accepts singular and short resource names', () => {
    expect([...(buildFilter({resource: 'secret,cm'}, NOW).resources ?? [])]).toEqual(['secrets', 'configmaps'])
    expect(normaliseResource('Pods')).toBe('pods')
    expect(normaliseResource('sa')).toBe('serviceaccounts')
    expect(normaliseResource('secrets/exec')).toBe('secrets')
  })

  it('--since, --from and --to, relative or RFC 3339', () => {
    expect(matches(e(), buildFilter({since: '2h'}, NOW))).toBe(true)
    expect(matches(e(), buildFilter({since: '30m'}, NOW))).toBe(false)
    expect(matches(e(), buildFilter({from: '2024-05-02T10:59:59Z', to: '2024-05-02T11:00:00Z'}, NOW))).toBe(true)
    expect(matches(e(), buildFilter({to: '2h'}, NOW))).toBe(false)
    expect(matches(e(), buildFilter({from: '1d', to: '30m'}, NOW))).toBe(true)
    expect(() => buildFilter({since: 'yesterday'}, NOW)).toThrow(FilterError)
    expect(() => buildFilter({from: '2024-13-45T00:00:00Z'}, NOW)).toThrow(/RFC 3339/)
    expect(() => buildFilter({from: '1h', to: '2h'}, NOW)).toThrow(/after/)
  })

  it('--user and --group globs also match the impersonator', () => {
    expect(matches(e(), buildFilter({user: ['alice*']}, NOW))).toBe(true)
    expect(matches(e(), buildFilter({user: ['bob*']}, NOW))).toBe(false)
    const imp = e({user: {username: 'system:serviceaccount:a:b', groups: []}, impersonator: {username: 'bob', groups: ['sre']}})
    expect(matches(imp, buildFilter({user: ['bob']}, NOW))).toBe(true)
    expect(matches(imp, buildFilter({user: ['system:serviceaccount:*']}, NOW))).toBe(true)
    expect(matches(imp, buildFilter({group: ['sre']}, NOW))).toBe(true)
    expect(matches(e(), buildFilter({group: ['sre', 'dev?']}, NOW))).toBe(true)
    expect(matches(e(), buildFilter({group: ['ops']}, NOW))).toBe(false)
  })

  it('--verb, -n and --name', () => {
    expect(matches(e(), buildFilter({verb: ['list,get']}, NOW))).toBe(true)
    expect(matches(e(), buildFilter({verb: ['list']}, NOW))).toBe(false)
    expect(matches(e(), buildFilter({namespace: 'prod'}, NOW))).toBe(true)
    expect(matches(e(), buildFilter({namespace: 'dev'}, NOW))).toBe(false)
    expect(matches(e(), buildFilter({name: 'db-*'}, NOW))).toBe(true)
    expect(matches(e({name: undefined}), buildFilter({name: 'db-*'}, NOW))).toBe(false)
  })
})

describe('helpers', () => {
  it('parseDuration', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('7d')).toBe(604_800_000)
    expect(() => parseDuration('10')).toThrow(FilterError)
  })

  it('globs match the whole string and escape regex characters', () => {
    expect(globToRegExp('a.b*').test('a.bc')).toBe(true)
    expect(globToRegExp('a.b*').test('axbc')).toBe(false)
    expect(globToRegExp('a').test('ab')).toBe(false)
  })

  it('prefilter needles come only from the resource filter', () => {
    expect(prefilterNeedles(buildFilter({}, NOW))).toEqual(['secrets', 'configmaps'])
    expect(prefilterNeedles(buildFilter({resource: 'all', user: ['x']}, NOW))).toBeUndefined()
  })
})
