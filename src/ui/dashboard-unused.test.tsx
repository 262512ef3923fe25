import {afterEach, describe, expect, it} from 'vitest'
import {Dashboard} from './dashboard.js'
import type {DashboardData, UnusedRow} from './model.js'
import {DATA, EVIL_USER, RULE_INFO} from '../../test/ui/fixtures/dashboard-data.js'
import {KEYS, lines, mount, selectedLine, type App} from '../../test/ui/ink-helpers.js'

const T = (iso: string) => Date.parse(iso)

// A long YAML so the details must scroll at 80x23.
const LONG_YAML = [
  '# Suggested by kubectl sensitive-access unused (S1). Review before applying.',
  '# ACTION: DELETE the object below (applying it would change nothing):',
  '#   kubectl delete clusterrolebinding dave-secrets',
  '---',
  'apiVersion: rbac.authorization.k8s.io/v1',
  'kind: ClusterRoleBinding',
  'metadata:',
  '  name: dave-secrets',
  'roleRef:',
  '  apiGroup: rbac.authorization.k8s.io',
  '  kind: ClusterRole',
  '  name: secret-reader',
  'subjects:',
  ...Array.from({length: 20}, (_, i) => `  - kind: User\n    name: filler-${i}`).join('\n').split('\n'),
  '  - kind: User',
  '    name: LAST-LINE-OF-YAML',
  '',
].join('\n')

const UNUSED_ROWS: UnusedRow[] = [
  {
    key: 'subject:User:carol',
    class: 'can-and-did',
    kind: 'User',
    name: 'carol',
    access: 'get,list,watch secrets',
    scope: 'cluster-wide',
    lastAccess: T('2026-11-20T09:05:00Z'),
    count: 2,
    objects: ['shop/secrets/db'],
    suggestions: [{id: 'S2', action: 'replace-with-least-privilege', summary: 'replace carol cluster-wide read with get secret db in shop', yaml: 'kind: Role\nmetadata:\n  name: carol-least\n'}],
  },
  {
    key: 'subject:User:dave',
    class: 'can-never-did',
    kind: 'User',
    name: 'dave',
    access: 'get,list secrets',
    scope: 'cluster-wide',
    count: 0,
    objects: [],
    suggestions: [{id: 'S1', action: 'delete-binding', summary: 'delete ClusterRoleBinding dave-secrets: nobody it binds used it', yaml: LONG_YAML}],
  },
  {
    key: 'subject:ServiceAccount:billing/reporter',
    class: 'can-never-did',
    kind: 'ServiceAccount',
    name: 'reporter',
    namespace: 'billing',
    access: 'list configmaps',
    scope: 'billing',
    count: 0,
    objects: [],
    suggestions: [],
  },
  {
    key: 'no-grant:system:node:n1',
    class: 'no-grant',
    kind: 'User',
    name: 'system:node:n1',
    access: 'get in shop',
    scope: '-',
    lastAccess: T('2026-11-21T10:00:00Z'),
    count: 1,
    objects: ['shop/secrets/tls'],
    suggestions: [],
    notes: ['allowed by the Node authorizer'],
  },
  {
    key: 'denied:evil',
    class: 'denied',
    kind: 'User',
    name: EVIL_USER,
    access: 'list in kube-system',
    scope: '-',
    lastAccess: T('2026-11-22T11:00:00Z'),
    count: 3,
    objects: ['kube-system/secrets\u001b[31m'],
    suggestions: [{id: 'S9\u0007', action: 'remove-subjects', summary: 'remove \u001b]0;x\u0007 from binding', yaml: 'name: \u001b[2Jevil\n'}],
  },
]

const WITH_UNUSED: DashboardData = {...DATA, unused: {rows: UNUSED_ROWS, window: 'start of the log .. 2026-11-27T00:00:00Z'}}
const ONLY_UNUSED: DashboardData = {events: [], findings: [], unused: {rows: UNUSED_ROWS}}

let app: App | undefined
afterEach(() => {
  app?.unmount()
  app = undefined
})

async function open(props: Partial<Parameters<typeof Dashboard>[0]> = {}, size = {width: 80, height: 23}) {
  app = await mount(<Dashboard data={WITH_UNUSED} ruleInfo={RULE_INFO} input colour={false} {...size} {...props} />)
  return app
}

const rowLines = (frame: string) => lines(frame).filter((l) => /^[> ] (can-and-did|can-never-did|no-grant|denied)\s/.test(l))
const classOf = (l: string) => l.slice(2).split(/\s+/)[0]

describe('Unused view', () => {
  it('is view 5 only with unused data, and renders within 80 columns and 23 lines', async () => {
    const a = await open()
    expect(a.frame()).toContain(' 5 Unused')
    const f = await a.press('5')
    expect(f).toContain('[5 Unused]')
    expect(lines(f).length).toBeLessThanOrEqual(23)
    expect(Math.max(...lines(f).map((l) => [...l].length))).toBeLessThanOrEqual(80)
    expect(f).toMatch(/CLASS\s+SUBJECT\s+ACCESS\s+LAST ACCESS\s+COUNT/)
    expect(f).toContain('2 of 5 rows never used')
    // Default sort: never-used grants first, then no-grant, denied, can-and-did.
    expect(rowLines(f).map(classOf)).toEqual(['can-never-did', 'can-never-did', 'no-grant', 'denied', 'can-and-did'])
    expect(f).toMatch(/can-never-did\s+SA billing\/reporter\s+list configmaps\s+never\s+0/)
    expect(f).toMatch(/can-and-did\s+User carol\s+get,list,watch se…\s+11-20 09:05:00\s+2/)
    expect(f).toContain('1/5')

    await a.unmount()
    app = await mount(<Dashboard data={DATA} input colour={false} width={80} height={23} />)
    expect(app.frame()).not.toContain('Unused')
    // Without unused data, 5 does nothing and Tab wraps from Identity to Who can.
    expect(await app.press('5')).toContain('[1 Who can]')
    await app.press('4')
    expect(await app.press(KEYS.tab)).toContain('[1 Who can]')
  })

  it('is reached by Tab after Identity, and Shift-Tab from Who can', async () => {
    const a = await open()
    expect(await a.press('4', KEYS.tab)).toContain('[5 Unused]')
    expect(await a.press(KEYS.tab)).toContain('[1 Who can]')
    expect(await a.press('\u001b[Z')).toContain('[5 Unused]')
  })

  it('opens first when asked, or when it is the only data', async () => {
    const a = await open({initialView: 'unused'})
    expect(a.frame()).toContain('[5 Unused]')
    a.unmount()
    app = await mount(<Dashboard data={ONLY_UNUSED} input colour={false} width={80} height={23} />)
    expect(app.frame()).toContain('[5 Unused]')
    // An initial view the data cannot show falls back to the default.
    app.unmount()
    app = await mount(<Dashboard data={DATA} input colour={false} width={80} height={23} initialView="unused" />)
    expect(app.frame()).toContain('[1 Who can]')
  })

  it('Enter shows the evidence and each suggestion with its YAML, scrollable to the end', async () => {
    const a = await open({initialView: 'unused'})
    expect(selectedLine(a.frame())).toContain('dave')
    const d = await a.press(KEYS.enter)
    expect(d).toContain('Subject:      User dave')
    expect(d).toContain('Last access:  never in the window')
    expect(d).toContain('Objects (0):')
    expect(d).toContain('1. S1 [delete-binding] delete ClusterRoleBinding dave-secrets')
    expect(d).toContain('   # Suggested by kubectl sensitive-access unused (S1). Review before applying.')
    expect(d).not.toContain('LAST-LINE-OF-YAML')
    expect(await a.press('j', 'j', 'j')).toContain('   kind: ClusterRoleBinding')
    expect(lines(d).length).toBeLessThanOrEqual(23)
    const end = await a.press('G')
    expect(end).toContain('    name: LAST-LINE-OF-YAML')
    expect(end).not.toContain('Subject:')
    expect(await a.press('g')).toContain('Subject:')
    const back = await a.press(KEYS.escape)
    expect(back).toContain('[5 Unused]')
    expect(selectedLine(back)).toContain('dave')
  })

  it('shows the evidence of a used grant: objects and last access', async () => {
    const a = await open({initialView: 'unused'})
    const d = await a.press('G', KEYS.enter)
    expect(d).toContain('Subject:      User carol')
    expect(d).toContain('Last access:  2026-11-20 09:05:00Z')
    expect(d).toContain('  shop/secrets/db')
    expect(d).toContain('1. S2 [replace-with-least-privilege]')
    expect(d).toContain('   kind: Role')
  })

  it('filters with / and clears with Esc', async () => {
    const a = await open({initialView: 'unused'})
    await a.press('/')
    await a.type('billing')
    const f = await a.press(KEYS.enter)
    expect(rowLines(f)).toHaveLength(1)
    expect(f).toContain('reporter')
    expect(f).toContain('filter: billing')
    await a.press('/')
    await a.type('no-such-thing')
    expect(await a.press(KEYS.enter)).toContain('No row matches the filter.')
    expect(rowLines(await a.press(KEYS.escape))).toHaveLength(5)
  })

  it('sorts with s: class, last access, name', async () => {
    const a = await open({initialView: 'unused'})
    const byLast = await a.press('s')
    expect(byLast).toContain('sort: last access')
    // Most recent first, never-accessed last.
    expect(rowLines(byLast).map((l) => l.match(/(carol|dave|reporter|system:node:n1|mallory)/)?.[1])).toEqual(['mallory', 'system:node:n1', 'carol', 'dave', 'reporter'])
    const byName = await a.press('s')
    expect(byName).toContain('sort: name')
    expect(rowLines(byName).map((l) => l.match(/(carol|dave|reporter|system:node:n1|mallory)/)?.[1])).toEqual(['carol', 'dave', 'mallory', 'reporter', 'system:node:n1'])
    expect(await a.press('s')).toContain('sort: class')
  })

  it('i opens the Identity view for the selected subject', async () => {
    const a = await open({initialView: 'unused'})
    const f = await a.press('j', 'i')
    expect(f).toContain('[4 Identity]')
    expect(f).toContain('Identity: ServiceAccount billing/reporter')
    // From the details too.
    await a.press('5', 'g', KEYS.enter)
    expect(await a.press('i')).toContain('Identity: User dave')
  })

  it('never shows control characters from names, objects, summaries or YAML', async () => {
    const a = await open({initialView: 'unused'}, {width: 120, height: 30})
    await a.press('/')
    await a.type('mall')
    const list = await a.press(KEYS.enter)
    const frames = [list, await a.press(KEYS.enter)]
    for (const f of frames) {
      // eslint-disable-next-line no-control-regex
      expect(f).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
    }
    expect(frames[0]).toContain('mallory\\x1b]0;pwned\\x07')
    expect(frames[1]).toContain('kube-system/secrets\\x1b[31m')
    expect(frames[1]).toContain('S9\\x07')
    expect(frames[1]).toContain('name: \\x1b[2Jevil')
  })

  it('windows a long list and stays within 80x23', async () => {
    const many: UnusedRow[] = Array.from({length: 5000}, (_, i) => ({
      key: `k${i}`,
      class: i % 2 === 0 ? 'can-never-did' : 'can-and-did',
      kind: 'User',
      name: `user-${String(i).padStart(5, '0')}`,
      access: 'get secrets',
      scope: 'cluster-wide',
      count: i % 2,
      objects: [],
      suggestions: [],
    }))
    const a = await open({data: {...DATA, unused: {rows: many}}, initialView: 'unused'})
    const f = a.frame()
    expect(lines(f).length).toBeLessThanOrEqual(23)
    expect(rowLines(f)).toHaveLength(17)
    expect(f).toContain('1/5000')
    const end = await a.press('G')
    expect(end).toContain('5000/5000')
    expect(selectedLine(end)).toContain('user-04999')
  })
})
