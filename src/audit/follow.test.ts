import {appendFile, copyFile, mkdtemp, rename, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import type {AuditEvent} from './event.js'
import {followFiles} from './follow.js'

const line = (id: string, resource = 'secrets', stage = 'ResponseComplete') =>
  JSON.stringify({kind: 'Event', apiVersion: 'audit.k8s.io/v1', auditID: id, stage, verb: 'get', user: {username: 'alice'}, objectRef: {resource, namespace: 'ns', name: id}, requestReceivedTimestamp: '2026-11-26T10:00:00Z', responseStatus: {code: 200}}) + '\n'

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('followFiles', () => {
  it('delivers only lines appended after it started, filtered, across partial writes and rotation', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'follow-'))
    const file = join(dir, 'audit.log')
    await writeFile(file, line('old-1'))
    const got: AuditEvent[] = []
    const stop = followFiles([file], (events) => got.push(...events), {intervalMs: 20, accept: (e) => e.resource === 'secrets'})
    try {
      await new Promise((r) => setTimeout(r, 60))
      // A request logged at two stages arrives once, complete.
      await appendFile(file, line('new-1', 'secrets', 'RequestReceived') + line('new-1') + line('cm', 'configmaps'))
      // A line written in two pieces is delivered once complete.
      const half = line('new-2')
      await appendFile(file, half.slice(0, 40))
      await until(() => got.length === 1)
      await appendFile(file, half.slice(40) + 'not json\n')
      await until(() => got.length === 2)
      // Rotation: a new file under the same name is read from its start.
      await rename(file, join(dir, 'audit.log.1'))
      await writeFile(file, line('rotated-1'))
      await until(() => got.length === 3)
      expect(got.map((e) => e.name)).toEqual(['new-1', 'new-2', 'rotated-1'])
      expect(got[0]?.stage).toBe('ResponseComplete')
    } finally {
      stop()
    }
  })

  it('reads a file that grew by more than one read in pieces, delivering every event in order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'follow-'))
    const file = join(dir, 'audit.log')
    await writeFile(file, '')
    const batches: AuditEvent[][] = []
    // One poll sees the whole append (written between polls), and reads it 64 KiB at a time.
    const stop = followFiles([file], (events) => batches.push(events), {intervalMs: 300, readBytes: 64 * 1024})
    try {
      await new Promise((r) => setTimeout(r, 350))
      const n = 25_000 // about 7 MB
      let text = ''
      for (let i = 0; i < n; i++) text += line(`e${i}`)
      await appendFile(file, text)
      await until(() => batches.flat().length === n, 20_000)
      expect(batches.length).toBeGreaterThan(50)
      const names = batches.flat().map((e) => e.name)
      expect(names[0]).toBe('e0')
      expect(names.at(-1)).toBe(`e${n - 1}`)
      expect(new Set(names).size).toBe(n)
    } finally {
      stop()
    }
  })
  // Like `tail -F`: the lines written just before a rotation (unseen by any poll) are not lost.
  for (const mode of ['rename', 'copytruncate'] as const) {
    it(`loses no line across ${mode} rotations, even when the file grows past the old offset again`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'follow-'))
      const file = join(dir, 'audit.log')
      await writeFile(file, line('old'))
      const got: AuditEvent[] = []
      let ready = false
      const stop = followFiles([file], (events) => got.push(...events), {intervalMs: 30, onReady: () => (ready = true)})
      const expected: string[] = []
      try {
        await until(() => ready)
        for (let r = 0; r < 3; r++) {
          let pre = ''
          for (let i = 0; i < 3; i++) pre += line(`r${r}-pre${i}`)
          await appendFile(file, pre)
          if (mode === 'rename') {
            await rename(file, join(dir, `audit.log.${r + 1}`))
            await writeFile(file, '')
          } else {
            await copyFile(file, join(dir, `audit.log.${r + 1}`))
            await truncate(file, 0)
          }
          let post = ''
          for (let i = 0; i < 10; i++) post += line(`r${r}-post${i}`)
          await appendFile(file, post)
          for (let i = 0; i < 3; i++) expected.push(`r${r}-pre${i}`)
          for (let i = 0; i < 10; i++) expected.push(`r${r}-post${i}`)
          await until(() => got.length >= expected.length)
        }
        expect(got.map((e) => e.name)).toEqual(expected)
      } finally {
        stop()
      }
    })
  }
})
