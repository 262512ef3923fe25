// Startup figures of the standalone executable: `kubectl-sensitive_access --help` cold (first run
// unpacks the bundle into an empty cache) and warm, next to the npm-installed CLI (node bin/run.js).
//
//   npm run release && tsx scripts/release/bench-startup.ts [archive.tar.gz] [--runs N]
//
// Prints figures only; targets are judged by people, not asserted in tests.
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {archiveName, TARGETS} from './platforms.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const {values, positionals} = parseArgs({allowPositionals: true, options: {runs: {type: 'string'}}})
const runs = Number(values.runs ?? 10)
const host = TARGETS.find((t) => t.os === 'linux' && t.arch === (process.arch === 'arm64' ? 'arm64' : 'amd64'))!
const archive = resolve(positionals[0] ?? join(root, 'release', archiveName(host)))

const work = mkdtempSync(join(tmpdir(), 'ksa-bench-'))
try {
  execFileSync('tar', ['-xzf', archive, '-C', work])
  const binary = join(work, 'kubectl-sensitive_access')

  const time = (command: string, args: string[], env: NodeJS.ProcessEnv): number => {
    const start = process.hrtime.bigint()
    const result = spawnSync(command, args, {env, stdio: ['ignore', 'ignore', 'pipe']})
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`)
    return Number(process.hrtime.bigint() - start) / 1e6
  }
  const summary = (label: string, samples: number[]) => {
    const sorted = [...samples].sort((a, b) => a - b)
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length
    const median = sorted[Math.floor(sorted.length / 2)]!
    console.log(`${label.padEnd(44)} median ${median.toFixed(0).padStart(5)} ms   mean ${mean.toFixed(0).padStart(5)} ms   min ${sorted[0]!.toFixed(0).padStart(5)} ms   (n=${samples.length})`)
  }

  const cold: number[] = []
  for (let i = 0; i < runs; i++) {
    const cache = join(work, `cold-${i}`)
    mkdirSync(cache)
    cold.push(time(binary, ['--help'], {...process.env, XDG_CACHE_HOME: cache}))
  }
  const warmCache = join(work, 'warm')
  time(binary, ['--help'], {...process.env, XDG_CACHE_HOME: warmCache})
  const warm = Array.from({length: runs}, () => time(binary, ['--help'], {...process.env, XDG_CACHE_HOME: warmCache}))
  const node = Array.from({length: runs}, () => time(process.execPath, [join(root, 'bin/run.js'), '--help'], process.env))
  const bare = Array.from({length: runs}, () => time(binary, ['--version'], {...process.env, XDG_CACHE_HOME: warmCache}))
  const nodeBaseline = Array.from({length: runs}, () => time(process.execPath, ['-e', ''], process.env))

  console.log(`archive ${archive}`)
  summary('standalone --help, cold (unpacks)', cold)
  summary('standalone --help, warm', warm)
  summary('standalone --version, warm', bare)
  summary('node bin/run.js --help (npm install)', node)
  summary('node -e "" (Node startup floor)', nodeBaseline)
} finally {
  rmSync(work, {recursive: true, force: true})
}
