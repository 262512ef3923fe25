// Attribution against hostile identities, through the built CLI: a client chooses its own
// `Audit-ID` header (kube-apiserver takes it), so requests of different users may share an
// auditID, verb and URI and must never be merged as stages of one request; identities named after
// Object.prototype's members must be ordinary keys in every table and in the --state file.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {prng, requireBuild, runCli, STACK_TRACE} from './helpers.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'hardening-attribution-'))
const figures: string[] = []
beforeAll(() => requireBuild())
afterAll(() => {
  rmSync(tmp, {recursive: true, force: true})
  process.stderr.write(`hardening attribution:\n${figures.map((f) => `  ${f}\n`).join('')}`)
})

const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__', 'propertyIsEnumerable']

function event(user: string, auditID: string, ip: string, second: number): string {
  const time = new Date(Date.UTC(2026, 11, 1, 10, 0, second)).toISOString()
  return JSON.stringify({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID,
    stage: 'ResponseComplete',
    requestURI: '/api/v1/namespaces/ns/secrets/db',
    verb: 'get',
    user: {username: user, groups: ['system:authenticated']},
    sourceIPs: [ip],
    userAgent: 'kubectl/v1.34.0 (linux/amd64) kubernetes/abcdef',
    objectRef: {resource: 'secrets', namespace: 'ns', name: 'db', apiVersion: 'v1'},
    responseStatus: {code: 200},
    requestReceivedTimestamp: time,
    stageTimestamp: time,
  })
}

describe('attribution of hostile identities', () => {
  it('reads of different users under one client-chosen Audit-ID are each kept, and prototype-named users are ordinary keys', {timeout: 120_000}, async () => {
    const random = prng(1406)
    const lines: string[] = []
    const perUser = new Map<string, number>()
    const add = (user: string, auditID: string, ip: string) => {
      lines.push(event(user, auditID, ip, lines.length % 3600))
      perUser.set(user, (perUser.get(user) ?? 0) + 1)
    }
    // A victim's read, then an attacker reusing the same Audit-ID, verb and URI from elsewhere.
    let shared = 0
    for (let i = 0; i < 200; i++) {
      const id = `victim-read-${i}`
      add(`victim-${i % 7}@example.com`, id, '10.0.0.1')
      add(PROTO_NAMES[Math.floor(random() * PROTO_NAMES.length)]!, id, `198.51.100.${1 + Math.floor(random() * 200)}`)
      shared++
    }
    const log = path.join(tmp, 'audit.log')
    writeFileSync(log, lines.join('\n') + '\n')

    const events = await runCli(['recent', '-f', log, '-o', 'json', '--no-interactive'])
    expect(events.stderr).not.toMatch(STACK_TRACE)
    expect(events.exitCode, events.stderr).toBe(0)
    const shown = events.stdout.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as {user: {username: string}}).user.username)
    expect(shown.length, 'no read merged away as a duplicate stage').toBe(lines.length)

    const summary = await runCli(['recent', '-f', log, '--summary', '-o', 'json', '--no-interactive'])
    expect(summary.exitCode, summary.stderr).toBe(0)
    const users = (JSON.parse(summary.stdout) as {users: {key?: string; user?: string; name?: string; count: number}[]}).users
    const counted = new Map(users.map((u) => [u.key ?? u.user ?? u.name ?? '', u.count]))
    const protoSeen = PROTO_NAMES.filter((n) => perUser.has(n))
    for (const name of protoSeen) expect(counted.get(name), name).toBe(perUser.get(name))

    const state = path.join(tmp, 'state.json')
    const findings = await runCli(['recent', '-f', log, '--findings', '--state', state, '-o', 'json', '--no-interactive'])
    expect(findings.stderr).not.toMatch(STACK_TRACE)
    expect([0, 8]).toContain(findings.exitCode)
    const saved = JSON.parse(readFileSync(state, 'utf8')) as {sensitiveAgents: Record<string, unknown>}
    const inState = protoSeen.filter((n) => Object.prototype.hasOwnProperty.call(saved.sensitiveAgents, n))
    expect(inState).toEqual(protoSeen)
    figures.push(`${shared} reads under a reused Audit-ID by another user: ${shown.length - (lines.length - shared)} of ${shared} kept; ${protoSeen.length} prototype-named identities, ${inState.length} in the --state file, summary counts exact`)
  })
})
