import {existsSync, statSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {JsonSpool} from './json-spool.js'

describe('JsonSpool', () => {
  it('gives back every value in order, from a private file it removes', async () => {
    const exitListeners = process.listenerCount('exit')
    const spool = new JsonSpool<{i: number; s: string}>()
    // Removed on process exit too, until disposed.
    expect(process.listenerCount('exit')).toBe(exitListeners + 1)
    const file = (spool as unknown as {file: string}).file
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700)
    // Enough to flush to disk several times (1 MiB at a time).
    const n = 30_000
    for (let i = 0; i < n; i++) spool.add({i, s: `line ${i} \n with a newline and é`.repeat(3)})
    expect(spool.count).toBe(n)
    expect(statSync(file).size).toBeGreaterThan(1024 * 1024)
    let expected = 0
    for await (const value of spool.values()) {
      expect(value.i).toBe(expected)
      expect(value.s).toBe(`line ${expected} \n with a newline and é`.repeat(3))
      expected++
    }
    expect(expected).toBe(n)
    spool.dispose()
    spool.dispose()
    expect(process.listenerCount('exit')).toBe(exitListeners)
    expect(existsSync(path.dirname(file))).toBe(false)
  })
  it('handles the signals it is given while it exists, and only those', () => {
    const before = {SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM'), SIGHUP: process.listenerCount('SIGHUP')}
    const spool = new JsonSpool<number>({exitOnSignals: ['SIGTERM', 'SIGHUP']})
    expect(process.listenerCount('SIGINT')).toBe(before.SIGINT)
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM + 1)
    expect(process.listenerCount('SIGHUP')).toBe(before.SIGHUP + 1)
    spool.dispose()
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM)
    expect(process.listenerCount('SIGHUP')).toBe(before.SIGHUP)
  })
})
