// Bounds on YAML text checked before a parser sees it. The `yaml` package's parser and its
// toJS recurse once per nesting level: thousands of levels exhaust the stack (and can take V8
// down with them), so a document nested deeper than any real manifest or audit record is
// skipped on a cheap scan instead. Aliases are bounded separately, by toJS's maxAliasCount.
// Used by the audit reader (recent -f) and the manifest parser (who-can --manifests).

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
  // Char codes, not one-character strings: this runs over every byte of -o json dumps of 100 MB.
  const NL = 10, SPACE = 32, DASH = 45, DQ = 34, SQ = 39, BSL = 92, LB = 91, RB = 93, LC = 123, RC = 125
  let depth = 0
  let quote = 0
  let lineStart = true
  let indent = 0
  const length = text.length
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i)
    if (c === NL) {
      lineStart = true
      indent = 0
      quote = 0
      continue
    }
    if (lineStart) {
      if (c === SPACE || c === DASH) {
        indent++
        if (indent / 2 > max) return true
        continue
      }
      lineStart = false
    }
    if (quote !== 0) {
      if (quote === DQ && c === BSL) i++
      else if (c === quote) {
        if (quote === SQ && text.charCodeAt(i + 1) === SQ) i++
        else quote = 0
      }
      continue
    }
    if (c === DQ || c === SQ) quote = c
    else if (c === LB || c === LC) {
      if (++depth > max) return true
    } else if ((c === RB || c === RC) && depth > 0) depth--
  }
  return false
}
