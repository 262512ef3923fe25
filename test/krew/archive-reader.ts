// Independent readers for the release archives, so tests inspect what a user downloads without
// trusting the writers under test (system tar/unzip cross-check them where installed).
import {gunzipSync, inflateRawSync} from 'node:zlib'
import {crc32} from '../../scripts/release/archive.js'

export interface ReadEntry {
  name: string
  mode: number
  data: Buffer
}

export function readTarGz(archive: Buffer): ReadEntry[] {
  const tar = gunzipSync(archive)
  const entries: ReadEntry[] = []
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512)
    if (header.every((b) => b === 0)) break
    const field = (start: number, length: number) => header.subarray(start, start + length).toString('latin1').replace(/\0.*$/s, '').trim()
    const size = parseInt(field(124, 12), 8)
    const prefix = field(345, 155)
    const name = (prefix ? `${prefix}/` : '') + field(0, 100)
    entries.push({name, mode: parseInt(field(100, 8), 8), data: Buffer.from(tar.subarray(at + 512, at + 512 + size))})
    at += 512 + Math.ceil(size / 512) * 512
  }
  return entries
}

export function readZip(archive: Buffer): ReadEntry[] {
  const eocd = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  if (eocd < 0) throw new Error('no end of central directory')
  const count = archive.readUInt16LE(eocd + 10)
  let at = archive.readUInt32LE(eocd + 16)
  const entries: ReadEntry[] = []
  for (let i = 0; i < count; i++) {
    if (archive.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory entry')
    const method = archive.readUInt16LE(at + 10)
    const crc = archive.readUInt32LE(at + 16)
    const compressedSize = archive.readUInt32LE(at + 20)
    const nameLength = archive.readUInt16LE(at + 28)
    const extraLength = archive.readUInt16LE(at + 30)
    const commentLength = archive.readUInt16LE(at + 32)
    const external = archive.readUInt32LE(at + 38)
    const local = archive.readUInt32LE(at + 42)
    const name = archive.subarray(at + 46, at + 46 + nameLength).toString('utf8')
    if (archive.readUInt32LE(local) !== 0x04034b50) throw new Error(`bad local header for ${name}`)
    const dataStart = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28)
    const raw = archive.subarray(dataStart, dataStart + compressedSize)
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw)
    if (crc32(data) !== crc) throw new Error(`CRC mismatch for ${name}`)
    entries.push({name, mode: (external >>> 16) & 0o7777, data})
    at += 46 + nameLength + extraLength + commentLength
  }
  return entries
}

export function readArchive(path: string, archive: Buffer): ReadEntry[] {
  return path.endsWith('.zip') ? readZip(archive) : readTarGz(archive)
}
