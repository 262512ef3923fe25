import {describe, expect, it} from 'vitest'
import type {AuditEvent} from './event.js'
import {escapeJsonForTerminal, yamlSafe} from '../output/formats.js'
import {createEventSink, eventRow, renderEventTable, renderSummary} from './render.js'
import {summarise} from './summary.js'

function e(extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    time: Date.parse('2024-05-01T10:00:00Z'),
    verb: 'get',
    user: {username: 'alice', groups: ['devs']},
    sourceIPs: ['10.0.0.1', '10.0.0.2'],
    resource: 'secrets',
    namespace: 'prod',
    name: 'db',
    code: 200,
    decision: 'allow',
    origin: {format: 'k8s', file: 'a.log', line: 3},
    ...extra,
  }
}

describe('event rows', () => {
  it('shows the impersonator, subresource, cluster-wide lists and unknown times', () => {
    expect(eventRow(e(), false)).toEqual(['2024-05-01T10:00:00.000Z', 'alice', 'get', 'secrets', 'prod/db', '200', 'allow', '10.0.0.1,10.0.0.2'])
    const imp = eventRow(e({impersonator: {username: 'bob', groups: []}, time: 0, namespace: undefined, name: undefined, subresource: 'exec', resource: 'pods'}), true)
    expect(imp.slice(0, 5)).toEqual(['-', 'alice (by bob)', 'get', 'pods/exec', '*'])
    expect(imp.at(-1)).toBe('a.log:3')
  })

  it('a 403 that authorization allowed reads as an admission refusal; a forbid stays forbid', () => {
    expect(eventRow(e({verb: 'create', resource: 'pods', code: 403, decision: 'allow'}), false)[6]).toBe('allow (admission 403)')
    expect(eventRow(e({code: 403, decision: 'forbid'}), false)[6]).toBe('forbid')
    expect(eventRow(e({code: 200, decision: 'allow'}), false)[6]).toBe('allow')
  })
  it('tables list the newest last', () => {
    const out = renderEventTable([e({name: 'late', time: 2000}), e({name: 'early', time: 1000})], {headers: false})
    expect(out.split('\n')[0]).toContain('prod/early')
  })

  it('json lines carry an RFC 3339 timestamp and escape C1 and bidi characters', () => {
    const sink = createEventSink('json')
    const line = sink.add(e({user: {username: 'a\u009b\u202eb', groups: []}}))
    expect(JSON.parse(line)).toMatchObject({timestamp: '2024-05-01T10:00:00.000Z', user: {username: 'a\u009b\u202eb'}})
    expect(line).not.toMatch(/[\u009b\u202e]/)
    expect(escapeJsonForTerminal('"\u200f"')).toBe('"\\u200f"')
  })

  it('csv streams its header once, and an empty result still has a header', () => {
    const sink = createEventSink('csv')
    const out = sink.add(e()) + sink.add(e({name: '=cmd'})) + sink.end()
    const lines = out.trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toMatch(/^time,user,/)
    expect(lines[2]).toContain("'=cmd")
    expect(createEventSink('csv').end()).toMatch(/^time,user,/)
    expect(createEventSink('csv', {headers: false}).end()).toBe('')
  })

  it('yamlSafe escapes only what YAML would print raw', () => {
    expect(yamlSafe({a: ['x\u202ey', 'plain', 'c\u001b']})).toEqual({a: ['x\\u202ey', 'plain', 'c\u001b']})
  })
})

describe('renderSummary', () => {
  it('tables per dimension, limited, and the unusual service accounts', () => {
    const events = Array.from({length: 25}, (_, i) => e({user: {username: `u${i}`, groups: []}}))
    events.push(e({user: {username: 'system:serviceaccount:a:b', groups: []}, code: 403}))
    const out = renderSummary(summarise(events), 'table')
    expect(out).toMatch(/^26 events from 2024-05-01T10:00:00.000Z/)
    expect(out).toContain('(6 more; -o json for all)')
    expect(out).toMatch(/system:serviceaccount:a:b\s+1\s+1\s+1\s+1\s+1 failed request/)
    const json = JSON.parse(renderSummary(summarise(events), 'json'))
    expect(json.users).toHaveLength(26)
    expect(renderSummary(summarise(events), 'csv').split('\n')[0]).toBe('kind,key,count,users,failures,denied,firstSeen,lastSeen,maxError,distinct')
  })
})
