import {Command, Flags} from '@oclif/core'
import type {RecentFormat} from '../services/recent.js'
import {kubeFlags, parseRequestTimeout} from '../kube/flags.js'

const CLOUD = 'CLOUD / SIEM'
const KUBE = 'KUBERNETES (--from-cluster; --user and -n stay recent\'s filters)'

// Thin command: parse flags, open the recent service, choose a renderer. Services load lazily so
// `--help` stays fast.
export class Recent extends Command {
  static override summary = 'Who did access secrets and configmaps, from audit logs of any cluster.'

  static override description = `Reads Kubernetes audit logs in any common shape (audit.k8s.io Event lines, EventList, JSON arrays, \
EKS CloudWatch exports, GKE Cloud Audit LogEntries as JSON or YAML, AKS diagnostic records, flattened CSV), from files, folders, \
globs, gzip files or stdin, and lists every access to the selected resources. One request logged at several stages counts once. \
Request and response bodies are never printed: only data key names and RBAC structure are kept.

Bad input (malformed lines, corrupt gzip, unknown shapes) is skipped and counted on stderr. By default, lines that cannot \
name a selected resource are dropped before parsing, so bad input inside them is not noticed; --strict parses every line and \
exits 1 when anything was skipped.

--findings runs the detection rules (list them with \`detections\`) over every event of the window, whatever --resource \
shows: lateral movement, stolen service-account tokens, anonymous scanning, secret-read bursts, RBAC escalation... The table \
shows the findings above the events; -o json (one finding per line), yaml and csv print the findings. "Unusual" rules compare \
with a baseline learned from the first part of the window (--baseline 7d) or kept in a file between runs (--state).

Cloud sources (--eks, --gke, --aks, --splunk, --from-cluster) fetch the window from where the logs live, with the \
filters pushed down, and combine with -f: at least one source is needed. Without --since/--from/--to they read the last \
24 hours. They use the aws, gcloud and az CLIs as you are signed in (see docs/sources.md for permissions); --from-cluster \
reads the API server's audit log on the control-plane nodes through nodes/proxy with your kubeconfig. Ctrl-C stops a fetch \
and prints what was fetched. With cloud sources, the interactive dashboard is not opened: output is printed as a table.

--hec-url sends the findings (it implies --findings) and, with --hec-events, the shown events to a Splunk HTTP Event \
Collector, with CIM field names; the token is read from an environment variable only. -o cim prints the same CIM JSON lines.

Exit codes: 0 done; 1 nothing readable, or bad input with --strict; 2 usage; 3 cloud CLI missing or misconfigured; 5 not \
signed in; 6 access denied; 7 cloud source failed, not found or throttled; 8 an input not read at all (missing, UTF-16, xz/bzip2/zstd); 9 a finding at or above --fail-on; 130 \
interrupted (what was fetched is printed).`

  static override examples = [
    '<%= config.bin %> <%= command.id %> -f /var/log/kubernetes/audit.log',
    '<%= config.bin %> <%= command.id %> -f audit/ --since 24h --user "system:serviceaccount:*"',
    'zcat audit.log.1.gz | <%= config.bin %> <%= command.id %> -f - --resource all --verb get,list -o json',
    '<%= config.bin %> <%= command.id %> -f "logs/*.gz" --summary',
    '<%= config.bin %> <%= command.id %> -f audit/ --findings --baseline 7d --fail-on high',
    '<%= config.bin %> <%= command.id %> -f audit/ --findings --state ~/.cache/sensitive-access.state -o json',
    '<%= config.bin %> <%= command.id %> --eks prod --region eu-west-1 --since 6h',
    '<%= config.bin %> <%= command.id %> --gke prod --project acme-prod --findings --hec-url https://splunk.example.com:8088',
    '<%= config.bin %> <%= command.id %> --aks prod --workspace 00000000-0000-0000-0000-000000000000 -o cim',
    '<%= config.bin %> <%= command.id %> --from-cluster --context kind-dev --since 1h',
  ]

  static override flags = {
    file: Flags.string({char: 'f', summary: 'Audit log file, folder, glob or - for stdin (repeatable).', multiple: true}),
    since: Flags.string({summary: 'Only events newer than this duration (30m, 24h, 7d).'}),
    from: Flags.string({summary: 'Only events at or after this RFC 3339 time or duration ago.'}),
    to: Flags.string({summary: 'Only events at or before this RFC 3339 time or duration ago.'}),
    resource: Flags.string({summary: 'Resources to show, comma-separated (secret, cm, pods, ...) or all.', default: 'secrets,configmaps'}),
    namespace: Flags.string({char: 'n', summary: 'Only this namespace.'}),
    user: Flags.string({summary: 'User glob, matched against the effective user and the impersonator (repeatable).', multiple: true}),
    group: Flags.string({summary: 'Group glob (repeatable).', multiple: true}),
    verb: Flags.string({summary: 'Verbs, comma-separated (get,list,watch).', multiple: true}),
    name: Flags.string({summary: 'Object name glob.'}),
    output: Flags.string({char: 'o', summary: 'Output format (default: the dashboard on a terminal, else a table); cim: JSON lines with Splunk CIM fields.', options: ['table', 'wide', 'json', 'yaml', 'csv', 'cim']}),
    'no-headers': Flags.boolean({summary: 'Omit table and CSV headers.', default: false}),
    summary: Flags.boolean({summary: 'Counts per user, group, source IP, user agent and object instead of events.', default: false}),
    strict: Flags.boolean({summary: 'Parse every line and exit 1 when any input was skipped as bad.', default: false}),
    stats: Flags.boolean({summary: 'Print read figures on stderr.', default: false}),
    system: Flags.boolean({summary: 'Show requests of the system identities (the control plane, kubelets, cloud agents; systemIdentities in --config), labelled system: true in -o json/yaml/csv. --no-system hides them.', default: true, allowNo: true}),
    findings: Flags.boolean({summary: 'Report findings of the detection rules (see `detections`); the table shows them above the events.', default: false, helpGroup: 'FINDINGS'}),
    config: Flags.string({summary: 'Detection settings file (YAML; also the systemIdentities that --no-system hides); default ~/.config/kubectl-sensitive-access/config.yaml.', helpGroup: 'FINDINGS'}),
    state: Flags.string({summary: 'Baseline file kept between runs (read, then written atomically).', helpGroup: 'FINDINGS'}),
    baseline: Flags.string({summary: 'Learn "usual" from the first part of the window (e.g. 7d); later events are checked.', helpGroup: 'FINDINGS'}),
    'fail-on': Flags.string({summary: 'Exit 9 when a finding at or above this severity exists.', options: ['info', 'low', 'medium', 'high', 'critical', 'none'], helpGroup: 'FINDINGS'}),
    interactive: Flags.boolean({summary: 'Open the dashboard on a terminal when no -o is given.', default: true, allowNo: true}),
    follow: Flags.boolean({
      summary: 'Keep reading the -f files and show new events as they are written (like tail -F: rotation by rename or copytruncate loses no line); in the dashboard, live. Ctrl-C stops.',
      default: false,
    }),
    eks: Flags.string({summary: 'Read the audit log of this EKS cluster from CloudWatch Logs (aws CLI).', helpGroup: CLOUD}),
    region: Flags.string({summary: 'AWS region of the EKS cluster.', helpGroup: CLOUD}),
    profile: Flags.string({summary: 'AWS CLI profile.', helpGroup: CLOUD}),
    insights: Flags.boolean({summary: 'EKS: query with CloudWatch Logs Insights instead of FilterLogEvents.', default: false, helpGroup: CLOUD}),
    gke: Flags.string({summary: 'Read the audit log of this GKE cluster from Cloud Logging (gcloud CLI); needs --project.', helpGroup: CLOUD}),
    project: Flags.string({summary: 'Google Cloud project of the GKE cluster.', helpGroup: CLOUD}),
    location: Flags.string({summary: 'GKE cluster location (region or zone).', helpGroup: CLOUD}),
    aks: Flags.string({summary: 'Read the audit log of this AKS cluster from Log Analytics (az CLI); needs --workspace.', helpGroup: CLOUD}),
    workspace: Flags.string({summary: 'Log Analytics workspace id (GUID) the AKS diagnostic settings send to.', helpGroup: CLOUD}),
    subscription: Flags.string({summary: 'Azure subscription.', helpGroup: CLOUD}),
    splunk: Flags.string({summary: 'Read audit events from Splunk (management URL, e.g. https://splunk:8089).', helpGroup: CLOUD}),
    'splunk-index': Flags.string({summary: 'Splunk index holding the audit events.', helpGroup: CLOUD}),
    'splunk-token-env': Flags.string({summary: 'Environment variable holding the Splunk token (never the token itself).', default: 'SPLUNK_TOKEN', helpGroup: CLOUD}),
    'from-cluster': Flags.boolean({summary: 'Read the API server audit log on the control-plane nodes through nodes/proxy (kubeconfig).', default: false, helpGroup: CLOUD}),
    'audit-path': Flags.string({summary: 'Audit log path on the nodes (under /var/log); default /var/log/kubernetes/audit/audit.log.', helpGroup: CLOUD}),
    node: Flags.string({summary: 'Control-plane node to read (repeatable); default: nodes labelled node-role.kubernetes.io/control-plane.', multiple: true, helpGroup: CLOUD}),
    progress: Flags.boolean({summary: 'Show fetch progress on stderr even when it is not a terminal.', default: false, helpGroup: CLOUD}),
    'hec-url': Flags.string({summary: 'Send the findings (implies --findings) to this Splunk HTTP Event Collector after the run.', helpGroup: CLOUD}),
    'hec-token-env': Flags.string({summary: 'Environment variable holding the HEC token (never the token itself).', default: 'SPLUNK_HEC_TOKEN', helpGroup: CLOUD}),
    'hec-events': Flags.boolean({summary: 'Also send the shown events to the HEC.', default: false, helpGroup: CLOUD}),
    'hec-index': Flags.string({summary: 'Splunk index for what is sent to the HEC.', helpGroup: CLOUD}),
    kubeconfig: Flags.string({description: kubeFlags.kubeconfig.description, helpGroup: KUBE}),
    context: Flags.string({description: kubeFlags.context.description, helpGroup: KUBE}),
    cluster: Flags.string({description: kubeFlags.cluster.description, helpGroup: KUBE}),
    as: Flags.string({description: kubeFlags.as.description, helpGroup: KUBE}),
    'as-group': Flags.string({description: kubeFlags['as-group'].description, multiple: true, helpGroup: KUBE}),
    'request-timeout': Flags.custom<number>({description: kubeFlags['request-timeout'].description, helpGroup: KUBE, parse: async (input: string) => parseRequestTimeout(input)})(),
    'insecure-skip-tls-verify': Flags.boolean({description: kubeFlags['insecure-skip-tls-verify'].description, helpGroup: KUBE}),
    server: Flags.string({char: 's', description: kubeFlags.server.description, helpGroup: KUBE}),
    token: Flags.string({description: kubeFlags.token.description, helpGroup: KUBE}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Recent)
    const {describeSkips, describeStats} = await import('../audit/recent.js')
    const {FilterError} = await import('../audit/filter.js')
    const {runRecent} = await import('../services/recent.js')
    const {FindingsOptionsError, parseFailOn} = await import('../services/findings.js')
    const {CloudUsageError, cloudSpecsFromFlags} = await import('../services/cloud.js')
    const files = flags.file ?? []
    const format = (flags.output ?? 'table') as RecentFormat
    const filter = {
      since: flags.since,
      from: flags.from,
      to: flags.to,
      resource: flags.resource,
      namespace: flags.namespace,
      user: flags.user,
      group: flags.group,
      verb: flags.verb,
      name: flags.name,
    }
    let specs
    try {
      specs = cloudSpecsFromFlags(flags)
    } catch (error) {
      if (error instanceof CloudUsageError) this.error(error.message, {exit: 2})
      throw error
    }
    if (files.length === 0 && specs.length === 0) {
      this.error('no audit source: give -f FILE (or - for stdin), or a cloud source: --eks, --gke, --aks, --splunk or --from-cluster', {exit: 2})
    }
    if (flags['hec-events'] && !flags['hec-url']) this.error('--hec-events needs --hec-url', {exit: 2})
    // Sending to a HEC is about findings: --hec-url implies --findings.
    const withFindings = flags.findings || Boolean(flags['fail-on']) || Boolean(flags['hec-url'])
    const findingsOptions = withFindings ? {config: flags.config, state: flags.state, baseline: flags.baseline} : undefined

    const {wantsDashboard} = await import('../services/interactive.js')
    // Cloud sources print plain output: the dashboard loader reads files only.
    if (specs.length === 0 && !flags['hec-url'] && wantsDashboard({output: flags.output, interactive: flags.interactive}) && !flags.summary && !files.includes('-')) {
      const {showDashboard} = await import('../services/interactive.js')
      const {loadDashboardData} = await import('../services/dashboard.js')
      try {
        const {followSubscription} = await import('../services/dashboard.js')
        // Following starts where the first read of each file ended: nothing written between is lost.
        const marks = flags.follow ? new Map<string, import('../audit/reader.js').FileMark>() : undefined
        const subscribe = flags.follow ? await followSubscription(files, filter, {hideSystem: !flags.system, ...(flags.config ? {config: flags.config} : {}), ...(marks ? {from: marks} : {})}) : undefined
        const audit = {inputs: files, filter, hideSystem: !flags.system, ...(marks ? {marks} : {})}
        const shown = await showDashboard((progress) => loadDashboardData({audit, findings: findingsOptions ?? (flags.config ? {config: flags.config} : {})}, progress), subscribe ? {subscribe} : {})
        if (shown) return
      } catch (error) {
        if (error instanceof FilterError || error instanceof FindingsOptionsError) this.error(error.message, {exit: 2})
        this.error((error as Error).message, {exit: 1})
      }
    }

    // `recent ... | head` closes the pipe early: that is the reader being done, not an error.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0)
      throw error
    })

    // Plain --follow prints events as they are written: a run over what is there, then the new lines.
    if (flags.follow && (flags.summary || specs.length > 0 || flags['hec-url'] || files.includes('-'))) {
      this.error('--follow reads the -f files as they grow: it does not combine with --summary, --hec-url, stdin or cloud sources', {exit: 2})
    }

    const cloud = specs.length > 0 ? await this.openCloud(specs, filter, withFindings, flags) : undefined
    // Shown events wait on disk for the HEC (sent once the run has ended): memory stays flat.
    // Every way out removes the spool: SIGINT too, unless a cloud fetch owns the first Ctrl-C (its
    // second one exits, and the exit hook removes the file).
    const shownEvents = flags['hec-events'] ? await this.openSpool(cloud ? ['SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM', 'SIGHUP']) : undefined
    const {BufferedStdout} = await import('../output/buffered-stdout.js')
    const out = new BufferedStdout()
    const marks = flags.follow ? new Map<string, import('../audit/reader.js').FileMark>() : undefined
    let result
    try {
      result = await runRecent({
        ...(marks ? {marks} : {}),
        inputs: files,
        strict: flags.strict,
        filter,
        summary: flags.summary,
        format,
        headers: !flags['no-headers'],
        ...(findingsOptions ? {findings: findingsOptions} : {}),
        ...(flags.config ? {config: flags.config} : {}),
        hideSystem: !flags.system,
        failOn: await parseFailOn(flags['fail-on']),
        ...(cloud ? {extraSources: cloud.opened.sources} : {}),
        ...(cloud?.dest ? {cimDest: cloud.dest} : {}),
        ...(shownEvents ? {onShown: (event) => shownEvents.add(event)} : {}),
        write: (text) => out.write(text),
      })
    } catch (error) {
      cloud?.finish()
      await out.flush()
      if (error instanceof FilterError || error instanceof FindingsOptionsError) this.error(error.message, {exit: 2})
      this.failCloud(error)
      throw error
    }
    cloud?.opened.done()
    await out.flush()
    if (flags.follow) {
      process.stderr.write(describeSkips(result.stats))
      await this.followPlain(files, filter, format, {...flags, ...(marks ? {marks} : {})})
      return
    }

    process.stderr.write(describeSkips(result.stats))
    if (flags.stats) process.stderr.write(describeStats(result.stats, result.matched, result.systemHidden))
    if (result.blindRules.length > 0) {
      process.stderr.write(`note: every event was logged at Metadata level (no request bodies), so ${result.blindRules.join(', ')} could not see anything; log writes to RBAC objects, configmaps and workloads at Request level to enable them\n`)
    }
    // Bounds reached on huge or crafted inputs: said once here, and in the output itself.
    for (const notice of result.notices) process.stderr.write(`note: ${notice}\n`)
    let interrupted = false
    if (cloud) {
      const {describeCloudStats, describeInterrupted} = await import('../services/cloud.js')
      for (const source of cloud.opened.sources) {
        if (flags.stats) process.stderr.write(describeCloudStats(source.stats))
        if (source.stats.aborted) {
          interrupted = true
          process.stderr.write(describeInterrupted(source.stats))
        }
      }
      // Ctrl-C after the fetches ended still means the person asked to stop.
      if (cloud.interrupt.interrupted) interrupted = true
    }
    if (flags['hec-url'] && !interrupted) {
      const {sendRunToHec} = await import('../services/cloud.js')
      try {
        const line = await sendRunToHec(result.findings ?? [], shownEvents?.values(), {
          url: flags['hec-url'],
          tokenEnv: flags['hec-token-env'],
          ...(flags['hec-index'] ? {index: flags['hec-index']} : {}),
          ...(cloud?.dest ? {dest: cloud.dest} : {}),
          ...(cloud ? {signal: cloud.interrupt.signal} : {}),
        })
        process.stderr.write(line)
      } catch (error) {
        cloud?.finish()
        this.failCloud(error)
        throw error
      }
    } else if (flags['hec-url']) {
      process.stderr.write('nothing sent to HEC: the fetch was interrupted and its findings would be incomplete\n')
    }
    cloud?.finish()
    if (interrupted) this.exit(INTERRUPTED_EXIT_CODE)
    if (flags.strict && result.stats.skipped > 0) this.exit(1)
    if (result.failing > 0) {
      process.stderr.write(`${result.failing} finding(s) at or above --fail-on ${flags['fail-on']}\n`)
      this.exit(FINDINGS_EXIT_CODE)
    }
    // Findings at or above --fail-on (9) outrank an incomplete read (8): the gate has its answer.
    const {inputsLost} = await import('../audit/recent.js')
    const lost = inputsLost(result.stats)
    // Nothing readable at all (every path missing or unreadable) is a failed run, not an empty result.
    if (lost > 0 && result.stats.records === 0 && specs.length === 0) this.exit(1)
    // A whole log missing is not a detail: the answer is incomplete.
    if (lost > 0) {
      process.stderr.write(`incomplete: ${lost} input${lost === 1 ? ' was' : 's were'} not read (above)\n`)
      const {INCOMPLETE_EXIT_CODE} = await import('../services/who-can.js')
      this.exit(INCOMPLETE_EXIT_CODE)
    }
  }

  /**
   * Plain `--follow`: new events in the chosen format (JSON and CSV lines stream; a table prints
   * each batch's rows without headers) until Ctrl-C, SIGTERM or SIGHUP.
   */
  private async followPlain(files: string[], filter: import('../audit/filter.js').FilterSpec, format: RecentFormat, flags: {system: boolean; config?: string; marks?: Map<string, import('../audit/reader.js').FileMark>}): Promise<never> {
    const {followSubscription} = await import('../services/dashboard.js')
    const {createEventSink} = await import('../audit/render.js')
    const subscribe = await followSubscription(files, filter, {hideSystem: !flags.system, ...(flags.config ? {config: flags.config} : {}), ...(flags.marks ? {from: flags.marks} : {})})
    if (!subscribe) this.error('--follow follows plain files named with -f; none was given', {exit: 2})
    const sinkFormat = format === 'cim' ? 'json' : format
    const {renderCimLines} = await import('../output/cim.js')
    const write = (events: import('../audit/event.js').AuditEvent[]) => {
      if (format === 'cim') {
        process.stdout.write(renderCimLines(events))
        return
      }
      const sink = createEventSink(sinkFormat as import('../output/formats.js').OutputFormat, {headers: false})
      process.stdout.write(events.map((e) => sink.add(e)).join('') + sink.end())
    }
    return new Promise<never>(() => {
      const stop = subscribe(write, () => process.stderr.write(`following ${files.join(', ')} (Ctrl-C to stop)\n`))
      const codes: Record<string, number> = {SIGINT: 130, SIGTERM: 143, SIGHUP: 129}
      for (const [signal, code] of Object.entries(codes)) {
        process.once(signal, () => {
          stop()
          process.exit(code)
        })
      }
    })
  }

  private spool: import('../lib/json-spool.js').JsonSpool<import('../audit/event.js').AuditEvent> | undefined

  private async openSpool(exitOnSignals: NodeJS.Signals[]) {
    const {JsonSpool} = await import('../lib/json-spool.js')
    const spool = new JsonSpool<import('../audit/event.js').AuditEvent>({exitOnSignals})
    this.spool = spool
    return spool
  }

  override async finally(error: Error | undefined): Promise<unknown> {
    this.spool?.dispose()
    return super.finally(error)
  }

  /** Cloud and kube errors carry one printable line and their exit code: print that, no stack. */
  private failCloud(error: unknown): void {
    const e = error as {userMessage?: unknown; exitCode?: unknown}
    if (error instanceof Error && typeof e.userMessage === 'string' && typeof e.exitCode === 'number') {
      this.logToStderr(`Error: ${e.userMessage}`)
      this.exit(e.exitCode)
    }
  }

  private async openCloud(specs: import('../audit/cloud/types.js').CloudSourceSpec[], filter: import('../audit/filter.js').FilterSpec, withFindings: boolean, flags: CloudCommandFlags) {
    const {FilterError} = await import('../audit/filter.js')
    const {cimDest, cloudQueryFromFilter, clusterKubeGet, installInterrupt, openCloudSources} = await import('../services/cloud.js')
    let window
    try {
      window = await cloudQueryFromFilter(filter, {findings: withFindings})
    } catch (error) {
      if (error instanceof FilterError) this.error(error.message, {exit: 2})
      throw error
    }
    if (window.defaultWindow) {
      process.stderr.write(`cloud sources: no --since/--from/--to given, reading the last 24h (${window.query.from.toISOString()} to ${window.query.to.toISOString()})\n`)
    }
    let kube: {get: import('../audit/cloud/types.js').KubeGet; close(): void} | undefined
    if (specs.some((spec) => spec.kind === 'cluster')) {
      const {kubeOptionsFromFlags} = await import('../kube/flags.js')
      // --user and -n are recent's filters: they never reach the kubeconfig.
      const options = kubeOptionsFromFlags({
        kubeconfig: flags.kubeconfig,
        context: flags.context,
        cluster: flags.cluster,
        as: flags.as,
        'as-group': flags['as-group'],
        'request-timeout': flags['request-timeout'],
        'insecure-skip-tls-verify': flags['insecure-skip-tls-verify'],
        server: flags.server,
        token: flags.token,
      })
      try {
        kube = await clusterKubeGet(options, (message) => process.stderr.write(`warning: ${message}\n`))
      } catch (error) {
        this.failCloud(error)
        throw error
      }
    }
    const interrupt = installInterrupt()
    const opened = await openCloudSources(specs, window.query, {
      signal: interrupt.signal,
      progress: flags.progress || process.stderr.isTTY === true,
      tty: process.stderr.isTTY === true,
      write: (text) => process.stderr.write(text),
      ...(kube ? {kubeGet: kube.get} : {}),
    })
    return {
      opened,
      interrupt,
      dest: cimDest(specs),
      finish: () => {
        opened.done()
        interrupt.dispose()
        kube?.close()
      },
    }
  }
}

type CloudCommandFlags = Omit<import('../kube/flags.js').KubeFlagValues, 'user' | 'namespace'> & {progress: boolean}

/** Ctrl-C stopped a cloud fetch: what was fetched was printed, but it is not the whole window. */
const INTERRUPTED_EXIT_CODE = 130

/** `--fail-on` matched: distinct from 1 (error) and 2 (usage) so cron jobs can tell them apart. */
const FINDINGS_EXIT_CODE = 9
