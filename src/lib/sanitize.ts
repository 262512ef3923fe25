// Usernames, user agents, URIs and object names in audit logs and RBAC objects are chosen by
// whoever sent the request. Before any of them reaches a terminal we remove what a terminal would
// interpret: C0/C1 control characters (ESC starts every escape sequence, CSI is 0x9b), DEL, and
// the Unicode bidi overrides that can make text read differently from what it is.

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** Replace every terminal-interpreted character with a visible escape such as `\x1b`. */
export function sanitizeForTerminal(value: string): string {
  return value.replace(UNSAFE, (ch) => {
    const code = ch.codePointAt(0) ?? 0
    return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`
  })
}

/** True when the string holds nothing a terminal would interpret. */
export function isTerminalSafe(value: string): boolean {
  UNSAFE.lastIndex = 0
  const unsafe = UNSAFE.test(value)
  UNSAFE.lastIndex = 0
  return !unsafe
}
