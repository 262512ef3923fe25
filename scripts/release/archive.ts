// Archive writers with no external tools: ustar+gzip for Linux/macOS, zip (deflate) for Windows.
// Entries get fixed timestamps and owners so the same inputs always give the same bytes (and the
// same sha256 in plugin.yaml).
import {promisify} from 'node:util'
import {deflateRaw, gzip} from 'node:zlib'

// Async zlib runs on the thread pool, so one archive compresses while the next binary is built.
const gzipAsync = promisify(gzip)
const deflateRawAsync = promisify(deflateRaw)

export interface ArchiveEntry {
  name: string
  data: Buffer
  /** Unix permission bits, e.g. 0o755 for executables. */
  mode: number
}

// 2020-01-01T00:00:00Z: any fixed date works; zip's DOS dates cannot go before 1980.
const FIXED_MTIME = 1577836800

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0'
}

function tarHeader(entry: ArchiveEntry): Buffer {
  if (Buffer.byteLength(entry.name) > 100) throw new Error(`tar name too long: ${entry.name}`)
  const header = Buffer.alloc(512)
  header.write(entry.name, 0, 100, 'utf8')
  header.write(octal(entry.mode & 0o7777, 8), 100, 'latin1')
  header.write(octal(0, 8), 108, 'latin1')
  header.write(octal(0, 8), 116, 'latin1')
  header.write(octal(entry.data.length, 12), 124, 'latin1')
  header.write(octal(FIXED_MTIME, 12), 136, 'latin1')
  header.write('        ', 148, 'latin1')
  header.write('0', 156, 'latin1')
  header.write('ustar\u000000', 257, 'latin1')
  header.write('root', 265, 'latin1')
  header.write('root', 297, 'latin1')
  let sum = 0
  for (const byte of header) sum += byte
  header.write(octal(sum, 7) + ' ', 148, 'latin1')
  return header
}

/** `level` trades size for time: 6 (zlib's default) for releases; tests may use 1. */
export async function tarGz(entries: ArchiveEntry[], level = 6): Promise<Buffer> {
  const parts: Buffer[] = []
  for (const entry of entries) {
    parts.push(tarHeader(entry), entry.data)
    const pad = (512 - (entry.data.length % 512)) % 512
    if (pad > 0) parts.push(Buffer.alloc(pad))
  }
  parts.push(Buffer.alloc(1024))
  return gzipAsync(Buffer.concat(parts), {level})
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

export function crc32(data: Buffer): number {
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function dosDateTime(unixSeconds: number): {date: number; time: number} {
  const d = new Date(unixSeconds * 1000)
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
  }
}

/** A zip archive (no zip64: every entry and the whole archive stay under 4 GiB). */
export async function zip(entries: ArchiveEntry[], level = 6): Promise<Buffer> {
  const {date, time} = dosDateTime(FIXED_MTIME)
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8')
    const compressed = await deflateRawAsync(entry.data, {level})
    const crc = crc32(entry.data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4)
    local.writeUInt16LE(0x0800, 6) // UTF-8 names
    local.writeUInt16LE(8, 8) // deflate
    local.writeUInt16LE(time, 10)
    local.writeUInt16LE(date, 12)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(compressed.length, 18)
    local.writeUInt32LE(entry.data.length, 22)
    local.writeUInt16LE(name.length, 26)
    local.writeUInt16LE(0, 28)
    locals.push(local, name, compressed)

    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE((3 << 8) | 20, 4) // made by Unix, so the mode below is honoured
    central.writeUInt16LE(20, 6)
    central.writeUInt16LE(0x0800, 8)
    central.writeUInt16LE(8, 10)
    central.writeUInt16LE(time, 12)
    central.writeUInt16LE(date, 14)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(compressed.length, 20)
    central.writeUInt32LE(entry.data.length, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(((0o100000 | entry.mode) << 16) >>> 0, 38)
    central.writeUInt32LE(offset, 42)
    centrals.push(central, name)
    offset += local.length + name.length + compressed.length
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(entries.length, 8)
  end.writeUInt16LE(entries.length, 10)
  end.writeUInt32LE(centralSize, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, ...centrals, end])
}
