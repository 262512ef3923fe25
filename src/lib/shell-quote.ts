// One shell word for a value that came from a cluster or a log: it must stay one word and one line,
// whatever it holds, because our output puts it in commands (and in YAML comments) meant to be run.

/** Characters that would end a line, reorder text or drive a terminal: never written raw. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/**
 * A POSIX shell word: bare when safe, else single-quoted; a value holding a control character or a
 * line break becomes bash's $'...' with escapes, so a name with a newline cannot start a new line.
 */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9._:@/=-]+$/.test(value)) return value
  CONTROL.lastIndex = 0
  if (!CONTROL.test(value)) return `'${value.replace(/'/g, `'\\''`)}'`
  CONTROL.lastIndex = 0
  const escaped = value.replace(/[\\']/g, '\\$&').replace(CONTROL, (ch) => {
    const code = ch.codePointAt(0) ?? 0
    // \xHH is a byte to bash: only ASCII goes that way; the rest as \uHHHH (a character).
    return code > 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`
  })
  return `$'${escaped}'`
}
