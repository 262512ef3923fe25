import {describe, expect, it} from 'vitest'
import type {AuditEvent} from '../audit/event.js'
import {Candidates} from './candidates.js'
import type {BaselineView} from './rule.js'

const view = (final: boolean): BaselineView => ({enabled: true, final, known: () => false, knownIdentity: () => false, hasHistory: () => true, isLearning: () => false})
const ev = (time: number) => ({time, verb: 'get', user: {username: 'u', groups: []}, sourceIPs: [], origin: {format: 'k8s'}}) as AuditEvent

describe('Candidates', () => {
  it('checks at once when the baseline is final (only a prior state): nothing is held', () => {
    const seen: number[] = []
    const c = new Candidates('r', view(true), (e) => seen.push(e.time), 2)
    for (let i = 0; i < 5; i++) c.push(ev(i))
    expect(seen).toEqual([0, 1, 2, 3, 4])
    expect(c.limits()).toEqual([])
  })
  it('holds for a learning period up to its bound, then says how many were not compared', () => {
    const seen: number[] = []
    const c = new Candidates('r', view(false), (e) => seen.push(e.time), 2)
    for (let i = 0; i < 5; i++) c.push(ev(i))
    expect(seen).toEqual([])
    c.flush()
    expect(seen).toEqual([0, 1])
    expect(c.limits()).toEqual(['r: more than 2 events waited for the end of the learning period; 3 later ones were not compared with the baseline'])
  })
})
