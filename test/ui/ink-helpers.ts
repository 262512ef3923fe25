// Small helpers around ink-testing-library: named keys and a pause after each key so Ink has
// rendered (an Escape alone is only recognised on the next tick).
import {render} from 'ink-testing-library'
import type {ReactElement} from 'react'

export const KEYS = {
  up: '\u001b[A',
  down: '\u001b[B',
  pageUp: '\u001b[5~',
  pageDown: '\u001b[6~',
  home: '\u001b[H',
  end: '\u001b[F',
  enter: '\r',
  escape: '\u001b',
  tab: '\t',
  backspace: '\u007f',
  ctrlC: '\u0003',
} as const

export const tick = (ms = 25) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Ink renders a key's effect on a later tick, and later still on a loaded machine: wait until the
 * frame has stopped changing (two quiet polls), at most `maxMs`.
 */
export async function settle(frame: () => string, maxMs = 1000): Promise<string> {
  await new Promise((resolve) => setImmediate(resolve))
  const deadline = Date.now() + maxMs
  let last = frame()
  let quiet = 0
  while (quiet < 2 && Date.now() < deadline) {
    await tick(15)
    const now = frame()
    quiet = now === last ? quiet + 1 : 0
    last = now
  }
  return last
}

export interface App {
  frame(): string
  press(...keys: string[]): Promise<string>
  /** Write the chunks back to back, as a fast typist or a paste delivers them, then settle. */
  pressTogether(...chunks: string[]): Promise<string>
  type(text: string): Promise<string>
  unmount(): void
}

export async function mount(tree: ReactElement): Promise<App> {
  const app = render(tree)
  const frame = () => app.lastFrame() ?? ''
  await settle(frame)
  return {
    frame,
    async press(...keys) {
      for (const key of keys) {
        app.stdin.write(key)
        await settle(frame)
      }
      return frame()
    },
    async pressTogether(...chunks) {
      for (const chunk of chunks) app.stdin.write(chunk)
      return settle(frame)
    },
    async type(text) {
      // One key at a time, as a person types.
      for (const ch of text) {
        app.stdin.write(ch)
        await tick(5)
      }
      return settle(frame)
    },
    unmount: () => app.unmount(),
  }
}

/** The frame's lines, for counting rows and finding the selected one. */
export function lines(frame: string): string[] {
  return frame.split('\n')
}

export function selectedLine(frame: string): string | undefined {
  return lines(frame).find((l) => l.startsWith('>'))
}
