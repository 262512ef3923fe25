import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {parseAllDocuments} from 'yaml'
import {runUnused, type UnusedReport} from './unused.js'
import {toUnusedView} from './unused-view.js'

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../test/unused/fixtures')

async function fixtureReport(indirect: boolean): Promise<UnusedReport> {
  const warnings: string[] = []
  const report = await runUnused({
    manifests: [join(FIXTURES, 'rbac')],
    kube: {},
    files: [join(FIXTURES, 'audit.log')],
    now: Date.parse('2026-11-27T00:00:00Z'),
    allNamespaces: true,
    indirect,
    onWarning: (m) => warnings.push(m),
  })
  return report
}

describe('toUnusedView over the unused fixtures', () => {
  it('maps every class, subject by subject, with its evidence', async () => {
    const report = await fixtureReport(false)
    const view = await toUnusedView(report)
    const classes = new Set(view.rows.map((r) => r.class))
    expect(classes).toEqual(new Set(['can-and-did', 'can-never-did', 'no-grant', 'denied']))
    expect(view.rows).toHaveLength(report.subjects.length + report.noGrant.length + report.denied.length)
    expect(new Set(view.rows.map((r) => r.key)).size).toBe(view.rows.length)

    const carol = view.rows.find((r) => r.key === 'subject:User:carol')
    expect(carol).toMatchObject({class: 'can-and-did', kind: 'User', name: 'carol', scope: 'cluster-wide', count: 2, lastAccess: Date.parse('2026-11-20T09:05:00.000Z')})
    expect(carol?.access).toBe('get,list,watch secrets')
    expect(carol?.objects).toContain('shop/secrets/db')

    const dave = view.rows.find((r) => r.key === 'subject:User:dave')
    expect(dave).toMatchObject({class: 'can-never-did', count: 0, objects: []})
    expect(dave?.lastAccess).toBeUndefined()

    const reporter = view.rows.find((r) => r.key === 'subject:ServiceAccount:billing/reporter')
    expect(reporter).toMatchObject({kind: 'ServiceAccount', namespace: 'billing', name: 'reporter'})

    const node = view.rows.find((r) => r.class === 'no-grant' && r.name === 'system:node:n1')
    expect(node?.kind).toBe('User')
    expect(node?.notes?.join(' ')).toMatch(/Node authorizer/)

    const intruder = view.rows.find((r) => r.class === 'denied')
    expect(intruder).toMatchObject({kind: 'ServiceAccount', namespace: 'shop', name: 'intruder', count: 2})
  })

  it('attaches each subject its suggestions with the ready-to-review YAML file text', async () => {
    const report = await fixtureReport(false)
    const view = await toUnusedView(report)
    const withSuggestions = report.subjects.filter((s) => s.suggestions.length > 0)
    expect(withSuggestions.length).toBeGreaterThan(0)
    for (const s of withSuggestions) {
      const row = view.rows.find((r) => r.key === `subject:${s.key}`)
      expect(row?.suggestions.map((x) => x.id)).toEqual(s.suggestions)
      for (const sug of row?.suggestions ?? []) {
        const original = report.suggestions.find((x) => x.id === sug.id)
        expect(sug.action).toBe(original?.action)
        expect(sug.summary).toBe(original?.summary)
        expect(sug.yaml).toContain(`(${sug.id}). Review before applying.`)
        const docs = parseAllDocuments(sug.yaml)
        const kinds = (Array.isArray(docs) ? docs : [docs]).map((d) => (d.toJS() as {kind?: string} | null)?.kind)
        expect(kinds).toEqual(original?.objects.map((o) => o.kind))
      }
    }
    const dave = view.rows.find((r) => r.key === 'subject:User:dave')
    expect(dave?.suggestions.length).toBeGreaterThan(0)
  })

  it('adds the indirect paths as their own rows', async () => {
    const report = await fixtureReport(true)
    const view = await toUnusedView(report)
    expect(report.indirect?.length).toBeGreaterThan(0)
    const indirect = view.rows.filter((r) => r.key.startsWith('indirect:'))
    expect(indirect).toHaveLength(report.indirect?.length ?? -1)
    const podCreate = indirect.find((r) => r.access === 'indirect: pod-create')
    expect(podCreate?.notes?.join(' ')).toContain('create deployments.apps in ns shop -> mount any secret')
    expect(indirect.every((r) => r.class === 'can-and-did' || r.class === 'can-never-did')).toBe(true)
  })
})
