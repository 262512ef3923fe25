// `recent --findings` through the built executable: the detections over the sample day and real
// corpus traces, --fail-on exit codes, settings errors, and the baseline state file.
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {CORPUS, runCli} from '../who-can/helpers.js'

const SAMPLE = 'samples/audit/sample-audit.log'
const FALCO = join(CORPUS, 'audit/falco-trace-files')

interface FindingLine {
  ruleId: string
  severity: string
  who: string
  what: string
  evidence: {file?: string; line?: number}[]
}

const parseLines = (stdout: string) => stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as FindingLine)

describe('recent --findings', () => {
  it('says which rules went blind when the whole log is at Metadata level, and stays quiet when bodies are there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ksa-metadata-only-'))
    const file = join(dir, 'metadata.log')
    const lines = (await readFile(SAMPLE, 'utf8')).split('\n').filter((line) => line.includes('"level":"Metadata"'))
    await writeFile(file, lines.join('\n') + '\n')
    const blind = await runCli(['recent', '-f', file, '--findings', '-o', 'json'])
    expect(blind.exitCode).toBe(0)
    expect(blind.stderr).toContain('note: every event was logged at Metadata level (no request bodies), so rbac-grants-secret-access, configmap-credential-keys, privileged-workload could not see anything')
    const full = await runCli(['recent', '-f', SAMPLE, '--findings', '-o', 'json'])
    expect(full.stderr).not.toContain('Metadata level')
    // Without --findings nothing is said: nothing was going to look at bodies.
    expect((await runCli(['recent', '-f', file, '-o', 'json'])).stderr).toBe('')
  })

  it('finds the sample day\'s attack chain, one JSON finding per line, and never a secret value', async () => {
    const result = await runCli(['recent', '-f', SAMPLE, '--findings', '-o', 'json'])
    expect(result.exitCode).toBe(0)
    const findings = parseLines(result.stdout)
    const rules = new Set(findings.map((f) => f.ruleId))
    for (const id of ['rbac-grants-secret-access', 'suspicious-kubectl', 'lateral-movement', 'serviceaccount-token-minted', 'unauthenticated-scanning', 'privileged-impersonation']) {
      expect(rules, id).toContain(id)
    }
    const escalation = findings.find((f) => f.ruleId === 'rbac-grants-secret-access')!
    expect(escalation.severity).toBe('critical')
    expect(escalation.who).toBe('system:serviceaccount:ci:deployer')
    expect(escalation.evidence[0]!.file).toContain('sample-audit.log')
    expect(result.stdout).not.toContain('s3cr3t-SAMPLE-VALUE')
  })

  it('shows findings above the events in the table', async () => {
    const result = await runCli(['recent', '-f', SAMPLE, '--findings'])
    expect(result.exitCode).toBe(0)
    const lines = result.stdout.split('\n')
    expect(lines[0]).toMatch(/^SEVERITY\s+RULE\s+TECHNIQUE/)
    const eventsHeader = lines.findIndex((l) => /^TIME\s+USER\s+VERB/.test(l))
    expect(eventsHeader).toBeGreaterThan(1)
    expect(lines.slice(1, eventsHeader).some((l) => l.startsWith('critical'))).toBe(true)
    expect(result.stdout).not.toContain('s3cr3t-SAMPLE-VALUE')
  })

  it('exits 9 with --fail-on when a finding reaches the severity, 0 otherwise', async () => {
    const high = await runCli(['recent', '-f', SAMPLE, '--fail-on', 'high', '-o', 'json'])
    expect(high.exitCode).toBe(9)
    expect(high.stderr).toMatch(/\d+ finding\(s\) at or above --fail-on high/)
    const none = await runCli(['recent', '-f', SAMPLE, '--fail-on', 'none', '-o', 'json'])
    expect(none.exitCode).toBe(0)
    // A quiet log (kubelet chatter only) never fails.
    const quiet = await runCli(['recent', '-f', SAMPLE, '--user', 'system:node:*', '-o', 'json'])
    expect(quiet.exitCode).toBe(0)
  })

  it('names the bad key of a settings file, exit 2, no stack trace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sa-config-'))
    const config = join(dir, 'config.yaml')
    await writeFile(config, 'rules:\n  secret-read-burst:\n    threshold: lots\n')
    const result = await runCli(['recent', '-f', SAMPLE, '--findings', '--config', config])
    expect(result.exitCode).toBe(2)
    expect(result.stderr).toContain('rules.secret-read-burst.threshold')
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('keeps a baseline in --state between runs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sa-state-'))
    const state = join(dir, 'baseline.json')
    const first = await runCli(['recent', '-f', SAMPLE, '--findings', '--state', state, '-o', 'json'])
    expect(first.exitCode).toBe(0)
    expect(existsSync(state)).toBe(true)
    const saved = JSON.parse(await readFile(state, 'utf8')) as object
    expect(Object.keys(saved).length).toBeGreaterThan(0)
    // Everything of the day is now known: no "unusual" finding on a second run over the same day.
    const second = await runCli(['recent', '-f', SAMPLE, '--findings', '--state', state, '-o', 'json'])
    expect(parseLines(second.stdout).filter((f) => f.ruleId === 'unusual-sensitive-access')).toEqual([])
  })

  it.skipIf(!existsSync(FALCO))('raises lateral movement on Falco\'s real exec and attach traces', async () => {
    for (const trace of ['exec_pod.json', 'attach_pod.json']) {
      const result = await runCli(['recent', '-f', join(FALCO, trace), '--findings', '-o', 'json'])
      expect(result.exitCode).toBe(0)
      const findings = parseLines(result.stdout)
      expect(findings.map((f) => f.ruleId), trace).toContain('lateral-movement')
    }
  })
})
