import {describe, expect, it} from 'vitest'
import {cimDest, cloudQueryFromFilter, cloudSpecsFromFlags, CloudUsageError, describeProgress} from './cloud.js'

const NOW = Date.parse('2026-11-27T12:00:00Z')

describe('cloudSpecsFromFlags', () => {
  it('builds one spec per source flag, with its companions', () => {
    expect(
      cloudSpecsFromFlags({eks: 'prod', region: 'eu-west-1', insights: true, gke: 'g', project: 'p', aks: 'a', workspace: 'w', 'from-cluster': true, node: ['cp-1'], splunk: 'https://s:8089', 'splunk-token-env': 'SPLUNK_TOKEN'}),
    ).toEqual([
      {kind: 'eks', cluster: 'prod', region: 'eu-west-1', insights: true},
      {kind: 'gke', cluster: 'g', project: 'p'},
      {kind: 'aks', cluster: 'a', workspace: 'w'},
      {kind: 'splunk', url: 'https://s:8089', tokenEnv: 'SPLUNK_TOKEN'},
      {kind: 'cluster', nodes: ['cp-1']},
    ])
    expect(cloudSpecsFromFlags({})).toEqual([])
  })

  it('rejects a missing required companion and a companion without its source', () => {
    expect(() => cloudSpecsFromFlags({gke: 'g'})).toThrow(CloudUsageError)
    expect(() => cloudSpecsFromFlags({aks: 'a'})).toThrow(/--aks needs --workspace/)
    expect(() => cloudSpecsFromFlags({region: 'x'})).toThrow('--region only applies with --eks')
    expect(() => cloudSpecsFromFlags({'audit-path': '/var/log/a.log'})).toThrow('--audit-path only applies with --from-cluster')
  })

  it('names the cluster for CIM dest only when one cluster is read', () => {
    expect(cimDest([{kind: 'eks', cluster: 'prod'}])).toBe('prod')
    expect(cimDest([{kind: 'eks', cluster: 'prod'}, {kind: 'gke', cluster: 'g', project: 'p'}])).toBeUndefined()
    expect(cimDest([{kind: 'cluster'}])).toBeUndefined()
  })
})

describe('cloudQueryFromFilter', () => {
  it('defaults to the last 24h and says so', async () => {
    const {query, defaultWindow} = await cloudQueryFromFilter({}, {findings: false, now: NOW})
    expect(defaultWindow).toBe(true)
    expect(query).toEqual({from: new Date(NOW - 86_400_000), to: new Date(NOW), resources: ['secrets', 'configmaps']})
  })

  it('pushes resources (plural), user globs, verbs and the namespace; --to alone means the 24h before it', async () => {
    const {query, defaultWindow} = await cloudQueryFromFilter({to: '2026-11-27T00:00:00Z', resource: 'secret,cm,po', user: ['system:serviceaccount:*,bob'], verb: ['GET,list'], namespace: 'prod'}, {findings: false, now: NOW})
    expect(defaultWindow).toBe(false)
    expect(query).toEqual({
      from: new Date('2026-11-26T00:00:00Z'),
      to: new Date('2026-11-27T00:00:00Z'),
      resources: ['secrets', 'configmaps', 'pods'],
      users: ['system:serviceaccount:*', 'bob'],
      verbs: ['get', 'list'],
      namespaces: ['prod'],
    })
  })

  it('with findings fetches everything in the window (the rules need more than the display filter)', async () => {
    const {query} = await cloudQueryFromFilter({since: '2h', resource: 'secrets', user: ['bob'], verb: ['get']}, {findings: true, now: NOW})
    expect(query).toEqual({from: new Date(NOW - 7_200_000), to: new Date(NOW), resources: ['*']})
    expect((await cloudQueryFromFilter({resource: 'all'}, {findings: false, now: NOW})).query.resources).toEqual(['*'])
  })

  it('rejects a reversed window as a FilterError', async () => {
    await expect(cloudQueryFromFilter({from: '2026-11-27T00:00:00Z', to: '2026-11-26T00:00:00Z'}, {findings: false, now: NOW})).rejects.toThrow('--from is after --to')
  })
})

describe('describeProgress', () => {
  it('shows pages, events, bytes, the window covered and a retry', () => {
    const from = Date.parse('2024-06-01T00:00:00Z')
    expect(describeProgress({source: 'eks:prod', pages: 3, records: 90, events: 12, bytes: 3 * 1024 * 1024, from, to: from + 4_000, coveredTo: from + 1_000, retrying: {attempt: 2, delayMs: 1500}})).toBe(
      'eks:prod: 3 pages, 12 events, 3.0 MiB, window covered to 2024-06-01T00:00:01.000Z (25%), throttled, retry 2 in 1.5s',
    )
    expect(describeProgress({source: 'gke:p/c', pages: 1, records: 1, events: 1, bytes: 10, from, to: from + 1})).toBe('gke:p/c: 1 page, 1 event, 10 B')
  })
})
