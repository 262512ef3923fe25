import {Command, Flags, Args} from '@oclif/core'
import {describe, expect, it} from 'vitest'
import {COMMANDS} from '../../src/commands.js'
import {complete, describeCommand, formatCompletion, kubectlLookup, type CompletionLookup} from '../../src/services/complete.js'

class WhoCan extends Command {
  static override summary = 'Who can access a secret.'
  static override args = {verb: Args.string(), resource: Args.string(), name: Args.string()}
  static override flags = {
    namespace: Flags.string({char: 'n', description: 'Namespace.'}),
    manifests: Flags.string({description: 'RBAC manifests\tdirectory.'}),
    output: Flags.string({char: 'o', options: ['table', 'json', 'yaml'], description: 'Output format.'}),
    context: Flags.string({description: 'Context.'}),
    confirm: Flags.boolean({description: 'Confirm with SubjectAccessReview.'}),
    secret: Flags.string({hidden: true}),
  }
  async run() {}
}

class Recent extends Command {
  static override description = 'Who did access secrets.\nLonger text.'
  static override flags = {file: Flags.string({char: 'f', multiple: true})}
  async run() {}
}

class Hidden extends Command {
  static override hidden = true
  async run() {}
}

const commands = [describeCommand('who-can', WhoCan), describeCommand('recent', Recent), describeCommand('__complete', Hidden)]

function fakeLookup(calls: string[][]): CompletionLookup {
  return {
    async namespaces(connection) {
      calls.push(['ns', ...connection])
      return ['default', 'kube-system', 'prod']
    },
    async resourceNames(resource, namespace, connection) {
      calls.push([resource, namespace ?? '', ...connection])
      return resource.startsWith('config') ? ['app-config'] : ['db-password', 'tls']
    },
  }
}

describe('__complete protocol', () => {
  it('lists visible commands with descriptions, never hidden ones', async () => {
    const result = await complete([''], commands, fakeLookup([]))
    expect(result).toEqual({candidates: ['recent\tWho did access secrets.', 'who-can\tWho can access a secret.'], directive: 4})
    expect((await complete(['wh'], commands, fakeLookup([]))).candidates).toEqual(['who-can\tWho can access a secret.'])
    expect(formatCompletion(result)).toBe('recent\tWho did access secrets.\nwho-can\tWho can access a secret.\n:4\n')
  })

  it('completes flags, without hidden ones and without repeating a given flag', async () => {
    const flags = (await complete(['who-can', '--'], commands, fakeLookup([]))).candidates.map((c) => c.split('\t')[0])
    expect(flags).toEqual(['--namespace', '--manifests', '--output', '--context', '--confirm', '--help'])
    const after = (await complete(['who-can', '-n', 'prod', '--n'], commands, fakeLookup([]))).candidates
    expect(after).toEqual([])
    // A tab inside a description would break the line protocol.
    expect((await complete(['who-can', '--ma'], commands, fakeLookup([]))).candidates).toEqual(['--manifests\tRBAC manifests directory.'])
  })

  it('completes namespaces from the same kubeconfig context the user typed', async () => {
    const calls: string[][] = []
    const result = await complete(['who-can', '--context', 'prod-cluster', '-n', 'k'], commands, fakeLookup(calls))
    expect(result).toEqual({candidates: ['kube-system'], directive: 4})
    expect(calls).toEqual([['ns', '--context=prod-cluster']])
    expect((await complete(['who-can', '--namespace=p'], commands, fakeLookup([]))).candidates).toEqual(['--namespace=prod'])
  })

  it('offers fixed flag options and leaves path flags to the shell', async () => {
    expect((await complete(['who-can', '-o', 'y'], commands, fakeLookup([]))).candidates).toEqual(['yaml'])
    expect(await complete(['who-can', '--manifests', ''], commands, fakeLookup([]))).toEqual({candidates: [], directive: 0})
    expect(await complete(['recent', '-f', 'sam'], commands, fakeLookup([]))).toEqual({candidates: [], directive: 0})
  })

  it('completes verb, resource and object names for who-can', async () => {
    expect((await complete(['who-can', 'g'], commands, fakeLookup([]))).candidates).toEqual(['get'])
    expect((await complete(['who-can', 'get', ''], commands, fakeLookup([]))).candidates).toEqual(['secrets', 'configmaps'])
    const calls: string[][] = []
    expect((await complete(['who-can', 'get', 'secrets', '-n', 'prod', 'd'], commands, fakeLookup(calls))).candidates).toEqual(['db-password'])
    expect(calls).toEqual([['secrets', 'prod']])
    expect((await complete(['who-can', 'get', 'configmaps', ''], commands, fakeLookup([]))).candidates).toEqual(['app-config'])
  })

  it('returns no candidates, not an error, for unknown commands and failing look-ups', async () => {
    expect(await complete(['nope', ''], commands, fakeLookup([]))).toEqual({candidates: [], directive: 4})
    const failing: CompletionLookup = {
      namespaces: async () => Promise.reject(new Error('no cluster')),
      resourceNames: async () => Promise.reject(new Error('no cluster')),
    }
    expect(await complete(['who-can', '-n', ''], commands, failing)).toEqual({candidates: [], directive: 4})
  })
})

describe('kubectl look-ups', () => {
  it('turns `kubectl get -o name` output into names and scopes by namespace', async () => {
    const calls: string[][] = []
    const lookup = kubectlLookup(async (args) => {
      calls.push(args)
      return args[1] === 'namespaces' ? 'namespace/default\nnamespace/prod\n' : 'secret/db\nsecret/tls\n'
    })
    expect(await lookup.namespaces(['--context=x'])).toEqual(['default', 'prod'])
    expect(await lookup.resourceNames('secrets', 'prod', [])).toEqual(['db', 'tls'])
    expect(calls).toEqual([
      ['get', 'namespaces', '-o', 'name', '--context=x'],
      ['get', 'secrets', '-o', 'name', '-n', 'prod'],
    ])
  })
})

describe('registered commands', () => {
  it('registers __complete hidden and completes every other registered command', async () => {
    expect(COMMANDS.__complete?.hidden).toBe(true)
    const all = Object.entries(COMMANDS).map(([id, cmd]) => describeCommand(id, cmd as never))
    const ids = (await complete([''], all, fakeLookup([]))).candidates.map((c) => c.split('\t')[0])
    expect(ids).toEqual(Object.keys(COMMANDS).filter((id) => !COMMANDS[id]!.hidden).sort())
  })
})
