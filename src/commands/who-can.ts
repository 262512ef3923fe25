import {Args, Command, Errors, Flags} from '@oclif/core'
import {kubeFlags, kubeOptionsFromFlags} from '../kube/flags.js'
import type {WhoCanReport} from '../services/who-can.js'

// Thin command: parse flags, run the who-can service, choose a renderer. Services load lazily
// so `--help` costs about a bare node start.
export class WhoCan extends Command {
  static override summary = 'Who can read or change secrets and configmaps (or anything else), with every grant path.'

  static override description = `Answers from RBAC objects to the letter of Kubernetes' RBAC authorizer: verbs, API groups, \
resources, "*/subresource", resourceNames, non-resource URL globs, RoleBindings to ClusterRoles, ServiceAccount subjects. \
Group system:masters is always reported (it is allowed everything before RBAC is consulted); bindings to \
system:authenticated, system:unauthenticated and system:serviceaccounts[:NS] are flagged as broad.

Connected to a cluster, every answer is confirmed with a SubjectAccessReview carrying the groups that subject really has, \
so webhook authorizers (EKS access entries, GKE IAM, AKS Azure RBAC) and explicit denials show up: confirmed, denied \
(RBAC says yes, the server says no), partial, or unverified (you may not create SubjectAccessReviews). \
--check-serviceaccounts also asks about every ServiceAccount in scope, to find grants no RBAC object shows.

With no arguments the question is: who can get, list or watch secrets and configmaps. One argument is a verb list when \
it is made of verbs only, a non-resource URL when it starts with "/", and a resource otherwise.

Exit codes: 0 answered; 2 usage; 3 kubeconfig; 4 cluster unreachable; 5 unauthorized; 6 forbidden; 7 other API error; \
8 answer incomplete (some RBAC objects could not be read: the missing ones are named on stderr).`

  static override examples = [
    {description: 'Who can read secrets and configmaps in the current namespace', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Across all namespaces, ServiceAccounts covered by broad groups listed', command: '<%= config.bin %> <%= command.id %> -A --expand-groups'},
    {description: 'Who can read one secret', command: '<%= config.bin %> <%= command.id %> get secret/db-password -n payments'},
    {description: 'Who can exec into pods', command: '<%= config.bin %> <%= command.id %> create pods/exec -n prod'},
    {description: 'A non-resource URL', command: '<%= config.bin %> <%= command.id %> get /metrics'},
    {description: 'Offline, from manifests or `kubectl get -o yaml` dumps', command: '<%= config.bin %> <%= command.id %> --manifests samples/rbac -A -o wide'},
  ]

  static override args = {
    verbs: Args.string({description: 'VERB[,VERB...] (default: get,list,watch); or the resource when it is the only argument', required: false}),
    resource: Args.string({description: 'RESOURCE[/NAME], RESOURCE/SUBRESOURCE, resource.group, or a non-resource URL (default: secrets,configmaps)', required: false}),
  }

  static override flags = {
    ...kubeFlags,
    'all-namespaces': Flags.boolean({char: 'A', summary: 'Count RoleBindings of every namespace, and ClusterRoleBindings.', default: false}),
    verbs: Flags.string({summary: 'Verbs, comma-separated (instead of the VERBS argument).', multiple: true}),
    subresource: Flags.string({summary: 'Subresource, e.g. exec, log, token.'}),
    'expand-groups': Flags.boolean({summary: 'List the ServiceAccounts that broad groups (system:serviceaccounts...) cover.', default: false}),
    'check-serviceaccounts': Flags.boolean({summary: 'Also ask the server about every ServiceAccount in scope, to find grants outside RBAC.', default: false}),
    manifests: Flags.string({summary: 'Read RBAC from files or folders (YAML/JSON, lists, kubectl dumps) instead of a cluster.', multiple: true}),
    confirm: Flags.boolean({summary: 'Confirm each answer with a SubjectAccessReview (connected only).', default: true, allowNo: true}),
    output: Flags.string({char: 'o', summary: 'Output format (default: the dashboard on a terminal, else a table).', options: ['table', 'wide', 'json', 'yaml']}),
    interactive: Flags.boolean({summary: 'Open the dashboard on a terminal when no -o is given.', default: true, allowNo: true}),
    'no-headers': Flags.boolean({summary: 'Omit table headers.', default: false}),
    indirect: Flags.boolean({summary: 'Also who reaches secrets indirectly (pod create, exec, token, impersonate, RBAC escalation, ...).', default: false}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(WhoCan)
    const {runWhoCan, INCOMPLETE_EXIT_CODE, UsageError} = await import('../services/who-can.js')
    const {QuestionError} = await import('../services/who-can-question.js')
    const {describeError} = await import('../kube/errors.js')
    const {sanitizeForTerminal} = await import('../lib/sanitize.js')
    // Warnings quote object names from the cluster or manifests: never let them drive the terminal.
    const warn = (message: string) => process.stderr.write(`${sanitizeForTerminal(message)}\n`)

    const {wantsDashboard} = await import('../services/interactive.js')
    const interactive = wantsDashboard({output: flags.output, interactive: flags.interactive})
    let report: WhoCanReport | undefined
    let viewed = false
    let loadError: unknown
    // Nothing may write to the terminal while the dashboard draws on it: warnings wait.
    const held: string[] = []
    const onWarning = (message: string) => (interactive ? held.push(`warning: ${message}`) : warn(`warning: ${message}`))
    try {
      const run = () => runWhoCan({
        args: [args.verbs, args.resource].filter((a): a is string => a !== undefined),
        verbs: flags.verbs,
        subresource: flags.subresource,
        namespace: flags.namespace,
        allNamespaces: flags['all-namespaces'],
        expandGroups: flags['expand-groups'],
        checkServiceAccounts: flags['check-serviceaccounts'],
        manifests: flags.manifests,
        confirm: flags.confirm,
        indirect: flags.indirect,
        kube: kubeOptionsFromFlags(flags),
        onWarning,
      })
      if (interactive) {
        const {showDashboard} = await import('../services/interactive.js')
        const {sourceLabel, toWhoCanResult} = await import('../services/dashboard.js')
        let shown: WhoCanReport | undefined
        const quit = await showDashboard(async () => {
          try {
            shown = await run()
          } catch (error) {
            // Keep the service's own error: its type decides the exit code and message.
            loadError = error
            throw error
          }
          return {whoCan: toWhoCanResult(shown), events: [], findings: [], context: sourceLabel(shown.source)}
        })
        if (quit && shown) {
          report = shown
          viewed = true
        }
        // Quit while still loading: the user abandoned the question; do not ask it again.
        if (quit && !shown) this.exit(130)
      }
      report ??= await run()
    } catch (caught) {
      if (caught instanceof Errors.ExitError) throw caught
      for (const line of held) warn(line)
      const error = loadError ?? caught
      if (error instanceof QuestionError || error instanceof UsageError) this.error(error.message, {exit: 2})
      const {message, exitCode} = describeError(error)
      this.error(message, {exit: exitCode})
    }

    const {renderWhoCanTable, whoCanDiagnostics} = await import('../output/who-can.js')
    const {renderJson, renderYaml} = await import('../output/formats.js')
    for (const line of held) warn(line)
    if (viewed) {
      // The dashboard showed the answer; what it could not say stays on stderr after it closes.
      for (const line of whoCanDiagnostics(report)) warn(line)
      if (report.incomplete) this.exit(INCOMPLETE_EXIT_CODE)
      return
    }
    let text: string
    if (flags.output === 'json') text = renderJson(report)
    else if (flags.output === 'yaml') text = renderYaml(report)
    else text = renderWhoCanTable(report, {wide: flags.output === 'wide', headers: !flags['no-headers']})
    process.stdout.write(text)
    for (const line of whoCanDiagnostics(report)) warn(line)
    if (report.incomplete) this.exit(INCOMPLETE_EXIT_CODE)
  }
}
