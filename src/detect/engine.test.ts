import {describe, expect, it} from 'vitest'
import {ev, MIN, sa, T0} from '../../test/detect/helpers.js'
import {detect} from './engine.js'
import {failingFindings, shouldFail} from './fail-on.js'
import {defaultSettings} from './settings.js'

const DAY = 86_400_000

describe('detect', () => {
  it('runs all rules in one pass and sorts by severity, then time', async () => {
    async function* stream() {
      yield ev({time: T0 + 2 * MIN, resource: 'secrets', namespace: 'a', name: 'x'})
      yield ev({time: T0 + MIN, verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'kube-system', name: 'p'})
      yield ev({time: T0, verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: 'a', name: 'b'})
    }
    const r = await detect(stream(), {settings: defaultSettings()})
    expect(r.events).toBe(3)
    expect(r.findings.map((f) => [f.severity, f.ruleId])).toEqual([
      ['high', 'serviceaccount-token-minted'],
      ['high', 'lateral-movement'],
      ['info', 'sensitive-access-summary'],
    ])
  })
  it('skips allowlisted events for every rule and disabled rules entirely', async () => {
    const settings = defaultSettings()
    settings.allowlist.users = ['ci-*']
    settings.rules['lateral-movement']!.enabled = false
    const r = await detect(
      [ev({user: 'ci-deployer', resource: 'secrets', namespace: 'a', name: 'x'}), ev({verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'a', name: 'p'})],
      {settings},
    )
    expect(r.findings).toEqual([])
  })
  it('keeps system identities from routine rules only', async () => {
    const r = await detect([ev({user: 'system:node:n1', groups: ['system:nodes'], resource: 'secrets', namespace: 'a', name: 'x', code: 403})], {settings: defaultSettings()})
    expect(r.findings.map((f) => f.ruleId)).toEqual(['node-secret-denied'])
  })
  it('learns from the first baselineWindow of the events, checks the rest, and returns the merged baseline', async () => {
    const events = [
      ev({time: T0, resource: 'secrets', namespace: 'a', name: 'x', sourceIPs: ['10.0.0.1']}),
      ev({time: T0 + 2 * DAY, resource: 'secrets', namespace: 'a', name: 'x', sourceIPs: ['10.0.0.2']}),
      ev({time: T0 + 3 * DAY, resource: 'secrets', namespace: 'a', name: 'x', sourceIPs: ['172.16.5.5']}),
    ]
    const first = await detect(events, {settings: defaultSettings(), baselineWindow: DAY})
    expect(first.learnedUntil).toBe(T0 + DAY)
    expect([first.windowStart, first.windowEnd]).toEqual([T0, T0 + 3 * DAY])
    const withNow = await detect(events, {settings: defaultSettings(), now: T0 + 5 * DAY})
    expect(withNow.windowEnd).toBe(T0 + 5 * DAY)
    expect(first.findings.filter((f) => f.ruleId === 'unusual-sensitive-access').map((f) => f.what)).toEqual(['new source network 172.16.5.0/24'])
    // Next run with the saved state: 172.16.5.0/24 is now known, a fresh network is not.
    const second = await detect([ev({time: T0 + 4 * DAY, resource: 'secrets', namespace: 'a', name: 'x', sourceIPs: ['172.16.5.9']}), ev({time: T0 + 4 * DAY, resource: 'secrets', namespace: 'a', name: 'x', sourceIPs: ['192.0.2.1']})], {
      settings: defaultSettings(),
      baseline: first.baseline,
    })
    expect(second.findings.filter((f) => f.ruleId === 'unusual-sensitive-access').map((f) => f.what)).toEqual(['new source network 192.0.2.0/24'])
  })
  it('handles an empty stream', async () => {
    const r = await detect([], {settings: defaultSettings(), baselineWindow: DAY})
    expect(r).toEqual({findings: [], events: 0, limits: [], baseline: expect.objectContaining({version: 1})})
  })
})

describe('fail-on', () => {
  it('fails at or above the chosen severity; none never fails', async () => {
    const r = await detect([ev({user: sa('a', 'b'), code: 403, userAgent: 'Go-http-client/2.0'})], {settings: defaultSettings()})
    expect(r.findings.map((f) => f.severity)).toEqual(['low'])
    expect(shouldFail(r.findings, 'low')).toBe(true)
    expect(shouldFail(r.findings, 'info')).toBe(true)
    expect(shouldFail(r.findings, 'medium')).toBe(false)
    expect(shouldFail(r.findings, 'none')).toBe(false)
    expect(failingFindings(r.findings, 'low')).toHaveLength(1)
  })
})

describe('bounds on hostile inputs', () => {
  const base = {verb: 'get', resource: 'secrets', namespace: 'prod', userAgent: 'kubectl/v1.30.0 (linux/amd64) kubernetes/abc', code: 200, origin: {format: 'k8s' as const}}
  it('folds findings past the per-rule cap into one, keeps its severity for --fail-on, and says so', async () => {
    const {MAX_GROUPS} = await import('./group.js')
    const {failingFindings} = await import('./fail-on.js')
    const n = MAX_GROUPS + 500
    const events = Array.from({length: n}, (_, i) => ({...base, time: 1000 + i, name: `s-${i}`, user: {username: `user-${i}`, groups: ['devs']}, sourceIPs: [`10.0.${i >> 8 & 255}.${i & 255}`]}))
    const r = await detect(events, {settings: defaultSettings()})
    const summary = r.findings.filter((f) => f.ruleId === 'sensitive-access-summary')
    expect(summary).toHaveLength(MAX_GROUPS + 1)
    const folded = summary.find((f) => f.folded !== undefined)!
    expect(folded.count).toBe(500)
    expect(Math.abs(folded.folded! - 500)).toBeLessThan(50)
    expect(folded.who).toMatch(/^\(≈[\d,]+ more\)$/)
    expect(r.limits.some((l) => l.startsWith('sensitive-access-summary: more than 10,000 findings'))).toBe(true)
    const notice = r.findings.find((f) => f.ruleId === 'detection-limits')!
    expect(notice.detail).toContain('sensitive-access-summary')
    expect(failingFindings(r.findings, 'info').some((f) => f.ruleId === 'detection-limits')).toBe(false)
  })
  it('keeps no per-identity baseline when nothing would read it', async () => {
    const events = Array.from({length: 1000}, (_, i) => ({...base, time: 1000 + i, name: 'db', user: {username: `user-${i}`, groups: ['devs']}, sourceIPs: ['10.0.0.1']}))
    const r = await detect(events, {settings: defaultSettings(), keepBaseline: false})
    expect(Object.keys(r.baseline.sensitiveAgents)).toHaveLength(0)
    expect(r.limits).toEqual([])
    expect(r.findings.some((f) => f.ruleId === 'detection-limits')).toBe(false)
  })
})
