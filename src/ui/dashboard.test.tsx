import {afterEach, describe, expect, it, vi} from 'vitest'
import {Dashboard} from './dashboard.js'
import type {AuditEvent} from '../audit/event.js'
import {DATA, EVENTS, EVIL_USER, RULE_INFO, WHO_CAN_ROWS, event, manyEvents} from '../../test/ui/fixtures/dashboard-data.js'
import {KEYS, lines, mount, selectedLine, tick, type App} from '../../test/ui/ink-helpers.js'

let app: App | undefined
afterEach(() => {
  app?.unmount()
  app = undefined
})

async function open(props: Partial<Parameters<typeof Dashboard>[0]> = {}, size = {width: 80, height: 23}) {
  app = await mount(<Dashboard data={DATA} ruleInfo={RULE_INFO} input colour={false} {...size} {...props} />)
  return app
}

function widest(frame: string): number {
  return Math.max(...lines(frame).map((l) => [...l].length))
}

describe('Dashboard views', () => {
  it('renders each view within 80 columns and 23 lines', async () => {
    const a = await open()
    const frames = [a.frame(), await a.press('2'), await a.press('3'), await a.press('4')]
    for (const f of frames) {
      expect(widest(f)).toBeLessThanOrEqual(80)
      expect(lines(f).length).toBeLessThanOrEqual(23)
    }
    expect(frames[0]).toContain('[1 Who can]')
    expect(frames[0]).toMatch(/SA\s+ci\/deployer\s+get secrets\s+payments,sta…\s+DENIED\s+token-theft/)
    expect(frames[1]).toContain('[2 Recent]')
    expect(frames[1]).toContain('TOP USERS')
    expect(frames[1]).toMatch(/TOP SOURCE IPS[\s\S]*10\.0\.0\.7\s+3/)
    expect(frames[2]).toContain('[3 Findings]')
    expect(frames[3]).toContain('press i to open its identity')
  })

  it('switches views with Tab, Shift-Tab and the digits', async () => {
    const a = await open()
    expect(await a.press(KEYS.tab)).toContain('[2 Recent]')
    expect(await a.press(KEYS.tab)).toContain('[3 Findings]')
    expect(await a.press('\u001b[Z')).toContain('[2 Recent]')
    expect(await a.press('1')).toContain('[1 Who can]')
    expect(await a.press('4')).toContain('[4 Identity]')
  })

  it('orders findings by severity with the severity written as a word', async () => {
    const a = await open()
    const f = await a.press('3')
    const rows = lines(f).filter((l) => /CRITICAL|MEDIUM|LOW/.test(l))
    expect(rows.map((l) => l.match(/CRITICAL|MEDIUM|LOW/)?.[0])).toEqual(['CRITICAL', 'MEDIUM', 'LOW'])
  })

  it('lists events newest first', async () => {
    const a = await open()
    const f = await a.press('2')
    const times = lines(f).flatMap((l) => l.match(/11-27 09:00:0(\d)/)?.[1] ?? [])
    expect(times).toEqual(['5', '4', '3', '2', '1'])
  })
})

describe('Dashboard navigation', () => {
  it('moves the selection with j/k, arrows, g/G and PgDn/PgUp', async () => {
    const a = await open()
    expect(selectedLine(a.frame())).toContain('ops')
    expect(selectedLine(await a.press('j'))).toContain('ci/deployer')
    expect(selectedLine(await a.press(KEYS.down))).toContain('alice')
    expect(selectedLine(await a.press('k'))).toContain('ci/deployer')
    expect(selectedLine(await a.press('G'))).toContain('mallory')
    expect(selectedLine(await a.press('g'))).toContain('ops')
    expect(selectedLine(await a.press(KEYS.pageDown))).toContain('mallory')
    expect(selectedLine(await a.press(KEYS.pageUp))).toContain('ops')
    expect(a.frame()).toContain('1/5')
  })

  it('acts on every key of a chunk typed fast or pasted, each on the state the one before left', async () => {
    const a = await open()
    // 'jj' in one read: two moves, not none.
    expect(selectedLine(await a.press('jj'))).toContain('alice')
    expect(a.frame()).toContain('3/5')
    // A move then Enter: the detail of the row moved to.
    expect(await a.press('k\r')).toContain('Subject:      ServiceAccount ci/deployer')
    await a.press(KEYS.escape)
    // A whole filter typed with its Enter, then a move, all in one chunk.
    const filtered = await a.press('g/alic\r')
    expect(filtered).toContain('filter: alic')
    expect(filtered).toContain('1/1')
    expect(filtered).not.toContain('ci/deployer')
  })

  it('keeps the order of chunks that arrive while earlier keys still wait', async () => {
    const a = await open()
    // 'g' comes after both moves: back on the first row (acting on it first would leave row 2).
    expect(selectedLine(await a.pressTogether('jj', 'g'))).toContain('ops')
    expect(a.frame()).toContain('1/5')
    // Keys after a filter's Enter in the same chunk act on the filtered list.
    const after = await a.pressTogether('/e\rG')
    expect(after).toContain('filter: e')
    expect(selectedLine(after)).toContain('mallory')
  })

  it('pages through a long list one screen at a time', async () => {
    const a = await open({data: {...DATA, events: manyEvents(200)}})
    await a.press('2')
    const before = selectedLine(a.frame())
    const after = selectedLine(await a.press(KEYS.pageDown))
    expect(after).not.toEqual(before)
    // 23 lines: 4 of chrome, 3+1 of summaries, 1 header: 14 rows, a page moves 13.
    expect(a.frame()).toContain('14/200')
  })

  it('filters with / and Enter, and Esc clears the filter', async () => {
    const a = await open()
    await a.press('/')
    expect(await a.type('alic')).toContain('Filter: alic_')
    const filtered = await a.press(KEYS.enter)
    expect(filtered).toContain('filter: alic')
    expect(filtered).toContain('alice')
    expect(filtered).not.toContain('ci/deployer')
    expect(filtered).toContain('1/1')
    const cleared = await a.press(KEYS.escape)
    expect(cleared).toContain('ci/deployer')
    expect(cleared).toContain('1/5')
  })

  it('applies a filter whose text and Enter arrive in one chunk (fast typing, paste)', async () => {
    const a = await open()
    await a.press('/')
    const filtered = await a.press('alic\r')
    expect(filtered).toContain('filter: alic')
    expect(filtered).toContain('1/1')
    expect(filtered).not.toContain('\\x0d')
  })

  it('Esc while typing a filter abandons it; backspace edits it', async () => {
    const a = await open()
    await a.press('/')
    await a.type('bobx')
    expect(await a.press(KEYS.backspace)).toContain('Filter: bob_')
    await a.press(KEYS.enter)
    expect(a.frame()).toContain('1/1')
    await a.press('/')
    await a.type('zzz')
    const f = await a.press(KEYS.escape)
    expect(f).toContain('1/5')
    expect(f).not.toContain('filter:')
  })

  it('s cycles the sort key and changes the order', async () => {
    const a = await open()
    const byRisk = selectedLine(a.frame())
    const f = await a.press('s')
    expect(f).toContain('sort: name')
    expect(selectedLine(f)).not.toEqual(byRisk)
    expect(selectedLine(f)).toContain('alice')
    expect(await a.press('s')).toContain('sort: kind')
  })

  it('Enter shows every grant path with the kubectl commands; Esc goes back', async () => {
    const a = await open({}, {width: 80, height: 40})
    await a.press('j')
    const d = await a.press(KEYS.enter)
    expect(d).toContain('Subject:      ServiceAccount ci/deployer')
    expect(d).toContain('RoleBinding payments/shared-readers -> ClusterRole view-secrets')
    expect(d).toContain('kubectl get rolebinding shared-readers -n payments -o yaml')
    expect(d).toContain('kubectl get clusterrole view-secrets -o yaml')
    // shared-readers also binds bob: removing deployer must not delete it.
    expect(d).toContain('kubectl edit rolebinding shared-readers -n payments')
    expect(d).not.toContain('kubectl delete rolebinding shared-readers')
    // deployer-gone only binds deployer.
    expect(d).toContain('2. RoleBinding staging/deployer-gone -> Role was-deleted (MISSING: role not')
    expect(d).toContain('kubectl delete rolebinding deployer-gone -n staging')
    const back = await a.press(KEYS.escape)
    expect(back).toContain('KIND  SUBJECT')
  })

  it('scrolls long details with j', async () => {
    const a = await open()
    await a.press('j', KEYS.enter)
    const top = a.frame()
    expect(top).toContain('Subject:')
    const scrolled = await a.press('G')
    expect(scrolled).not.toContain('Subject:')
    expect(scrolled).toContain('kubectl delete rolebinding deployer-gone -n staging')
  })

  it('suggests an exact JSON patch when the subject index in a shared binding is known', async () => {
    const a = await open({}, {width: 120, height: 40})
    const d = await a.press(KEYS.enter)
    expect(d).toContain('kubectl edit clusterrolebinding ops-admin')
    expect(d).toContain(`kubectl patch clusterrolebinding ops-admin --type=json -p '[{"op":"remove","path":"/subjects/1"}]'`)
  })

  it('Enter on an event shows all its fields; on a finding its explanation and evidence', async () => {
    const a = await open({}, {width: 100, height: 40})
    await a.press('2')
    const ev = await a.press(KEYS.enter)
    expect(ev).toContain('Audit ID:     audit-5')
    expect(ev).toContain('Data keys:    password, username')
    expect(ev).toContain('Origin:       k8s audit.log:6')
    await a.press(KEYS.escape, '3')
    const fd = await a.press(KEYS.enter)
    expect(fd).toContain('CRITICAL  Service account denied on secrets')
    expect(fd).toContain('A service account was refused access to secrets')
    expect(fd).toContain('Controllers retrying after an RBAC change.')
    expect(fd).toMatch(/11-27 09:00:03Z\s+get secrets payments\/db-3\s+by system:serviceaccount:ci:deployer\s+403/)
    expect(fd).toContain('audit not-loaded old.log:9 (event not loaded)')
  })

  it('i opens the identity: what it can do and what it did', async () => {
    const a = await open()
    await a.press('j')
    const id = await a.press('i')
    expect(id).toContain('[4 Identity]')
    expect(id).toContain('Identity: ServiceAccount ci/deployer')
    expect(id).toContain('self get secrets in payments,staging [DENIED]')
    expect(id).toContain('DID (1 events)')
    expect(id).toContain('secrets payments/db-3')
  })

  it('i on an event reaches the groups the user carries; s sorts its events', async () => {
    const a = await open({}, {width: 80, height: 30})
    await a.press('2', 'G')
    const id = await a.press('i')
    expect(id).toContain('Identity: User alice')
    expect(id).toContain('self get,list secrets in payments')
    expect(id).toContain('via Group ops: * secrets,configmaps in cluster-wide')
    expect(id).toContain('DID (2 events)')
    expect(selectedLine(id)).toContain('09:00:02')
    const oldest = await a.press('s')
    expect(oldest).toContain('sort: oldest')
    expect(selectedLine(oldest)).toContain('09:00:01')
  })

  it('puts the identity panes side by side on a wide terminal', async () => {
    const a = await open({}, {width: 140, height: 23})
    await a.press('2', 'G', 'i')
    const line = lines(a.frame()).find((l) => l.includes('CAN DO'))
    expect(line).toContain('DID (2 events)')
  })

  it('? shows the help and hides it again', async () => {
    const a = await open()
    const h = await a.press('?')
    expect(h).toContain('Filter     / then type, Enter applies, Esc clears')
    expect(await a.press('?')).not.toContain('Filter     /')
    await a.press('?')
    expect(await a.press(KEYS.escape)).toContain('KIND  SUBJECT')
  })

  it('q and Ctrl-C call onQuit', async () => {
    const onQuit = vi.fn()
    const a = await open({onQuit})
    await a.press('j')
    expect(onQuit).not.toHaveBeenCalled()
    await a.press('q')
    expect(onQuit).toHaveBeenCalledTimes(1)
    a.unmount()
    const onQuit2 = vi.fn()
    const b = await open({onQuit: onQuit2})
    await b.press(KEYS.ctrlC)
    expect(onQuit2).toHaveBeenCalledTimes(1)
  })

  it('follows the terminal size when no size is given', async () => {
    const a = await open({}, {} as {width: number; height: number})
    // ink-testing-library's stdout is 100 columns wide and reports no rows: 24 is assumed.
    expect(widest(a.frame())).toBe(100)
    expect(lines(a.frame()).length).toBe(23)
  })
})

describe('Dashboard safety and scale', () => {
  it('never shows control characters from user names, agents or filters', async () => {
    const a = await open({}, {width: 120, height: 30})
    const frames = [a.frame(), await a.press('2'), await a.press('G', KEYS.enter), await a.press(KEYS.escape, 'i'), await a.press('3')]
    await a.press('/')
    frames.push(await a.type('x\u0007y'))
    for (const f of frames) {
      // eslint-disable-next-line no-control-regex
      expect(f).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/)
    }
    expect(frames.join('\n')).toContain('mallory\\x1b]0;pwned\\x07')
    expect(EVIL_USER).toContain('\u001b')
  })

  it('renders only the visible rows of 100,000 events', async () => {
    const a = await open({data: {...DATA, events: manyEvents(100_000)}})
    const f = await a.press('2')
    const rows = lines(f).filter((l) => /^[> ] \d\d-\d\d \d\d:\d\d:\d\d/.test(l))
    expect(rows.length).toBe(14)
    expect(lines(f).length).toBeLessThanOrEqual(23)
    expect(f).toContain('1/100000')
    const end = await a.press('G')
    expect(end).toContain('100000/100000')
    expect(selectedLine(end)).toContain('user-0 ')
  })

  it('scrolls 10,000 who-can subjects showing only the visible rows', async () => {
    const rows = Array.from({length: 10_000}, (_, i) => ({...WHO_CAN_ROWS[0]!, key: `u${i}`, name: `user-${String(i).padStart(5, '0')}`}))
    const a = await open({data: {...DATA, whoCan: {rows, question: 'get secrets', warnings: ['3 roles could not be read']}}})
    const f = a.frame()
    expect(f).toContain('Warning: 3 roles could not be read')
    expect(lines(f).filter((l) => /^[> ] User /.test(l))).toHaveLength(16)
    const end = await a.press('G')
    expect(end).toContain('10000/10000')
    expect(selectedLine(end)).toContain('user-09999')
    expect(lines(end).filter((l) => /^[> ] User /.test(l))).toHaveLength(16)
  })

  it('shows live events as they arrive, newest first', async () => {
    let push: ((events: AuditEvent[]) => void) | undefined
    const unsubscribe = vi.fn()
    const subscribe = (onEvents: (events: AuditEvent[]) => void) => {
      push = onEvents
      return unsubscribe
    }
    const a = await open({subscribe})
    await a.press('2')
    expect(a.frame()).toContain('1/5')
    push?.([event(50, {user: {username: 'newcomer', groups: []}})])
    await tick()
    expect(a.frame()).toContain('1/6')
    expect(selectedLine(a.frame())).toContain('newcomer')
    a.unmount()
    expect(unsubscribe).toHaveBeenCalled()
  })

  it('explains an empty who-can view instead of showing nothing', async () => {
    const a = await open({data: {events: EVENTS, findings: []}})
    expect(a.frame()).toContain('[2 Recent]')
    expect(await a.press('1')).toContain('No who-can data')
    expect(await a.press('3')).toContain('No findings.')
    expect(WHO_CAN_ROWS.length).toBe(5)
  })
})
