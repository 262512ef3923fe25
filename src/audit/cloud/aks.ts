// AKS: audit logs reach a Log Analytics workspace through a diagnostic setting, either in the
// resource-specific AKSAudit table or in AzureDiagnostics (Category kube-audit, event JSON in
// log_s). A probe query finds which one holds rows in the window. The kube-audit-admin category
// drops get and list, so when only it is present reads cannot be shown: that is said loudly.
//
// Paging: KQL has no cursor, so pages are keyset pages: `order by TimeGenerated asc | take N`,
// the next page starting at the last TimeGenerated seen (rows at that instant deduplicated by
// their audit id).
import {runCli, parseJsonOutput} from './exec.js'
import {CloudSourceError} from './errors.js'
import {allResources, globToRegexSource, isGlob} from './query.js'
import type {PageSource, SourceContext} from './page.js'
import type {AksSpec, CloudQuery} from './types.js'

type Table = 'AKSAudit' | 'AzureDiagnostics' | 'AKSAuditAdmin' | 'AzureDiagnosticsAdmin'

function kqlString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

function kqlList(values: string[]): string {
  return `(${values.map(kqlString).join(', ')})`
}

function kqlTime(ms: number | string): string {
  return `datetime(${typeof ms === 'string' ? ms : new Date(ms).toISOString()})`
}

export function aksProbeQuery(spec: AksSpec, query: CloudQuery): string {
  const window = `TimeGenerated between (${kqlTime(query.from.getTime())} .. ${kqlTime(query.to.getTime())})`
  const cluster = kqlString(`/managedclusters/${spec.cluster.toLowerCase()}`)
  return [
    'union isfuzzy=true',
    `(AKSAudit | where ${window} | where tolower(_ResourceId) endswith ${cluster} | summarize n=count() | extend t="AKSAudit"),`,
    `(AKSAuditAdmin | where ${window} | where tolower(_ResourceId) endswith ${cluster} | summarize n=count() | extend t="AKSAuditAdmin"),`,
    `(AzureDiagnostics | where ${window} | where Category in ("kube-audit", "kube-audit-admin") | where Resource =~ ${kqlString(spec.cluster)} | summarize n=count() by t=Category)`,
    '| project t, n',
  ].join('\n')
}

/** The page query; `since` (an ISO time from the previous page) overrides the window start. */
export function aksPageQuery(spec: AksSpec, table: Table, query: CloudQuery, limit: number, since?: string): string {
  const lower = since ? `TimeGenerated >= ${kqlTime(since)}` : `TimeGenerated >= ${kqlTime(query.from.getTime())}`
  const lines: string[] = []
  const resources = allResources(query) ? undefined : kqlList(query.resources)
  const verbs = query.verbs?.length ? kqlList(query.verbs) : undefined
  const namespaces = query.namespaces?.length ? kqlList(query.namespaces) : undefined
  const users = query.users?.length ? userCondition(query.users) : undefined
  if (table === 'AKSAudit' || table === 'AKSAuditAdmin') {
    lines.push(
      table,
      `| where ${lower} and TimeGenerated <= ${kqlTime(query.to.getTime())}`,
      `| where tolower(_ResourceId) endswith ${kqlString(`/managedclusters/${spec.cluster.toLowerCase()}`)}`,
      '| extend _user = tostring(User.username), _imp = tostring(ImpersonatedUser.username)',
    )
    if (resources) lines.push(`| where tostring(ObjectRef.resource) in ${resources}`)
    if (verbs) lines.push(`| where Verb in ${verbs}`)
    if (namespaces) lines.push(`| where tostring(ObjectRef.namespace) in ${namespaces}`)
    if (users) lines.push(`| where ${users}`)
    lines.push('| project-away _user, _imp')
  } else {
    const category = table === 'AzureDiagnostics' ? 'kube-audit' : 'kube-audit-admin'
    lines.push(
      'AzureDiagnostics',
      `| where ${lower} and TimeGenerated <= ${kqlTime(query.to.getTime())}`,
      `| where Category == ${kqlString(category)} and Resource =~ ${kqlString(spec.cluster)}`,
      '| extend _e = parse_json(log_s)',
      '| extend _user = tostring(_e.user.username), _imp = tostring(_e.impersonatedUser.username)',
    )
    if (resources) lines.push(`| where tostring(_e.objectRef.resource) in ${resources}`)
    if (verbs) lines.push(`| where tostring(_e.verb) in ${verbs}`)
    if (namespaces) lines.push(`| where tostring(_e.objectRef.namespace) in ${namespaces}`)
    if (users) lines.push(`| where ${users}`)
    lines.push('| project TimeGenerated, Category, log_s')
  }
  lines.push('| order by TimeGenerated asc', `| take ${limit}`)
  return lines.join('\n')
}

function userCondition(users: string[]): string {
  const terms = users.map((u) =>
    isGlob(u)
      ? `(_user matches regex ${kqlString(globToRegexSource(u))} or _imp matches regex ${kqlString(globToRegexSource(u))})`
      : `(_user == ${kqlString(u)} or _imp == ${kqlString(u)})`,
  )
  return terms.join(' or ')
}

export function aksSource(spec: AksSpec): PageSource {
  return (ctx) => aksPages(spec, ctx)
}

interface Row {
  TimeGenerated?: string
  AuditId?: string
  log_s?: string
  [column: string]: unknown
}

async function* aksPages(spec: AksSpec, ctx: SourceContext) {
  const context = `Log Analytics workspace ${spec.workspace}`
  const run = async (kql: string) => {
    const args = ['monitor', 'log-analytics', 'query', '--workspace', spec.workspace, '--analytics-query', kql, '--output', 'json']
    if (spec.subscription) args.push('--subscription', spec.subscription)
    const {stdout} = await runCli({cli: 'az', args, context, env: ctx.env, signal: ctx.signal, retry: ctx.retry, onRetry: ctx.onRetry})
    const parsed = parseJsonOutput(stdout, 'az', context)
    return {rows: (Array.isArray(parsed) ? parsed : []) as Row[], bytes: Buffer.byteLength(stdout)}
  }

  let table: Table | undefined = spec.table
  if (!table) {
    const probe = await run(aksProbeQuery(spec, ctx.query))
    yield {records: [], bytes: probe.bytes, format: 'aks' as const}
    const counts = new Map(probe.rows.map((r) => [String(r.t), Number(r.n) || 0]))
    if ((counts.get('AKSAudit') ?? 0) > 0) table = 'AKSAudit'
    else if ((counts.get('kube-audit') ?? 0) > 0) table = 'AzureDiagnostics'
    else if ((counts.get('AKSAuditAdmin') ?? 0) > 0 || (counts.get('kube-audit-admin') ?? 0) > 0) {
      table = (counts.get('AKSAuditAdmin') ?? 0) > 0 ? 'AKSAuditAdmin' : 'AzureDiagnosticsAdmin'
      ctx.warn(
        `cluster ${spec.cluster} sends only the kube-audit-admin category, which drops get and list: secret and configmap reads cannot be shown. ` +
          'Enable the kube-audit category in the cluster diagnostic setting to see them',
      )
    } else {
      throw new CloudSourceError(
        'empty-window',
        `no audit rows for cluster ${spec.cluster} in workspace ${spec.workspace} between ${ctx.query.from.toISOString()} and ${ctx.query.to.toISOString()}: check the window and that a diagnostic setting sends kube-audit to this workspace`,
      )
    }
  }
  ctx.stats.via = table
  const limit = ctx.options.pageSize ?? 5000
  let since: string | undefined
  let seen = new Set<string>()
  for (;;) {
    const page = await run(aksPageQuery(spec, table, ctx.query, limit, since))
    const key = (r: Row) => (typeof r.AuditId === 'string' ? r.AuditId : typeof r.log_s === 'string' ? r.log_s : JSON.stringify(r))
    const fresh = page.rows.filter((r) => !(r.TimeGenerated === since && seen.has(key(r))))
    const last = page.rows[page.rows.length - 1]?.TimeGenerated
    const full = page.rows.length >= limit
    // AzureDiagnostics rows carry the event in log_s: wrap them as the diagnostic record shape.
    const records = fresh.map((r) => (typeof r.log_s === 'string' ? {category: r.Category, time: r.TimeGenerated, properties: {log: r.log_s}} : r))
    yield {records, bytes: page.bytes, format: 'aks' as const, coveredTo: !full ? ctx.query.to.getTime() : last ? Date.parse(last) : undefined}
    if (!full || !last) break
    if (last === since && fresh.length === 0) {
      throw new CloudSourceError('failed', `more than ${limit} audit rows share the instant ${last}; raise the page size`)
    }
    if (last !== since) seen = new Set()
    for (const r of page.rows) if (r.TimeGenerated === last) seen.add(key(r))
    since = last
  }
}
