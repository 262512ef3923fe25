// Secret values never reach any output: audit logs with planted values in every shape and every
// place a body carries them, through every output format of every command; and who-can against a
// cluster whose Secrets hold planted data never asks for that data.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {loadManifests} from '../../src/kube/load-manifests.js'
import {startFakeApiServer, type FakeApiServer} from '../fake-apiserver/index.js'
import {FULL, requireBuild, runCli, SAMPLES_RBAC, STACK_TRACE} from './helpers.js'
import {forbiddenStrings, PLANTED, writeSecretFixtures} from './secret-fixtures.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'hardening-secrets-'))
const FORBIDDEN = forbiddenStrings()
let scanned = 0
let outputs = 0

function leaks(text: string): string[] {
  scanned += text.length
  return FORBIDDEN.filter((f) => text.includes(f))
}

beforeAll(() => {
  requireBuild()
  writeSecretFixtures(tmp)
})
afterAll(() => {
  rmSync(tmp, {recursive: true, force: true})
  process.stderr.write(`hardening secrets: ${outputs} outputs scanned (${(scanned / 1024).toFixed(0)} KiB) for ${FORBIDDEN.length} planted strings\n`)
})

describe('recent and dashboard never print a planted secret value', () => {
  const formats = ['table', 'wide', 'json', 'yaml', 'csv', 'cim']
  const modes: [string, string[]][] = [
    ['events', []],
    ['--summary', ['--summary']],
    ['--findings', ['--findings']],
  ]
  for (const [mode, extra] of modes) {
    it(`recent ${mode} in every format`, {timeout: 120_000}, async () => {
      // Formats in parallel: each run is mostly Node start-up.
      // --summary has no CIM form (a usage error, nothing to scan).
      const results = await Promise.all(formats.filter((o) => !(mode === '--summary' && o === 'cim')).map(async (o) => {
        const args = ['recent', '-f', tmp, '--resource', 'all', '-o', o, '--stats', ...extra]
        return {args, r: await runCli(args)}
      }))
      for (const {args, r} of results) {
        outputs++
        expect(r.stderr, args.join(' ')).not.toMatch(STACK_TRACE)
        // --findings exits non-zero when findings reach --fail-on; the output is what matters here.
        expect([0, 1, 10], `${args.join(' ')}: ${r.stderr}`).toContain(r.exitCode)
        expect(r.stdout.length, `${args.join(' ')} printed something to scan`).toBeGreaterThan(50)
        expect(leaks(r.stdout), `${args.join(' ')} stdout`).toEqual([])
        expect(leaks(r.stderr), `${args.join(' ')} stderr`).toEqual([])
      }
    })
  }

  it('the plain dashboard overview (stdout not a terminal)', async () => {
    const r = await runCli(['dashboard', '-f', tmp, '--manifests', SAMPLES_RBAC, '--resource', 'all'])
    outputs++
    expect(r.stderr).not.toMatch(STACK_TRACE)
    expect(r.stdout).toContain('# findings')
    expect(leaks(r.stdout)).toEqual([])
    expect(leaks(r.stderr)).toEqual([])
  })

  it('the fixtures really hold the planted values in all four shapes, and all are read', async () => {
    // Guards the guard: a scan of output from fixtures that never parsed would prove nothing.
    const r = await runCli(['recent', '-f', tmp, '--resource', 'all', '-o', 'json', '--stats'])
    const formats = new Set(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as {origin: {format: string}}).origin.format))
    expect([...formats].sort()).toEqual(['aks', 'eks', 'gke', 'k8s'])
    expect(r.stderr).toMatch(/22 events/)
    expect(r.stderr).toMatch(/0 skipped/)
    const {readFileSync, readdirSync} = await import('node:fs')
    const raw = readdirSync(tmp).map((f) => readFileSync(path.join(tmp, f), 'utf8')).join('\n')
    for (const v of Object.values(PLANTED)) expect(raw.includes(v) || raw.includes(Buffer.from(v).toString('base64')), v).toBe(true)
  })
})

describe('who-can never reads secret data from the cluster', () => {
  let cluster: FakeApiServer
  beforeAll(async () => {
    const loaded = await loadManifests([SAMPLES_RBAC])
    cluster = await startFakeApiServer({
      store: {
        rbac: loaded.snapshot,
        namespaces: loaded.snapshot.namespaces,
        serviceAccounts: loaded.snapshot.serviceAccounts,
        secrets: [
          {namespace: 'payments', name: 'payments-api-db', data: {password: 'PLANTED-cluster-secret-a1'}},
          {namespace: 'web', name: 'tls', data: {'tls.key': 'PLANTED-cluster-secret-b2'}},
          {namespace: 'kube-system', name: 'bootstrap-token-abcdef', data: {'token-secret': 'PLANTED-cluster-secret-c3'}},
        ],
      },
    })
  })
  afterAll(async () => cluster?.stop())

  const runs = [
    ['-n', 'payments'],
    ['-A'],
    ['-A', '--check-serviceaccounts'],
    ['-A', '--indirect'],
    ['get', 'secret/payments-api-db', '-n', 'payments'],
    ['get', 'secrets/tls', '-n', 'web', '--expand-groups'],
    ['list', 'secrets', '-A'],
  ]
  for (const extra of runs) {
    it(`who-can ${extra.join(' ')}`, {timeout: 60_000}, async () => {
      const before = cluster.requests.length
      // Every format at full scale; the everyday run keeps the two that differ most.
      const formats = FULL ? ['table', 'wide', 'json', 'yaml'] : ['wide', 'json']
      for (const r of await Promise.all(formats.map((o) => runCli(['who-can', ...extra, '--kubeconfig', cluster.kubeconfigPath, '-o', o])))) {
        outputs++
        expect(r.stderr).not.toMatch(STACK_TRACE)
        expect(r.exitCode, r.stderr).toBe(0)
        scanned += r.stdout.length + r.stderr.length
        for (const text of [r.stdout, r.stderr]) expect(text).not.toMatch(/PLANTED-cluster-secret|UExBTlRFRC1jbHVzdGVy/)
      }
      const mine = cluster.requests.slice(before)
      expect(mine.length).toBeGreaterThan(0)
      expect(mine.reduce((n, r) => n + r.secretsWithData, 0)).toBe(0)
      // Any read of /secrets must ask for metadata only.
      const secretReads = mine.filter((r) => r.method === 'GET' && /\/secrets(\/|$)/.test(r.path))
      for (const r of secretReads) expect(r.accept, `${r.path} accept`).toMatch(/as=PartialObjectMetadata/)
    })
  }
})
