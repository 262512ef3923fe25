// Derived lists must be memoised: moving the selection through 100,000 events may only re-render
// the visible slice, never sort or filter the whole list again.
import {afterEach, describe, expect, it, vi} from 'vitest'
import * as derive from './derive.js'
import {Dashboard} from './dashboard.js'
import {DATA, manyEvents} from '../../test/ui/fixtures/dashboard-data.js'
import {KEYS, mount, type App} from '../../test/ui/ink-helpers.js'

vi.mock('./derive.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('./derive.js')>()
  return {...real, sortEvents: vi.fn(real.sortEvents), filterEvents: vi.fn(real.filterEvents), summarise: vi.fn(real.summarise), sortWhoCan: vi.fn(real.sortWhoCan)}
})

let app: App | undefined
afterEach(() => app?.unmount())

describe('Dashboard memoisation', () => {
  it('sorts, filters and summarises 100,000 events once, not on every keypress', async () => {
    const events = manyEvents(100_000)
    app = await mount(<Dashboard data={{...DATA, events}} input colour={false} width={80} height={23} />)
    await app.press('2')
    const sorts = vi.mocked(derive.sortEvents).mock.calls.length
    const filters = vi.mocked(derive.filterEvents).mock.calls.length
    const summaries = vi.mocked(derive.summarise).mock.calls.length
    expect(sorts).toBeGreaterThan(0)
    expect(summaries).toBeGreaterThan(0)

    await app.press('j', 'j', KEYS.down, KEYS.pageDown, KEYS.pageDown, 'k', 'G', 'g')
    expect(app.frame()).toContain('1/100000')
    expect(vi.mocked(derive.sortEvents).mock.calls.length).toBe(sorts)
    expect(vi.mocked(derive.filterEvents).mock.calls.length).toBe(filters)
    expect(vi.mocked(derive.summarise).mock.calls.length).toBe(summaries)

    // A new filter is the one thing that filters again: once, without re-sorting.
    await app.press('/')
    await app.type('user-42')
    await app.press(KEYS.enter)
    expect(vi.mocked(derive.filterEvents).mock.calls.length).toBe(filters + 1)
    expect(vi.mocked(derive.sortEvents).mock.calls.length).toBe(sorts)
    expect(app.frame()).toMatch(/1\/\d+ /)
  })

  it('does not re-sort who-can rows when the selection moves', async () => {
    app = await mount(<Dashboard data={DATA} input colour={false} width={80} height={23} />)
    const sorts = vi.mocked(derive.sortWhoCan).mock.calls.length
    await app.press('j', 'j', 'k')
    expect(vi.mocked(derive.sortWhoCan).mock.calls.length).toBe(sorts)
    await app.press('s')
    expect(vi.mocked(derive.sortWhoCan).mock.calls.length).toBe(sorts + 1)
  })
})
