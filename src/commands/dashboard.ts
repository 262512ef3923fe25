import {Command, Flags} from '@oclif/core'
import {kubeFlags, kubeOptionsFromFlags} from '../kube/flags.js'

// Thin command: gather the sources, hand a loader to the dashboard (which shows a spinner while it
// runs), or print a plain overview when there is no terminal.
export class Dashboard extends Command {
  static override summary = 'Browse who can and who did access secrets and configmaps, interactively.'

  static override description = `Opens the terminal dashboard: who can (subjects, grant paths and the kubectl commands to \
inspect or remove them), recent access events with summaries, findings, and one identity's access and activity side by side. \
Switch views with Tab or 1-4; arrows or j/k move, / filters, s sorts, Enter opens details, i opens the identity, ? helps, \
q quits. Running kubectl sensitive-access with no command on a terminal opens it too.

Without a terminal (a pipe, a file, CI) nothing interactive is drawn: a plain overview is printed instead.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> --manifests samples/rbac -f samples/audit/sample-audit.log',
    '<%= config.bin %> <%= command.id %> -A -f /var/log/kubernetes/audit.log --since 24h',
  ]

  static override flags = {
    ...kubeFlags,
    'all-namespaces': Flags.boolean({char: 'A', summary: 'Who can: count RoleBindings of every namespace.', default: false}),
    manifests: Flags.string({summary: 'Read RBAC from files or folders instead of a cluster.', multiple: true}),
    'no-who-can': Flags.boolean({summary: 'Do not compute who can (audit logs only).', default: false}),
    confirm: Flags.boolean({summary: 'Confirm who-can answers with SubjectAccessReview (connected only).', default: true, allowNo: true}),
    file: Flags.string({char: 'f', summary: 'Audit log file, folder or glob (repeatable).', multiple: true}),
    since: Flags.string({summary: 'Only events newer than this duration (30m, 24h, 7d).'}),
    resource: Flags.string({summary: 'Resources shown in Recent (comma-separated, or all).', default: 'secrets,configmaps'}),
    system: Flags.boolean({summary: 'Show requests of the system identities (systemIdentities in --config); --no-system hides them.', default: true, allowNo: true}),
    config: Flags.string({summary: 'Detection settings file (YAML).'}),
    state: Flags.string({summary: 'Baseline state file, read and updated.'}),
    baseline: Flags.string({summary: 'Learn the baseline from the first part of the window (e.g. 7d).'}),
    follow: Flags.boolean({summary: 'Keep reading the files named with -f and show new events live.', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Dashboard)
    const {loadDashboardData} = await import('../services/dashboard.js')
    const {describeError} = await import('../kube/errors.js')
    const sources = {
      ...(flags['no-who-can']
        ? {}
        : {
            whoCan: {
              args: [],
              namespace: flags.namespace,
              allNamespaces: flags['all-namespaces'],
              expandGroups: false,
              checkServiceAccounts: false,
              manifests: flags.manifests,
              confirm: flags.confirm,
              kube: kubeOptionsFromFlags(flags),
            },
          }),
      ...(flags.file ? {audit: {inputs: flags.file, filter: {since: flags.since, resource: flags.resource}, hideSystem: !flags.system}} : {}),
      findings: {config: flags.config, state: flags.state, baseline: flags.baseline},
    }
    const {wantsDashboard, showDashboard} = await import('../services/interactive.js')
    try {
      if (wantsDashboard({interactive: true})) {
        const {followSubscription} = await import('../services/dashboard.js')
        const subscribe = flags.follow && flags.file ? await followSubscription(flags.file, {since: flags.since, resource: flags.resource}, {hideSystem: !flags.system, ...(flags.config ? {config: flags.config} : {})}) : undefined
        if (flags.follow && !subscribe) process.stderr.write('warning: --follow follows plain files named with -f; none was given\n')
        const shown = await showDashboard((progress) => loadDashboardData(sources, progress), {message: 'loading', ...(subscribe ? {subscribe} : {})})
        if (shown) return
      }
      const data = await loadDashboardData(sources, (message) => process.stderr.write(`${message}\n`))
      const {renderOverview} = await import('../output/overview.js')
      process.stdout.write(renderOverview(data))
    } catch (error) {
      const {message, exitCode} = describeError(error)
      this.error(message, {exit: exitCode})
    }
  }
}
