// Node.js binaries for every target, fetched from the npm registry with the ordinary npm client
// (`npm pack`) and checked against the pinned integrity before use. Cached per version, so a
// second release run downloads nothing.
import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, rename, rm} from 'node:fs/promises'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {NODE_VERSION, type Target} from './platforms.js'

const run = promisify(execFile)

export function integrityOf(data: Buffer): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`
}

/** Path of the verified Node binary for `target`, downloading it into `cacheDir` if needed. */
export async function nodeBinary(target: Target, cacheDir: string, log: (line: string) => void): Promise<string> {
  const dir = join(cacheDir, `node-${NODE_VERSION}-${target.os}-${target.arch}`)
  const binary = join(dir, target.os === 'windows' ? 'node.exe' : 'node')
  if (existsSync(binary)) return binary

  await mkdir(cacheDir, {recursive: true})
  const work = await mkdtemp(join(cacheDir, '.download-'))
  try {
    log(`downloading ${target.npmPackage}@${NODE_VERSION} from the npm registry`)
    const {stdout} = await run('npm', ['pack', `${target.npmPackage}@${NODE_VERSION}`, '--pack-destination', work, '--json', '--silent'], {
      maxBuffer: 64 * 1024 * 1024,
    })
    const packed = JSON.parse(stdout) as Array<{filename: string}>
    const tarball = join(work, packed[0]!.filename)
    const integrity = integrityOf(await readFile(tarball))
    if (integrity !== target.integrity) {
      throw new Error(`${target.npmPackage}@${NODE_VERSION}: integrity ${integrity} does not match the pinned ${target.integrity}`)
    }
    await run('tar', ['-xzf', tarball, '-C', work, target.nodePath])
    await mkdir(dir, {recursive: true})
    // Rename last, so an interrupted download never leaves a binary that looks complete.
    await rename(join(work, target.nodePath), binary)
    return binary
  } finally {
    await rm(work, {recursive: true, force: true})
  }
}
