import {Args, Command, Flags} from '@oclif/core'

export class Detections extends Command {
  static override summary = 'List the detection catalog, or show one rule in full.'
  static override description =
    'Each rule has a stable id, a severity, a MITRE ATT&CK technique, the audit fields it needs, known false ' +
    'positives and its settings with defaults (override them in config.yaml under rules.<id>).'
  static override examples = [
    '<%= config.bin %> detections',
    '<%= config.bin %> detections -o wide',
    '<%= config.bin %> detections secret-read-burst',
    '<%= config.bin %> detections -o yaml',
    '<%= config.bin %> detections --default-config > ~/.config/kubectl-sensitive-access/config.yaml',
  ]
  static override args = {
    rule: Args.string({description: 'Rule id to show in full.', required: false}),
  }
  static override flags = {
    output: Flags.string({char: 'o', description: 'Output format.', options: ['table', 'wide', 'json', 'yaml'], default: 'table'}),
    'no-headers': Flags.boolean({description: 'Omit the table header row.', default: false}),
    'default-config': Flags.boolean({
      description: 'Print the default settings file (allowlists, system identities, every rule setting) as YAML.',
      default: false,
    }),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Detections)
    const [{RULES, findRule}, {describeRule, renderRuleText}, formats, {renderTable}] = await Promise.all([
      import('../detect/catalog.js'),
      import('../detect/describe.js'),
      import('../output/formats.js'),
      import('../output/table.js'),
    ])
    if (flags['default-config']) {
      const {defaultSettings} = await import('../detect/settings.js')
      process.stdout.write(formats.renderYaml(defaultSettings()))
      return
    }
    if (args.rule !== undefined) {
      const rule = findRule(args.rule)
      if (!rule) {
        this.error(`unknown rule "${args.rule}"; run \`kubectl sensitive-access detections\` for the list`, {exit: 2})
      }
      if (flags.output === 'json') process.stdout.write(formats.renderJson(describeRule(rule)))
      else if (flags.output === 'yaml') process.stdout.write(formats.renderYaml(describeRule(rule)))
      else process.stdout.write(renderRuleText(rule))
      return
    }
    if (flags.output === 'json') {
      process.stdout.write(formats.renderJson(RULES.map(describeRule)))
      return
    }
    if (flags.output === 'yaml') {
      process.stdout.write(formats.renderYaml(RULES.map(describeRule)))
      return
    }
    const wide = flags.output === 'wide'
    const columns = wide ? ['id', 'severity', 'technique', 'title', 'audit level', 'technique name', 'settings'] : ['id', 'severity', 'technique', 'title']
    const rows = RULES.map((r) => {
      const base = [r.id, r.severity, r.technique.id, r.title]
      return wide ? [...base, r.auditLevel.needs, r.technique.name, r.settings.map((s) => s.name).join(',') || '-'] : base
    })
    process.stdout.write(renderTable(columns, rows, {headers: !flags['no-headers']}))
  }
}
