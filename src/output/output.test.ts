import {describe, expect, it} from 'vitest'
import {csvCell, renderCsv, renderJson, renderJsonLine, renderYaml} from './formats.js'
import {renderTable} from './table.js'

describe('renderTable', () => {
  it('aligns columns like kubectl and honours --no-headers', () => {
    const out = renderTable(['name', 'kind'], [['alice', 'User'], ['system:masters', 'Group']])
    expect(out).toBe('NAME             KIND\nalice            User\nsystem:masters   Group\n')
    expect(renderTable(['name'], [['a']], {headers: false})).toBe('a\n')
  })

  it('never lets a cell carry an escape sequence to the terminal', () => {
    const out = renderTable(['user'], [['evil\u001b]0;pwned\u0007']])
    expect(out).not.toContain('\u001b')
    expect(out).toContain('evil\\x1b]0;pwned\\x07')
  })

  it('pads by display width for wide characters', () => {
    const out = renderTable(['a', 'b'], [['控制', 'x'], ['ab', 'y']])
    expect(out.split('\n')[1]).toBe('控制   x')
    expect(out.split('\n')[2]).toBe('ab     y')
  })
})

describe('machine formats', () => {
  it('JSON and YAML escape control characters, C1 CSI and bidi overrides', () => {
    expect(renderJson({u: 'a\u001bb'})).toContain('\\u001b')
    expect(renderYaml({u: 'a\u001bb'})).toContain('\\e')
    const hostile = {u: 'x\u009b31m\u202egnp', [`k\u009b`]: 1}
    for (const out of [renderJson(hostile), renderJsonLine(hostile), renderYaml(hostile)]) {
      expect(out).not.toMatch(/[\u009b\u202e]/)
    }
    expect(JSON.parse(renderJsonLine(hostile))).toEqual(hostile)
  })

  it('CSV escapes C1 controls and bidi overrides', () => {
    expect(csvCell('a\u009bb\u202ec')).toBe('a\\x9bb\\u202ec')
  })

  it('CSV quotes, escapes and defuses spreadsheet formulas', () => {
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`)
    expect(csvCell('-1')).toBe("'-1")
    expect(renderCsv(['a', 'b'], [['1', '2']])).toBe('a,b\n1,2\n')
  })
})
