// `kubectl-sensitive_access __complete <words...>`: the hidden entry point behind the
// `kubectl_complete-sensitive_access` script (kubectl 1.26+ plugin completion, cobra's protocol).
// The completion logic lives in src/services/complete.ts.
import {Command} from '@oclif/core'

export class Complete extends Command {
  static override hidden = true
  static override summary = 'Shell completion protocol used by kubectl_complete-sensitive_access.'
  static override strict = false

  async run(): Promise<void> {
    const {execFile} = await import('node:child_process')
    const {complete, describeCommand, formatCompletion, kubectlLookup} = await import('../services/complete.js')
    const run = (args: string[]) =>
      new Promise<string>((resolve, reject) => {
        // A short timeout: completion must never hang the shell when the cluster is unreachable.
        execFile('kubectl', ['--request-timeout=3s', ...args], {timeout: 5000}, (error, stdout) =>
          error ? reject(error) : resolve(stdout),
        )
      })
    const commands = this.config.commands.map((c) => describeCommand(c.id, c as never))
    const result = await complete(this.argv, commands, kubectlLookup(run))
    process.stdout.write(formatCompletion(result))
  }
}
