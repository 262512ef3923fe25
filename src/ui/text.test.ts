import {describe, expect, it} from 'vitest'
import {clean, columns, displayWidth, fit, wrapLines} from './text.js'
import {START, move, visibleSlice, windowTop} from './list-window.js'

describe('fixed-width text', () => {
  it('fits to an exact width with an ellipsis when cut', () => {
    expect(fit('abc', 5)).toBe('abc  ')
    expect(fit('abcdef', 4)).toBe('abc…')
    expect(fit('控制台', 4)).toBe('控… ')
    expect(displayWidth(fit('控制台abc', 5))).toBe(5)
  })

  it('lays out columns to the total width', () => {
    const row = columns(['a', 'bbbbbbbb', 'c'], [3, 5], 12)
    expect(row).toBe('a  bbb… c   ')
  })

  it('hard-wraps long lines with an indent', () => {
    expect(wrapLines(['abcdefgh'], 5)).toEqual(['abcde', '  fgh'])
  })

  it('escapes control characters', () => {
    expect(clean('a\u001bb\u202e')).toBe('a\\x1bb\\u202e')
    expect(clean(undefined)).toBe('')
  })
})

describe('list windowing', () => {
  it('keeps the selection inside the window while moving', () => {
    let p = START
    p = move(p, 1, 100, 10)
    expect(p).toEqual({selected: 1, top: 0})
    p = move(p, 15, 100, 10)
    expect(p).toEqual({selected: 16, top: 7})
    p = move(p, -Infinity, 100, 10)
    expect(p).toEqual({selected: 0, top: 0})
    p = move(p, Infinity, 100, 10)
    expect(p).toEqual({selected: 99, top: 90})
    expect(move(p, 5, 0, 10)).toEqual(START)
  })

  it('re-clamps the window when the list shrinks or the screen resizes', () => {
    expect(windowTop({selected: 99, top: 90}, 100, 20)).toBe(80)
    const slice = visibleSlice(['a', 'b', 'c'], {selected: 50, top: 40}, 10)
    expect(slice).toEqual({rows: ['a', 'b', 'c'], top: 0, selected: 2})
  })
})
