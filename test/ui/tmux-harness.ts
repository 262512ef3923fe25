// Drives a command in a real terminal: a detached tmux session of a given size, on a private
// tmux server (its own socket), so tests never touch anyone's tmux and can be run in parallel.
// The lead reuses this for the real `dashboard` command.
import {execFile} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {rm} from 'node:fs/promises'
import {promisify} from 'node:util'

const run = promisify(execFile)

export interface TmuxStartOptions {
  width?: number
  height?: number
  cwd?: string
  /** Extra environment for the command, e.g. `{NO_COLOR: '1'}`. */
  env?: Record<string, string>
  /** Keep the pane after the command exits, to read its last screen. Default true. */
  remainOnExit?: boolean
}

export interface WaitOptions {
  timeoutMs?: number
  intervalMs?: number
}

/** True when a tmux binary is on PATH. */
export async function tmuxAvailable(): Promise<boolean> {
  try {
    await run('tmux', ['-V'])
    return true
  } catch {
    return false
  }
}

// Ink renders only the final frame when it thinks it runs in CI; a real user's terminal is not CI.
const CI_VARIABLES = ['CI', 'CONTINUOUS_INTEGRATION']

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`
}

export class TmuxSession {
  private constructor(
    readonly socket: string,
    readonly name: string,
  ) {}

  /** Start `command` (a shell command line) in a new detached session of the given size. */
  static async start(command: string, options: TmuxStartOptions = {}): Promise<TmuxSession> {
    const socket = `sa-ui-${process.pid}-${randomBytes(4).toString('hex')}`
    const session = new TmuxSession(socket, 'main')
    const envArgs = [...CI_VARIABLES.flatMap((k) => ['-u', k]), ...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`)]
    const line = `env ${envArgs.map(shellQuote).join(' ')} sh -c ${shellQuote(command)}`
    const args = ['new-session', '-d', '-s', session.name, '-x', String(options.width ?? 80), '-y', String(options.height ?? 24)]
    if (options.cwd) args.push('-c', options.cwd)
    // remain-on-exit is set in the same tmux invocation so even a command that exits at once
    // leaves its pane (and exit status) behind.
    const tail = (options.remainOnExit ?? true) ? [';', 'set-option', '-t', session.name, 'remain-on-exit', 'on'] : []
    await session.tmux(...args, line, ...tail)
    return session
  }

  async tmux(...args: string[]): Promise<string> {
    const {stdout} = await run('tmux', ['-L', this.socket, '-f', '/dev/null', ...args])
    return stdout
  }

  /** Send keys by tmux name (`Enter`, `Escape`, `Tab`, `Down`, `PageDown`, `C-c`, `j`, ...). */
  async sendKeys(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', this.name, ...keys)
  }

  /** Type text literally (no key-name lookup). */
  async type(text: string): Promise<void> {
    await this.tmux('send-keys', '-t', this.name, '-l', text)
  }

  /** The visible screen as plain text, one line per terminal row. */
  async capture(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-t', this.name)
  }

  /** The whole pane: scrollback history and the visible screen. */
  async captureAll(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-S', '-', '-t', this.name)
  }

  /** The visible screen with its escape sequences (colours), for colour checks. */
  async captureWithEscapes(): Promise<string> {
    return this.tmux('capture-pane', '-p', '-e', '-t', this.name)
  }

  /** Poll the screen until it contains `expected` (or the predicate holds); throws with the last screen on timeout. */
  async waitFor(expected: string | RegExp | ((screen: string) => boolean), options: WaitOptions = {}): Promise<string> {
    const timeout = options.timeoutMs ?? 15_000
    const interval = options.intervalMs ?? 100
    const test = typeof expected === 'function' ? expected : typeof expected === 'string' ? (s: string) => s.includes(expected) : (s: string) => expected.test(s)
    const deadline = Date.now() + timeout
    let screen = ''
    for (;;) {
      screen = await this.capture()
      if (test(screen)) return screen
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout}ms waiting for ${String(expected)}; screen was:\n${screen}`)
      await new Promise((r) => setTimeout(r, interval))
    }
  }



  /** The terminal device of the session's pane, e.g. /dev/pts/3. */
  async paneTty(): Promise<string> {
    return (await this.tmux('display-message', '-p', '-t', this.name, '#{pane_tty}')).trim()
  }

  /** Whether the pane's terminal is in raw (non-canonical) mode, as a full-screen UI sets it. */
  async isRawMode(): Promise<boolean> {
    const {stdout} = await run('stty', ['-a', '-F', await this.paneTty()])
    return /(^|\s)-icanon(\s|$)/.test(stdout)
  }

  /** Wait until the program reads keys one by one (raw mode): keys sent earlier could be echoed. */
  async waitForRawMode(options: WaitOptions = {}): Promise<void> {
    const timeout = options.timeoutMs ?? 15_000
    const deadline = Date.now() + timeout
    while (!(await this.isRawMode())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout}ms waiting for raw mode; screen was:\n${await this.capture()}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  async resize(width: number, height: number): Promise<void> {
    await this.tmux('resize-window', '-t', this.name, '-x', String(width), '-y', String(height))
  }

  /** Kill the session's private tmux server and everything running in it, and remove its socket. */
  async kill(): Promise<void> {
    let socketPath = ''
    try {
      socketPath = (await this.tmux('display-message', '-p', '#{socket_path}')).trim()
      await this.tmux('kill-server')
    } catch {
      // Already gone: the server exits by itself when its last session ends.
    }
    // tmux leaves the socket file behind; the name is ours alone, so it is safe to remove.
    if (socketPath.endsWith(`/${this.socket}`)) await rm(socketPath, {force: true})
  }
}
