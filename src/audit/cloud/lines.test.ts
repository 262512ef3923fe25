import {describe, expect, it} from 'vitest'
import {lineSplitter} from './lines.js'

describe('lineSplitter', () => {
  it('joins lines across chunks and keeps the unterminated last line', () => {
    const s = lineSplitter(100)
    expect(s.push('ab')).toEqual([])
    expect(s.push('c\nde\n\nf')).toEqual(['abc', 'de', ''])
    expect(s.push('g')).toEqual([])
    expect(s.end()).toEqual(['fg'])
    expect(s.end()).toEqual([])
  })

  it('drops a line over the cap up to its newline, in linear time over many small chunks', () => {
    const s = lineSplitter(10)
    const out: string[] = []
    for (let i = 0; i < 100_000; i++) out.push(...s.push('x'))
    out.push(...s.push('yy\nok\n'))
    expect(out).toEqual(['ok'])
    expect(s.dropped).toBe(1)
    expect(lineSplitter(3).push('abcd\n')).toEqual([])
  })
})
