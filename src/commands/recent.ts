import {Command, Flags} from '@oclif/core'

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

Exit codes: 0 done; 1 nothing readable, or bad input with --strict; 2 usage; 9 a finding at or above --fail-on.`

  static override examples = [
    '<%= config.bin %> <%= command.id %> -f /var/log/kubernetes/audit.log',
    '<%= config.bin %> <%= command.id %> -f audit/ --since 24h --user "system:serviceaccount:*"',
    'zcat audit.log.1.gz | <%= config.bin %> <%= command.id %> -f - --resource all --verb get,list -o json',
    '<%= config.bin %> <%= command.id %> -f "logs/*.gz" --summary',
    '<%= config.bin %> <%= command.id %> -f audit/ --findings --baseline 7d --fail-on high',
    '<%= config.bin %> <%= command.id %> -f audit/ --findings --state ~/.cache/sensitive-access.state -o json',
  ]

  static override flags = {
    file: Flags.string({char: 'f', summary: 'Audit log file, folder, glob or - for stdin (repeatable).', multiple: true, required: true}),
    since: Flags.string({summary: 'Only events newer than this duration (30m, 24h, 7d).'}),
    from: Flags.string({summary: 'Only events at or after this RFC 3339 time or duration ago.'}),
    to: Flags.string({summary: 'Only events at or before this RFC 3339 time or duration ago.'}),
    resource: Flags.string({summary: 'Resources to show, comma-separated (secret, cm, pods, ...) or all.', default: 'secrets,configmaps'}),
    namespace: Flags.string({char: 'n', summary: 'Only this namespace.'}),
    user: Flags.string({summary: 'User glob, matched against the effective user and the impersonator (repeatable).', multiple: true}),
    group: Flags.string({summary: 'Group glob (repeatable).', multiple: true}),
    verb: Flags.string({summary: 'Verbs, comma-separated (get,list,watch).', multiple: true}),
    name: Flags.string({summary: 'Object name glob.'}),
    output: Flags.string({char: 'o', summary: 'Output format (default: the dashboard on a terminal, else a table).', options: ['table', 'wide', 'json', 'yaml', 'csv']}),
    'no-headers': Flags.boolean({summary: 'Omit table and CSV headers.', default: false}),
    summary: Flags.boolean({summary: 'Counts per user, group, source IP, user agent and object instead of events.', default: false}),
    strict: Flags.boolean({summary: 'Parse every line and exit 1 when any input was skipped as bad.', default: false}),
    stats: Flags.boolean({summary: 'Print read figures on stderr.', default: false}),
    findings: Flags.boolean({summary: 'Report findings of the detection rules (see `detections`); the table shows them above the events.', default: false, helpGroup: 'FINDINGS'}),
    config: Flags.string({summary: 'Detection settings file (YAML); default ~/.config/kubectl-sensitive-access/config.yaml.', helpGroup: 'FINDINGS'}),
    state: Flags.string({summary: 'Baseline file kept between runs (read, then written atomically).', helpGroup: 'FINDINGS'}),
    baseline: Flags.string({summary: 'Learn "usual" from the first part of the window (e.g. 7d); later events are checked.', helpGroup: 'FINDINGS'}),
    'fail-on': Flags.string({summary: 'Exit 9 when a finding at or above this severity exists.', options: ['info', 'low', 'medium', 'high', 'critical', 'none'], helpGroup: 'FINDINGS'}),
    interactive: Flags.boolean({summary: 'Open the dashboard on a terminal when no -o is given.', default: true, allowNo: true}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Recent)
    const {describeSkips, describeStats} = await import('../audit/recent.js')
    const {FilterError} = await import('../audit/filter.js')
    const {runRecent} = await import('../services/recent.js')
    const {FindingsOptionsError, parseFailOn} = await import('../services/findings.js')
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
    const findingsOptions = flags.findings || flags['fail-on'] ? {config: flags.config, state: flags.state, baseline: flags.baseline} : undefined

    const {wantsDashboard} = await import('../services/interactive.js')
    if (wantsDashboard({output: flags.output, interactive: flags.interactive}) && !flags.summary && !flags.file.includes('-')) {
      const {showDashboard} = await import('../services/interactive.js')
      const {loadDashboardData} = await import('../services/dashboard.js')
      try {
        const shown = await showDashboard((progress) => loadDashboardData({audit: {inputs: flags.file, filter}, findings: findingsOptions ?? {}}, progress))
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
    const out = new BufferedStdout()
    let result
    try {
      result = await runRecent({
        inputs: flags.file,
        strict: flags.strict,
        filter,
        summary: flags.summary,
        format,
        headers: !flags['no-headers'],
        ...(findingsOptions ? {findings: findingsOptions} : {}),
        failOn: await parseFailOn(flags['fail-on']),
        write: (text) => out.write(text),
      })
    } catch (error) {
      if (error instanceof FilterError || error instanceof FindingsOptionsError) this.error(error.message, {exit: 2})
      throw error
    }
    await out.flush()

    process.stderr.write(describeSkips(result.stats))
    if (flags.stats) process.stderr.write(describeStats(result.stats, result.matched))
    if (flags.strict && result.stats.skipped > 0) this.exit(1)
    // Nothing readable at all (every path missing or unreadable) is a failed run, not an empty result.
    if (result.stats.skipReasons['read-error'] && result.stats.records === 0) this.exit(1)
    if (result.failing > 0) {
      process.stderr.write(`${result.failing} finding(s) at or above --fail-on ${flags['fail-on']}\n`)
      this.exit(FINDINGS_EXIT_CODE)
    }
  }
}

/** `--fail-on` matched: distinct from 1 (error) and 2 (usage) so cron jobs can tell them apart. */
const FINDINGS_EXIT_CODE = 9

type RecentFormat = 'table' | 'wide' | 'json' | 'yaml' | 'csv'

/** Batches small writes and honours backpressure, so `-o json` streams at disk speed into a pipe. */
class BufferedStdout {
  private parts: string[] = []
  private size = 0

  async write(text: string): Promise<void> {
    if (text === '') return
    this.parts.push(text)
    this.size += text.length
    if (this.size >= 64 * 1024) await this.flush()
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return
    const text = this.parts.join('')
    this.parts = []
    this.size = 0
    if (!process.stdout.write(text)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve))
  }
}
