// who-can's two ways of being lied to or starved, seen through the built CLI: the API server's
// SubjectAccessReview endpoint (hanging, failing, answering malformed objects) and the RBAC objects
// themselves (malformed objects from the server or in --manifests files, hostile manifest files:
// deep nesting, alias bombs, unreadable inputs). Every case must end with the rest of the answer
// standing: unverified confirmations said once on stderr, or an answer marked INCOMPLETE (exit 8)
// that names each skipped input. Never a stack trace, never a hang, never a subject marked
// `denied` on the word of a malformed answer. The figures per class go to stderr.
import {execFileSync} from 'node:child_process'
import {cp, mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, it} from 'vitest'
import {loadManifests} from '../../src/kube/load-manifests.js'
import {authorize as rbacAuthorize, indexSnapshot} from '../../src/rbac/authorizer.js'
import type {Binding, Role} from '../../src/rbac/types.js'
import {startFakeApiServer, type FakeApiServer, type FakeApiServerOptions, type FakeAuthorizer} from '../fake-apiserver/index.js'
import {requireBuild, runCli, SAMPLES_RBAC, STACK_TRACE} from './helpers.js'

interface Subject {
  kind: string
  name: string
  namespace?: string
  confirmation?: string
}

const key = (s: Subject) => `${s.kind}/${s.namespace ?? ''}/${s.name}`
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

type Klass = 'reviews unavailable' | 'malformed reviews' | 'malformed RBAC objects (server)' | 'malformed RBAC objects (manifests)' | 'hostile manifest inputs'
const endings = new Map<Klass, Map<string, number>>()
const wrong: string[] = []

function record(klass: Klass, ending: string): void {
  const byEnding = endings.get(klass) ?? new Map<string, number>()
  byEnding.set(ending, (byEnding.get(ending) ?? 0) + 1)
  endings.set(klass, byEnding)
}

afterAll(() => {
  const lines = [...endings].map(([klass, byEnding]) => {
    const total = [...byEnding.values()].reduce((a, b) => a + b, 0)
    return `  ${klass}: ${total} hostile cases, ${[...byEnding].map(([ending, n]) => `${n} ${ending}`).join(', ')}`
  })
  process.stderr.write(`hardening verify:\n${lines.join('\n')}\n${wrong.length > 0 ? `  WRONG: ${wrong.join('; ')}\n` : ''}`)
})

/** How a run ended, in the words of the figures. */
function ending(r: {exitCode?: number; timedOut?: boolean; stderr: string}): string {
  if (r.timedOut) return 'hang (killed)'
  if (STACK_TRACE.test(r.stderr)) return `stack trace, exit ${r.exitCode}`
  return `exit ${r.exitCode}`
}

// ---------------------------------------------------------------------------------------------
// The fake cluster: the sample RBAC objects, RBAC as the authorizer, and whatever is injected.

async function sampleCluster(options: Partial<FakeApiServerOptions> = {}, extra: {roles?: unknown[]; clusterRoles?: unknown[]; roleBindings?: unknown[]; clusterRoleBindings?: unknown[]} = {}, failing?: (attrs: Parameters<FakeAuthorizer>[1]) => boolean): Promise<FakeApiServer> {
  const loaded = await loadManifests([SAMPLES_RBAC])
  const index = indexSnapshot(loaded.snapshot)
  const authorize: FakeAuthorizer = (user, attrs) => {
    if (failing?.(attrs)) throw new Error('injected internal error')
    if (user.groups.includes('system:masters')) return {allowed: true, reason: ''}
    const r = rbacAuthorize(index, {user: user.username, groups: user.groups}, attrs)
    return {allowed: r.allowed, reason: r.reason}
  }
  const rbac = loaded.snapshot
  return startFakeApiServer({
    store: {
      // Malformed objects go in as they are: the store serves whatever rules/subjects/roleRef it holds.
      rbac: {
        ...rbac,
        roles: [...rbac.roles, ...((extra.roles ?? []) as Role[])],
        clusterRoles: [...rbac.clusterRoles, ...((extra.clusterRoles ?? []) as Role[])],
        roleBindings: [...rbac.roleBindings, ...((extra.roleBindings ?? []) as Binding[])],
        clusterRoleBindings: [...rbac.clusterRoleBindings, ...((extra.clusterRoleBindings ?? []) as Binding[])],
      },
      namespaces: rbac.namespaces,
      serviceAccounts: rbac.serviceAccounts,
    },
    ...options,
    authorize,
  })
}

const CONFIRM_ARGS = ['-n', 'payments', '-o', 'json']
const ALL_ARGS = ['-A', '--no-confirm', '-o', 'json']

let confirmedBaseline: Subject[] = []
let connectedBaseline: Subject[] = []
let offlineBaseline: Subject[] = []
let work = ''

beforeAll(async () => {
  requireBuild()
  work = await mkdtemp(path.join(tmpdir(), 'verify-hardening-'))
  const server = await sampleCluster()
  try {
    const confirmed = await runCli(['who-can', '--kubeconfig', server.kubeconfigPath, ...CONFIRM_ARGS])
    if (confirmed.exitCode !== 0) throw new Error(`fault-free baseline failed: ${confirmed.stderr}`)
    confirmedBaseline = (JSON.parse(confirmed.stdout) as {subjects: Subject[]}).subjects
    const all = await runCli(['who-can', '--kubeconfig', server.kubeconfigPath, ...ALL_ARGS])
    if (all.exitCode !== 0) throw new Error(`fault-free baseline failed: ${all.stderr}`)
    connectedBaseline = (JSON.parse(all.stdout) as {subjects: Subject[]}).subjects
  } finally {
    await server.stop()
  }
  const offline = await runCli(['who-can', '--manifests', SAMPLES_RBAC, '-A', '-o', 'json'])
  if (offline.exitCode !== 0) throw new Error(`offline baseline failed: ${offline.stderr}`)
  offlineBaseline = (JSON.parse(offline.stdout) as {subjects: Subject[]}).subjects
})

afterAll(async () => {
  if (work) await rm(work, {recursive: true, force: true})
})

// ---------------------------------------------------------------------------------------------
// Classes 1 and 2: the SubjectAccessReview endpoint.

interface ReviewCase {
  name: string
  options?: Partial<FakeApiServerOptions>
  failing?: (attrs: Parameters<FakeAuthorizer>[1]) => boolean
  extraArgs?: string[]
  /** Some reviews may still be answered: those subjects keep their fault-free confirmation. */
  partly?: boolean
  /**
   * 0 by default: unverified confirmations are not missing subjects (as with a 403). With
   * --check-serviceaccounts they are: a grant outside RBAC may go unseen, so 8 (INCOMPLETE).
   */
  exit?: number
}

const hangEveryOther = (): FakeApiServerOptions['reviewAnswer'] => {
  let n = 0
  return () => (n++ % 2 === 1 ? 'hang' : undefined)
}

const UNAVAILABLE: ReviewCase[] = [
  {name: 'never answers, --request-timeout 1s', options: {reviewAnswer: () => 'hang'}, extraArgs: ['--request-timeout', '1s']},
  // No --request-timeout: the per-review default must bound the wait (tens of seconds, not forever).
  {name: 'never answers, no --request-timeout', options: {reviewAnswer: () => 'hang'}},
  {name: 'every other review never answers, --request-timeout 1s', options: {reviewAnswer: hangEveryOther()}, extraArgs: ['--request-timeout', '1s'], partly: true},
  {name: '500 InternalError', failing: (attrs) => attrs.kind === 'resource' && attrs.resource === 'subjectaccessreviews'},
  {name: '201 with a body that is not JSON', options: {reviewAnswer: () => '<html><body>502 Bad Gateway</body></html>'}},
  {name: 'connection reset', options: {reviewAnswer: () => 'reset'}},
  {name: 'never answers, --check-serviceaccounts, --request-timeout 1s', options: {reviewAnswer: () => 'hang'}, extraArgs: ['--check-serviceaccounts', '--request-timeout', '1s'], exit: 8},
  {name: '500 InternalError, --check-serviceaccounts', failing: (attrs) => attrs.kind === 'resource' && attrs.resource === 'subjectaccessreviews', extraArgs: ['--check-serviceaccounts'], exit: 8},
]

const review = (status: unknown): string => JSON.stringify({kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: {}, spec: {}, ...(status === undefined ? {} : {status})})

const MALFORMED: ReviewCase[] = [
  {name: 'no status', options: {reviewAnswer: () => review(undefined)}},
  {name: 'status null', options: {reviewAnswer: () => review(null)}},
  {name: 'status a string', options: {reviewAnswer: () => review('allowed')}},
  {name: 'status.allowed missing', options: {reviewAnswer: () => review({reason: 'no opinion'})}},
  {name: 'status.allowed "true" (a string)', options: {reviewAnswer: () => review({allowed: 'true'})}},
  {name: 'status.allowed null', options: {reviewAnswer: () => review({allowed: null})}},
  {name: 'status.allowed 1', options: {reviewAnswer: () => review({allowed: 1})}},
  {name: 'status.denied "yes" (a string)', options: {reviewAnswer: (status) => review({...status, denied: 'yes'})}},
  {name: 'status.reason an object', options: {reviewAnswer: (status) => review({...status, reason: {text: 'x'}})}},
  {name: 'a JSON array', options: {reviewAnswer: () => '[1,2,3]'}},
  {name: 'JSON null', options: {reviewAnswer: () => 'null'}},
  {name: 'every other answer malformed', options: {reviewAnswer: ((): FakeApiServerOptions['reviewAnswer'] => {
    let n = 0
    return (status) => (n++ % 2 === 1 ? review({...status, allowed: 'false'}) : undefined)
  })()}, partly: true},
]

async function runReviewCase(klass: Klass, c: ReviewCase, says: RegExp, expect: import('vitest').ExpectStatic): Promise<void> {
  const server = await sampleCluster(c.options, {}, c.failing)
  let end = 'not run'
  try {
    const r = await runCli(['who-can', '--kubeconfig', server.kubeconfigPath, ...CONFIRM_ARGS, ...(c.extraArgs ?? [])], {timeout: 100_000})
    end = ending(r)
    expect(r.stderr, 'no stack trace').not.toMatch(STACK_TRACE)
    // The RBAC answer stands: exit 0 when the endpoint failed (unverified confirmations are not
    // missing subjects, as with a 403); exit 8 when it answered malformed objects (a malformed server
    // object marks the answer incomplete, as a malformed ClusterRole does).
    expect(r.exitCode, r.stderr).toBe(c.exit ?? (klass === 'malformed reviews' ? 8 : 0))
    if (klass === 'malformed reviews') expect(r.stderr).toMatch(/INCOMPLETE[\s\S]*access review answers[^\n]*malformed/)
    if (c.exit === 8) expect(r.stderr).toMatch(/INCOMPLETE[^\n]*\n\s+cannot ask about [^\n]*--check-serviceaccounts/)
    const subjects = (JSON.parse(r.stdout) as {subjects: Subject[]}).subjects
    expect(subjects.map(key)).toEqual(confirmedBaseline.map(key))
    const truth = new Map(confirmedBaseline.map((s) => [key(s), s.confirmation]))
    for (const s of subjects) {
      if (c.partly) expect([truth.get(key(s)), 'unverified'], key(s)).toContain(s.confirmation)
      else expect(s.confirmation, key(s)).toBe('unverified')
    }
    expect(subjects.filter((s) => s.confirmation === 'denied'), 'never denied on a failed or malformed answer').toEqual([])
    // One line says how many reviews could not be confirmed and why.
    const lines = r.stderr.split('\n').filter((l) => /SubjectAccessReview/.test(l))
    expect(lines.length, r.stderr).toBe(1)
    expect(lines[0]).toMatch(/\d+ of \d+ SubjectAccessReviews? could not be (confirmed|used)/)
    expect(lines[0]).toMatch(says)
    end = `${end}, ${c.partly ? 'partly' : 'all'} unverified, one line`
  } catch (error) {
    wrong.push(`${klass} / ${c.name}: ${end}`)
    throw error
  } finally {
    record(klass, end)
    await server.stop()
  }
}

describe.concurrent('class 1: a SubjectAccessReview endpoint that hangs or fails leaves confirmations unverified', () => {
  for (const c of UNAVAILABLE) {
    it(c.name, {timeout: 120_000}, async ({expect}) => {
      await runReviewCase('reviews unavailable', c, /timeout|timed out|500|internal|not JSON|reset|connection|did not answer/i, expect)
    })
  }
})

describe.concurrent('class 2: malformed SubjectAccessReview answers are unverified, never denied', () => {
  for (const c of MALFORMED) {
    it(c.name, {timeout: 60_000}, async ({expect}) => {
      await runReviewCase('malformed reviews', c, /malformed/i, expect)
    })
  }
})

// ---------------------------------------------------------------------------------------------
// Class 3: malformed RBAC objects, from the server and in manifests.

const ESC_NAME = 'evil\u001b[31mrole\u0007'

interface ObjectCase {
  name: string
  /** Named in the report as it is named on stderr (sanitized). */
  says: string
  kind: 'Role' | 'ClusterRole' | 'RoleBinding' | 'ClusterRoleBinding'
  object: Record<string, unknown>
}

const OBJECTS: ObjectCase[] = [
  {name: 'ClusterRole rules a string', says: 'hostile-1', kind: 'ClusterRole', object: {metadata: {name: 'hostile-1'}, rules: 'get secrets'}},
  {name: 'ClusterRole rules a mapping', says: 'hostile-2', kind: 'ClusterRole', object: {metadata: {name: 'hostile-2'}, rules: {verbs: ['get'], apiGroups: [''], resources: ['secrets']}}},
  {name: 'ClusterRole rules[0] a string', says: 'hostile-3', kind: 'ClusterRole', object: {metadata: {name: 'hostile-3'}, rules: ['get secrets']}},
  {name: 'Role rules[0].verbs a string', says: 'payments/hostile-4', kind: 'Role', object: {metadata: {name: 'hostile-4', namespace: 'payments'}, rules: [{verbs: 'get', apiGroups: [''], resources: ['secrets']}]}},
  {name: 'Role rules[0].resources a string', says: 'payments/hostile-5', kind: 'Role', object: {metadata: {name: 'hostile-5', namespace: 'payments'}, rules: [{verbs: ['get'], apiGroups: [''], resources: 'secrets'}]}},
  {name: 'ClusterRole aggregationRule a string', says: 'hostile-6', kind: 'ClusterRole', object: {metadata: {name: 'hostile-6'}, aggregationRule: 'all of them', rules: []}},
  {name: 'ClusterRoleBinding subjects a mapping', says: 'hostile-7', kind: 'ClusterRoleBinding', object: {metadata: {name: 'hostile-7'}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin'}, subjects: {kind: 'User', name: 'mallory'}}},
  {name: 'RoleBinding subjects[0] without a name', says: 'payments/hostile-8', kind: 'RoleBinding', object: {metadata: {name: 'hostile-8', namespace: 'payments'}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view'}, subjects: [{kind: 'User'}]}},
  {name: 'RoleBinding roleRef a string', says: 'payments/hostile-9', kind: 'RoleBinding', object: {metadata: {name: 'hostile-9', namespace: 'payments'}, roleRef: 'cluster-admin', subjects: [{kind: 'User', name: 'mallory'}]}},
  {name: 'ClusterRoleBinding without roleRef', says: 'hostile-10', kind: 'ClusterRoleBinding', object: {metadata: {name: 'hostile-10'}, subjects: [{kind: 'User', name: 'mallory'}]}},
  {name: 'ClusterRole named with ESC and BEL, rules a number', says: 'evil\\x1b[31mrole\\x07', kind: 'ClusterRole', object: {metadata: {name: ESC_NAME}, rules: 5}},
]

function injected(c: ObjectCase): {roles?: unknown[]; clusterRoles?: unknown[]; roleBindings?: unknown[]; clusterRoleBindings?: unknown[]} {
  const object = {kind: c.kind, ...c.object}
  if (c.kind === 'Role') return {roles: [object]}
  if (c.kind === 'ClusterRole') return {clusterRoles: [object]}
  if (c.kind === 'RoleBinding') return {roleBindings: [object]}
  return {clusterRoleBindings: [object]}
}

function expectIncomplete(r: {exitCode?: number; stdout: string; stderr: string}, baseline: Subject[], says: string, expect: import('vitest').ExpectStatic): void {
  expect(r.stderr, 'no stack trace').not.toMatch(STACK_TRACE)
  expect(r.stderr, 'no raw control character on stderr').not.toMatch(RAW_CONTROL)
  expect(r.stdout, 'no raw control character on stdout').not.toMatch(RAW_CONTROL)
  expect(r.exitCode, r.stderr).toBe(8)
  expect(r.stderr).toContain('INCOMPLETE')
  expect(r.stderr, 'the skipped input is named').toContain(says)
  expect(r.stderr, 'the skips are counted').toMatch(/\d+ (malformed|unreadable|skipped)/)
  // The rest of the answer stands: every subject of the fault-free answer is still there.
  const subjects = (JSON.parse(r.stdout) as {subjects: Subject[]}).subjects.map(key)
  expect(baseline.map(key).filter((k) => !subjects.includes(k)), 'no subject of the rest lost').toEqual([])
}

describe.concurrent('class 3: malformed RBAC objects are counted, named skips and the answer is INCOMPLETE', () => {
  for (const c of OBJECTS) {
    it(`server: ${c.name}`, {timeout: 60_000}, async ({expect}) => {
      const server = await sampleCluster({}, injected(c))
      let end = 'not run'
      try {
        const r = await runCli(['who-can', '--kubeconfig', server.kubeconfigPath, ...ALL_ARGS])
        end = ending(r)
        expectIncomplete(r, connectedBaseline, c.says, expect)
        expect(r.stderr).toContain(c.kind)
        end = `${end}, INCOMPLETE, named`
      } catch (error) {
        wrong.push(`server / ${c.name}: ${end}`)
        throw error
      } finally {
        record('malformed RBAC objects (server)', end)
        await server.stop()
      }
    })
    it(`manifests: ${c.name}`, {timeout: 60_000}, async ({expect}) => {
      const dir = await sampleCopy(`object-${OBJECTS.indexOf(c)}`)
      await writeFile(path.join(dir, 'hostile.json'), JSON.stringify({apiVersion: 'rbac.authorization.k8s.io/v1', kind: c.kind, ...c.object}))
      let end = 'not run'
      try {
        const r = await runCli(['who-can', '--manifests', dir, '-A', '-o', 'json'])
        end = ending(r)
        expectIncomplete(r, offlineBaseline, c.says, expect)
        end = `${end}, INCOMPLETE, named`
      } catch (error) {
        wrong.push(`manifests / ${c.name}: ${end}`)
        throw error
      } finally {
        record('malformed RBAC objects (manifests)', end)
      }
    })
  }
})

// ---------------------------------------------------------------------------------------------
// Class 4: hostile --manifests inputs among good ones.

async function sampleCopy(name: string): Promise<string> {
  const dir = path.join(work, name)
  await cp(SAMPLES_RBAC, dir, {recursive: true})
  return dir
}

const BOMB = (() => {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
  let previous = 'a'
  for (const level of 'bcdefghi') {
    lines.push(`${level}: &${level} [${Array.from({length: 9}, () => `*${previous}`).join(',')}]`)
    previous = level
  }
  return lines.join('\n') + '\n'
})()

interface InputCase {
  name: string
  /** Named on stderr as this (sanitized). */
  says: string
  /** Writes the hostile input; returns the extra --manifests paths (the sample copy is always given). */
  make: (dir: string) => Promise<string[]>
}

const INPUTS: InputCase[] = [
  {name: '100,000 nested [ in JSON', says: 'deep.json', make: async (dir) => (await writeFile(path.join(dir, 'deep.json'), '['.repeat(100_000) + ']'.repeat(100_000)), [])},
  {name: '100,000 nested {"a": in JSON', says: 'deep-object.json', make: async (dir) => (await writeFile(path.join(dir, 'deep-object.json'), '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)), [])},
  {name: '100,000 nested [ in a YAML flow sequence', says: 'deep-flow.yaml', make: async (dir) => (await writeFile(path.join(dir, 'deep-flow.yaml'), `kind: ClusterRole\nrules: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`), [])},
  {name: '5,000 nested block sequences in YAML', says: 'deep-block.yaml', make: async (dir) => (await writeFile(path.join(dir, 'deep-block.yaml'), Array.from({length: 5000}, (_, i) => `${'  '.repeat(i)}- `).join('\n') + 'x\n'), [])},
  {name: 'a List of 100,000 nested items', says: 'deep-list.json', make: async (dir) => (await writeFile(path.join(dir, 'deep-list.json'), '{"kind":"List","items":'.repeat(20_000) + '[]' + '}'.repeat(20_000)), [])},
  {name: 'billion laughs (YAML alias bomb)', says: 'bomb.yaml', make: async (dir) => (await writeFile(path.join(dir, 'bomb.yaml'), BOMB), [])},
  {name: 'alias bomb inside a ClusterRole', says: 'bomb-role.yaml', make: async (dir) => (await writeFile(path.join(dir, 'bomb-role.yaml'), `kind: ClusterRole\nmetadata: {name: bomb}\n${BOMB}rules: [{verbs: *i, apiGroups: [""], resources: [secrets]}]\n`), [])},
  {name: 'alias to no anchor', says: 'unresolved.yaml', make: async (dir) => (await writeFile(path.join(dir, 'unresolved.yaml'), 'kind: ClusterRole\nmetadata: {name: x}\nrules: *nothing\n'), [])},
  {name: 'invalid YAML', says: 'broken.yaml', make: async (dir) => (await writeFile(path.join(dir, 'broken.yaml'), 'kind: Role\nmetadata: [\n'), [])},
  {name: 'invalid JSON', says: 'broken.json', make: async (dir) => (await writeFile(path.join(dir, 'broken.json'), '{"kind": "ClusterRole", "metadata": {"name": '), [])},
  {name: 'a scalar document', says: 'scalar.yaml', make: async (dir) => (await writeFile(path.join(dir, 'scalar.yaml'), 'just some words\n'), [])},
  {name: 'a hostile file name (ESC, BEL) on an alias bomb', says: 'evil\\x1b]0;pwned\\x07.yaml', make: async (dir) => (await writeFile(path.join(dir, 'evil\u001b]0;pwned\u0007.yaml'), BOMB), [])},
  {name: 'a named path that does not exist', says: 'missing.yaml', make: async (dir) => [path.join(dir, '..', `missing-${path.basename(dir)}`, 'missing.yaml')]},
  {name: 'a named FIFO (a read would block forever)', says: 'fifo.yaml', make: async (dir) => {
    const fifo = path.join(work, `${path.basename(dir)}-fifo.yaml`)
    execFileSync('mkfifo', [fifo])
    return [fifo]
  }},
  {name: 'a broken symbolic link in the folder', says: 'dangling.yaml', make: async (dir) => (await symlink(path.join(dir, 'nowhere.yaml'), path.join(dir, 'dangling.yaml')), [])},
  {name: 'an empty folder beside the good one', says: 'empty-folder', make: async (dir) => {
    const empty = path.join(work, `${path.basename(dir)}-empty-folder`)
    await mkdir(empty)
    return [empty]
  }},
  {name: 'a folder with no RBAC objects at all', says: 'no-rbac-folder', make: async (dir) => {
    const other = path.join(work, `${path.basename(dir)}-no-rbac-folder`)
    await mkdir(other)
    await writeFile(path.join(other, 'deploy.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: web}\n')
    return [other]
  }},
]

describe.concurrent('class 4: one hostile --manifests input is a counted skip, the rest stands, INCOMPLETE', () => {
  for (const c of INPUTS) {
    it(c.name, {timeout: 60_000}, async ({expect}) => {
      const dir = await sampleCopy(`input-${INPUTS.indexOf(c)}`)
      const extra = await c.make(dir)
      let end = 'not run'
      try {
        const r = await runCli(['who-can', 'get', 'secrets', '--manifests', dir, ...extra.flatMap((p) => ['--manifests', p]), '-A', '-o', 'json'], {timeout: 45_000})
        end = ending(r)
        const baseline = await offlineGetSecrets()
        expectIncomplete(r, baseline, c.says, expect)
        end = `${end}, INCOMPLETE, named`
      } catch (error) {
        wrong.push(`input / ${c.name}: ${end}`)
        throw error
      } finally {
        record('hostile manifest inputs', end)
      }
    })
  }
})

let getSecretsBaseline: Promise<Subject[]> | undefined
function offlineGetSecrets(): Promise<Subject[]> {
  getSecretsBaseline ??= runCli(['who-can', 'get', 'secrets', '--manifests', SAMPLES_RBAC, '-A', '-o', 'json']).then((r) => (JSON.parse(r.stdout) as {subjects: Subject[]}).subjects)
  return getSecretsBaseline
}
