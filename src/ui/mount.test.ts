import {EventEmitter} from 'node:events'
import {describe, expect, it, vi} from 'vitest'
import {DATA} from '../../test/ui/fixtures/dashboard-data.js'

// Ink draws nothing but the last frame when it believes it runs in CI, and decides that when it
// is first imported: these tests watch frames as a terminal would, so import it outside "CI".
delete process.env['CI']
delete process.env['CONTINUOUS_INTEGRATION']
const {runDashboard} = await import('./mount.js')

// A terminal as Ink sees it: a TTY stdout with a size and a TTY stdin with raw mode.
class FakeOut extends EventEmitter {
  isTTY = true
  columns = 80
  rows = 24
  written = ''
  write = (chunk: string) => {
    this.written += chunk
    return true
  }
}

class FakeIn extends EventEmitter {
  isTTY = true
  rawCalls: boolean[] = []
  private data: string | null = null
  setRawMode(on: boolean) {
    this.rawCalls.push(on)
    return this
  }
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => {
    const d = this.data
    this.data = null
    return d
  }
  press(key: string) {
    this.data = key
    this.emit('readable')
  }
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

function streams() {
  const stdout = new FakeOut()
  const stdin = new FakeIn()
  // vitest replaces the console with one Ink cannot patch.
  const options = {patchConsole: false, stdout: stdout as unknown as NodeJS.WriteStream, stderr: new FakeOut() as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream}
  return {stdout, stdin, options}
}

describe('runDashboard', () => {
  it('draws nothing and says so when stdout is not a terminal', async () => {
    const {stdout, options} = streams()
    stdout.isTTY = false
    await expect(runDashboard(DATA, options)).resolves.toEqual({status: 'not-a-terminal'})
    expect(stdout.written).toBe('')
  })

  it('draws nothing when no keyboard can be read', async () => {
    const {stdout, stdin, options} = streams()
    stdin.isTTY = false
    await expect(runDashboard(DATA, {...options, ttyFallback: false})).resolves.toEqual({status: 'no-keyboard'})
    expect(stdout.written).toBe('')
    expect(stdin.rawCalls).toEqual([])
  })

  it('resolves when the user quits and restores the terminal', async () => {
    const {stdout, stdin, options} = streams()
    const done = runDashboard(DATA, options)
    await vi.waitFor(() => expect(stdout.written).toContain('Who can:'))
    await wait(50)
    stdin.press('q')
    await expect(done).resolves.toEqual({status: 'quit'})
    expect(stdout.written.startsWith('\u001b[?1049h')).toBe(true)
    expect(stdout.written.endsWith('\u001b[?25h\u001b[?1049l')).toBe(true)
    expect(stdin.rawCalls[0]).toBe(true)
    expect(stdin.rawCalls.at(-1)).toBe(false)
  })

  it('runs a loader, then shows its data', async () => {
    const {stdout, stdin, options} = streams()
    let progressed = false
    const done = runDashboard(async (progress) => {
      progress('Reading audit.log')
      progressed = true
      await wait(100)
      return DATA
    }, options)
    await vi.waitFor(() => expect(stdout.written).toContain('kind-test'))
    await wait(50)
    stdin.press('q')
    await expect(done).resolves.toEqual({status: 'quit'})
    expect(progressed).toBe(true)
    expect(stdout.written).toContain('kind-test')
  })

  it('opens a loader\'s data on the view asked for', async () => {
    const {stdout, stdin, options} = streams()
    const unused = {rows: [{key: 'u', class: 'can-never-did' as const, kind: 'User' as const, name: 'dave', access: 'get secrets', scope: 'cluster-wide', count: 0, objects: [], suggestions: []}]}
    const done = runDashboard(async () => ({...DATA, unused}), {...options, initialView: 'unused'})
    await vi.waitFor(() => expect(stdout.written).toContain('[5 Unused]'))
    expect(stdout.written).toContain('User dave')
    await wait(50)
    stdin.press('q')
    await expect(done).resolves.toEqual({status: 'quit'})
  })

  it('rejects with one line when the loader fails, after restoring the terminal', async () => {
    const {stdout, stdin, options} = streams()
    const done = runDashboard(async () => {
      throw new Error('cannot read audit.log: EACCES\n    at stack frame')
    }, options)
    await expect(done).rejects.toThrow(/^dashboard failed: cannot read audit\.log: EACCES$/)
    expect(stdout.written.endsWith('\u001b[?1049l')).toBe(true)
    expect(stdin.rawCalls.at(-1)).toBe(false)
  })

  it('rejects with one line when the UI itself throws, after restoring the terminal', async () => {
    const {stdout, stdin, options} = streams()
    const done = runDashboard(DATA, {
      ...options,
      ruleInfo: () => {
        throw new Error('rule catalogue exploded\nsecond line')
      },
    })
    const outcome = done.then(
      () => 'resolved',
      (e: Error) => e.message,
    )
    await vi.waitFor(() => expect(stdout.written).toContain('Who can:'))
    await wait(50)
    stdin.press('3')
    await vi.waitFor(() => expect(stdout.written).toContain('[3 Findings]'))
    await wait(50)
    stdin.press('\r')
    expect(await outcome).toBe('dashboard failed: rule catalogue exploded')
    expect(stdout.written.endsWith('\u001b[?1049l')).toBe(true)
    expect(stdin.rawCalls.at(-1)).toBe(false)
  })
})
