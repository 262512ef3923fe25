// Colours come from chalk, which decides at import time from the environment; FORCE_COLOR makes
// the colour path observable under vitest (no TTY), so NO_COLOR's effect is a real difference.
import {afterAll, describe, expect, it} from 'vitest'

process.env['FORCE_COLOR'] = '1'
const {createElement} = await import('react')
const {render} = await import('ink-testing-library')
const {Dashboard, colourFromEnv} = await import('./dashboard.js')
const {DATA} = await import('../../test/ui/fixtures/dashboard-data.js')

afterAll(() => {
  delete process.env['FORCE_COLOR']
})

// SGR foreground/background colours: 30-37, 38;..., 39 reset excluded, 40-47, 48;..., 90-97, 100-107.
// eslint-disable-next-line no-control-regex
const COLOUR_SGR = /\u001b\[(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]/

async function frameWith(env: NodeJS.ProcessEnv, keys: string[]): Promise<string> {
  const app = render(createElement(Dashboard, {data: DATA, width: 80, height: 23, input: true, colour: colourFromEnv(env)}))
  let all = ''
  for (const key of keys) {
    app.stdin.write(key)
    await new Promise((r) => setTimeout(r, 60))
  }
  all = app.frames.join('\n')
  app.unmount()
  return all
}

describe('NO_COLOR', () => {
  it('colourFromEnv follows no-color.org: any non-empty NO_COLOR turns colours off', () => {
    expect(colourFromEnv({})).toBe(true)
    expect(colourFromEnv({NO_COLOR: ''})).toBe(true)
    expect(colourFromEnv({NO_COLOR: '1'})).toBe(false)
  })

  it('with colours, severities and confirmations are coloured; with NO_COLOR=1 no colour code is written', async () => {
    const keys = ['2', '3']
    const coloured = await frameWith({}, keys)
    expect(coloured).toMatch(COLOUR_SGR)
    const plain = await frameWith({NO_COLOR: '1'}, keys)
    expect(plain).not.toMatch(COLOUR_SGR)
    // The words carry the meaning on their own.
    expect(plain).toContain('CRITICAL')
    expect(plain).toContain('UNVERIFIED')
  })
})
