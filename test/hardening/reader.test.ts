// Hardening II, the reader: what `recent -f` must read (or name) in the shapes real logs reach it in.
//  1. JSON lines mixed with pretty-printed objects (`jq . >> audit.log`) and events wrapped over
//     several lines: every valid event recovered, a truly bad line stays one counted skip.
//  2. Project-wide exports: entries of other Google services, AKS categories and CloudWatch
//     streams are counted apart, never bad records, and never fail --strict.
//  3. Big single documents: an EventList and an `aws logs filter-log-events` export are streamed
//     element by element (120 MB and 100 MB under HARDENING_SCALE=full; ten times smaller, with the
//     size caps ten times smaller too, in the everyday run), with peak RSS measured.
//  4. Hostile values among the inputs: a YAML alias bomb, deeply nested JSON and YAML are each one
//     input named on stderr (exit 8), the rest is read, and a firing --fail-on gate keeps exit 9.
// Every case is generated from a seed (prng), so a failure can be replayed.
import {createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {once} from 'node:events'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {BIN, FULL, pick, prng, requireBuild, ROOT, runCli, SAMPLE_LOG, userEnv} from './helpers.js'

// A Node stack frame (helpers' STACK_TRACE also matches the `  at FILE:LINE: reason` skip positions).
const STACK_TRACE = /\n\s+at .*(\.js|\.ts|node:internal)[^\n]*:\d+:\d+/


const MiB = 1024 * 1024
const tmp = mkdtempSync(path.join(tmpdir(), 'hardening-reader-'))
const figures: string[] = []

beforeAll(() => requireBuild())
afterAll(() => {
  if (!process.env.HARDENING_KEEP) rmSync(tmp, {recursive: true, force: true})
  if (figures.length > 0) process.stderr.write(figures.map((f) => `hardening reader: ${f}`).join('\n') + '\n')
})

const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']
const RESOURCES = ['pods', 'services', 'deployments', 'secrets', 'configmaps', 'leases', 'nodes']
const T0 = Date.UTC(2026, 10, 1)

/** One native audit event; unique auditID (nothing merged away), sometimes with a request body. */
function nativeEvent(rand: () => number, n: number): Record<string, unknown> {
  const resource = pick(rand, RESOURCES)
  const ns = `ns-${Math.floor(rand() * 20)}`
  const name = `${resource}-${Math.floor(rand() * 500)}`
  const event: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: rand() < 0.3 ? 'Request' : 'Metadata',
    auditID: `${n.toString(16).padStart(8, '0')}-0000-4000-8000-${Math.floor(rand() * 1e12).toString(16).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/${ns}/${resource}/${name}`,
    verb: pick(rand, VERBS),
    user: {username: rand() < 0.5 ? `user-${Math.floor(rand() * 50)}@example.com` : `system:serviceaccount:${ns}:sa-${Math.floor(rand() * 5)}`, groups: ['system:authenticated']},
    sourceIPs: [`10.0.${Math.floor(rand() * 250)}.${Math.floor(rand() * 250)}`],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/abc',
    objectRef: {resource, namespace: ns, name, apiVersion: 'v1'},
    responseStatus: {metadata: {}, code: rand() < 0.1 ? 403 : 200},
    requestReceivedTimestamp: new Date(T0 + n * 1000).toISOString(),
    stageTimestamp: new Date(T0 + n * 1000 + 5).toISOString(),
    annotations: {'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by "x" {braces} [and] "quotes"'},
  }
  if (event.level === 'Request') event.requestObject = {kind: 'ConfigMap', metadata: {name, labels: {app: 'a{b}'}}, data: {'key-a': 'va"l\\ue', 'key-b': '}]'}}
  return event
}

/** The events read, from `--stats`: `read R records (...): E events, M matched, D duplicate stages merged, P lines prefiltered, S skipped`. */
function statsOf(stderr: string): {records: number; events: number; matched: number; skipped: number} {
  const m = /read (\d+) records .*?: (\d+) events, (\d+) matched.*?, (\d+) skipped/.exec(stderr)
  if (!m) throw new Error(`no stats line in:\n${stderr}`)
  return {records: Number(m[1]), events: Number(m[2]), matched: Number(m[3]), skipped: Number(m[4])}
}

/** Cut a line at seeded positions (never inside a prefilter needle, so the default run sees the needle). */
function wrap(rand: () => number, line: string, pieces: number): string[] {
  for (;;) {
    const cuts = Array.from({length: pieces - 1}, () => 1 + Math.floor(rand() * (line.length - 2))).sort((a, b) => a - b)
    const parts: string[] = []
    let at = 0
    for (const c of [...cuts, line.length]) {
      parts.push(line.slice(at, c))
      at = c
    }
    const needles = (s: string) => (s.match(/secrets|configmaps/g) ?? []).length
    if (parts.every((p) => p.length > 0) && parts.reduce((a, p) => a + needles(p), 0) === needles(line)) return parts
  }
}

describe('1. JSON lines mixed with pretty-printed and wrapped events', () => {
  const seeds = FULL ? [1, 2, 3, 4, 5, 6, 7, 8] : [1, 2, 3]
  for (const seed of seeds) {
    it(`seed ${seed}: every valid event recovered, bad lines counted`, {timeout: 120_000}, async () => {
      const rand = prng(seed)
      const lines: string[] = []
      let good = 0
      let sensitive = 0
      let bad = 0
      let pretty = 0
      let wrapped = 0
      const total = FULL ? 3000 : 600
      for (let n = 0; n < total; n++) {
        const event = nativeEvent(rand, n)
        good++
        if (['secrets', 'configmaps'].includes((event.objectRef as {resource: string}).resource)) sensitive++
        const compact = JSON.stringify(event)
        const r = rand()
        if (r < 0.15) {
          // What `jq .` appends; sometimes with tabs (`jq --tab .`) or CRLF line ends.
          const text = JSON.stringify(event, null, rand() < 0.2 ? '\t' : 2)
          lines.push(...(rand() < 0.2 ? text.split('\n').map((l) => l + '\r') : text.split('\n')))
          pretty++
        } else if (r < 0.25) {
          lines.push(...wrap(rand, compact, 2 + Math.floor(rand() * 3)))
          wrapped++
        } else lines.push(compact)
        const b = rand()
        if (b < 0.03) {
          // A line cut short (rotation, a partial copy): unbalanced, then good lines after it.
          lines.push(compact.slice(0, 20 + Math.floor(rand() * (compact.length - 40))))
          bad++
        } else if (b < 0.04) {
          lines.push(pick(rand, ['not json at all', '}', '{"kind": "Event", "verb": }', '{{{{', '[1, 2']))
          bad++
        }
      }
      const file = path.join(tmp, `mixed-${seed}.log`)
      writeFileSync(file, lines.join('\n') + '\n')
      const all = await runCli(['recent', '-f', file, '--resource', 'all', '-o', 'json', '--stats', '--no-interactive'])
      const s = statsOf(all.stderr)
      figures.push(`mixed seed ${seed}: ${good} events (${pretty} pretty-printed, ${wrapped} wrapped) and ${bad} bad lines: ${s.events} events recovered, ${s.skipped} skipped`)
      expect(all.stderr).not.toMatch(STACK_TRACE)
      expect(s.events).toBe(good)
      expect(s.skipped).toBe(bad)
      // The default run (byte prefilter on secrets and configmaps) finds the same sensitive events.
      const dflt = await runCli(['recent', '-f', file, '-o', 'json', '--stats', '--no-interactive'])
      expect(statsOf(dflt.stderr).matched).toBe(sensitive)
      // So does the parallel scan (worker threads over byte ranges), forced on this small file.
      const parallel = await runCli(['recent', '-f', file, '-o', 'json', '--stats', '--no-interactive'], {env: {KUBECTL_SENSITIVE_ACCESS_PARALLEL_MIN_BYTES: '1'}})
      expect(parallel.stderr).toContain('worker threads')
      expect(statsOf(parallel.stderr).matched).toBe(sensitive)
      // --strict parses every line: the same events, and it fails only because of the bad lines.
      const strict = await runCli(['recent', '-f', file, '--resource', 'all', '-o', 'json', '--stats', '--strict', '--no-interactive'])
      expect(statsOf(strict.stderr).events).toBe(good)
      expect(strict.exitCode).toBe(bad > 0 ? 1 : 0)
    })
  }
})

describe('2. entries of other services in shared exports', () => {
  it('GCP, AKS and CloudWatch non-Kubernetes records are counted apart and never fail --strict', {timeout: 120_000}, async () => {
    const rand = prng(42)
    const lines: string[] = []
    let kube = 0
    let others = 0
    for (let n = 0; n < 400; n++) {
      const shape = pick(rand, ['gcp', 'aks', 'eks'] as const)
      const isKube = rand() < 0.4
      const event = nativeEvent(rand, n)
      if (shape === 'gcp') {
        const service = isKube ? 'k8s.io' : pick(rand, ['compute.googleapis.com', 'storage.googleapis.com', 'iam.googleapis.com', 'container.googleapis.com', 'cloudsql.googleapis.com'])
        const method = isKube ? `io.k8s.core.v1.secrets.${pick(rand, ['get', 'list'])}` : pick(rand, ['v1.compute.instances.insert', 'storage.objects.get', 'google.iam.admin.v1.CreateServiceAccountKey', 'google.container.v1.ClusterManager.GetCluster'])
        lines.push(
          JSON.stringify({
            insertId: `id-${n}`,
            logName: `projects/p/logs/cloudaudit.googleapis.com%2F${isKube ? 'data_access' : 'activity'}`,
            protoPayload: {
              '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
              serviceName: service,
              methodName: method,
              authenticationInfo: {principalEmail: `user-${n % 7}@example.com`},
              requestMetadata: {callerIp: '10.1.2.3'},
              resourceName: isKube ? `core/v1/namespaces/ns/secrets/s-${n}` : `projects/p/zones/z/instances/vm-${n}`,
              status: {},
            },
            resource: {type: isKube ? 'k8s_cluster' : 'gce_instance', labels: {project_id: 'p'}},
            timestamp: new Date(T0 + n * 1000).toISOString(),
          }),
        )
      } else if (shape === 'aks') {
        const category = isKube ? pick(rand, ['kube-audit', 'kube-audit-admin']) : pick(rand, ['kube-apiserver', 'guard', 'cluster-autoscaler', 'kube-controller-manager', 'cloud-controller-manager'])
        const log = isKube ? JSON.stringify(event) : `I1101 10:00:00.000000       1 controller.go:${n}] "Reconciling" logger="${category}"`
        lines.push(JSON.stringify({category, operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read', time: new Date(T0 + n * 1000).toISOString(), properties: {log, stream: 'stdout', pod: `${category}-abc`}}))
      } else {
        const stream = isKube ? `kube-apiserver-audit-${n % 3}abc` : pick(rand, ['kube-apiserver-1abc', 'authenticator-2def', 'kube-scheduler-3ghi', 'kube-controller-manager-4jkl', 'cloud-controller-manager-5mno'])
        const message = isKube ? JSON.stringify(event) : `time="2026-11-01T10:00:00Z" level=info msg="access granted" arn="arn:aws:iam::1:role/r-${n}"`
        lines.push(JSON.stringify({logStreamName: stream, timestamp: T0 + n * 1000, message, ingestionTime: T0 + n * 1000 + 50, eventId: `${n}`}))
      }
      if (isKube) kube++
      else others++
    }
    const file = path.join(tmp, 'project-export.jsonl')
    writeFileSync(file, lines.join('\n') + '\n')
    const r = await runCli(['recent', '-f', file, '--resource', 'all', '-o', 'json', '--stats', '--strict', '--no-interactive'])
    const s = statsOf(r.stderr)
    figures.push(`shared export: ${kube} Kubernetes records, ${others} of other services: ${s.events} events, ${s.skipped} skipped, exit ${r.exitCode}`)
    expect(r.stderr).toContain(`${others} entries of other services, not Kubernetes: skipped`)
    expect(s.events).toBe(kube)
    expect(s.skipped).toBe(0)
    expect(r.exitCode).toBe(0)
  })
})

/** Stream a big generated document to disk; returns how many audit events it holds. */
async function writeBig(file: string, kind: 'eventlist' | 'cloudwatch', bytes: number, seed: number): Promise<number> {
  const rand = prng(seed)
  const out = createWriteStream(file)
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain')
  }
  let written = 0
  let n = 0
  await write(kind === 'eventlist' ? '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","metadata":{},"items":[' : '{"events":[')
  while (written < bytes) {
    let chunk = ''
    while (chunk.length < 256 * 1024 && written + chunk.length < bytes) {
      const event = JSON.stringify(nativeEvent(rand, n))
      const item = kind === 'eventlist' ? event : JSON.stringify({logStreamName: `kube-apiserver-audit-${n % 4}`, timestamp: T0 + n, message: event, ingestionTime: T0 + n + 9, eventId: `${n}`})
      chunk += (n > 0 ? ',' : '') + item
      n++
    }
    written += chunk.length
    await write(chunk)
  }
  await write(kind === 'eventlist' ? ']}\n' : '],"searchedLogStreams":[{"logStreamName":"kube-apiserver-audit-0","searchedCompletely":true}]}\n')
  out.end()
  await once(out, 'finish')
  return n
}

/** Run the built CLI under GNU time (else /proc polling): its exit, stderr and peak RSS in MB. */
async function measured(args: string[], env: Record<string, string>): Promise<{exitCode: number | undefined; stderr: string; peakMb: number}> {
  const rssFile = path.join(tmp, 'rss')
  const errFile = path.join(tmp, 'err')
  const cli = ['node', BIN, ...args].map((a) => `'${a}'`).join(' ')
  const hasTime = existsSync('/usr/bin/time')
  let peakKb = 0
  const r = execa('bash', ['-c', hasTime ? `/usr/bin/time -f %M -o '${rssFile}' ${cli} > /dev/null 2> '${errFile}'` : `${cli} > /dev/null 2> '${errFile}'`], {
    cwd: ROOT,
    reject: false,
    env: userEnv(env),
    extendEnv: false,
    timeout: 600_000,
  })
  const poll = hasTime
    ? undefined
    : setInterval(() => {
        try {
          const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${r.pid}/status`, 'utf8'))?.[1]
          if (hwm) peakKb = Math.max(peakKb, Number(hwm))
        } catch {
          // gone
        }
      }, 50)
  const done = await r
  if (poll) clearInterval(poll)
  if (hasTime) peakKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop())
  return {exitCode: done.exitCode, stderr: readFileSync(errFile, 'utf8'), peakMb: peakKb / 1024}
}

describe('3. big single documents are streamed', () => {
  // The everyday run is ten times smaller with the caps ten times smaller: the same ratio of
  // document to cap as a 120 MB EventList against the 64 MiB default.
  const scale = FULL ? 1 : 10
  const env: Record<string, string> = FULL ? {} : {KUBECTL_SENSITIVE_ACCESS_MAX_DOCUMENT_BYTES: String(Math.floor((64 * MiB) / scale)), KUBECTL_SENSITIVE_ACCESS_MAX_LINE_BYTES: String(Math.floor((16 * MiB) / scale))}
  const cases: [string, 'eventlist' | 'cloudwatch', number][] = [
    ['EventList', 'eventlist', 120],
    ['aws logs filter-log-events export', 'cloudwatch', 100],
  ]
  for (const [label, kind, mb] of cases) {
    it(`${label} of ${mb / scale} MB on one line`, {timeout: 900_000}, async () => {
      const file = path.join(tmp, `${kind}.json`)
      const expected = await writeBig(file, kind, (mb * MiB) / scale, mb)
      const r = await measured(['recent', '-f', file, '--resource', 'all', '-o', 'json', '--stats', '--no-interactive'], env)
      const s = statsOf(r.stderr)
      figures.push(`${label}, ${mb / scale} MB: ${s.events} of ${expected} events read, peak RSS ${r.peakMb.toFixed(0)} MB, exit ${r.exitCode}`)
      expect(r.stderr).not.toMatch(STACK_TRACE)
      expect(s.events).toBe(expected)
      expect(s.skipped).toBe(0)
      expect(r.exitCode).toBe(0)
      // Bounded by the largest element, not the document. The same events as 120 MB of JSON lines
      // peak near 280 MB (V8 grows its heap before collecting): a generous margin over that.
      expect(r.peakMb).toBeLessThan(512)
      rmSync(file, {force: true})
    })
  }

  it('one element over the cap is a counted skip; an input lost whole exits 8', {timeout: 120_000}, async () => {
    const capEnv = {KUBECTL_SENSITIVE_ACCESS_MAX_DOCUMENT_BYTES: String(MiB)}
    const rand = prng(9)
    const big = {...nativeEvent(rand, 0), requestObject: {kind: 'ConfigMap', data: {blob: 'x'.repeat(2 * MiB)}}}
    const small = [1, 2, 3].map((n) => nativeEvent(rand, n))
    const mixed = path.join(tmp, 'one-big-element.json')
    writeFileSync(mixed, JSON.stringify({kind: 'EventList', items: [small[0], big, small[1], small[2]]}, null, 2))
    const r = await runCli(['recent', '-f', mixed, '--resource', 'all', '-o', 'json', '--stats', '--no-interactive'], {env: capEnv})
    expect(statsOf(r.stderr).events).toBe(3)
    expect(r.stderr).toContain('1 element-too-large')
    expect(r.exitCode).toBe(0)
    const alone = path.join(tmp, 'only-big-element.json')
    writeFileSync(alone, JSON.stringify({kind: 'EventList', items: [big]}, null, 2))
    const lost = await runCli(['recent', '-f', alone, '-f', SAMPLE_LOG, '--resource', 'all', '-o', 'json', '--no-interactive'], {env: capEnv})
    expect(lost.stderr).toContain('only-big-element.json: nothing read from it: a single array element over the size cap')
    expect(lost.exitCode).toBe(8)
    figures.push(`element over the cap: counted skip (exit ${r.exitCode}); input lost whole: exit ${lost.exitCode}`)
  })
})

/** A YAML alias bomb: each level aliases the one before `width` times. */
function aliasBomb(rand: () => number): string {
  const width = 5 + Math.floor(rand() * 10)
  const levels = 10 + Math.floor(rand() * 20)
  let text = `l0: &l0 [${Array.from({length: width}, () => '"lol"').join(', ')}]\n`
  for (let i = 1; i < levels; i++) text += `l${i}: &l${i} [${Array.from({length: width}, () => `*l${i - 1}`).join(', ')}]\n`
  return text
}

function deepJson(rand: () => number): string {
  const depth = 5_000 + Math.floor(rand() * 100_000)
  return rand() < 0.5 ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
}

function deepYaml(rand: () => number): string {
  const depth = 300 + Math.floor(rand() * 3000)
  return rand() < 0.5 ? `kind: Event\nverb: get\nuser: ${'['.repeat(depth)}x${']'.repeat(depth)}\n` : Array.from({length: depth}, (_, i) => `${' '.repeat(i * 2)}k${i}:`).join('\n') + ' v\n'
}

describe('4. hostile values among the inputs', () => {
  const seeds = FULL ? [11, 12, 13, 14, 15, 16] : [11, 12]
  for (const seed of seeds) {
    it(`seed ${seed}: alias bomb, deep JSON and deep YAML are named skips; the rest is read; exit 8, or 9 when the gate fires`, {timeout: 300_000}, async () => {
      const rand = prng(seed)
      const files = {bomb: path.join(tmp, `bomb-${seed}.yaml`), deepJson: path.join(tmp, `deep-${seed}.json`), deepYaml: path.join(tmp, `deep-${seed}.yaml`)}
      writeFileSync(files.bomb, aliasBomb(rand))
      writeFileSync(files.deepJson, deepJson(rand))
      writeFileSync(files.deepYaml, deepYaml(rand))
      let hostile = 0
      for (const [label, file] of Object.entries(files)) {
        const gate = await runCli(['recent', '-f', file, '-f', SAMPLE_LOG, '--findings', '--fail-on', 'high', '--no-interactive'])
        expect(gate.stderr, label).not.toMatch(STACK_TRACE)
        expect(gate.stderr, label).not.toMatch(/ReferenceError|RangeError|Maximum call stack/)
        expect(gate.stderr, label).toContain(`${file}: nothing read from it`)
        expect(gate.exitCode, label).toBe(9)
        // --resource all: with the default prefilter a line without secrets or configmaps is not parsed (--strict says so).
        const plain = await runCli(['recent', '-f', file, '-f', SAMPLE_LOG, '--resource', 'all', '-o', 'json', '--stats', '--no-interactive'])
        expect(plain.exitCode, label).toBe(8)
        expect(plain.stderr, label).toContain('incomplete: 1 input was not read')
        // The good input is read in full.
        expect(statsOf(plain.stderr).events, label).toBeGreaterThan(0)
        hostile++
      }
      figures.push(`hostile seed ${seed}: ${hostile} hostile inputs, all named skips; gate exit 9, else exit 8`)
    })
  }
})
