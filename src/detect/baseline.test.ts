import {mkdtemp, readdir, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ev, T0} from '../../test/detect/helpers.js'
import {BaselineLearner, BaselineStateError, emptyBaseline, readBaselineState, writeBaselineState} from './baseline.js'

const DAY = 86_400_000

describe('BaselineLearner', () => {
  it('learns per identity the agent product, groups and networks of secret access, and kubectl networks', () => {
    const learner = new BaselineLearner(emptyBaseline())
    learner.observe(ev({resource: 'secrets', namespace: 'a', name: 'b', time: T0, groups: ['devs'], sourceIPs: ['10.0.0.1', '2001:db8::1']}))
    learner.observe(ev({resource: 'pods', time: T0 + 5, userAgent: 'kubectl/v1.30.0', sourceIPs: ['192.0.2.1']}))
    const b = learner.result()
    expect(b.sensitiveAgents).toEqual({alice: {kubectl: T0}})
    expect(b.sensitiveGroups).toEqual({alice: {devs: T0}})
    expect(b.sensitiveNetworks).toEqual({alice: {'10.0.0.0/24': T0, '2001:db8:0:0::/64': T0}})
    expect(b.kubectlNetworks).toEqual({alice: {'10.0.0.0/24': T0, '2001:db8:0:0::/64': T0, '192.0.2.0/24': T0 + 5}})
    expect(b.updatedUntil).toBe(T0 + 5)
  })
  it('counts a value as known only when first seen before the learning cut-off, or in the prior state', () => {
    const prior = emptyBaseline()
    prior.kubectlNetworks.bob = {'198.51.100.0/24': T0 - 30 * DAY}
    const learner = new BaselineLearner(prior)
    learner.observe(ev({time: T0, sourceIPs: ['10.0.0.1']}))
    learner.observe(ev({time: T0 + 2 * DAY, sourceIPs: ['10.0.1.1']}))
    learner.setLearnUntil(T0 + DAY)
    const view = learner.view()
    expect(view.known('kubectlNetworks', 'alice', '10.0.0.0/24')).toBe(true)
    expect(view.known('kubectlNetworks', 'alice', '10.0.1.0/24')).toBe(false)
    expect(view.known('kubectlNetworks', 'bob', '198.51.100.0/24')).toBe(true)
    expect(view.isLearning(T0 + DAY - 1)).toBe(true)
    expect(view.isLearning(T0 + DAY)).toBe(false)
    expect(view.hasHistory('kubectlNetworks')).toBe(true)
    expect(view.hasHistory('rbacReasons')).toBe(false)
  })
})

describe('hostile identity names', () => {
  it('a user named __proto__, constructor or toString is learned, known and kept in the state file like any other', async () => {
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty']
    const learner = new BaselineLearner(emptyBaseline(), true)
    for (const name of names) learner.observe(ev({user: name, resource: 'secrets', namespace: 'a', name: 'b', time: T0, sourceIPs: ['10.0.0.1']}))
    learner.observe(ev({user: 'late', time: T0 + 2 * DAY}))
    learner.setLearnUntil(T0 + DAY)
    const view = learner.view()
    for (const name of names) {
      expect(view.knownIdentity('sensitiveAgents', name)).toBe(true)
      expect(view.known('kubectlNetworks', name, '10.0.0.0/24')).toBe(true)
    }
    // Nothing leaked onto Object.prototype, and a name never seen is not "known" through it.
    expect(({} as Record<string, unknown>).kubectl).toBeUndefined()
    expect(view.knownIdentity('sensitiveAgents', 'valueOf')).toBe(false)
    const dir = await mkdtemp(join(tmpdir(), 'sa-state-'))
    const file = join(dir, 'state.json')
    await writeBaselineState(file, learner.result())
    const text = await readFile(file, 'utf8')
    for (const name of names) expect(JSON.parse(text).sensitiveAgents).toHaveProperty([name])
    const back = await readBaselineState(file)
    for (const name of names) expect(Object.keys(back.sensitiveAgents[name] ?? {})).toEqual(['kubectl'])
  })
})

describe('BaselineView.enabled', () => {
  it('is off only with no prior state and no learning period', () => {
    expect(new BaselineLearner(emptyBaseline()).view().enabled).toBe(false)
    expect(new BaselineLearner(emptyBaseline(), true).view().enabled).toBe(true)
    const prior = emptyBaseline()
    prior.rbacReasons.alice = {'RBAC: allowed': T0}
    expect(new BaselineLearner(prior).view().enabled).toBe(true)
  })
})

describe('state file', () => {
  it('round-trips through an atomic write and leaves no temp file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sa-state-'))
    const file = join(dir, 'state.json')
    const b = emptyBaseline()
    b.sensitiveAgents.alice = {kubectl: T0}
    b.updatedUntil = T0
    await writeBaselineState(file, b)
    await writeBaselineState(file, b)
    expect(await readBaselineState(file)).toEqual(b)
    expect(await readdir(dir)).toEqual(['state.json'])
  })
  it('treats a missing file as an empty baseline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sa-state-'))
    expect(await readBaselineState(join(dir, 'none.json'))).toEqual(emptyBaseline())
  })
  it('rejects corrupt files with a clear error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sa-state-'))
    const cases: [string, RegExp][] = [
      ['{"version":1,"sensitiveAg', /state file is corrupt \(not JSON\); delete it to start a new baseline/],
      ['[]', /not a JSON object/],
      ['{"version":2}', /unsupported version 2/],
      ['{"version":1,"kubectlNetworks":{"a":{"10.0.0.0/24":"yesterday"}}}', /kubectlNetworks\.a has a non-numeric time/],
    ]
    for (const [text, re] of cases) {
      const file = join(dir, 's.json')
      await writeFile(file, text)
      await expect(readBaselineState(file)).rejects.toThrow(BaselineStateError)
      await expect(readBaselineState(file)).rejects.toThrow(re)
    }
  })
  it('a failed write leaves the previous state intact', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sa-state-'))
    const file = join(dir, 'state.json')
    await writeBaselineState(file, emptyBaseline())
    const before = await readFile(file, 'utf8')
    const cyclic = emptyBaseline() as unknown as Record<string, unknown>
    cyclic.self = cyclic
    await expect(writeBaselineState(file, cyclic as never)).rejects.toThrow()
    expect(await readFile(file, 'utf8')).toBe(before)
    expect(await readdir(dir)).toEqual(['state.json'])
  })
})

describe('baseline bounds', () => {
  it('learns identities up to the cap, keeps the prior ones, and reports the rest as not learned', async () => {
    const {BaselineLearner, emptyBaseline} = await import('./baseline.js')
    const prior = emptyBaseline()
    prior.sensitiveAgents['old'] = Object.assign(Object.create(null), {kubectl: 1}) as Record<string, number>
    const learner = new BaselineLearner(prior, true, 3, 2)
    const ev = (user: string, ua: string, time: number) => ({time, verb: 'get', resource: 'secrets', namespace: 'a', name: 'x', user: {username: user, groups: []}, sourceIPs: [], userAgent: ua, origin: {format: 'k8s' as const}})
    for (const [i, u] of ['old', 'a', 'b', 'c', 'd'].entries()) learner.observe(ev(u, 'kubectl/v1', i))
    for (const ua of ['curl/1', 'python-requests/2', 'helm/3']) learner.observe(ev('a', ua, 10))
    const out = learner.result()
    expect(Object.keys(out.sensitiveAgents).sort()).toEqual(['a', 'b', 'old'])
    expect(Object.keys(out.sensitiveAgents['a']!)).toHaveLength(2)
    const limits = learner.limits()
    expect(limits[0]).toMatch(/^baseline capped at 3 identities per kind; ≈2 new identities beyond it were not learned/)
    expect(limits[1]).toMatch(/^baseline capped at 2 values .* 2 more were not learned$/)
  })
})
