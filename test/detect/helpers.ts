import type {AuditEvent} from '../../src/audit/event.js'
import {detect, type DetectOptions} from '../../src/detect/engine.js'
import type {Finding} from '../../src/detect/finding.js'
import {defaultSettings} from '../../src/detect/settings.js'

export const T0 = Date.UTC(2026, 0, 10, 12, 0, 0)
export const MIN = 60_000

let seq = 0

/**
 * A hand-built event: an allowed `get` by a human user unless overridden. The decision follows the
 * code as kube-apiserver writes it: 403 is `forbid`, 401 has none (authentication failed before
 * authorization); pass `decision: 'allow'` with 403 for a refusal by admission.
 */
export type EventOverrides = Partial<Omit<AuditEvent, 'user'>> & {user?: string | AuditEvent['user']; groups?: string[]}

export function ev(overrides: EventOverrides = {}): AuditEvent {
  const {user, groups, ...rest} = overrides
  const identity = typeof user === 'object' ? user : {username: user ?? 'alice', groups: groups ?? ['system:authenticated']}
  seq++
  return {
    auditID: `test-${seq}`,
    stage: 'ResponseComplete',
    level: 'Metadata',
    time: T0,
    verb: 'get',
    sourceIPs: ['203.0.113.10'],
    userAgent: 'kubectl/v1.30.1 (linux/amd64) kubernetes/abc1234',
    code: 200,
    ...decisionFor(rest.code),
    origin: {format: 'k8s', file: 'test.log', line: seq},
    ...rest,
    user: identity,
  }
}

function decisionFor(code: number | undefined): {decision?: string} {
  if (code === 401) return {}
  return {decision: code === 403 ? 'forbid' : 'allow'}
}

export function sa(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`
}

/** Runs only the named rule (with default settings unless given) and returns its findings. */
export async function run(ruleId: string, events: AuditEvent[], options: Partial<DetectOptions> = {}): Promise<Finding[]> {
  const settings = options.settings ?? defaultSettings()
  for (const id of Object.keys(settings.rules)) settings.rules[id]!.enabled = id === ruleId
  const result = await detect(events, {...options, settings})
  return result.findings
}
