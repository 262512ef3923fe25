// Terminal injection: user names, agents, URIs, object names, groups and RBAC names carrying ESC
// sequences, a C1 CSI (0x9b), BEL, a bidi override (U+202E) and NUL, through every text output of
// recent, --summary, --findings, who-can --manifests, the plain dashboard and the Ink dashboard.
// No raw control character may reach stdout, stderr or a frame; JSON may carry them escaped.
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {createElement} from 'react'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {loadDashboardData} from '../../src/services/dashboard.js'
import {Dashboard} from '../../src/ui/dashboard.js'
import {KEYS, mount} from '../ui/ink-helpers.js'
import {requireBuild, runCli, STACK_TRACE} from './helpers.js'

/** A hostile string: colour, an OSC title with BEL, a C1 CSI "clear screen", a bidi flip, a NUL. */
const hostile = (tag: string) => `${tag}\u001b[31mRED\u001b]0;pwned\u0007\u009b2J\u202egnp.exe\u0000\r\u007f\u0085\u061c\u2028end`
const RAW = [
  ['ESC', '\u001b'],
  ['CSI (0x9b)', '\u009b'],
  ['BEL', '\u0007'],
  ['U+202E', '\u202e'],
  ['NUL', '\u0000'],
  ['CR', '\r'],
  ['DEL', '\u007f'],
  ['NEL', '\u0085'],
  ['U+061C', '\u061c'],
  ['U+2028', '\u2028'],
] as const

const tmp = mkdtempSync(path.join(tmpdir(), 'hardening-terminal-'))
const LOG = path.join(tmp, 'hostile-audit.log')
const RBAC = path.join(tmp, 'rbac')
let checked = 0

function rawIn(text: string): string[] {
  checked++
  return RAW.filter(([, c]) => text.includes(c)).map(([name]) => name)
}

function event(i: number, over: Record<string, unknown>) {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `hostile-${i}`,
    stage: 'ResponseComplete',
    verb: 'get',
    requestURI: `/api/v1/namespaces/payments/secrets/${encodeURIComponent('x')}`,
    user: {username: 'bob', groups: ['system:authenticated']},
    sourceIPs: ['10.0.0.1'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/abc',
    objectRef: {resource: 'secrets', namespace: 'payments', name: 'db', apiVersion: 'v1'},
    responseStatus: {metadata: {}, code: 200},
    requestReceivedTimestamp: new Date(Date.UTC(2026, 10, 26, 9, 0, i)).toISOString(),
    stageTimestamp: new Date(Date.UTC(2026, 10, 26, 9, 0, i, 3)).toISOString(),
    annotations: {'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': hostile('reason')},
    ...over,
  }
}

function writeFixtures(): void {
  const sa = `system:serviceaccount:ci:${hostile('sa')}`
  const events = [
    event(1, {user: {username: hostile('user'), groups: [hostile('group'), 'system:authenticated']}}),
    event(2, {userAgent: hostile('agent')}),
    event(3, {requestURI: `/api/v1/namespaces/payments/secrets/${hostile('uri')}`, objectRef: {resource: 'secrets', namespace: 'payments', name: hostile('name')}}),
    event(4, {objectRef: {resource: 'configmaps', namespace: hostile('ns'), name: hostile('cm')}}),
    event(5, {impersonatedUser: {username: hostile('imp'), groups: [hostile('impgroup')]}}),
    event(6, {responseStatus: {metadata: {}, code: 403, status: 'Failure', reason: 'Forbidden', message: hostile('message')}, annotations: {'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': hostile('why')}}),
    event(7, {user: {username: 'system:anonymous', groups: ['system:unauthenticated']}, userAgent: hostile('scanner'), verb: 'list', objectRef: {resource: 'secrets', namespace: 'kube-system'}}),
    event(8, {sourceIPs: [hostile('ip')]}),
    // A ServiceAccount with a hostile name reading secrets of other namespaces with kubectl: findings carry it.
    ...['web', 'payments', 'monitoring', 'kube-system'].map((ns, k) => event(10 + k, {user: {username: sa, groups: ['system:serviceaccounts']}, verb: 'list', objectRef: {resource: 'secrets', namespace: ns}, requestURI: `/api/v1/namespaces/${ns}/secrets`})),
    event(20, {verb: 'create', user: {username: sa, groups: []}, objectRef: {resource: 'clusterrolebindings', apiGroup: 'rbac.authorization.k8s.io', name: hostile('crb')}, requestURI: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', responseStatus: {metadata: {}, code: 201}}),
  ]
  writeFileSync(LOG, events.map((e) => JSON.stringify(e)).join('\n') + '\n')
  const rbac = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'payments'}},
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: hostile('role')}, rules: [{apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list']}]},
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: {name: hostile('binding')},
        roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: hostile('role')},
        subjects: [
          {kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: hostile('subject')},
          {kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: hostile('grp')},
          {kind: 'ServiceAccount', name: hostile('sa'), namespace: 'payments'},
        ],
      },
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: {name: hostile('nsrole'), namespace: 'payments'}, rules: [{apiGroups: [''], resources: ['configmaps'], verbs: ['get']}]},
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: {name: hostile('rb'), namespace: 'payments'},
        roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: hostile('nsrole')},
        subjects: [{kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: hostile('nsuser')}],
      },
    ],
  }
  mkdirSync(RBAC, {recursive: true})
  writeFileSync(path.join(RBAC, 'hostile.json'), JSON.stringify(rbac, null, 2))
}

beforeAll(() => {
  requireBuild()
  writeFixtures()
})
afterAll(() => {
  rmSync(tmp, {recursive: true, force: true})
  process.stderr.write(`hardening terminal: ${checked} outputs and frames checked for ${RAW.map(([n]) => n).join(', ')}: none reached a terminal\n`)
})

async function check(args: string[], expectVisible: RegExp = /RED|gnp\.exe|pwned/) {
  const r = await runCli(args)
  const label = args.join(' ')
  expect(r.stderr, label).not.toMatch(STACK_TRACE)
  expect(rawIn(r.stdout), `${label}: stdout`).toEqual([])
  expect(rawIn(r.stderr), `${label}: stderr`).toEqual([])
  // The hostile text itself arrives (made harmless): a test on output that dropped it proves nothing.
  expect(r.stdout, `${label}: the hostile names are shown`).toMatch(expectVisible)
  return r
}

describe('no raw control character reaches the terminal', () => {
  it('recent in every format', {timeout: 120_000}, async () => {
    await Promise.all(['table', 'wide', 'csv', 'yaml', 'json', 'cim'].map((o) => check(['recent', '-f', LOG, '--resource', 'all', '-o', o])))
  })

  it('recent --summary and --findings', {timeout: 120_000}, async () => {
    await Promise.all([
      ...['table', 'wide', 'json'].map((o) => check(['recent', '-f', LOG, '--resource', 'all', '--summary', '-o', o])),
      ...['table', 'wide', 'json', 'csv', 'yaml', 'cim'].map((o) => check(['recent', '-f', LOG, '--resource', 'all', '--findings', '-o', o])),
    ])
  })

  it('who-can --manifests (table, wide, json)', {timeout: 120_000}, async () => {
    await Promise.all([
      ...['table', 'wide', 'json'].map((o) => check(['who-can', '--manifests', RBAC, '-A', '-o', o])),
      check(['who-can', 'get', 'configmaps', '-n', 'payments', '--manifests', RBAC, '-o', 'wide']),
    ])
  })

  it('the plain dashboard overview', {timeout: 60_000}, async () => {
    await check(['dashboard', '-f', LOG, '--manifests', RBAC, '-A', '--resource', 'all'])
  })

  it('the Ink dashboard, every view and the details', {timeout: 60_000}, async () => {
    const data = await loadDashboardData({
      whoCan: {args: [], allNamespaces: true, expandGroups: false, checkServiceAccounts: false, manifests: [RBAC], confirm: false, kube: {}},
      audit: {inputs: [LOG], filter: {resource: 'all'}},
      findings: {},
    })
    expect(data.events.length).toBeGreaterThan(5)
    expect(data.findings.length).toBeGreaterThan(0)
    const app = await mount(createElement(Dashboard, {data, input: true, colour: false, width: 160, height: 40}))
    try {
      const frames = [app.frame()]
      for (const view of ['1', '2', '3', '4']) {
        frames.push(await app.press(view))
        frames.push(await app.press(KEYS.enter))
        frames.push(await app.press(KEYS.down, KEYS.enter))
        frames.push(await app.press(KEYS.escape))
      }
      for (const [i, f] of frames.entries()) expect(rawIn(f), `frame ${i}:\n${f}`).toEqual([])
      expect(frames.join('\n')).toMatch(/gnp\.exe|pwned|RED/)
    } finally {
      app.unmount()
    }
  })
})
