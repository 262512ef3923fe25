// `kubectl-sensitive_access __complete <words...>`: the hidden entry point behind the
// `kubectl_complete-sensitive_access` script. kubectl (1.26+) runs that script with the words typed
// after `kubectl sensitive-access`, the last one being the word under the cursor (possibly empty),
// and expects cobra's `__complete` protocol back: one candidate per line (optionally
// `candidate\tdescription`), then `:<directive>` on the last line.
// Everything is read from the registered command classes, so new commands and flags complete
// without touching this file.

/** cobra's ShellCompDirective bits, which kubectl passes through to the shell unchanged. */
export const Directive = {
  default: 0,
  error: 1,
  noSpace: 2,
  noFileComp: 4,
} as const

export interface CompletionFlag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  options?: readonly string[]
  description?: string
  hidden?: boolean
}

export interface CompletionArg {
  name: string
  options?: readonly string[]
}

export interface CompletionCommand {
  id: string
  summary?: string
  hidden?: boolean
  flags: CompletionFlag[]
  args: CompletionArg[]
}

/** Cluster look-ups, injected so the completion logic stays testable without a cluster. */
export interface CompletionLookup {
  namespaces(connection: string[]): Promise<string[]>
  resourceNames(resource: string, namespace: string | undefined, connection: string[]): Promise<string[]>
}

export interface CompletionResult {
  candidates: string[]
  directive: number
}

// Flags whose value is a local path: let the shell complete files (directive 0).
const PATH_FLAGS = /(^|-)(file|files|manifests?|kubeconfig|dir|directory|path|certificate-authority|output-file|settings|rules)$/
// Flags that select kubectl's connection; forwarded to kubectl so namespaces come from the same cluster.
const CONNECTION_FLAGS = new Set(['kubeconfig', 'context', 'cluster', 'user'])
// Resources this plugin is about; other kinds are not offered as positional completions.
const SENSITIVE_RESOURCES = ['secrets', 'configmaps']
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', '*']

/** Convert an oclif command (class or manifest entry) into the plain data completion needs. */
export function describeCommand(id: string, cmd: {summary?: string; description?: string; hidden?: boolean; flags?: Record<string, unknown>; args?: Record<string, unknown>}): CompletionCommand {
  const flags: CompletionFlag[] = Object.entries(cmd.flags ?? {}).map(([name, raw]) => {
    const f = raw as {char?: string; type?: string; options?: readonly string[]; description?: string; summary?: string; hidden?: boolean}
    return {
      name,
      char: f.char,
      type: f.type === 'boolean' ? 'boolean' : 'option',
      options: f.options,
      description: f.summary ?? f.description,
      hidden: f.hidden,
    }
  })
  const args: CompletionArg[] = Object.entries(cmd.args ?? {}).map(([name, raw]) => ({
    name,
    options: (raw as {options?: readonly string[]}).options,
  }))
  const summary = cmd.summary ?? cmd.description?.split('\n')[0]
  return {id, summary, hidden: cmd.hidden, flags, args}
}

function firstLine(text: string | undefined): string {
  // A tab or newline inside a description would break the line protocol.
  return (text ?? '').split('\n')[0]!.replace(/\t/g, ' ').trim()
}

function withDescription(value: string, description: string | undefined): string {
  const text = firstLine(description)
  return text ? `${value}\t${text}` : value
}

function findFlag(command: CompletionCommand, word: string): CompletionFlag | undefined {
  if (word.startsWith('--')) return command.flags.find((f) => f.name === word.slice(2))
  if (/^-[^-]$/.test(word)) return command.flags.find((f) => f.char === word.slice(1))
  return undefined
}

/**
 * Completion candidates for `words` (the words after `kubectl sensitive-access`, the last being
 * the partial word under the cursor). Pure apart from the injected cluster look-ups.
 */
export async function complete(words: string[], commands: CompletionCommand[], lookup: CompletionLookup): Promise<CompletionResult> {
  const all = words.length > 0 ? words : ['']
  const toComplete = all.at(-1) ?? ''
  const typed = all.slice(0, -1)
  const visible = commands.filter((c) => !c.hidden).sort((a, b) => a.id.localeCompare(b.id))

  if (typed.length === 0) {
    if (toComplete.startsWith('-')) {
      return {candidates: ['--help', '--version'].filter((f) => f.startsWith(toComplete)), directive: Directive.noFileComp}
    }
    return {
      candidates: visible.filter((c) => c.id.startsWith(toComplete)).map((c) => withDescription(c.id, c.summary)),
      directive: Directive.noFileComp,
    }
  }

  // oclif ids use `:` for topics; typed with the space separator they are several words.
  let command: CompletionCommand | undefined
  let consumed = 0
  for (let n = typed.length; n > 0 && !command; n--) {
    command = commands.find((c) => c.id === typed.slice(0, n).join(':'))
    if (command) consumed = n
  }
  if (!command) return {candidates: [], directive: Directive.noFileComp}

  // Walk what was typed after the command to know positional index and flag values so far.
  const rest = typed.slice(consumed)
  const values = new Map<string, string>()
  const positionals: string[] = []
  let pendingFlag: CompletionFlag | undefined
  let afterDoubleDash = false
  for (const word of rest) {
    if (pendingFlag) {
      values.set(pendingFlag.name, word)
      pendingFlag = undefined
      continue
    }
    if (afterDoubleDash || !word.startsWith('-') || word === '-') {
      positionals.push(word)
      continue
    }
    if (word === '--') {
      afterDoubleDash = true
      continue
    }
    const eq = word.indexOf('=')
    const flag = findFlag(command, eq > 0 ? word.slice(0, eq) : word)
    if (flag && eq > 0) values.set(flag.name, word.slice(eq + 1))
    else if (flag?.type === 'option') pendingFlag = flag
  }

  const connection: string[] = []
  for (const name of CONNECTION_FLAGS) {
    const value = values.get(name)
    if (value) connection.push(`--${name}=${value}`)
  }

  if (pendingFlag) return completeFlagValue(pendingFlag, toComplete, '', connection, lookup)

  if (!afterDoubleDash && toComplete.startsWith('--') && toComplete.includes('=')) {
    const eq = toComplete.indexOf('=')
    const flag = findFlag(command, toComplete.slice(0, eq))
    if (!flag || flag.type !== 'option') return {candidates: [], directive: Directive.noFileComp}
    return completeFlagValue(flag, toComplete.slice(eq + 1), toComplete.slice(0, eq + 1), connection, lookup)
  }

  if (!afterDoubleDash && toComplete.startsWith('-')) {
    const candidates: string[] = []
    for (const flag of command.flags) {
      if (flag.hidden) continue
      const long = `--${flag.name}`
      // A flag given once is not offered again unless it may repeat (kubectl does the same).
      if (long.startsWith(toComplete) && !(values.has(flag.name) && flag.type === 'option')) candidates.push(withDescription(long, flag.description))
      if (flag.char && `-${flag.char}` === toComplete) candidates.push(withDescription(`-${flag.char}`, flag.description))
    }
    if ('--help'.startsWith(toComplete) && !command.flags.some((f) => f.name === 'help')) candidates.push('--help\tShow help')
    return {candidates, directive: Directive.noFileComp}
  }

  // Positional argument: fixed options, else a verb, a sensitive resource, or an object's name.
  const arg = command.args[positionals.length]
  if (!arg) return {candidates: [], directive: Directive.noFileComp}
  if (arg.options && arg.options.length > 0) {
    return {candidates: arg.options.filter((o) => o.startsWith(toComplete)), directive: Directive.noFileComp}
  }
  if (/verb/i.test(arg.name)) return {candidates: VERBS.filter((v) => v.startsWith(toComplete)), directive: Directive.noFileComp}
  if (/resource|kind/i.test(arg.name)) {
    return {candidates: SENSITIVE_RESOURCES.filter((r) => r.startsWith(toComplete)), directive: Directive.noFileComp}
  }
  if (/name/i.test(arg.name)) {
    // The resource is the positional before the name, when the command takes one; else Secrets.
    const resourceIndex = command.args.findIndex((a) => /resource|kind/i.test(a.name))
    const typedResource = resourceIndex >= 0 ? positionals[resourceIndex] : undefined
    const resource = typedResource && /^(secrets?|configmaps?|cm)$/i.test(typedResource) ? typedResource : 'secrets'
    const names = await lookup.resourceNames(resource, values.get('namespace'), connection).catch(() => [])
    return {candidates: names.filter((n) => n.startsWith(toComplete)), directive: Directive.noFileComp}
  }
  return {candidates: [], directive: Directive.default}
}

async function completeFlagValue(flag: CompletionFlag, partial: string, prefix: string, connection: string[], lookup: CompletionLookup): Promise<CompletionResult> {
  if (flag.options && flag.options.length > 0) {
    return {candidates: flag.options.filter((o) => o.startsWith(partial)).map((o) => prefix + o), directive: Directive.noFileComp}
  }
  if (flag.name === 'namespace') {
    const names = await lookup.namespaces(connection).catch(() => [])
    return {candidates: names.filter((n) => n.startsWith(partial)).map((n) => prefix + n), directive: Directive.noFileComp}
  }
  if (PATH_FLAGS.test(flag.name)) return {candidates: [], directive: Directive.default}
  return {candidates: [], directive: Directive.noFileComp}
}

/** The wire format kubectl reads: candidates, then `:<directive>`. */
export function formatCompletion(result: CompletionResult): string {
  return [...result.candidates, `:${result.directive}`].join('\n') + '\n'
}

/** Cluster look-ups through the kubectl on PATH, quietly empty when there is no cluster. */
export function kubectlLookup(run: (args: string[]) => Promise<string>): CompletionLookup {
  const names = (out: string) =>
    out
      .split('\n')
      .map((line) => line.trim().replace(/^[^/]*\//, ''))
      .filter((line) => line.length > 0)
  return {
    async namespaces(connection) {
      return names(await run(['get', 'namespaces', '-o', 'name', ...connection]))
    },
    async resourceNames(resource, namespace, connection) {
      const scope = namespace ? ['-n', namespace] : []
      return names(await run(['get', resource, '-o', 'name', ...scope, ...connection]))
    },
  }
}
