// npm run bench:who-can — who-can against a large synthetic cluster served by the fake API
// server: requests made, wall time, analysis time and peak RSS, plus startup figures measured in
// the same run against bare node and kubectl. Figures, not a pass/fail test (shared machines vary);
// the targets are printed beside them.
import {execFileSync, spawnSync} from 'node:child_process'
import {execa} from 'execa'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {BENCHMARK_SCALE, generateCluster} from '../test/fake-apiserver/generate.js'
import {startFakeApiServer} from '../test/fake-apiserver/index.js'

const root = resolve(fileURLToPath(import.meta.url), '../..')
const bin = join(root, 'bin/run.js')
const scaleArg = process.argv.find((a) => a.startsWith('--scale='))
const factor = scaleArg ? Number(scaleArg.slice('--scale='.length)) : 1
const scale = Object.fromEntries(
  Object.entries(BENCHMARK_SCALE).map(([k, v]) => [k, k.endsWith('PerNamespace') ? v : Math.max(1, Math.round(v * factor))]),
) as typeof BENCHMARK_SCALE

interface Measured {
  wallMs: number
  peakRssMb: number | undefined
  stdout: string
  stderr: string
  status: number | null | undefined
}

/**
 * Run a command under /usr/bin/time (when present) for its peak RSS. Asynchronously: the fake API
 * server answering it lives in this process.
 */
async function measure(command: string, args: string[]): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-'))
  const timeFile = join(dir, 'time')
  const hasTime = spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0
  const started = performance.now()
  const result = hasTime
    ? await execa('/usr/bin/time', ['-f', '%M', '-o', timeFile, command, ...args], {reject: false, maxBuffer: 1 << 30})
    : await execa(command, args, {reject: false, maxBuffer: 1 << 30})
  const wallMs = performance.now() - started
  const peakRssMb = hasTime ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()) / 1024 : undefined
  rmSync(dir, {recursive: true, force: true})
  return {wallMs, peakRssMb, stdout: result.stdout, stderr: result.stderr, status: result.exitCode ?? null}
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

function timeRuns(command: string, args: string[], runs = 7): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    spawnSync(command, args, {stdio: 'ignore'})
    times.push(performance.now() - started)
  }
  return median(times)
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', {maximumFractionDigits: digits, minimumFractionDigits: digits})

async function main(): Promise<void> {
  console.log(`who-can benchmark: ${fmt(scale.namespaces)} namespaces, ${fmt(scale.roles)} Roles, ${fmt(scale.roleBindings)} RoleBindings, ${fmt(scale.clusterRoles)} ClusterRoles, ${fmt(scale.clusterRoleBindings)} ClusterRoleBindings`)
  const store = generateCluster(scale)
  const server = await startFakeApiServer({store})
  try {
    const objects = {
      roles: scale.roles,
      clusterroles: scale.clusterRoles,
      rolebindings: scale.roleBindings,
      clusterrolebindings: scale.clusterRoleBindings,
      namespaces: scale.namespaces,
    }
    const expectedLists = Object.values(objects).reduce((n, count) => n + Math.max(1, Math.ceil(count / 500)), 0)

    const run = await measure('node', [bin, 'who-can', '-A', '--no-confirm', '-o', 'json', '--kubeconfig', server.kubeconfigPath])
    if (run.status !== 0) throw new Error(`who-can failed (${run.status}): ${run.stderr}`)
    const report = JSON.parse(run.stdout) as {subjects: unknown[]; stats: {requests: number; fetchMs: number; analysisMs: number}}
    const lists = server.requests.filter((r) => r.method === 'GET' && r.query.limit !== undefined).length
    console.log('')
    console.log('who-can -A (default question), no confirmation:')
    console.log(`  subjects found        ${fmt(report.subjects.length)}`)
    console.log(`  requests made         ${fmt(report.stats.requests)} (LIST pages ${fmt(lists)}; objects/500 = ${fmt(expectedLists)})`)
    console.log(`  wall time             ${fmt(run.wallMs)} ms (fetch ${fmt(report.stats.fetchMs)} ms)`)
    console.log(`  analysis time         ${fmt(report.stats.analysisMs)} ms   target < 1,000 ms`)
    console.log(`  peak RSS              ${run.peakRssMb === undefined ? 'n/a (no /usr/bin/time)' : `${fmt(run.peakRssMb)} MB`}   target < 500 MB`)
    console.log(`  secrets read with data ${server.requests.reduce((n, r) => n + r.secretsWithData, 0)} (must be 0)`)

    server.requests.length = 0
    const confirmed = await measure('node', [bin, 'who-can', '-n', 'team-0001', '-o', 'json', '--kubeconfig', server.kubeconfigPath])
    if (confirmed.status !== 0) throw new Error(`who-can -n failed: ${confirmed.stderr}`)
    const confirmedReport = JSON.parse(confirmed.stdout) as {subjects: unknown[]; confirmation: {requests: number}}
    console.log('')
    console.log('who-can -n team-0001, confirmed by SubjectAccessReview:')
    console.log(`  subjects              ${fmt(confirmedReport.subjects.length)}`)
    console.log(`  SubjectAccessReviews  ${fmt(confirmedReport.confirmation.requests)}`)
    console.log(`  wall time             ${fmt(confirmed.wallMs)} ms`)
    console.log(`  peak RSS              ${confirmed.peakRssMb === undefined ? 'n/a' : `${fmt(confirmed.peakRssMb)} MB`}`)
  } finally {
    await server.stop()
  }

  console.log('')
  console.log('startup (median of 7 runs):')
  const bare = timeRuns('node', ['-e', '0'])
  const help = timeRuns('node', [bin, '--help'])
  const whoCanHelp = timeRuns('node', [bin, 'who-can', '--help'])
  let kubectl: number | undefined
  try {
    execFileSync('kubectl', ['version', '--client'], {stdio: 'ignore'})
    kubectl = timeRuns('kubectl', ['version', '--client'])
  } catch {
    kubectl = undefined
  }
  const clientNode = timeRuns('node', ['--input-type=module', '-e', "await import('@kubernetes/client-node')"], 5)
  const ink = timeRuns('node', ['--input-type=module', '-e', "await import('ink')"], 5)
  console.log(`  node -e 0                       ${fmt(bare)} ms`)
  console.log(`  kubectl version --client        ${kubectl === undefined ? 'n/a' : `${fmt(kubectl)} ms`}`)
  console.log(`  kubectl-sensitive_access --help ${fmt(help)} ms (${fmt(help / bare, 2)}x bare node)`)
  console.log(`  ... who-can --help              ${fmt(whoCanHelp)} ms (${fmt(whoCanHelp / bare, 2)}x bare node)`)
  console.log(`  import @kubernetes/client-node  ${fmt(clientNode - bare)} ms over bare node (loaded only when connecting)`)
  console.log(`  import ink                      ${fmt(ink - bare)} ms over bare node (loaded only for the dashboard)`)
}

await main()
