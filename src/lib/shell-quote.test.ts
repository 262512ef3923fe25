import {execFileSync} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {shellQuote} from './shell-quote.js'

describe('shellQuote', () => {
  it('leaves safe words bare and single-quotes the rest', () => {
    expect(shellQuote('system:serviceaccount:web:app')).toBe('system:serviceaccount:web:app')
    expect(shellQuote('a b')).toBe(`'a b'`)
    expect(shellQuote(`it's`)).toBe(`'it'\\''s'`)
  })
  it('keeps a hostile name one word on one line, and bash reads it back exactly', () => {
    const hostile = ["evil\n---\nkind: Namespace", 'a\rb', 'tab\there', 'bell\u0007', 'rtl\u202eexe.txt', 'nel\u0085x', 'ls\u2028x', "quote'\\\n$(id)"]
    for (const name of hostile) {
      const word = shellQuote(name)
      expect(word).not.toMatch(/[\n\r\u0085\u2028\u2029\u202e\u0007]/)
      // bash's own reading of the word is the original value, so the command acts on that object only.
      expect(execFileSync('bash', ['-c', `printf %s ${word}`], {env: {...process.env, LC_ALL: 'C.UTF-8'}}).toString()).toBe(name)
    }
  })
})
