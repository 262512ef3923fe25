import {describe, expect, it} from 'vitest'
import type {AuditEvent} from './event.js'
import {classifyUserAgent, summarise} from './summary.js'

let t = Date.parse('2024-05-01T00:00:00Z')
function e(user: string, extra: Partial<AuditEvent> = {}): AuditEvent {
  t += 1000
  return {
    time: t,
    verb: 'get',
    user: {username: user, groups: user.startsWith('system:serviceaccount:') ? ['system:serviceaccounts', 'system:authenticated'] : ['devs', 'system:authenticated']},
    sourceIPs: ['10.0.0.1'],
    userAgent: 'kubectl/v1.30.0 (linux/amd64) kubernetes/abc',
    resource: 'secrets',
    namespace: 'prod',
    name: 'db',
    code: 200,
    origin: {format: 'k8s'},
    ...extra,
  }
}

describe('summarise', () => {
  it('counts authorization denials apart from other failures: admission refusals and 404s are failures, not denials', () => {
    const s = summarise([e('carol', {code: 403, decision: 'forbid'}), e('carol', {code: 403, decision: 'allow'}), e('carol', {code: 404, decision: 'allow'}), e('carol', {code: 401})])
    expect(s.users[0]).toMatchObject({key: 'carol', failures: 4, denied: 2})
  })
  it('keeps the system identities (events labelled system) in their own table, out of the users', () => {
    const s = summarise([e('system:apiserver', {system: true}), e('system:apiserver', {system: true}), e('alice')])
    expect(s.users.map((r) => r.key)).toEqual(['alice'])
    expect(s.systemUsers.map((r) => [r.key, r.count])).toEqual([['system:apiserver', 2]])
    // Groups, IPs and objects still count every event.
    expect(s.objects[0]?.count).toBe(3)
  })
  it('counts with first and last seen per user, group, IP, agent and object', () => {
    const events = [e('alice'), e('alice', {name: 'api', code: 403}), e('bob', {sourceIPs: ['10.0.0.2']})]
    const s = summarise(events)
    expect(s.events).toBe(3)
    expect(s.firstSeen).toBe(events[0]?.time)
    expect(s.lastSeen).toBe(events[2]?.time)
    expect(s.users[0]).toEqual({key: 'alice', count: 2, users: 1, failures: 1, denied: 1, firstSeen: events[0]?.time, lastSeen: events[1]?.time})
    expect(s.groups.find((g) => g.key === 'devs')).toMatchObject({count: 3, users: 2})
    expect(s.sourceIPs.map((r) => [r.key, r.count, r.users])).toEqual([['10.0.0.1', 2, 1], ['10.0.0.2', 1, 1]])
    expect(s.objects.map((r) => [r.key, r.count])).toEqual([['secrets prod/db', 2], ['secrets prod/api', 1]])
    expect(s.agentTypes).toEqual([{type: 'kubectl', count: 3, users: ['alice', 'bob']}])
  })

  it('flags service accounts with many objects or namespaces, failures, or a kubectl client', () => {
    const spread = Array.from({length: 12}, (_, i) => e('system:serviceaccount:ci:deployer', {name: `s${i}`, namespace: `ns${i % 5}`, userAgent: 'deployer/1.0 (linux/amd64) kubernetes/abc'}))
    const quiet = [e('system:serviceaccount:web:app', {userAgent: 'app/v1 (linux/amd64) kubernetes/abc'})]
    const failing = [e('system:serviceaccount:web:probe', {code: 403, userAgent: 'python-requests/2.31'})]
    const stolen = [e('system:serviceaccount:ci:token')]
    const s = summarise([...spread, ...quiet, ...failing, ...stolen])
    const byName = Object.fromEntries(s.unusualServiceAccounts.map((x) => [x.serviceAccount, x.reasons]))
    expect(byName['system:serviceaccount:ci:deployer']).toEqual(['12 distinct objects', '5 namespaces'])
    expect(byName['system:serviceaccount:web:probe']).toEqual(['1 failed request', 'used from kubectl, a browser or curl'])
    expect(byName['system:serviceaccount:ci:token']).toEqual(['used from kubectl, a browser or curl'])
    expect(byName['system:serviceaccount:web:app']).toBeUndefined()
  })

  it('classifies user agents', () => {
    expect(classifyUserAgent('kubectl/v1.29.4 (linux/amd64) kubernetes/55f1e2a')).toBe('kubectl')
    expect(classifyUserAgent('kube-controller-manager/v1.30.2 (linux/amd64) kubernetes/3968350/leader-election')).toBe('client-go')
    expect(classifyUserAgent('elastic-agent/v0.0.0 (linux/amd64) kubernetes/$Format')).toBe('client-go')
    expect(classifyUserAgent('curl/8.5.0')).toBe('browser/curl')
    expect(classifyUserAgent('Mozilla/5.0 (X11; Linux x86_64)')).toBe('browser/curl')
    expect(classifyUserAgent('OpenAPI-Generator/29.0.0/python')).toBe('sdk')
    expect(classifyUserAgent('Helm/3.14.0')).toBe('sdk')
    expect(classifyUserAgent('something')).toBe('unknown')
    expect(classifyUserAgent(undefined)).toBe('unknown')
  })
})

describe('bounded summary memory', () => {
  it('counts distinct users per row exactly up to USERS_CAP, then says "at least"', async () => {
    const {createSummary, USERS_CAP} = await import('./summary.js')
    const summary = createSummary()
    const base = {time: 1, verb: 'get', sourceIPs: ['10.0.0.1'], resource: 'secrets', namespace: 'a', name: 'db', origin: {format: 'k8s' as const}}
    for (let i = 0; i < USERS_CAP + 10; i++) summary.add({...base, user: {username: `user-${i}`, groups: ['g']}})
    const result = summary.result()
    expect(result.objects[0]).toMatchObject({count: USERS_CAP + 10, users: USERS_CAP, usersCapped: true})
    expect(result.groups[0]).toMatchObject({key: 'g', users: USERS_CAP, usersCapped: true})
    expect(result.users).toHaveLength(USERS_CAP + 10)
    expect(result.users[0]!.usersCapped).toBeUndefined()
  })
})

describe('tables past their exact bound', () => {
  const base = {verb: 'get', resource: 'secrets', namespace: 'a', origin: {format: 'k8s' as const}}
  /** `heavy` users read 300 times each, then `tail` users once each: more keys than the table keeps. */
  function flood(heavy: number, tail: number): AuditEvent[] {
    const out: AuditEvent[] = []
    let time = 1
    for (let r = 0; r < 300; r++) for (let i = 0; i < heavy; i++) out.push({...base, time: time++, name: `hot-${i}`, user: {username: `hot-${i}`, groups: []}, sourceIPs: [`10.0.0.${i}`], userAgent: `a-${i}`})
    for (let i = 0; i < tail; i++) out.push({...base, time: time++, name: `cold-${i}`, user: {username: `cold-${i}`, groups: []}, sourceIPs: [`10.1.${i >> 8}.${i & 255}`], userAgent: `c-${i}`})
    return out
  }

  it('stays exact up to the bound: no approximation, no error fields', async () => {
    const {createSummary} = await import('./summary.js')
    const s = createSummary({}, {tableKeys: 100})
    for (const ev of flood(10, 90)) s.add(ev)
    const r = s.result()
    expect(r.approximate).toBeUndefined()
    expect(r.users).toHaveLength(100)
    expect(r.users[0]).not.toHaveProperty('error')
  })

  it('keeps the heavy keys with honest upper bounds and estimates the distinct count', async () => {
    const {createSummary} = await import('./summary.js')
    const s = createSummary({}, {tableKeys: 100})
    const events = flood(10, 20_000)
    for (const ev of events) s.add(ev)
    const r = s.result()
    for (const table of ['users', 'sourceIPs', 'userAgents', 'objects'] as const) {
      const a = r.approximate?.[table]
      expect(a, table).toBeDefined()
      expect(a!.counters).toBe(100)
      expect(a!.maxError).toBeLessThanOrEqual(events.length / 100)
      expect(Math.abs(a!.distinct - 20_010) / 20_010).toBeLessThan(4 * a!.distinctError)
      expect(r[table]).toHaveLength(100)
    }
    // 300 reads each is above N/K (~230): guaranteed kept; they entered before any eviction, so exact.
    const hot = r.users.filter((u) => u.key.startsWith('hot-'))
    expect(hot).toHaveLength(10)
    for (const u of hot) expect(u).toMatchObject({count: 300, error: 0})
    for (const u of r.users) expect(u.count - (u.error ?? 0)).toBeLessThanOrEqual(u.key.startsWith('hot-') ? 300 : 1)
    expect(r.approximate?.groups).toBeUndefined()
  })

  it('says so in every format', async () => {
    const {createSummary} = await import('./summary.js')
    const {renderSummary} = await import('./render.js')
    const s = createSummary({}, {tableKeys: 100})
    for (const ev of flood(10, 5_000)) s.add(ev)
    const r = s.result()
    expect(renderSummary(r, 'table')).toMatch(/^Users \(approx\.: top 100 of ≈[\d,]+ distinct \(±[\d.]+%\); counts are upper bounds, over by at most \d+/m)
    expect(renderSummary(r, 'wide')).toContain('COUNT (<=)')
    expect(JSON.parse(renderSummary(r, 'json')).approximate.users).toMatchObject({counters: 100})
    expect(renderSummary(r, 'yaml')).toMatch(/approximate:\n\s+users:\n\s+counters: 100/)
    const csv = renderSummary(r, 'csv').split('\n')
    expect(csv[0]).toBe('kind,key,count,users,failures,denied,firstSeen,lastSeen,maxError,distinct')
    expect(csv.find((l) => l.startsWith('user,cold-'))).toMatch(/,\d+,\d+$/)
  })
})

describe('service accounts and client types past their bounds', () => {
  it('keeps the most active service accounts, says how many there were, and caps the users per client type', async () => {
    const {createSummary, AGENT_TYPE_USERS_CAP} = await import('./summary.js')
    const {renderSummary} = await import('./render.js')
    const s = createSummary({}, {serviceAccounts: 3})
    const base = {verb: 'get', resource: 'secrets', namespace: 'a', name: 'db', sourceIPs: ['10.0.0.1'], userAgent: 'kubectl/v1.30.0', origin: {format: 'k8s' as const}}
    // 2,000 of ~3,000 requests: above N/K, so Space-Saving guarantees it is kept.
    for (let r = 0; r < 2000; r++) s.add({...base, time: r + 1, user: {username: 'system:serviceaccount:ci:busy', groups: []}})
    for (let i = 0; i < AGENT_TYPE_USERS_CAP + 20; i++) s.add({...base, time: 3000 + i, user: {username: `system:serviceaccount:x:sa-${i}`, groups: []}})
    const r = s.result()
    expect(r.approximate?.serviceAccounts).toMatchObject({counters: 3})
    expect(r.unusualServiceAccounts.map((x) => x.serviceAccount)).toContain('system:serviceaccount:ci:busy')
    expect(r.unusualServiceAccounts).toHaveLength(3)
    const kubectl = r.agentTypes.find((t) => t.type === 'kubectl')!
    expect(kubectl.users).toHaveLength(AGENT_TYPE_USERS_CAP)
    expect(kubectl.usersCapped).toBe(true)
    expect(renderSummary(r, 'table')).toMatch(/Service accounts with unusual activity \(the 3 most active of ≈[\d,]+ service accounts\)/)
  })
})
