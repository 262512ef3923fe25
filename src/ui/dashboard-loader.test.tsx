// FORCE_COLOR makes chalk colour under vitest, so NO_COLOR's effect on the spinner is observable.
import {afterAll, describe, expect, it, vi} from 'vitest'

process.env['FORCE_COLOR'] = '1'
const {render} = await import('ink-testing-library')
const {DashboardLoader} = await import('./dashboard-loader.js')
const {DATA} = await import('../../test/ui/fixtures/dashboard-data.js')
type Data = typeof DATA

afterAll(() => {
  delete process.env['FORCE_COLOR']
})

// eslint-disable-next-line no-control-regex
const COLOUR_SGR = /\u001b\[(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]/
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

function deferred() {
  let resolve: (d: Data) => void = () => {}
  const promise = new Promise<Data>((r) => {
    resolve = r
  })
  return {promise, resolve}
}

describe('DashboardLoader', () => {
  it('shows a spinner with the progress message, then the dashboard', async () => {
    const d = deferred()
    let report: (m: string) => void = () => {}
    const app = render(
      <DashboardLoader
        width={80}
        height={23}
        input
        loader={(progress) => {
          report = progress
          return d.promise
        }}
      />,
    )
    await vi.waitFor(() => expect(app.lastFrame()).toContain('Loading…'))
    report('Reading audit.log (12,000 events)\u001b[2J')
    await vi.waitFor(() => expect(app.lastFrame()).toContain('Reading audit.log (12,000 events)\\x1b[2J'))
    expect(app.lastFrame()).toMatch(COLOUR_SGR)
    d.resolve(DATA)
    await vi.waitFor(() => expect(app.lastFrame()).toContain('Who can: get,list secrets'))
    app.unmount()
  })

  it('draws a colourless spinner when colours are off', async () => {
    const d = deferred()
    const app = render(<DashboardLoader width={80} height={23} input colour={false} loader={() => d.promise} />)
    await wait(200)
    expect(app.frames.join('')).not.toMatch(COLOUR_SGR)
    expect(app.lastFrame()).toContain('Loading…')
    app.unmount()
  })

  it('q quits while still loading', async () => {
    let quit = 0
    const app = render(<DashboardLoader width={80} height={23} input onQuit={() => quit++} loader={() => deferred().promise} />)
    await wait(50)
    app.stdin.write('q')
    await vi.waitFor(() => expect(quit).toBe(1))
    app.unmount()
  })
})
