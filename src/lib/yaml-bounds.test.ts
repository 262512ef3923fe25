import {describe, expect, it} from 'vitest'
import {splitYamlDocuments, yamlNestingExceeds} from './yaml-bounds.js'

describe('yamlNestingExceeds', () => {
  it('counts flow brackets and block indentation', () => {
    expect(yamlNestingExceeds(`x: ${'['.repeat(300)}${']'.repeat(300)}`, 256)).toBe(true)
    expect(yamlNestingExceeds(Array.from({length: 300}, (_, i) => `${'  '.repeat(i)}- `).join('\n'), 256)).toBe(true)
    expect(yamlNestingExceeds('kind: Event\nuser: {username: "a[b"}\nitems:\n  - {a: [1, 2]}\n', 256)).toBe(false)
  })

  it('an escaped quote cannot hide brackets from the count', () => {
    // `"\""` is one string: the brackets after it are outside any quote.
    expect(yamlNestingExceeds(`a: ["\\"", ${'['.repeat(300)}${']'.repeat(300)}]`, 256)).toBe(true)
    expect(yamlNestingExceeds(`a: ['it''s', ${'['.repeat(300)}${']'.repeat(300)}]`, 256)).toBe(true)
    // Brackets inside strings are text.
    expect(yamlNestingExceeds(`a: "${'['.repeat(300)}"`, 256)).toBe(false)
  })

  it('an apostrophe in a plain scalar hides nothing past its line', () => {
    expect(yamlNestingExceeds(`a: don't\nb: ${'['.repeat(300)}${']'.repeat(300)}`, 256)).toBe(true)
  })
})

describe('splitYamlDocuments', () => {
  it('splits at --- lines and keeps line numbers', () => {
    expect(splitYamlDocuments('a: 1\n---\nb: 2\n--- # c\nc: 3')).toEqual([
      {text: 'a: 1', firstLine: 1},
      {text: '---\nb: 2', firstLine: 2},
      {text: '--- # c\nc: 3', firstLine: 4},
    ])
  })
})
