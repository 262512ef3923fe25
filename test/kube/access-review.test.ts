// SubjectAccessReview and discovery against the fake API server, whose authorizer is scripted
// like a webhook: it may allow what RBAC does not, and deny what RBAC allows.
import {afterEach, describe, expect, it} from 'vitest'
import {discoverResources, questionKey, readStatus, reviewAccess, type AccessQuestion} from '../../src/kube/access-review.js'
import {KubeClient} from '../../src/kube/client.js'
import {loadKubeConfig} from '../../src/kube/config.js'
import type {RequestAttributes} from '../../src/rbac/types.js'
import {startFakeApiServer, type FakeApiServer, type FakeApiServerOptions, type FakeIdentity} from '../fake-apiserver/index.js'

const servers: FakeApiServer[] = []
const clients: KubeClient[] = []
afterEach(async () => {
  for (const client of clients.splice(0)) client.close()
  await Promise.all(servers.splice(0).map((server) => server.stop()))
})

async function serve(options: FakeApiServerOptions): Promise<{server: FakeApiServer; client: KubeClient}> {
  const server = await startFakeApiServer(options)
  servers.push(server)
  const client = new KubeClient(await loadKubeConfig({kubeconfig: server.kubeconfigPath}))
  clients.push(client)
  return {server, client}
}

const secretsIn = (namespace: string, verb = 'get'): AccessQuestion['resourceAttributes'] => ({namespace, verb, group: '', resource: 'secrets'})

// A webhook: bob may read secrets in `payments` (no RBAC says so), alice is denied outright,
// the on-call group may read anywhere, and the authorizer errs on `broken`.
function webhook(user: FakeIdentity, attributes: RequestAttributes) {
  if (attributes.kind === 'resource' && attributes.resource === 'subjectaccessreviews') return true
  if (attributes.kind === 'nonResource') return {allowed: attributes.path === '/healthz', reason: 'health is public'}
  if (user.username === 'alice') return {allowed: false, denied: true, reason: 'alice is suspended'}
  if (attributes.namespace === 'broken') return {allowed: false, evaluationError: 'webhook timed out'}
  if (user.groups.includes('on-call')) return {allowed: true, reason: 'on-call may read'}
  return {allowed: user.username === 'bob' && attributes.namespace === 'payments', reason: 'webhook decision'}
}

describe('reviewAccess', () => {
  it('returns the server authorizer\'s verdicts in question order', async () => {
    const {server, client} = await serve({authorize: webhook})
    const result = await reviewAccess(client, [
      {user: 'bob', resourceAttributes: secretsIn('payments')},
      {user: 'bob', resourceAttributes: secretsIn('default')},
      {user: 'alice', groups: ['on-call'], resourceAttributes: secretsIn('payments')},
      {user: 'carol', groups: ['on-call', 'system:authenticated'], uid: 'u-1', resourceAttributes: secretsIn('default', 'list')},
      {user: 'dave', resourceAttributes: secretsIn('broken')},
      {user: 'dave', nonResourceAttributes: {path: '/healthz', verb: 'get'}},
    ])
    expect(result.unverified).toBe(false)
    expect(result.answers).toEqual([
      {allowed: true, denied: false, reason: 'webhook decision', evaluationError: '', unverified: false},
      {allowed: false, denied: false, reason: 'webhook decision', evaluationError: '', unverified: false},
      {allowed: false, denied: true, reason: 'alice is suspended', evaluationError: '', unverified: false},
      {allowed: true, denied: false, reason: 'on-call may read', evaluationError: '', unverified: false},
      {allowed: false, denied: false, reason: '', evaluationError: 'webhook timed out', unverified: false},
      {allowed: true, denied: false, reason: 'health is public', evaluationError: '', unverified: false},
    ])
    expect(result.requests).toBe(6)
    expect(server.requests.filter((request) => request.method === 'POST' && request.path === '/apis/authorization.k8s.io/v1/subjectaccessreviews' && request.status === 201)).toHaveLength(6)
  })

  it('asks identical questions once, whatever the order of groups', async () => {
    let asked = 0
    const {client} = await serve({
      authorize: (user, attributes) => {
        if (attributes.kind === 'resource' && attributes.resource === 'subjectaccessreviews') return true
        asked++
        return user.groups.includes('admins')
      },
    })
    const questions: AccessQuestion[] = []
    for (let i = 0; i < 30; i++) {
      questions.push({user: 'eve', groups: i % 2 ? ['admins', 'devs'] : ['devs', 'admins'], resourceAttributes: secretsIn('prod')})
      questions.push({user: 'frank', groups: ['devs'], resourceAttributes: secretsIn('prod')})
    }
    const result = await reviewAccess(client, questions)
    expect(result.requests).toBe(2)
    expect(asked).toBe(2)
    expect(result.answers.filter((answer) => answer.allowed)).toHaveLength(30)
    expect(questionKey(questions[0]!)).toBe(questionKey(questions[2]!))
  })

  it('keeps at most `concurrency` reviews in flight', async () => {
    let inFlight = 0
    let peak = 0
    const {client} = await serve({
      // The delay runs when a request arrives; the authorizer runs when it is answered.
      delayMs: (request) => {
        if (request.method !== 'POST') return 0
        peak = Math.max(peak, ++inFlight)
        return 30
      },
      authorize: (user, attributes) => {
        if (attributes.kind === 'resource' && attributes.resource === 'subjectaccessreviews') inFlight--
        return true
      },
    })
    const questions = Array.from({length: 40}, (_, i): AccessQuestion => ({user: `user-${i}`, resourceAttributes: secretsIn('prod')}))
    const result = await reviewAccess(client, questions, {concurrency: 3})
    expect(result.requests).toBe(40)
    expect(peak).toBeLessThanOrEqual(3)
    expect(peak).toBeGreaterThanOrEqual(2)
  })

  it('stops after the first 403 and marks every answer unverified, with one message', async () => {
    const {server, client} = await serve({
      identity: {username: 'reader', groups: ['system:authenticated']},
      authorize: (user, attributes) => !(attributes.kind === 'resource' && attributes.resource === 'subjectaccessreviews'),
    })
    const questions = Array.from({length: 25}, (_, i): AccessQuestion => ({user: `user-${i}`, resourceAttributes: secretsIn('prod')}))
    const result = await reviewAccess(client, questions)
    expect(result.unverified).toBe(true)
    expect(result.requests).toBe(1)
    expect(server.requests).toHaveLength(1)
    expect(result.message).toBe('cannot verify with SubjectAccessReview: subjectaccessreviews.authorization.k8s.io is forbidden: User "reader" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope')
    expect(result.answers).toHaveLength(25)
    expect(result.answers.every((answer) => answer.unverified && !answer.allowed)).toBe(true)
  })

  it('keeps an invalid question unverified and answers the others', async () => {
    const {client} = await serve({authorize: () => true})
    const result = await reviewAccess(client, [
      {user: 'ok', resourceAttributes: secretsIn('prod')},
      {user: 'both', resourceAttributes: secretsIn('prod'), nonResourceAttributes: {path: '/x', verb: 'get'}},
    ])
    expect(result.unverified).toBe(false)
    expect(result.answers[0]).toMatchObject({allowed: true, unverified: false})
    expect(result.answers[1]).toMatchObject({allowed: false, unverified: true})
    expect(result.answers[1]!.evaluationError).toMatch(/exactly one of nonResourceAttributes or resourceAttributes/)
  })
})

describe('reviewAccess when the endpoint hangs, fails or answers malformed objects', () => {
  const many = (n: number) => Array.from({length: n}, (_, i): AccessQuestion => ({user: `user-${i}`, resourceAttributes: secretsIn('prod')}))

  it('a review that never answers costs one timeout: the rest is not sent, every answer unverified', async () => {
    const {server, client} = await serve({authorize: () => true, reviewAnswer: () => 'hang'})
    const result = await reviewAccess(client, many(20), {timeoutMs: 200})
    expect(result.unverified).toBe(false)
    expect(result.requests).toBe(1)
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1)
    expect(result.answers.every((a) => a.unverified && !a.allowed && !a.denied)).toBe(true)
    expect(result.failures).toEqual([
      {cause: 'not sent: the endpoint answered no review within 200ms', count: 19},
      {cause: 'timed out after 200ms', count: 1},
    ])
  })

  it('an endpoint that fails every review is given up on after 5 failures in a row', async () => {
    const {client} = await serve({authorize: (user, attributes) => {
      if (attributes.kind === 'resource' && attributes.resource === 'subjectaccessreviews') throw new Error('boom')
      return true
    }})
    const result = await reviewAccess(client, many(40), {concurrency: 1})
    expect(result.requests).toBe(5)
    expect(result.failures).toEqual([{cause: 'not sent after 5 failures in a row', count: 35}, {cause: 'HTTP 500 InternalError', count: 5}])
    expect(result.answers.every((a) => a.unverified)).toBe(true)
  })

  it('malformed answers are unverified and counted, never denied', async () => {
    const bodies = [
      JSON.stringify({kind: 'SubjectAccessReview'}),
      JSON.stringify({status: {allowed: 'false'}}),
      JSON.stringify({status: {allowed: null}}),
      JSON.stringify({status: {allowed: false, denied: 'yes'}}),
      'null',
      '[]',
    ]
    let n = 0
    const {client} = await serve({authorize: () => true, reviewAnswer: (status) => (n++ % 2 === 0 ? bodies[(n >> 1) % bodies.length] : JSON.stringify({status}))})
    const result = await reviewAccess(client, many(12), {concurrency: 1})
    expect(result.malformed).toBe(6)
    expect(result.answers.filter((a) => a.unverified)).toHaveLength(6)
    expect(result.answers.filter((a) => !a.unverified).every((a) => a.allowed)).toBe(true)
    expect(result.answers.some((a) => a.denied)).toBe(false)
    expect(result.failures.every((f) => f.cause.startsWith('malformed answer: '))).toBe(true)
  })

  it('the time allowed for all reviews together bounds a slow endpoint', async () => {
    const {client} = await serve({authorize: () => true, delayMs: (r) => (r.method === 'POST' ? 100 : 0)})
    const result = await reviewAccess(client, many(50), {concurrency: 1, timeoutMs: 1000, budgetMs: 350})
    expect(result.requests).toBeLessThan(50)
    expect(result.failures.find((f) => f.cause.startsWith('not sent: the 350ms allowed'))?.count).toBe(50 - result.requests)
  })
})

describe('readStatus', () => {
  it('reads only a boolean allowed as an answer', () => {
    expect(readStatus({status: {allowed: true, reason: 'r'}})).toEqual({allowed: true, denied: false, reason: 'r', evaluationError: ''})
    expect(readStatus({status: {allowed: false, denied: true}})).toEqual({allowed: false, denied: true, reason: '', evaluationError: ''})
    expect(readStatus({})).toBe('no status')
    expect(readStatus(null)).toBe('the answer is null, not an object')
    expect(readStatus({status: 'yes'})).toBe('status is a string')
    expect(readStatus({status: {}})).toBe('status.allowed is missing')
    expect(readStatus({status: {allowed: 'true'}})).toBe('status.allowed is a string')
    expect(readStatus({status: {allowed: true, denied: true}})).toBe('status.allowed and status.denied are both true')
    expect(readStatus({status: {allowed: true, reason: 7}})).toBe('status.reason is a number')
  })
})

describe('discoverResources', () => {
  it('reads /api, /apis and every preferred group version', async () => {
    const {server, client} = await serve({})
    const discovery = await discoverResources(client)
    expect(discovery.coreVersions).toEqual(['v1'])
    expect(discovery.groups.map((group) => group.name).sort()).toEqual(['authorization.k8s.io', 'rbac.authorization.k8s.io'])
    expect(discovery.resourceLists.map((list) => list.groupVersion).sort()).toEqual(['authorization.k8s.io/v1', 'rbac.authorization.k8s.io/v1', 'v1'])
    const core = discovery.resourceLists.find((list) => list.groupVersion === 'v1')!
    expect(core.resources.find((resource) => resource.name === 'secrets')).toMatchObject({namespaced: true, kind: 'Secret'})
    expect(discovery.failed).toEqual([])
    expect(discovery.requests).toBe(5)
    expect(server.requests.map((request) => request.path).sort()).toEqual(['/api', '/api/v1', '/apis', '/apis/authorization.k8s.io/v1', '/apis/rbac.authorization.k8s.io/v1'])
  })

  it('reports a group version it cannot read and keeps the others', async () => {
    const {client} = await serve({authorize: (user, attributes) => !(attributes.kind === 'nonResource' && attributes.path === '/apis/authorization.k8s.io/v1')})
    const discovery = await discoverResources(client)
    expect(discovery.resourceLists.map((list) => list.groupVersion).sort()).toEqual(['rbac.authorization.k8s.io/v1', 'v1'])
    expect(discovery.failed).toEqual([{groupVersion: 'authorization.k8s.io/v1', message: 'forbidden: User "admin" cannot get path "/apis/authorization.k8s.io/v1"'}])
  })
})
