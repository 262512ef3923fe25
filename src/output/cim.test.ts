import {describe, expect, it} from 'vitest'
import type {AuditEvent} from '../audit/event.js'
import type {Finding} from '../detect/finding.js'
import {cimAction, cimStatus, eventToCim, findingToCim, renderCimLines} from './cim.js'

const event: AuditEvent = {
  auditID: 'a1',
  time: Date.parse('2024-06-01T00:00:00Z'),
  verb: 'get',
  user: {username: 'system:serviceaccount:default:app-sa', groups: ['system:serviceaccounts'], uid: 'u-1'},
  impersonator: {username: 'system:admin', groups: ['system:masters']},
  sourceIPs: ['10.0.0.7', '10.0.0.8'],
  resource: 'secrets',
  namespace: 'production',
  name: 'admin-token',
  code: 403,
  origin: {format: 'eks', file: 'eks:prod'},
}

const finding: Finding = {
  ruleId: 'sa-secret-read-denied',
  title: 'Service account denied reading a secret',
  severity: 'high',
  technique: 'T1552.007',
  who: 'system:serviceaccount:default:app-sa',
  what: 'get secrets production/admin-token',
  firstSeen: 1_717_200_000_000,
  lastSeen: 1_717_200_060_000,
  count: 3,
  evidence: [{auditID: 'a1', time: 1_717_200_000_000}],
}

describe('CIM mapping', () => {
  it('maps verbs to CIM actions and codes to status', () => {
    expect(['create', 'update', 'patch', 'delete', 'get', 'list', 'watch', 'impersonate'].map(cimAction)).toEqual(['created', 'modified', 'modified', 'deleted', 'read', 'read', 'read', 'impersonate'])
    expect([101, 200, 201, 401, 403, 500, undefined].map(cimStatus)).toEqual(['success', 'success', 'success', 'failure', 'failure', 'failure', undefined])
  })

  it('puts CIM fields beside an event, flattening only the clashing user', () => {
    const cim = eventToCim(event, {dest: 'prod'})
    expect(cim).toMatchObject({
      user: 'system:serviceaccount:default:app-sa', user_groups: ['system:serviceaccounts'], user_uid: 'u-1',
      src: '10.0.0.7', dest: 'prod', object: 'production/admin-token', object_category: 'secrets',
      action: 'read', status: 'failure', signature: 'get secrets', app: 'kubernetes',
      // originals kept
      verb: 'get', resource: 'secrets', namespace: 'production', name: 'admin-token', code: 403, auditID: 'a1',
      impersonator: {username: 'system:admin', groups: ['system:masters']},
    })
    expect(eventToCim({...event, subresource: 'exec', resource: 'pods', code: 101, verb: 'create'})).toMatchObject({object_category: 'pods/exec', action: 'created', status: 'success'})
  })

  it('maps a finding to the Alerts fields and parses action and object from `what`', () => {
    expect(findingToCim(finding, {dest: 'prod'})).toMatchObject({
      ruleId: 'sa-secret-read-denied', who: finding.who, what: finding.what,
      user: finding.who, signature: finding.title, signature_id: 'sa-secret-read-denied', severity: 'high',
      action: 'read', object: 'production/admin-token', object_category: 'secrets', mitre_technique_id: 'T1552.007',
      type: 'alert', dest: 'prod', _time: 1_717_200_060,
    })
    const free = findingToCim({...finding, what: 'bound cluster-admin to a group'})
    expect(free.object).toBe('bound cluster-admin to a group')
    expect(free.action).toBeUndefined()
  })

  it('renders JSON lines whose control characters are escaped', () => {
    const out = renderCimLines([finding, {...event, user: {username: 'evil\u001b[2Juser', groups: []}}])
    const lines = out.trimEnd().split('\n')
    expect(lines).toHaveLength(2)
    expect(out).not.toContain('\u001b')
    expect((JSON.parse(lines[1]!) as {user: string}).user).toBe('evil\u001b[2Juser')
  })
})
