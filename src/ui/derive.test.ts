import {describe, expect, it} from 'vitest'
import {
  bindingSubjectCount,
  commandsForPath,
  eventDetailLines,
  eventsByEvidence,
  eventsOfIdentity,
  filterEvents,
  filterWhoCan,
  findingDetailLines,
  identityOfUsername,
  mergeNewestFirst,
  rowsOfIdentity,
  shellQuote,
  sortFindings,
  sortWhoCan,
  summarise,
  usernameOf,
} from './derive.js'
import {EVENTS, EVIL_USER, FINDINGS, WHO_CAN_ROWS, event} from '../../test/ui/fixtures/dashboard-data.js'
import type {GrantPath} from './model.js'

const path = (over: Partial<GrantPath['binding']> = {}, role: GrantPath['role'] = {kind: 'Role', name: 'reader'}): GrantPath => ({
  binding: {kind: 'RoleBinding', namespace: 'payments', name: 'readers', ...over},
  role,
  rule: 'get secrets',
  grants: 'get secrets in payments',
})

describe('kubectl commands for a grant path', () => {
  it('inspects and deletes a binding that only binds this subject', () => {
    expect(commandsForPath(path(), 1)).toEqual({
      inspect: ['kubectl get rolebinding readers -n payments -o yaml', 'kubectl get role reader -n payments -o yaml'],
      remove: ['kubectl delete rolebinding readers -n payments'],
    })
  })

  it('never deletes a binding shared by several subjects: edit, or an exact patch when the index is known', () => {
    const shared = commandsForPath(path({subjectIndex: 2}), 3)
    expect(shared.remove).toEqual([
      'kubectl edit rolebinding readers -n payments',
      `kubectl patch rolebinding readers -n payments --type=json -p '[{"op":"remove","path":"/subjects/2"}]'`,
    ])
    expect(shared.remove.join()).not.toContain('delete')
    expect(commandsForPath(path(), 2).remove).toEqual(['kubectl edit rolebinding readers -n payments'])
  })

  it('has no namespace for cluster bindings and skips a missing role', () => {
    const c = commandsForPath({...path({kind: 'ClusterRoleBinding', namespace: undefined, name: 'admins'}), role: {kind: 'ClusterRole', name: 'gone', missing: true}}, 1)
    expect(c.inspect).toEqual(['kubectl get clusterrolebinding admins -o yaml'])
    expect(c.remove).toEqual(['kubectl delete clusterrolebinding admins'])
  })

  it('quotes names a shell would interpret', () => {
    expect(shellQuote('readers')).toBe('readers')
    expect(shellQuote('a b;rm -rf')).toBe(`'a b;rm -rf'`)
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`)
    expect(commandsForPath(path({name: '$(id)'}), 1).remove[0]).toBe(`kubectl delete rolebinding '$(id)' -n payments`)
  })

  it('counts the subjects sharing a binding when the engine did not say', () => {
    const shared = WHO_CAN_ROWS[2]?.paths[0]
    const alone = WHO_CAN_ROWS[2]?.paths[1]
    expect(shared && bindingSubjectCount(shared, WHO_CAN_ROWS)).toBe(2)
    expect(alone && bindingSubjectCount(alone, WHO_CAN_ROWS)).toBe(1)
    expect(bindingSubjectCount(path({subjects: 7}), WHO_CAN_ROWS)).toBe(7)
  })
})

describe('sorting and filtering', () => {
  it('sorts who-can rows by risk, then name', () => {
    expect(sortWhoCan(WHO_CAN_ROWS, 'risk').map((r) => r.name).slice(0, 2)).toEqual(['ops', 'deployer'])
    expect(sortWhoCan(WHO_CAN_ROWS, 'name').map((r) => r.name)).toEqual(['alice', 'bob', 'deployer', EVIL_USER, 'ops'])
    expect(sortWhoCan(WHO_CAN_ROWS, 'scope')[0]?.scope).toBe('cluster-wide')
    expect(sortWhoCan(WHO_CAN_ROWS, 'confirmation').map((r) => r.confirmation)).toEqual(['confirmed', 'confirmed', 'unverified', 'offline', 'denied'])
  })

  it('sorts findings by severity, most severe first', () => {
    expect(sortFindings(FINDINGS, 'severity').map((f) => f.severity)).toEqual(['critical', 'medium', 'low'])
  })

  it('filters case-insensitively over visible columns and keeps the array when the query is empty', () => {
    expect(filterWhoCan(WHO_CAN_ROWS, 'CLUSTER-wide').map((r) => r.name)).toEqual(['ops'])
    expect(filterEvents(EVENTS, '403').map((e) => e.auditID)).toEqual(['audit-3'])
    expect(filterEvents(EVENTS, 'argocd')).toHaveLength(1)
    expect(filterEvents(EVENTS, '  ')).toBe(EVENTS)
  })

  it('merges live events into a newest-first list', () => {
    const sorted = [event(5), event(3), event(1)]
    const merged = mergeNewestFirst(sorted, [event(2), event(9)])
    expect(merged.map((e) => e.auditID)).toEqual(['audit-9', 'audit-5', 'audit-3', 'audit-2', 'audit-1'])
  })

  it('summarises the top users, groups, IPs and agents with counts', () => {
    const s = summarise(EVENTS, 2)
    expect(s.users).toEqual([{value: 'alice', count: 2}, {value: 'bob', count: 1}])
    expect(s.groups[0]).toEqual({value: 'system:authenticated', count: 4})
    expect(s.sourceIPs[0]).toEqual({value: '10.0.0.7', count: 3})
    expect(s.userAgents[0]).toEqual({value: 'kubectl/v1.31.0', count: 3})
  })
})

describe('identities', () => {
  it('maps service-account usernames both ways', () => {
    const sa = identityOfUsername('system:serviceaccount:ci:deployer')
    expect(sa).toEqual({kind: 'ServiceAccount', namespace: 'ci', name: 'deployer'})
    expect(usernameOf(sa)).toBe('system:serviceaccount:ci:deployer')
    expect(usernameOf({kind: 'Group', name: 'ops'})).toBeUndefined()
  })

  it("finds a user's events and the rows of the groups it carries", () => {
    const alice = {kind: 'User' as const, name: 'alice'}
    const did = eventsOfIdentity(EVENTS, alice)
    expect(did.map((e) => e.auditID)).toEqual(['audit-1', 'audit-2'])
    expect(rowsOfIdentity(WHO_CAN_ROWS, alice, did).map((r) => r.key)).toEqual(['User//alice', 'Group//ops'])
    expect(rowsOfIdentity(WHO_CAN_ROWS, {kind: 'User', name: 'bob'}, []).map((r) => r.key)).toEqual(['User//bob'])
  })

  it('treats a group identity as the events of its members', () => {
    const ops = {kind: 'Group' as const, name: 'ops'}
    expect(eventsOfIdentity(EVENTS, ops)).toHaveLength(2)
    expect(rowsOfIdentity(WHO_CAN_ROWS, ops, []).map((r) => r.key)).toEqual(['Group//ops'])
  })
})

describe('detail lines', () => {
  it('shows every event field, sanitised', () => {
    const lines = eventDetailLines(EVENTS[3]!).join('\n')
    expect(lines).toContain('User:         mallory\\x1b]0;pwned\\x07\\x1b[2J')
    expect(lines).toContain('User agent:   curl/8.0\\x1b[31m')
    expect(lines).not.toContain('\u001b')
  })

  it('matches finding evidence to events by where they were read, and a reused audit ID cannot swap in a decoy', () => {
    const real = event(1, {verb: 'get', resource: 'secrets', namespace: 'prod', name: 'real-target', auditID: 'shared', origin: {format: 'k8s', file: 'a.log', line: 7}})
    const decoy = event(2, {verb: 'get', resource: 'configmaps', namespace: 'prod', name: 'decoy', auditID: 'shared', origin: {format: 'k8s', file: 'a.log', line: 3}})
    const finding = {...FINDINGS[1]!, evidence: [{auditID: 'shared', file: 'a.log', line: 7, time: real.time}]}
    const shown = findingDetailLines(finding, eventsByEvidence([decoy, real]), undefined).join('\n')
    expect(shown).toContain('real-target')
    expect(shown).not.toContain('decoy')
  })

  it('matches finding evidence to events by audit ID when it has no position', () => {
    const byId = eventsByEvidence(EVENTS)
    const lines = findingDetailLines(FINDINGS[1]!, byId, {description: 'why it matters'})
    expect(lines.some((l) => l.includes('get secrets payments/db-3') && l.includes('403'))).toBe(true)
    expect(lines.some((l) => l.includes('not-loaded') && l.includes('(event not loaded)'))).toBe(true)
    expect(lines).toContain('  why it matters')
  })
})
