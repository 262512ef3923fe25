// Benchmark for `recent`: generates a synthetic audit log (default ~1 GB, ~1M events, ~4% on
// secrets/configmaps, the rest realistic controller and kubelet chatter) into .bench/ (reused when
// present), then times `recent --summary` next to jq doing the same filter and `wc -l`, and prints
// MB/s, ratios and peak RSS. Targets: >= 500 MB/s, >= 10x jq, within 4x of wc -l (the disk-read
// floor: measured with the file dropped from the page cache), RSS < 300 MB. The same runs from the
// page cache are printed too: there wc -l reads memory at several GB/s and shows recent's CPU cost.
// Usage: npm run bench:recent [-- --size 200] [-- --no-jq]
import {execFileSync, spawnSync} from 'node:child_process'
import {createWriteStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const here = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(here, '..')

interface Args {
  sizeMB: number
  jq: boolean
  runs: number
}

function parseArgs(argv: string[]): Args {
  const args: Args = {sizeMB: 1024, jq: true, runs: 3}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--size') args.sizeMB = Number(argv[++i])
    else if (a?.startsWith('--size=')) args.sizeMB = Number(a.slice(7))
    else if (a === '--no-jq') args.jq = false
    else if (a === '--runs') args.runs = Number(argv[++i])
  }
  if (!Number.isFinite(args.sizeMB) || args.sizeMB <= 0) throw new Error('--size takes megabytes, e.g. --size 200')
  return args
}

/** Deterministic PRNG: the same file for the same size. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

async function generate(file: string, sizeMB: number): Promise<void> {
  const rand = rng(7)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T
  const hex = (n: number) => {
    let s = ''
    for (let i = 0; i < n; i++) s += Math.floor(rand() * 16).toString(16)
    return s
  }
  const namespaces = ['default', 'kube-system', 'payments', 'web', 'monitoring', 'ingress-nginx', 'cert-manager', 'argocd', 'logging', 'data']
  const nodes = Array.from({length: 40}, (_, i) => `ip-10-0-${i % 4}-${10 + i}.ec2.internal`)
  const controllers = ['deployment-controller', 'replicaset-controller', 'endpointslice-controller', 'daemon-set-controller', 'job-controller', 'namespace-controller', 'generic-garbage-collector', 'horizontal-pod-autoscaler']
  const chatter = [
    ['get', 'leases', 'coordination.k8s.io', true],
    ['update', 'leases', 'coordination.k8s.io', true],
    ['watch', 'pods', '', false],
    ['list', 'pods', '', true],
    ['patch', 'pods', '', true],
    ['get', 'nodes', '', false],
    ['patch', 'nodes', '', false],
    ['watch', 'endpointslices', 'discovery.k8s.io', false],
    ['update', 'replicasets', 'apps', true],
    ['create', 'events', '', true],
    ['get', 'deployments', 'apps', true],
    ['list', 'services', '', false],
  ] as const
  const stream = createWriteStream(file)
  const target = sizeMB * 1024 * 1024
  let written = 0
  let t = Date.parse('2026-11-20T00:00:00Z')
  const secretUsers = ['alice@example.com', 'system:serviceaccount:ci:deployer', 'system:serviceaccount:cert-manager:cert-manager', 'system:kube-controller-manager']
  while (written < target) {
    const lines: string[] = []
    for (let i = 0; i < 2000; i++) {
      t += Math.floor(rand() * 40)
      const ts = new Date(t).toISOString().replace('Z', '123Z')
      const ns = pick(namespaces)
      const id = `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`
      const r = rand()
      let verb: string
      let resource: string
      let group: string
      let namespaced: boolean
      let user: string
      let groups: string
      let ua: string
      let ip: string
      if (r < 0.04) {
        // ~4% on secrets and configmaps: kubelets mounting, controllers, a few humans and CI.
        resource = rand() < 0.55 ? 'secrets' : 'configmaps'
        verb = pick(['get', 'get', 'list', 'watch', 'update'])
        group = ''
        namespaced = true
        if (rand() < 0.6) {
          const node = pick(nodes)
          user = `system:node:${node}`
          groups = '["system:nodes","system:authenticated"]'
          ua = 'kubelet/v1.30.2 (linux/amd64) kubernetes/3968350'
          ip = `10.0.${node.split('-')[2]}.${node.split('-')[3]?.split('.')[0]}`
        } else {
          user = pick(secretUsers)
          groups = '["system:authenticated"]'
          ua = user.startsWith('alice') ? 'kubectl/v1.30.1 (darwin/arm64) kubernetes/6911225' : 'manager/v0.0.0 (linux/amd64) kubernetes/$Format'
          ip = user.startsWith('alice') ? '198.51.100.23' : '10.0.3.21'
        }
      } else if (r < 0.55) {
        const node = pick(nodes)
        const c = pick(chatter)
        ;[verb, resource, group, namespaced] = [c[0], c[1], c[2], c[3]]
        user = `system:node:${node}`
        groups = '["system:nodes","system:authenticated"]'
        ua = 'kubelet/v1.30.2 (linux/amd64) kubernetes/3968350'
        ip = '10.0.1.17'
      } else {
        const c = pick(chatter)
        ;[verb, resource, group, namespaced] = [c[0], c[1], c[2], c[3]]
        const ctl = pick(controllers)
        user = `system:serviceaccount:kube-system:${ctl}`
        groups = '["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]'
        ua = `kube-controller-manager/v1.30.2 (linux/amd64) kubernetes/3968350/system:serviceaccount:kube-system:${ctl}`
        ip = '10.0.0.5'
      }
      const name = resource === 'secrets' ? pick(['db-credentials', 'tls-cert', 'registry-pull', 'api-token']) : resource === 'configmaps' ? pick(['kube-root-ca.crt', 'app-config', 'feature-flags']) : `${resource.slice(0, -1)}-${hex(5)}`
      const base = group ? `/apis/${group}/v1` : '/api/v1'
      const uri = `${base}${namespaced ? `/namespaces/${ns}` : ''}/${resource}${verb === 'list' || verb === 'watch' ? '' : `/${name}`}${verb === 'watch' ? '?allowWatchBookmarks=true&resourceVersion=2529923&timeout=6m41s&timeoutSeconds=401&watch=true' : ''}`
      const ref = `{"resource":"${resource}"${namespaced ? `,"namespace":"${ns}"` : ''}${verb === 'list' || verb === 'watch' ? '' : `,"name":"${name}"`},"apiGroup":"${group}","apiVersion":"v1"}`
      const code = rand() < 0.01 ? 403 : 200
      const decision = code === 403 ? 'forbid' : 'allow'
      const reason = code === 403 ? '' : 'RBAC: allowed by ClusterRoleBinding \\"system:controller:generic\\" of ClusterRole \\"system:controller:generic\\" to ServiceAccount \\"generic/kube-system\\"'
      lines.push(
        `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"${id}","stage":"ResponseComplete","requestURI":"${uri}","verb":"${verb}","user":{"username":"${user}","uid":"${hex(8)}-${hex(4)}","groups":${groups},"extra":{"authentication.kubernetes.io/credential-id":["JTI=${hex(8)}-${hex(4)}-${hex(4)}"]}},"sourceIPs":["${ip}"],"userAgent":"${ua}","objectRef":${ref},"responseStatus":{"metadata":{},"code":${code}},"requestReceivedTimestamp":"${ts}","stageTimestamp":"${ts}","annotations":{"authorization.k8s.io/decision":"${decision}","authorization.k8s.io/reason":"${reason}"}}`,
      )
    }
    const chunk = lines.join('\n') + '\n'
    written += Buffer.byteLength(chunk)
    if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', () => resolve()))
  }
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())))
}

interface Timing {
  seconds: number
  /** user + system CPU seconds of the child: meaningful even when other work shares the cores. */
  cpuSeconds: number
  maxRssMB: number
  stdout: string
}

/** Run through /usr/bin/time -v when present for the child's peak RSS, else via a shell. */
function timed(cmd: string, attempt = 0): Timing {
  const haveTime = existsSync('/usr/bin/time')
  const start = process.hrtime.bigint()
  const r = haveTime
    ? spawnSync('/usr/bin/time', ['-v', 'sh', '-c', cmd], {encoding: 'utf8', maxBuffer: 256 * 1024 * 1024})
    : spawnSync('sh', ['-c', cmd], {encoding: 'utf8', maxBuffer: 256 * 1024 * 1024})
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  // Several engineers rebuild dist/ in this tree: a run that caught it half-built is retried.
  if (r.status !== 0 && /MODULE_NOT_FOUND/.test(r.stderr) && attempt < 10) {
    spawnSync('sleep', ['5'])
    return timed(cmd, attempt + 1)
  }
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.slice(-2000)}`)
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr)
  const sys = /System time \(seconds\): ([\d.]+)/.exec(r.stderr)
  const cpuSeconds = user && sys ? Number(user[1]) + Number(sys[1]) : Number.NaN
  return {seconds, cpuSeconds, maxRssMB: m ? Number(m[1]) / 1024 : Number.NaN, stdout: r.stdout}
}

function best(cmd: string, runs: number, before?: () => void): Timing {
  let out: Timing | undefined
  for (let i = 0; i < runs; i++) {
    before?.()
    const t = timed(cmd)
    if (!out || t.seconds < out.seconds) out = {...t, maxRssMB: Math.max(t.maxRssMB, out?.maxRssMB ?? 0)}
  }
  return out as Timing
}

/**
 * Drops the file's pages from the page cache (GNU dd: `iflag=nocache count=0` advises the kernel
 * to forget the whole file; no privileges needed), so the next read comes from the disk. Returns
 * false where that is not supported.
 */
function dropFromCache(file: string): boolean {
  return spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']).status === 0
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2))
  const dir = path.join(ROOT, '.bench')
  mkdirSync(dir, {recursive: true})
  const file = path.join(dir, `audit-${args.sizeMB}MB.log`)
  if (!existsSync(file)) {
    process.stderr.write(`generating ${file} ...\n`)
    const g = Date.now()
    await generate(file, args.sizeMB)
    process.stderr.write(`generated in ${((Date.now() - g) / 1000).toFixed(1)} s\n`)
  } else process.stderr.write(`reusing ${file}\n`)
  const bytes = statSync(file).size
  const mb = bytes / 1e6
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  const lines = Number(execFileSync('wc', ['-l', file], {encoding: 'utf8'}).trim().split(/\s+/)[0])
  const run = (input: string) => `node ${q(path.join(ROOT, 'bin/run.js'))} recent --summary -o json -f ${q(input)}`

  // From the disk: the file is dropped from the page cache before every run, so `wc -l` is the
  // disk-read floor the targets compare against.
  const cold = dropFromCache(file)
  const coldWc = cold ? best(`wc -l ${q(file)}`, args.runs, () => dropFromCache(file)) : undefined
  const coldOurs = cold ? best(run(file), args.runs, () => dropFromCache(file)) : undefined

  // From the page cache: every contender reads memory, which shows the CPU cost of each.
  timed(`cat ${q(file)} > /dev/null`)
  const wc = best(`wc -l ${q(file)}`, args.runs)
  const ours = best(run(file), args.runs)
  // The fixed cost of any run (Node, oclif, loading the command) with nothing to read.
  const empty = path.join(dir, 'empty.log')
  writeFileSync(empty, '')
  const startup = best(run(empty), args.runs)
  const node = best(`node -e 0`, args.runs)
  const summary = JSON.parse(ours.stdout) as {events: number}
  const jqFilter = 'select(.objectRef.resource == "secrets" or .objectRef.resource == "configmaps")'
  const jq = args.jq ? best(`jq -c ${q(jqFilter)} ${q(file)} | wc -l`, 1) : undefined

  const rate = (t: Timing) => (mb / t.seconds).toFixed(0)
  // Rows without input (start-up) have no rate.
  const row = (name: string, t: Timing, extra = '', reads = true) =>
    `${name.padEnd(22)} ${t.seconds.toFixed(2).padStart(8)} s ${reads ? `${rate(t).padStart(7)} MB/s` : ' '.repeat(12)} ${t.cpuSeconds.toFixed(2).padStart(7)} s cpu ${reads ? `${(mb / t.cpuSeconds).toFixed(0).padStart(6)} MB/cpu-s` : ' '.repeat(15)} ${Number.isNaN(t.maxRssMB) ? '      ?' : t.maxRssMB.toFixed(0).padStart(7)} MB RSS ${extra}`
  const diskRatio = coldOurs && coldWc ? coldOurs.seconds / coldWc.seconds : undefined
  const peakRss = Math.max(ours.maxRssMB, coldOurs?.maxRssMB ?? 0)
  const out = [
    `input: ${file}`,
    `       ${mb.toFixed(0)} MB, ${lines} lines; matching events: ${summary.events}${jq ? ` (jq: ${jq.stdout.trim()})` : ''}`,
    '',
    ...(coldOurs && coldWc
      ? [
          'from the disk (the file dropped from the page cache before each run):',
          row('recent --summary', coldOurs),
          row('wc -l', coldWc, `-> recent takes ${(diskRatio as number).toFixed(1)}x wc -l (the disk-read floor)`),
          '',
        ]
      : ['from the disk: not measured (dd iflag=nocache is not supported here)', '']),
    'from the page cache (every contender reads memory):',
    row('recent --summary', ours),
    ...(jq ? [row('jq (same filter)', jq, `-> recent is ${(jq.seconds / ours.seconds).toFixed(1)}x faster`)] : []),
    row('wc -l', wc, `-> recent takes ${(ours.seconds / wc.seconds).toFixed(1)}x wc -l reading memory`),
    row('recent, empty input', startup, '(start-up: Node, oclif, the command)', false),
    row('node -e 0', node, '(Node alone)', false),
    `reading alone (recent minus its start-up): ${(ours.seconds - startup.seconds).toFixed(2)} s = ${(mb / (ours.seconds - startup.seconds)).toFixed(0)} MB/s`,
    '',
    `load average at the end: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} on ${availableParallelism()} cores (wall figures suffer when it is high)`,
    `targets: >= 500 MB/s (page cache): ${Number(rate(ours)) >= 500 ? 'met' : 'NOT met'}; ` +
      (jq ? `>= 10x jq: ${jq.seconds / ours.seconds >= 10 ? 'met' : 'NOT met'}; ` : '') +
      `<= 4x wc -l from the disk: ${diskRatio === undefined ? 'not measured' : diskRatio <= 4 ? 'met' : 'NOT met'}; ` +
      `RSS < 300 MB: ${peakRss < 300 ? 'met' : 'NOT met'}`,
  ]
  process.stdout.write(out.join('\n') + '\n')
}

await main()
