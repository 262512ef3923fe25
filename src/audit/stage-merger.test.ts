import {describe, expect, it} from 'vitest'
import type {AuditEvent} from './event.js'
import {KeyRing, StageMerger} from './stage-merger.js'

function ev(id: string | undefined, stage: string | undefined, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {auditID: id, stage, time: 0, verb: 'get', user: {username: 'u', groups: []}, sourceIPs: [], requestURI: '/api/v1/secrets', origin: {format: 'k8s'}, ...extra}
}

const label = (e: AuditEvent) => `${e.auditID ?? '-'}:${e.stage ?? '-'}`

function merge(window: number, events: AuditEvent[]): {out: string[]; duplicates: number} {
  const counts = {duplicates: 0}
  const m = new StageMerger(window, counts)
  const out = [...m.addAll(events), ...m.flush()].map(label)
  return {out, duplicates: counts.duplicates}
}

describe('StageMerger', () => {
  it('lets a complete request through at once and drops its other stages, even late ones', () => {
    const counts = {duplicates: 0}
    const m = new StageMerger(4, counts)
    expect(m.addAll([ev('a', 'RequestReceived')]).map(label)).toEqual([])
    expect(m.addAll([ev('a', 'ResponseComplete')]).map(label)).toEqual(['a:ResponseComplete'])
    expect(m.addAll([ev('b', 'ResponseComplete'), ev('b', 'RequestReceived'), ev('a', 'ResponseStarted')]).map(label)).toEqual(['b:ResponseComplete'])
    expect(m.flush()).toEqual([])
    expect(counts.duplicates).toBe(3)
  })

  it('keeps the latest of the other stages until a request leaves the window, oldest first', () => {
    const {out, duplicates} = merge(2, [ev('a', 'RequestReceived'), ev('a', 'Panic'), ev('b', 'RequestReceived'), ev('c', 'ResponseStarted'), ev('d', 'RequestReceived')])
    expect(out).toEqual(['a:Panic', 'b:RequestReceived', 'c:ResponseStarted', 'd:RequestReceived'])
    expect(duplicates).toBe(1)
  })

  it('a stage worse than the one held is a duplicate, not a replacement', () => {
    expect(merge(4, [ev('a', 'ResponseStarted'), ev('a', 'RequestReceived')])).toEqual({out: ['a:ResponseStarted'], duplicates: 1})
  })

  it('re-shipped copies of a complete request count once', () => {
    expect(merge(4, [ev('a', 'ResponseComplete'), ev('a', 'ResponseComplete')])).toEqual({out: ['a:ResponseComplete'], duplicates: 1})
  })

  it('keys include verb and URI: reused auditIDs of different requests are not merged', () => {
    const {out} = merge(4, [ev('a', 'ResponseComplete'), ev('a', 'ResponseComplete', {verb: 'list'}), ev('a', 'ResponseComplete', {requestURI: '/x'})])
    expect(out).toHaveLength(3)
  })

  it('a client-supplied Audit-ID reused by another user (or from another client) hides no request', () => {
    // kube-apiserver takes the Audit-ID header as the auditID: mallory sends alice's ID with her own read.
    const alice = ev('shared', 'ResponseComplete', {user: {username: 'alice', groups: []}, sourceIPs: ['10.0.0.1']})
    const mallory = ev('shared', 'ResponseComplete', {user: {username: 'mallory', groups: []}, sourceIPs: ['10.0.0.1']})
    const asAlice = ev('shared', 'ResponseComplete', {user: {username: 'alice', groups: []}, impersonator: {username: 'mallory', groups: []}, sourceIPs: ['10.0.0.1']})
    const otherClient = ev('shared', 'ResponseComplete', {user: {username: 'alice', groups: []}, sourceIPs: ['192.0.2.9']})
    expect(merge(4, [alice, mallory, asAlice, otherClient]).out).toHaveLength(4)
    // The stages of one request still merge.
    expect(merge(4, [ev('one', 'RequestReceived', {sourceIPs: ['10.0.0.1']}), ev('one', 'ResponseComplete', {sourceIPs: ['10.0.0.1']})])).toEqual({out: ['one:ResponseComplete'], duplicates: 1})
  })

  it('events without an auditID are never merged', () => {
    expect(merge(2, [ev(undefined, 'ResponseComplete'), ev(undefined, 'ResponseComplete'), ev(undefined, undefined), ev(undefined, undefined), ev(undefined, undefined)]).out).toHaveLength(5)
  })

  it('stays bounded when requests keep completing inside the window (stale order entries are compacted)', () => {
    const events: AuditEvent[] = []
    for (let i = 0; i < 10_000; i++) events.push(ev(`r${i}`, 'RequestReceived'), ev(`r${i}`, 'ResponseComplete'))
    events.push(ev('last', 'RequestReceived'))
    const {out, duplicates} = merge(3, events)
    expect(out).toHaveLength(10_001)
    expect(out.at(-1)).toBe('last:RequestReceived')
    expect(duplicates).toBe(10_000)
  })

  it('forgets emitted keys after eight windows', () => {
    const events = [ev('a', 'ResponseComplete')]
    for (let i = 0; i < 8; i++) events.push(ev(`x${i}`, 'ResponseComplete'))
    events.push(ev('a', 'RequestReceived')) // eight windows of 1 later: `a` is forgotten, counted anew
    expect(merge(1, events).out.filter((l) => l.startsWith('a:'))).toEqual(['a:ResponseComplete', 'a:RequestReceived'])
  })
})

describe('KeyRing', () => {
  it('is first in, first out across the wrap, and refuses to overflow', () => {
    const r = new KeyRing(2)
    r.push('a')
    r.push('b')
    expect(r.full).toBe(true)
    expect(() => r.push('c')).toThrow()
    expect(r.shift()).toBe('a')
    r.push('c')
    expect([r.shift(), r.shift(), r.size]).toEqual(['b', 'c', 0])
    r.reset(['x', 'y'])
    expect([r.shift(), r.shift()]).toEqual(['x', 'y'])
  })
})
