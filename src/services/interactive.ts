// When to open the live dashboard instead of printing: only on a real terminal, only when the
// user asked for no machine format, and never under CI (Ink then draws only the last frame).
import type {DashboardLoaderFn} from '../ui/dashboard-loader.js'
import type {DashboardData, RuleInfoLookup, Subscribe, ViewId} from '../ui/model.js'

export function wantsDashboard(options: {output?: string; interactive: boolean}, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!options.interactive || options.output !== undefined) return false
  if (process.stdout.isTTY !== true) return false
  return !(env.CI && env.CI !== 'false' && env.CI !== '0')
}

/**
 * Mount the dashboard; resolves false when it could not be shown (no terminal, no keyboard), so
 * the caller prints plain output instead. A failure inside the UI rejects with one line, after the
 * terminal is restored.
 */
export async function showDashboard(input: DashboardData | DashboardLoaderFn, options: {message?: string; subscribe?: Subscribe; initialView?: ViewId} = {}): Promise<boolean> {
  const {runDashboard} = await import('../ui/mount.js')
  const {findRule} = await import('../detect/catalog.js')
  const ruleInfo: RuleInfoLookup = (id) => {
    const rule = findRule(id)
    return rule ? {description: rule.description, falsePositives: rule.falsePositives.join(' ')} : undefined
  }
  const result = await runDashboard(input, {ruleInfo, ...(options.message ? {message: options.message} : {}), ...(options.subscribe ? {subscribe: options.subscribe} : {}), ...(options.initialView ? {initialView: options.initialView} : {})})
  return result.status === 'quit'
}
