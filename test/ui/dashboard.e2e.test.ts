// The dashboard in a real terminal (tmux): real raw mode, real resize, real exit. Each test runs
// test/ui/fixtures/run-dashboard.ts, which mounts the dashboard with static fixture data.
import {dirname, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'
import {TmuxSession, tmuxAvailable} from './tmux-harness.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const hasTmux = await tmuxAvailable()

// After the dashboard exits: its exit code, and whether the terminal is back in cooked mode.
function command(args = '', stdinPipe = false): string {
  return `echo BEFORE-DASHBOARD; ${stdinPipe ? 'echo piped-data |' : ''} node --import tsx test/ui/fixtures/run-dashboard.ts ${args}; echo "EXIT:$?"; if stty -a | grep -q -- -icanon; then echo TTY:RAW; else echo TTY:COOKED; fi`
}

let session: TmuxSession | undefined
afterEach(async () => {
  await session?.kill()
  session = undefined
})

/**
 * The wrapper's last line (after EXIT:<status of the dashboard>): the run is over. Waiting for it
 * rather than for tmux to mark the pane dead: under load a helper process that inherited the
 * terminal (tsx's esbuild service) can keep the pane alive after the shell has finished.
 */
async function waitForWrapperEnd(s: TmuxSession): Promise<string> {
  return s.waitFor(/EXIT:\d+\s+TTY:(RAW|COOKED)/, {timeoutMs: 30_000})
}

async function start(args = '', options: {env?: Record<string, string>; width?: number; height?: number; stdinPipe?: boolean} = {}) {
  session = await TmuxSession.start(command(args, options.stdinPipe), {cwd: root, width: 80, height: 24, ...options})
  return session
}

describe.skipIf(!hasTmux)('dashboard in a real terminal (tmux)', () => {
  it('navigates every view, details, filter, help and resize, then quits cleanly', async () => {
    const s = await start()
    let screen = await s.waitFor('Who can: get,list secrets')
    await s.waitForRawMode()
    expect(screen.split('\n').every((l) => [...l].length <= 80)).toBe(true)
    expect(screen).toContain('mallory\\x1b]0;p')

    await s.sendKeys('j')
    await s.waitFor(/> SA\s+ci\/deployer/)
    await s.sendKeys('Enter')
    screen = await s.waitFor('Grant paths (2):')
    expect(screen).toContain('kubectl get rolebinding shared-readers -n payments -o yaml')
    await s.sendKeys('Escape')
    await s.waitFor('KIND  SUBJECT')

    await s.sendKeys('/')
    await s.waitFor('Filter: _')
    await s.type('bob')
    await s.sendKeys('Enter')
    screen = await s.waitFor('filter: bob')
    expect(screen).toContain('1/1')
    expect(screen).not.toContain('ci/deployer')
    await s.sendKeys('Escape')
    await s.waitFor('1/5')

    await s.sendKeys('Tab')
    screen = await s.waitFor('TOP USER AGENTS')
    expect(screen).toContain('[2 Recent]')
    await s.sendKeys('Enter')
    await s.waitFor('Audit ID:     audit-5')
    await s.sendKeys('Escape')
    await s.waitFor('TOP USERS')

    await s.sendKeys('3')
    screen = await s.waitFor('[3 Findings]')
    expect(screen).toMatch(/> CRITICAL/)
    await s.sendKeys('i')
    screen = await s.waitFor('Identity: ServiceAccount ci/deployer')
    expect(screen).toContain('self get secrets in payments,staging [DENIED]')

    await s.sendKeys('?')
    await s.waitFor('Quit       q or Ctrl-C')
    await s.sendKeys('?')
    await s.waitFor('DID (1 events)')

    // Wider and taller: the identity panes go side by side and more rows fit.
    await s.resize(120, 30)
    screen = await s.waitFor((x) => x.split('\n').some((l) => l.includes('CAN DO') && l.includes('DID (1 events)')))
    expect(Math.max(...screen.split('\n').map((l) => [...l].length))).toBeGreaterThan(100)
    // Narrow again: stacked, nothing wider than the terminal.
    await s.resize(80, 24)
    screen = await s.waitFor((x) => x.split('\n').some((l) => l.startsWith('DID (1 events)')))
    expect(screen.split('\n').every((l) => [...l].length <= 80)).toBe(true)

    await s.sendKeys('q')
    await waitForWrapperEnd(s)
    screen = await s.capture()
    // The resizes may have pushed the first line into the scrollback.
    expect(await s.captureAll()).toContain('BEFORE-DASHBOARD')
    expect(screen).toContain('dashboard result: quit')
    expect(screen).toContain('EXIT:0')
    expect(screen).toContain('TTY:COOKED')
    // The alternate screen is gone: no dashboard left on the terminal.
    expect(screen).not.toContain('KIND  SUBJECT')
  })

  it('shows a spinner with progress while loading, and Ctrl-C quits', async () => {
    const s = await start('--loader')
    await s.waitFor('Reading audit.log…')
    await s.waitFor('Running detections…')
    await s.waitFor('Who can: get,list secrets')
    await s.waitForRawMode()
    await s.sendKeys('C-c')
    await waitForWrapperEnd(s)
    const screen = await s.capture()
    expect(screen).toContain('EXIT:0')
    expect(screen).toContain('TTY:COOKED')
  })

  it('reads keys from the terminal when stdin is a pipe (a piped audit log)', async () => {
    const s = await start('', {stdinPipe: true})
    await s.waitFor('Who can:')
    await s.waitForRawMode()
    await s.sendKeys('2')
    await s.waitFor('[2 Recent]')
    await s.sendKeys('q')
    await waitForWrapperEnd(s)
    const screen = await s.capture()
    expect(screen).toContain('EXIT:0')
    expect(screen).toContain('TTY:COOKED')
  })

  it('shows followed events live', async () => {
    const s = await start('--live')
    await s.waitFor('Who can:')
    await s.waitForRawMode()
    await s.sendKeys('2')
    await s.waitFor(/> 11-28 00:00:00 get\s+live-newcomer/)
    await s.sendKeys('q')
    await waitForWrapperEnd(s)
  })

  it('a UI error restores the terminal and prints one line, exit 1', async () => {
    const s = await start('--crash')
    await s.waitFor('Who can:')
    await s.waitForRawMode()
    await s.sendKeys('3')
    await s.waitFor('[3 Findings]')
    await s.sendKeys('Enter')
    await waitForWrapperEnd(s)
    const screen = await s.capture()
    expect(screen).toContain('dashboard failed: rule catalogue exploded')
    expect(screen).not.toContain('second line')
    expect(screen).not.toMatch(/\n\s+at /)
    expect(screen).toContain('EXIT:1')
    expect(screen).toContain('TTY:COOKED')
  })

  // eslint-disable-next-line no-control-regex
  const COLOUR_SGR = /\u001b\[(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])[;m]/

  it('draws colours in a real terminal by default', async () => {
    const s = await start()
    await s.waitFor('Who can:')
    expect(await s.captureWithEscapes()).toMatch(COLOUR_SGR)
  })

  it('draws no colour with NO_COLOR=1, and the words still carry severity', async () => {
    const s = await start('', {env: {NO_COLOR: '1'}})
    await s.waitFor('Who can:')
    await s.waitForRawMode()
    await s.sendKeys('3')
    await s.waitFor('CRITICAL')
    expect(await s.captureWithEscapes()).not.toMatch(COLOUR_SGR)
  })
})
