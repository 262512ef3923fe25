// Test plumbing for the cloud sources: the corpus location, a scratch dir per test, and an
// environment that puts the stub CLIs first on PATH.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
export const STUBS = path.join(here, 'stubs')
/** ../shared/corpus relative to the project root (test/cloud -> project root is two levels up). */
export const CORPUS = path.resolve(here, '..', '..', '..', 'shared', 'corpus', 'audit')
export const HAS_CORPUS = fs.existsSync(CORPUS)
export const CORPUS_MISSING = `corpus not found at ${CORPUS}: the cloud source tests need ../shared/corpus (CI always has it)`
// Said once, loudly, so a skipped suite is never mistaken for a passing one.
if (!HAS_CORPUS) process.stderr.write(`SKIPPING cloud source tests: ${CORPUS_MISSING}\n`)

export const BASE = Date.parse('2024-06-01T00:00:00Z')
export const STEP = 60_000

export function corpusRecords(relative: string): unknown[] {
  return fs
    .readFileSync(path.join(CORPUS, relative), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown)
}

export interface StubEnv {
  env: NodeJS.ProcessEnv
  dir: string
  calls(): {cli: string; argv: string[]}[]
  cleanup(): void
}

export function stubEnv(extra: Record<string, string> = {}): StubEnv {
  for (const name of ['aws', 'gcloud', 'az']) fs.chmodSync(path.join(STUBS, name), 0o755)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cloud-stub-'))
  const env: NodeJS.ProcessEnv = {...process.env, PATH: `${STUBS}${path.delimiter}${process.env.PATH ?? ''}`, STUB_DIR: dir, STUB_CORPUS: CORPUS, ...extra}
  return {
    env,
    dir,
    calls: () => {
      const file = path.join(dir, 'calls.jsonl')
      if (!fs.existsSync(file)) return []
      return fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as {cli: string; argv: string[]})
    },
    cleanup: () => fs.rmSync(dir, {recursive: true, force: true}),
  }
}

export function argOf(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name)
  return i >= 0 ? argv[i + 1] : undefined
}

export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of source) out.push(item)
  return out
}
