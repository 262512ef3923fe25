import {describe, expect, it} from 'vitest'
import {isTerminalSafe, sanitizeForTerminal} from './sanitize.js'

describe('sanitizeForTerminal', () => {
  it('escapes the Arabic letter mark and the Unicode line and paragraph separators too', () => {
    expect(sanitizeForTerminal('a\u061cb\u2028c\u2029d')).toBe('a\\u061cb\\u2028c\\u2029d')
  })
  it('escapes ANSI escape sequences so they cannot move the cursor or recolour the screen', () => {
    const hostile = 'kubectl/v1.29\u001b[2J\u001b[31mroot'
    const safe = sanitizeForTerminal(hostile)
    expect(safe).toBe('kubectl/v1.29\\x1b[2J\\x1b[31mroot')
    expect(isTerminalSafe(safe)).toBe(true)
  })

  it('escapes C1 CSI, DEL, NUL, newlines and bidi overrides', () => {
    expect(sanitizeForTerminal('a\u009b31mb')).toBe('a\\x9b31mb')
    expect(sanitizeForTerminal('x\u007fy\u0000z')).toBe('x\\x7fy\\x00z')
    expect(sanitizeForTerminal('line1\nline2\r')).toBe('line1\\x0aline2\\x0d')
    expect(sanitizeForTerminal('admin\u202egnp.exe')).toBe('admin\\u202egnp.exe')
  })

  it('leaves ordinary text, including non-ASCII names, untouched', () => {
    const text = 'system:serviceaccount:kube-system:déploiement-控制器'
    expect(sanitizeForTerminal(text)).toBe(text)
    expect(isTerminalSafe(text)).toBe(true)
    expect(isTerminalSafe('a\u001bb')).toBe(false)
  })
})
