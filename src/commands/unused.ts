import {Command, Flags} from '@oclif/core'
import {kubeFlags, kubeOptionsFromFlags} from '../kube/flags.js'
import type {UnusedReport} from '../services/unused.js'

// Thin command: parse flags, run the unused service, choose a renderer, write suggestion files.
// Services load lazily so `--help` stays fast.
export class Unused extends Command {
  static override summary = 'Who can read secrets and configmaps but never did: RBAC joined with audit logs, with least-privilege fixes.'

  static override description = `For every subject RBAC lets read secrets or configmaps (with --indirect, also through pods, exec, \
tokens, impersonation, RBAC self-grants, nodes/proxy, admission webhooks, CSR approval and the Node authorizer), shows \
what the audit log says it did over the window: last access, count and objects. Each subject is classified can-and-did or \
can-never-did; identities that read without any RBAC path (Node authorizer, another authorizer, a since-removed binding) and \
identities that were denied are listed apart.

For grants nobody used, and broad grants used for a few named objects only, the narrowest RBAC change is suggested: \
delete the binding, remove the subject from it, or replace it with a Role + RoleBinding per namespace actually used, \
with resourceNames for the objects actually read. --write-suggestions DIR writes them as YAML files for review.

Without -n, the whole cluster is analysed (RoleBindings of every namespace).`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --manifests samples/rbac -f samples/audit/sample-audit.log',
    '<%= config.bin %> <%= command.id %> -f /var/log/kubernetes/audit/ --since 30d --indirect',
    '<%= config.bin %> <%= command.id %> -f audit.log -n payments -o json',
    '<%= config.bin %> <%= command.id %> -f audit.log --write-suggestions ./rbac-fixes',
  ]

  static override flags = {
    ...kubeFlags,
    file: Flags.string({char: 'f', summary: 'Audit log file, folder, glob or - for stdin (repeatable).', multiple: true, required: true}),
    since: Flags.string({summary: 'Window: only events newer than this duration (30d, 24h). Default: the whole log.'}),
    now: Flags.string({summary: 'End of the window (RFC 3339), for reproducible reports. Default: now.', hidden: true}),
    'all-namespaces': Flags.boolean({char: 'A', summary: 'Every namespace (the default when -n is not given).', default: false}),
    indirect: Flags.boolean({summary: 'Also the indirect paths to secrets (pod create, exec, token, impersonate, ...).', default: false}),
    manifests: Flags.string({summary: 'Read RBAC from files or folders (YAML/JSON) instead of a cluster.', multiple: true}),
    output: Flags.string({char: 'o', summary: 'Output format (default: the dashboard on a terminal, else a table).', options: ['table', 'json', 'yaml']}),
    interactive: Flags.boolean({summary: 'Open the dashboard on a terminal when no -o is given.', default: true, allowNo: true}),
    'no-headers': Flags.boolean({summary: 'Omit table headers.', default: false}),
    'write-suggestions': Flags.string({summary: 'Write each suggested RBAC change as a YAML file in this folder.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Unused)
    const {runUnused, UnusedUsageError, writeSuggestionFiles} = await import('../services/unused.js')
    const {describeError} = await import('../kube/errors.js')
    const {ManifestLoadError} = await import('../kube/load-manifests.js')
    const {sanitizeForTerminal} = await import('../lib/sanitize.js')
    // Warnings quote names from the cluster, manifests and logs: never let them drive the terminal.
    const warn = (message: string) => process.stderr.write(`${message.split('\n').map(sanitizeForTerminal).join('\n')}\n`)

    let now: number | undefined
    if (flags.now !== undefined) {
      now = Date.parse(flags.now)
      if (Number.isNaN(now)) this.error(`invalid --now "${flags.now}": use an RFC 3339 time such as 2026-11-27T00:00:00Z`, {exit: 2})
    }
    const {wantsDashboard} = await import('../services/interactive.js')
    const interactive = wantsDashboard({output: flags.output, interactive: flags.interactive})
    // Nothing may write to the terminal while the dashboard draws on it: warnings wait.
    const held: string[] = []
    const onWarning = (message: string) => (interactive ? held.push(`warning: ${message}`) : warn(`warning: ${message}`))
    let report: UnusedReport | undefined
    let viewed = false
    let abandoned = false
    let loadError: unknown
    try {
      const run = (onProgress?: (message: string) => void) => runUnused({
        manifests: flags.manifests,
        kube: kubeOptionsFromFlags(flags),
        files: flags.file,
        since: flags.since,
        now,
        namespace: flags.namespace,
        allNamespaces: flags['all-namespaces'],
        indirect: flags.indirect,
        onWarning,
        ...(onProgress ? {onProgress} : {}),
      })
      if (interactive) {
        const {showDashboard} = await import('../services/interactive.js')
        const {toUnusedView} = await import('../services/unused-view.js')
        const {sourceLabel} = await import('../services/dashboard.js')
        let shown: UnusedReport | undefined
        const quit = await showDashboard(
          async (progress) => {
            try {
              shown = await run(progress)
            } catch (error) {
              // Keep the service's own error: its type decides the exit code and message.
              loadError = error
              throw error
            }
            return {unused: await toUnusedView(shown), events: [], findings: [], context: sourceLabel(shown.source)}
          },
          {message: 'Reading RBAC and the audit log…', initialView: 'unused'},
        )
        if (quit && shown) {
          report = shown
          viewed = true
        }
        // Quit while still loading: the user abandoned the run; do not start it over.
        abandoned = quit && !shown
      }
      if (!abandoned) report ??= await run()
    } catch (caught) {
      for (const line of held) warn(line)
      const error = loadError ?? caught
      if (error instanceof UnusedUsageError || error instanceof ManifestLoadError) this.error(error.message, {exit: 2})
      const {message, exitCode} = describeError(error)
      this.error(message, {exit: exitCode})
    }

    if (abandoned || !report) {
      for (const line of held) warn(line)
      this.exit(130)
    }
    const {renderUnusedTable, unusedDiagnostics} = await import('../output/unused.js')
    const {renderJson, renderYaml} = await import('../output/formats.js')
    for (const line of held) warn(line)
    // The dashboard showed the answer; plain output only when it did not.
    if (!viewed) {
      let text: string
      if (flags.output === 'json') text = renderJson(report)
      else if (flags.output === 'yaml') text = renderYaml(report)
      else text = renderUnusedTable(report, {headers: !flags['no-headers']})
      process.stdout.write(text)
    }
    for (const line of unusedDiagnostics(report)) warn(line)

    const dir = flags['write-suggestions']
    if (dir) {
      let files: import('../services/unused.js').WrittenSuggestions = {written: [], kept: []}
      try {
        files = await writeSuggestionFiles(dir, report.suggestions)
      } catch (error) {
        this.error(`cannot write suggestions to ${dir}: ${(error as Error).message}`, {exit: 1})
      }
      const n = files.written.length
      warn(`wrote ${n} suggestion file${n === 1 ? '' : 's'} to ${dir}`)
      if (files.kept.length > 0) {
        // Never replaced silently: an earlier run's file may have been reviewed or edited, and a
        // planted link would make us write somewhere else.
        warn(`${files.kept.length} suggestion file${files.kept.length === 1 ? ' was' : 's were'} not overwritten: a file or link of that name already exists in ${dir}: ${files.kept.join(', ')} (move them away or choose an empty folder)`)
        this.exit(1)
      }
    }
    // Like who-can: an answer computed without every RBAC object is not a clean success.
    if (report.incomplete) {
      const {INCOMPLETE_EXIT_CODE} = await import('../services/who-can.js')
      this.exit(INCOMPLETE_EXIT_CODE)
    }
  }
}
