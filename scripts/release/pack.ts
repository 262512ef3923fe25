// The bundle travels inside the executable as one SEA asset: a small index (JSON) plus the files
// concatenated. The launcher reads the index first (cheap) and the payload only when it has to
// unpack. Each file carries its sha256, which the launcher checks before every import.
import {createHash} from 'node:crypto'

export interface PackFile {
  path: string
  size: number
  offset: number
  sha256: string
}

export interface PackIndex {
  name: string
  version: string
  /** File the launcher imports. */
  entry: string
  /** sha256 of the payload: names the cache dir, so a new build never reuses an old unpack. */
  sha256: string
  files: PackFile[]
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex')
}

export function buildPack(files: Map<string, Buffer>, meta: {name: string; version: string; entry: string}): {index: PackIndex; payload: Buffer} {
  const entries: PackFile[] = []
  const chunks: Buffer[] = []
  let offset = 0
  for (const [path, data] of [...files.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (path.includes('..') || path.startsWith('/')) throw new Error(`unsafe path in pack: ${path}`)
    entries.push({path, size: data.length, offset, sha256: sha256(data)})
    chunks.push(data)
    offset += data.length
  }
  const payload = Buffer.concat(chunks)
  return {index: {...meta, sha256: sha256(payload), files: entries}, payload}
}
