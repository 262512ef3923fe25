// Splits a byte stream into lines in linear time with a cap on line length: a stream that never
// sends a newline (broken or hostile) costs at most `maxLine` of memory, and the overlong line is
// counted and skipped up to its end instead of being parsed as garbage.

export interface LineSplitter {
  /** Feed one decoded chunk; returns the lines it completed. */
  push(text: string): string[]
  /** The last line, if the stream did not end with a newline. */
  end(): string[]
  /** Lines dropped for being longer than the cap. */
  readonly dropped: number
}

export function lineSplitter(maxLine: number): LineSplitter {
  let parts: string[] = []
  let length = 0
  let overflow = false
  let dropped = 0
  const finish = (last: string): string | undefined => {
    if (overflow || length + last.length > maxLine) {
      dropped++
      overflow = false
      parts = []
      length = 0
      return undefined
    }
    const line = parts.length === 0 ? last : parts.join('') + last
    parts = []
    length = 0
    return line
  }
  return {
    push(text) {
      const out: string[] = []
      let start = 0
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
        const line = finish(text.slice(start, nl))
        if (line !== undefined) out.push(line)
        start = nl + 1
      }
      if (start < text.length && !overflow) {
        const rest = text.slice(start)
        length += rest.length
        if (length > maxLine) {
          overflow = true
          parts = []
          length = 0
        } else {
          parts.push(rest)
        }
      }
      return out
    },
    end() {
      if (parts.length === 0 && !overflow) return []
      const line = finish('')
      return line === undefined ? [] : [line]
    },
    get dropped() {
      return dropped
    },
  }
}
