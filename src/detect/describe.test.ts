import {describe, expect, it} from 'vitest'
import {renderTable} from '../output/table.js'
import {ev} from '../../test/detect/helpers.js'
import {FINDING_COLUMNS, FINDING_WIDE_COLUMNS, findingRow} from './describe.js'
import {detect} from './engine.js'
import {defaultSettings} from './settings.js'

describe('finding rows', () => {
  it('renders findings for a table, with attacker-controlled names made terminal-safe by renderTable', async () => {
    const evil = 'mallory\u001b]0;owned\u0007'
    const r = await detect([ev({user: evil, verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'prod', name: 'p\u009b31m', time: Date.UTC(2026, 0, 1)})], {settings: defaultSettings()})
    const rows = r.findings.map((f) => findingRow(f))
    expect(rows[0]?.slice(0, 4)).toEqual(['medium', 'lateral-movement', 'T1609', evil])
    expect(rows[0]?.[6]).toBe('2026-01-01T00:00:00Z')
    const out = renderTable([...FINDING_COLUMNS], rows)
    expect(out).not.toMatch(/[\u001b\u0007\u009b]/)
    expect(out).toContain('mallory\\x1b]0;owned\\x07')
    const wide = findingRow(r.findings[0]!, {wide: true})
    expect(wide).toHaveLength(FINDING_WIDE_COLUMNS.length)
    expect(wide[9]).toBe(`test.log:${r.findings[0]!.evidence[0]!.line}`)
  })
})
