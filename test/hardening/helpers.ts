// Shared pieces of the hardening suites: paths, the scale switch, a seeded PRNG, and a runner for
// the built executable that never throws (exit codes and stderr are what the suites judge).
import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'
export {prng} from '../../src/lib/prng.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const BIN = path.join(ROOT, 'bin/run.js')
export const SAMPLE_LOG = path.join(ROOT, 'samples/audit/sample-audit.log')
export const SAMPLES_RBAC = path.join(ROOT, 'samples/rbac')
export const CORPUS_AUDIT = path.resolve(ROOT, '../shared/corpus/audit')
export const HAS_CORPUS = existsSync(CORPUS_AUDIT)

/** `full` under `npm run test:hardening`; the everyday `npm test` runs the small size. */
export const FULL = process.env.HARDENING_SCALE === 'full'

/** A stack frame line as Node prints them: never acceptable on a user's terminal. */
export const STACK_TRACE = /\n\s+at /

export function requireBuild(): void {
  if (!existsSync(path.join(ROOT, 'dist/commands.js'))) throw new Error('dist/ is missing: run `npm run build` before the hardening suites')
}

/**
 * The environment a user's shell would give the CLI. Vitest sets NODE_ENV=test, and with it oclif
 * registers tsx and runs src/*.ts instead of dist/: neither the build nor its memory use would be
 * what is measured.
 */
export function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'NODE_ENV' && !k.startsWith('VITEST')) env[k] = v
  return {...env, NO_COLOR: '1', ...extra}
}

export async function runCli(args: string[], options: {input?: string | Buffer; env?: Record<string, string>; timeout?: number} = {}) {
  return execa('node', [BIN, ...args], {
    cwd: ROOT,
    reject: false,
    env: userEnv(options.env),
    extendEnv: false,
    timeout: options.timeout ?? 120_000,
    ...(options.input !== undefined ? {input: options.input} : {}),
    // Raw bytes: the terminal suite must see exactly what the CLI wrote.
    encoding: 'utf8',
  })
}

export function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T
}
