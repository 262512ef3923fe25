import {describe, expect, it} from 'vitest'
import {filterUnused, sortUnused, unusedDetailLines} from './derive.js'
import type {UnusedRow} from './model.js'

function row(over: Partial<UnusedRow> & Pick<UnusedRow, 'key' | 'class' | 'name'>): UnusedRow {
  return {kind: 'User', access: 'get secrets', scope: 'cluster-wide', count: 0, objects: [], suggestions: [], ...over}
}

const ROWS: UnusedRow[] = [
  row({key: 'a', class: 'can-and-did', name: 'carol', lastAccess: 300, count: 2, objects: ['shop/secrets/db']}),
  row({key: 'b', class: 'denied', name: 'zed', lastAccess: 500}),
  row({key: 'c', class: 'can-never-did', name: 'dave'}),
  row({key: 'd', class: 'no-grant', name: 'system:node:n1', lastAccess: 100}),
  row({key: 'e', class: 'can-never-did', kind: 'ServiceAccount', namespace: 'billing', name: 'reporter', access: 'list configmaps', scope: 'billing'}),
]

describe('sortUnused', () => {
  it('by class puts unused grants first, used last', () => {
    expect(sortUnused(ROWS, 'class').map((r) => r.key)).toEqual(['c', 'e', 'd', 'b', 'a'])
  })
  it('by last access puts the most recent first and never-accessed last', () => {
    expect(sortUnused(ROWS, 'last access').map((r) => r.key)).toEqual(['b', 'a', 'd', 'c', 'e'])
  })
  it('by name is alphabetical and leaves the input alone', () => {
    const before = ROWS.map((r) => r.key)
    expect(sortUnused(ROWS, 'name').map((r) => r.name)).toEqual(['carol', 'dave', 'reporter', 'system:node:n1', 'zed'])
    expect(ROWS.map((r) => r.key)).toEqual(before)
  })
})

describe('filterUnused', () => {
  it('matches class, namespace, access and objects, case-insensitively', () => {
    expect(filterUnused(ROWS, 'NEVER').map((r) => r.key)).toEqual(['c', 'e'])
    expect(filterUnused(ROWS, 'billing').map((r) => r.key)).toEqual(['e'])
    expect(filterUnused(ROWS, 'configmaps').map((r) => r.key)).toEqual(['e'])
    expect(filterUnused(ROWS, 'shop/secrets').map((r) => r.key)).toEqual(['a'])
    expect(filterUnused(ROWS, '  ')).toBe(ROWS)
  })
})

describe('unusedDetailLines', () => {
  it('lists evidence, notes and every suggestion with its YAML indented, all sanitised', () => {
    const lines = unusedDetailLines(
      row({
        key: 'x',
        class: 'can-and-did',
        name: 'eve\u001b[2J',
        lastAccess: Date.parse('2026-11-20T09:05:00Z'),
        count: 2,
        objects: ['shop/secrets/db'],
        notes: ['note\u0007'],
        suggestions: [{id: 'S1', action: 'replace-with-least-privilege', summary: 'narrow it', yaml: 'kind: Role\nmetadata:\n  name: r\n'}],
      }),
    )
    expect(lines).toContain('Subject:      User eve\\x1b[2J')
    expect(lines).toContain('Last access:  2026-11-20 09:05:00Z')
    expect(lines).toContain('  shop/secrets/db')
    expect(lines).toContain('  note\\x07')
    expect(lines).toContain('1. S1 [replace-with-least-privilege] narrow it')
    const i = lines.indexOf('   kind: Role')
    expect(lines.slice(i, i + 3)).toEqual(['   kind: Role', '   metadata:', '     name: r'])
    expect(lines.at(-1)).toBe('     name: r')
  })
})
