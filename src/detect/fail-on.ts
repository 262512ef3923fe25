import {SEVERITIES, type Finding, type Severity} from './finding.js'

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value)
}

/** `--fail-on` values: a severity, or `none` to never fail on findings. */
export const FAIL_ON_CHOICES: readonly string[] = [...SEVERITIES, 'none']

/**
 * `--fail-on SEVERITY`: the run fails (exit code 1 at the command level) when any finding is at
 * that severity or above. `none` never fails. Returns the findings that triggered it.
 */
export function failingFindings(findings: readonly Finding[], failOn: Severity | 'none'): Finding[] {
  if (failOn === 'none') return []
  const floor = SEVERITIES.indexOf(failOn)
  // The detection-limits notice (engine.ts) is about the run, not the cluster: it never gates.
  return findings.filter((f) => f.ruleId !== 'detection-limits' && SEVERITIES.indexOf(f.severity) >= floor)
}

export function shouldFail(findings: readonly Finding[], failOn: Severity | 'none'): boolean {
  return failingFindings(findings, failOn).length > 0
}
