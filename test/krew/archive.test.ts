import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {crc32, tarGz, zip} from '../../scripts/release/archive.js'
import {readTarGz, readZip} from './archive-reader.js'

const which = (tool: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

const dir = mkdtempSync(join(tmpdir(), 'krew-archive-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

// Binary-ish content: every byte value, plus a size that is not a multiple of 512.
const payload = Buffer.from(Array.from({length: 70_001}, (_, i) => (i * 7919) % 256))
const entries = [
  {name: 'kubectl-sensitive_access', data: payload, mode: 0o755},
  {name: 'LICENSE', data: Buffer.from('Apache License\n'), mode: 0o644},
  {name: 'empty', data: Buffer.alloc(0), mode: 0o644},
]

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789')).toString(16)).toBe('cbf43926')
    expect(crc32(Buffer.alloc(0))).toBe(0)
  })
})

describe('tar.gz writer', () => {
  let archive: Buffer
  beforeAll(async () => {
    archive = await tarGz(entries)
  })

  it('round-trips names, modes and contents', () => {
    const read = readTarGz(archive)
    expect(read.map((e) => [e.name, e.mode, e.data.length])).toEqual([
      ['kubectl-sensitive_access', 0o755, payload.length],
      ['LICENSE', 0o644, 15],
      ['empty', 0o644, 0],
    ])
    expect(read[0]!.data.equals(payload)).toBe(true)
  })

  it('is deterministic, so sha256 in plugin.yaml is reproducible', async () => {
    expect((await tarGz(entries)).equals(archive)).toBe(true)
    expect(readTarGz(await tarGz(entries, 1)).map((e) => e.name)).toEqual(entries.map((e) => e.name))
  })

  it.skipIf(!which('tar'))('extracts with the system tar, keeping the executable bit', () => {
    const file = join(dir, 'a.tar.gz')
    writeFileSync(file, archive)
    const out = join(dir, 'tar-out')
    execFileSync('mkdir', ['-p', out])
    execFileSync('tar', ['-xzf', file, '-C', out])
    expect(readFileSync(join(out, 'kubectl-sensitive_access')).equals(payload)).toBe(true)
    expect(statSync(join(out, 'kubectl-sensitive_access')).mode & 0o111).not.toBe(0)
  })
})

describe('zip writer', () => {
  let archive: Buffer
  beforeAll(async () => {
    archive = await zip(entries)
  })

  it('round-trips with CRCs checked', () => {
    const read = readZip(archive)
    expect(read.map((e) => [e.name, e.mode])).toEqual([
      ['kubectl-sensitive_access', 0o755],
      ['LICENSE', 0o644],
      ['empty', 0o644],
    ])
    expect(read[0]!.data.equals(payload)).toBe(true)
  })

  it('is deterministic', async () => {
    expect((await zip(entries)).equals(archive)).toBe(true)
  })

  it.skipIf(!which('unzip'))('passes the system unzip integrity test', () => {
    const file = join(dir, 'a.zip')
    writeFileSync(file, archive)
    const out = execFileSync('unzip', ['-t', file]).toString()
    expect(out).toContain('No errors detected')
    expect(out).toContain('kubectl-sensitive_access')
  })
})
