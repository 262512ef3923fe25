// Bounds on YAML text checked before a parser sees it. The `yaml` package's parser and its
// toJS recurse once per nesting level: thousands of levels exhaust the stack (and can take V8
// down with them), so a document nested deeper than any real manifest or audit record is
// skipped on a cheap scan instead. Aliases are bounded separately, by toJS's maxAliasCount.
// (src/audit/reader.ts has the first version of these; both should use this one.)

/** Deeper than any real Kubernetes object or audit record. */
export const MAX_YAML_DEPTH = 256

/** Expansions of anchors allowed in one document (billion-laughs protection of `yaml`'s toJS). */
export const MAX_YAML_ALIAS_COUNT = 100

/** Split a YAML stream at its `---` lines, keeping each part's first line number (1-based). */
export function splitYamlDocuments(text: string): {text: string; firstLine: number}[] {
  const parts: {text: string; firstLine: number}[] = []
  const lines = text.split('\n')
  let start = 0
  for (let i = 1; i <= lines.length; i++) {
    if (i === lines.length || /^---(\s|$)/.test(lines[i] ?? '')) {
      parts.push({text: lines.slice(start, i).join('\n'), firstLine: start + 1})
      start = i
    }
  }
  return parts
}

/**
 * A cheap upper bound on a YAML (or JSON) document's nesting, before parsing: flow brackets
 * outside quotes, and block indentation (two columns or more per level in practice, so
 * indentation / 2 bounds it). Backslash escapes in double quotes and '' in single quotes are
 * honoured, so an escaped quote cannot hide brackets from the count; an unclosed quote ends
 * with its line, so a stray apostrophe in a plain scalar hides nothing past it.
 */
export function yamlNestingExceeds(text: string, max: number): boolean {
  let depth = 0
  let quote: string | undefined
  let lineStart = true
  let indent = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\n') {
      lineStart = true
      indent = 0
      quote = undefined
      continue
    }
    if (lineStart) {
      if (c === ' ' || c === '-') {
        indent++
        if (indent / 2 > max) return true
        continue
      }
      lineStart = false
    }
    if (quote) {
      if (quote === '"' && c === '\\') i++
      else if (c === quote) {
        if (quote === "'" && text[i + 1] === "'") i++
        else quote = undefined
      }
      continue
    }
    if (c === '"' || c === "'") quote = c
    else if (c === '[' || c === '{') {
      if (++depth > max) return true
    } else if (c === ']' || c === '}') depth = Math.max(0, depth - 1)
  }
  return false
}
