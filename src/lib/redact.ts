// Credentials in free text we did not write: a webhook's denial message quoting the pod's env, an
// exec command line (`mysql -pS3cret`, `PGPASSWORD=... psql`), a parser error quoting the manifest
// it choked on. They are the attacker's or the operator's text, so we cannot stop them from holding
// a password; we can stop printing it. Each pattern keeps the shape (`password=…`, `--token …`,
// `https://user:…@host`) so a reader still sees what happened, and drops the value.
// Pure string functions: every output path calls them on the text it is about to print.

/** What a hidden value becomes. One character, never a valid credential, and stable (idempotent). */
export const HIDDEN = '…'

/** Words whose value is a credential when they are a key (`KEY=v`, `KEY: v`) or a flag (`--KEY v`). */
const SECRET_WORD = String.raw`(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth)`

/** A key that ends in a secret word: `PGPASSWORD`, `db_password`, `AWS_SECRET_ACCESS_KEY`, `token`; never `password-file`. */
const KEY = String.raw`(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]*?${SECRET_WORD})`

/** A flag naming a credential, whose value is the next word: `--password`, `--db-password`, `-token`. */
const FLAG = String.raw`--?(?:[A-Za-z0-9]+[-_])*(?:password|passwd|passphrase|pass|pwd|secret|token|api-?key|access-?key|secret-?key|client-?secret|credentials?)`
const FLAG_ONLY = new RegExp(`^${FLAG}$`, 'i')

/** Clients whose `-pVALUE` (attached) is the password, not a port. */
const MYSQL = String.raw`(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlcheck|mysqlsh|mariadb|mariadb-dump)`

interface Rule {
  name: string
  re: RegExp
  to: (match: string, ...groups: string[]) => string
}

/** A value as it appears: quoted values keep their quotes so the text still reads as before. */
function hide(value: string): string {
  if (value.startsWith('\\"')) return `\\"${HIDDEN}\\"`
  const q = value[0]
  if ((q === '"' || q === "'") && value.length > 1 && value.endsWith(q)) return `${q}${HIDDEN}${q}`
  return HIDDEN
}

// Order matters: whole blocks first (a PEM block holds `=` and words), then values with a known
// shape, then the generic key/flag rules.
const RULES: Rule[] = [
  {
    name: 'pem private key',
    re: /-----BEGIN ([A-Z0-9 ]*?)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g,
    to: (_m, kind) => `-----BEGIN ${kind}PRIVATE KEY-----${HIDDEN}-----END ${kind}PRIVATE KEY-----`,
  },
  {
    // https://user:password@host: the user stays, the password goes.
    name: 'url userinfo',
    re: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/?#'"]*):([^\s@/?#'"]+)@/gi,
    to: (_m, scheme, user) => `${scheme}${user}:${HIDDEN}@`,
  },
  {
    name: 'authorization header',
    re: /\b((?:proxy-)?authorization|x-api-key|x-auth-token|private-token)(\\?["']?\s*[:=]\s*\\?["']?)(?:(bearer|basic|token|splunk|digest|negotiate)\s+)?([^\s"'\\,;]+)/gi,
    to: (_m, header, sep, scheme) => `${header}${sep}${scheme ? `${scheme} ` : ''}${HIDDEN}`,
  },
  {name: 'bearer token', re: /\b(bearer)\s+([A-Za-z0-9._~+/=-]{6,})/gi, to: (_m, word) => `${word} ${HIDDEN}`},
  {name: 'jwt', re: /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, to: () => `eyJ${HIDDEN}.${HIDDEN}.${HIDDEN}`},
  {name: 'aws access key id', re: /\b(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b/g, to: (_m, prefix) => `${prefix}${HIDDEN}`},
  {
    name: 'mysql -pVALUE',
    re: new RegExp(String.raw`\b(${MYSQL}\b[^\n|;&]*?\s)-p(?![\s-])([^\s"'\\]+)`, 'gi'),
    to: (_m, before) => `${before}-p${HIDDEN}`,
  },
  {name: 'sshpass -p', re: /\b(sshpass\s+-p\s*)(?!-)([^\s"'\\]+)/g, to: (_m, before) => `${before}${HIDDEN}`},
  {name: 'redis-cli -a', re: /\b(redis-cli\b[^\n|;&]*?\s-a\s*)(?!-)([^\s"'\\]+)/g, to: (_m, before) => `${before}${HIDDEN}`},
  {
    name: 'curl -u user:password',
    re: /\b(curl\b[^\n|;&]*?\s(?:-u|--user)(?:\s+|=)['"]?)([^\s:'"\\]+):([^\s'"\\]+)/g,
    to: (_m, before, user) => `${before}${user}:${HIDDEN}`,
  },
  {
    // password=x, PGPASSWORD=x, "token": "x", \"secret\":\"x\", api_key: x
    name: 'key=value',
    re: new RegExp(String.raw`${KEY}(\\?["']?\s*[=:]\s*)(\\"(?:[^"\\]|\\[^"])*\\"|"[^"]*"|'[^']*'|[^\s"'&;,)}\]\\]+)`, 'gi'),
    to: (_m, key, sep, value) => `${key}${sep}${hide(value)}`,
  },
  {
    // --password x, -token x (the value is the next word, not another flag)
    name: 'flag value',
    re: new RegExp(String.raw`(^|[\s"'])(${FLAG})(\s+)(?![-${HIDDEN}])("[^"]*"|'[^']*'|[^\s"'\\]+)`, 'gi'),
    to: (_m, before, flag, space, value) => `${before}${flag}${space}${hide(value)}`,
  },
]

/** The text with every credential-looking value replaced by `…`; text without one comes back as is. */
export function redactSecrets(text: string): string {
  let out = text
  for (const rule of RULES) {
    rule.re.lastIndex = 0
    out = out.replace(rule.re, rule.to as (substring: string, ...args: unknown[]) => string)
  }
  return out
}

/** Names of the rules that matched, for tests and figures. */
export function redactionRules(text: string): string[] {
  return RULES.filter((rule) => {
    rule.re.lastIndex = 0
    const hit = rule.re.test(text)
    rule.re.lastIndex = 0
    return hit
  }).map((rule) => rule.name)
}

/**
 * A command's arguments (an exec request's `command=` list): each argument as text, plus what only
 * the argument boundaries show: `--password` then its value, `mysql -pVALUE`, `sshpass -p VALUE`,
 * `curl -u user:password`.
 */
export function redactArgv(argv: readonly string[]): string[] {
  const out = argv.map(redactSecrets)
  const program = (argv[0] ?? '').replace(/^.*\//, '').toLowerCase()
  const mysql = new RegExp(`^${MYSQL}$`, 'i').test(program)
  for (let i = 1; i < out.length; i++) {
    const arg = out[i]!
    const next = out[i + 1]
    const takesNext =
      FLAG_ONLY.test(arg) ||
      (program === 'sshpass' && arg === '-p') ||
      (program === 'redis-cli' && arg === '-a')
    if (takesNext && next !== undefined && !next.startsWith('-') && next !== HIDDEN) {
      out[i + 1] = HIDDEN
      i++
      continue
    }
    if (mysql && /^-p[^-]/.test(arg) && arg !== `-p${HIDDEN}`) out[i] = `-p${HIDDEN}`
    if (program === 'curl' && (arg === '-u' || arg === '--user') && next !== undefined && next.includes(':')) {
      out[i + 1] = `${next.slice(0, next.indexOf(':'))}:${HIDDEN}`
      i++
    }
  }
  return out
}

/**
 * A request URI with credentials hidden: `command=` parameters (an exec) as one argument list,
 * other parameters as `name=value` text. Unchanged (byte for byte) when nothing is hidden.
 */
export function redactRequestURI(uri: string): string {
  const q = uri.indexOf('?')
  const path = redactSecrets(q < 0 ? uri : uri.slice(0, q))
  if (q < 0) return path
  const parts = uri.slice(q + 1).split('&')
  const commandAt: number[] = []
  const argv: string[] = []
  const out = parts.map((part, i) => {
    const eq = part.indexOf('=')
    if (eq >= 0 && part.slice(0, eq) === 'command') {
      commandAt.push(i)
      argv.push(decode(part.slice(eq + 1)))
      return part
    }
    // Query values arrive encoded: decode to see `token=…` inside, keep the encoding when clean.
    if (eq < 0) return part
    const value = decode(part.slice(eq + 1))
    const shown = redactSecrets(`${part.slice(0, eq)}=${value}`)
    return shown === `${part.slice(0, eq)}=${value}` ? part : shown
  })
  if (argv.length > 0) {
    const hidden = redactArgv(argv)
    commandAt.forEach((at, k) => {
      if (hidden[k] !== argv[k]) out[at] = `command=${encodeURIComponent(hidden[k]!)}`
    })
  }
  return `${path}?${out.join('&')}`
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '))
  } catch {
    return value
  }
}
