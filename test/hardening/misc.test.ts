// Hardening II, four classes through the built CLI:
//  1. `recent --follow` across copytruncate and rename rotations: no line lost (like `tail -F`).
//  2. `unused --write-suggestions`: colliding and hostile names, an existing file or planted symlink.
//  3. `recent --hec-events`: the temporary spool of events is gone after every exit path and signal.
//  4. Credentials in webhook denial messages, exec arguments and manifest parse errors are redacted
//     in every output format.
// Figures go to stderr; nothing here asserts a duration.
import {spawn, type ChildProcess} from 'node:child_process'
import {appendFileSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parseAllDocuments} from 'yaml'
import {BIN, ROOT, requireBuild, runCli, SAMPLE_LOG, STACK_TRACE, userEnv} from './helpers.js'

const tmp = mkdtempSync(path.join(tmpdir(), 'hardening-misc-'))
const figures: string[] = []

beforeAll(() => requireBuild())
afterAll(() => {
  rmSync(tmp, {recursive: true, force: true})
  process.stderr.write(`hardening misc:\n${figures.map((f) => `  ${f}\n`).join('')}`)
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Poll until check() holds or the deadline passes; returns whether it held (never throws). */
async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) return false
    await sleep(50)
  }
  return true
}

function auditLine(name: string, extra: Record<string, unknown> = {}): string {
  return (
    JSON.stringify({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: `id-${name}`,
      stage: 'ResponseComplete',
      requestURI: `/api/v1/namespaces/ns/secrets/${name}`,
      verb: 'get',
      user: {username: 'alice', groups: ['system:authenticated']},
      sourceIPs: ['10.0.0.1'],
      objectRef: {resource: 'secrets', namespace: 'ns', name, apiVersion: 'v1'},
      responseStatus: {code: 200},
      requestReceivedTimestamp: '2026-12-01T10:00:00.000000Z',
      stageTimestamp: '2026-12-01T10:00:00.000000Z',
      ...extra,
    }) + '\n'
  )
}

function startCli(args: string[], options: {env?: Record<string, string>; stdoutFile?: string}): {child: ChildProcess; stderr: () => string; exited: Promise<{code: number | null; signal: NodeJS.Signals | null}>} {
  const fd = options.stdoutFile ? openSync(options.stdoutFile, 'w') : 'ignore'
  const child = spawn('node', [BIN, ...args], {cwd: ROOT, env: userEnv(options.env), stdio: ['ignore', fd, 'pipe']})
  if (typeof fd === 'number') closeSync(fd)
  let err = ''
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('utf8')))
  const exited = new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve) => child.on('exit', (code, signal) => resolve({code, signal})))
  return {child, stderr: () => err, exited}
}

// ---------------------------------------------------------------------------------------------
describe('recent --follow across log rotation', () => {
  const ROTATIONS = 4
  const PRE = 5
  const POST = 20

  for (const mode of ['copytruncate', 'rename'] as const) {
    it(`loses no line over ${ROTATIONS} ${mode} rotations`, {timeout: 180_000}, async () => {
      const dir = path.join(tmp, `follow-${mode}`)
      mkdirSync(dir)
      const log = path.join(dir, 'audit.log')
      const out = path.join(dir, 'out.jsonl')
      writeFileSync(log, auditLine('init'))
      const run = startCli(['recent', '-f', log, '--follow', '-o', 'json', '--resource', 'secrets'], {stdoutFile: out})
      let exited = false
      void run.exited.then(() => (exited = true))
      const seen = () => {
        const names: string[] = []
        for (const line of readFileSync(out, 'utf8').split('\n')) {
          if (!line) continue
          try {
            names.push((JSON.parse(line) as {name: string}).name)
          } catch {
            // a line being written
          }
        }
        return names
      }
      const expected: string[] = []
      try {
        // Following has begun once it says so (or the process ended: then nothing is followed).
        await until(() => exited || run.stderr().includes('following'), 30_000)
        expect(run.stderr()).not.toMatch(STACK_TRACE)
        for (let r = 0; r < ROTATIONS; r++) {
          // The last lines before the rotation are written right before it, unseen by any poll.
          let pre = ''
          for (let i = 0; i < PRE; i++) pre += auditLine(`r${r}-pre-${i}`)
          appendFileSync(log, pre)
          for (let i = 0; i < PRE; i++) expected.push(`r${r}-pre-${i}`)
          if (existsSync(`${log}.1`)) renameSync(`${log}.1`, `${log}.2`)
          if (mode === 'copytruncate') {
            copyFileSync(log, `${log}.1`)
            truncateSync(log, 0)
          } else {
            renameSync(log, `${log}.1`)
            writeFileSync(log, '')
          }
          // More after the rotation than before it: a size check alone cannot tell it was truncated.
          let post = ''
          for (let i = 0; i < POST; i++) post += auditLine(`r${r}-post-${i}`)
          appendFileSync(log, post)
          for (let i = 0; i < POST; i++) expected.push(`r${r}-post-${i}`)
          // The next rotation waits for this one to be read (rotations are minutes apart in life).
          await until(() => exited || expected.every((n) => seen().includes(n)), 15_000)
        }
      } finally {
        run.child.kill('SIGTERM')
        await run.exited
      }
      const got = seen()
      const lost = expected.filter((n) => !got.includes(n))
      const duplicated = got.length - new Set(got).size
      figures.push(`--follow ${mode}: ${ROTATIONS} rotations, ${expected.length} lines written, ${lost.length} lost, ${duplicated} duplicated${exited ? '' : ''}`)
      expect(lost).toEqual([])
      expect(duplicated).toBe(0)
      expect(got[0]).toBe('init')
    })
  }

  it('loses no line written while the first read runs (following starts where that read ended)', {timeout: 180_000}, async () => {
    const dir = path.join(tmp, 'follow-during-read')
    mkdirSync(dir)
    const log = path.join(dir, 'audit.log')
    const out = path.join(dir, 'out.jsonl')
    // Big enough that the first read takes a while: lines keep arriving during it.
    const BULK = 60_000
    let bulk = ''
    for (let i = 0; i < BULK; i++) bulk += auditLine(`bulk-${i}`, {objectRef: {resource: 'configmaps', namespace: 'ns', name: `bulk-${i}`, apiVersion: 'v1'}})
    writeFileSync(log, bulk)
    const run = startCli(['recent', '-f', log, '--follow', '-o', 'json', '--resource', 'secrets'], {stdoutFile: out})
    let exited = false
    void run.exited.then(() => (exited = true))
    const expected: string[] = []
    const names = () => readFileSync(out, 'utf8').split('\n').flatMap((line) => {
      try {
        return line ? [(JSON.parse(line) as {name: string}).name] : []
      } catch {
        return []
      }
    })
    try {
      // Append a line every few milliseconds from the start until well after following has begun.
      let n = 0
      let after = 0
      while (!exited && after < 40) {
        appendFileSync(log, auditLine(`live-${n}`))
        expected.push(`live-${n++}`)
        if (run.stderr().includes('following')) after++
        await sleep(5)
      }
      await until(() => exited || expected.every((name) => names().includes(name)), 20_000)
    } finally {
      run.child.kill('SIGTERM')
      await run.exited
    }
    expect(run.stderr()).not.toMatch(STACK_TRACE)
    const got = names()
    const lost = expected.filter((name) => !got.includes(name))
    const duplicated = got.length - new Set(got).size
    figures.push(`--follow during the first read: ${expected.length} lines appended while ${BULK.toLocaleString('en-US')} lines were read, ${lost.length} lost, ${duplicated} duplicated`)
    expect(lost).toEqual([])
    expect(duplicated).toBe(0)
  })
})

// ---------------------------------------------------------------------------------------------
describe('unused --write-suggestions with colliding and hostile names', () => {
  // Binding names the API server accepts (path segment names) that sanitise to the same file, plus
  // names that try to break out of the YAML, the comment lines or the shell commands.
  const COLLIDING = ['team:a', 'team-a', 'Team_A', 'TEAM-A', 'team--a']
  const HOSTILE = ['evil\n---\nkind: Injected', '# not a comment', `q'uote"d`, '$(echo PWNED)', 'a\u2028b', 'a\u0085b', 'x\r\ny', 'back`tick`']
  const PLANTED = 'plain'

  function manifests(): string {
    const docs: unknown[] = [
      {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'a'}},
      {apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'a-b'}},
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: 'secret-reader'}, rules: [{apiGroups: [''], resources: ['secrets'], verbs: ['get']}]},
    ]
    const names = [...COLLIDING, ...HOSTILE, PLANTED]
    names.forEach((name, i) =>
      docs.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: {name},
        roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'secret-reader'},
        subjects: [{kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: `idle-${i}`}],
      }),
    )
    // rolebinding-<ns>-<name>: namespace a-b + name c and namespace a + name b-c meet.
    for (const [ns, name] of [['a-b', 'c'], ['a', 'b-c']]) {
      docs.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: {name, namespace: ns},
        roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'secret-reader'},
        subjects: [{kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: `idle-${ns}-${name}`}],
      })
    }
    return docs.map((d) => JSON.stringify(d)).join('\n---\n') + '\n'
  }

  it('writes one file per suggestion, never over another file, every name quoted for its context', {timeout: 120_000}, async () => {
    const dir = path.join(tmp, 'unused')
    mkdirSync(dir)
    const rbac = path.join(dir, 'rbac.yaml')
    writeFileSync(rbac, manifests())
    const log = path.join(dir, 'audit.log')
    writeFileSync(log, auditLine('unrelated'))
    const outDir = path.join(dir, 'out')
    mkdirSync(outDir)
    // An attacker with write access to the folder plants a link where a suggestion will be written.
    const target = path.join(dir, 'victim.txt')
    writeFileSync(target, 'precious\n')
    symlinkSync(target, path.join(outDir, `delete-clusterrolebinding-${PLANTED}.yaml`))

    const r = await runCli(['unused', '--manifests', rbac, '-f', log, '--write-suggestions', outDir, '-o', 'json'])
    expect(r.stderr).not.toMatch(STACK_TRACE)
    const report = JSON.parse(r.stdout) as {suggestions: {id: string; file: string; action: string; deletes: {name: string; namespace?: string}[]}[]}
    const bindings = COLLIDING.length + HOSTILE.length + 1 + 2
    const files = report.suggestions.map((s) => s.file)
    const distinctCi = new Set(files.map((f) => f.toLowerCase())).size
    const written = readdirSync(outDir).filter((f) => !lstatSync(path.join(outDir, f)).isSymbolicLink())
    figures.push(
      `--write-suggestions: ${bindings} bindings (${COLLIDING.length} colliding, ${HOSTILE.length} hostile, 2 ns/name-ambiguous), ` +
        `${report.suggestions.length} suggestions, ${distinctCi} distinct file names (case-insensitive), ${written.length} files written, ` +
        `planted symlink target ${readFileSync(target, 'utf8') === 'precious\n' ? 'untouched' : 'OVERWRITTEN'}`,
    )
    expect(report.suggestions.length).toBe(bindings)
    expect(distinctCi).toBe(bindings)
    expect(new Set(report.suggestions.map((s) => s.id.toLowerCase())).size).toBe(bindings)
    // The link was not followed, and the run says so (a skipped file is not a silent success).
    expect(readFileSync(target, 'utf8')).toBe('precious\n')
    expect(r.stderr).toMatch(/not overwritten|already exists/)
    expect(r.exitCode).not.toBe(0)
    expect(written.length).toBe(bindings - 1)
    expect(r.stderr).toMatch(new RegExp(`wrote ${bindings - 1} `))

    // Each file: comments, then exactly the one binding; the command lines give back the exact name.
    let checkedCommands = 0
    for (const s of report.suggestions) {
      if (s.file.includes(PLANTED)) continue
      const text = readFileSync(path.join(outDir, s.file), 'utf8')
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/)
      const header = text.slice(0, text.indexOf('\n---\n'))
      for (const line of header.split('\n')) expect(line.startsWith('#'), line).toBe(true)
      const docs = parseAllDocuments(text)
      expect(docs.length).toBe(1)
      expect(docs[0]!.errors).toEqual([])
      const obj = docs[0]!.toJS() as {kind: string; metadata: {name: string}}
      expect(obj.metadata.name).toBe(s.deletes[0]!.name)
      const cmd = header.split('\n').find((l) => l.startsWith('#   kubectl delete '))!
      // The shell must read the name back as one word, unchanged, running nothing.
      const words = await execa('bash', ['-c', `set -- ${cmd.slice('#   kubectl delete '.length)}; printf '%s\\0' "$@"`], {reject: false})
      expect(words.stdout.split('\0').filter(Boolean)[1]).toBe(s.deletes[0]!.name)
      const file = await execa('bash', ['-c', `set -- ${header.split('\n').find((l) => l.includes('kubectl delete -f'))!.replace(/^.*kubectl delete -f /, '').replace(/\)$/, '')}; printf '%s' "$1"`], {reject: false})
      expect(file.stdout).toBe(s.file)
      checkedCommands++
    }
    figures.push(`--write-suggestions: ${checkedCommands} files' comment, YAML and shell lines checked; ${HOSTILE.length} hostile names, 0 broke out`)
  })

  it('running again into the same folder overwrites nothing and says which files were kept', {timeout: 60_000}, async () => {
    const dir = path.join(tmp, 'unused-again')
    mkdirSync(dir)
    const rbac = path.join(dir, 'rbac.yaml')
    writeFileSync(rbac, manifests())
    const log = path.join(dir, 'audit.log')
    writeFileSync(log, auditLine('unrelated'))
    const outDir = path.join(dir, 'out')
    const first = await runCli(['unused', '--manifests', rbac, '-f', log, '--write-suggestions', outDir, '-o', 'json'])
    expect(first.exitCode, first.stderr).toBe(0)
    const before = readdirSync(outDir).map((f) => [f, statSync(path.join(outDir, f)).mtimeMs] as const)
    for (const [f] of before) appendFileSync(path.join(outDir, f), '# reviewed\n')
    const second = await runCli(['unused', '--manifests', rbac, '-f', log, '--write-suggestions', outDir, '-o', 'json'])
    expect(second.stderr).not.toMatch(STACK_TRACE)
    expect(second.exitCode).not.toBe(0)
    expect(second.stderr).toMatch(new RegExp(`${before.length} .*(not overwritten|already exist)`))
    for (const [f] of before) expect(readFileSync(path.join(outDir, f), 'utf8').endsWith('# reviewed\n')).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------
describe('recent --hec-events leaves no spool file behind', () => {
  let server: Server
  let mode: 'slow' | 'ok' | 'refuse' = 'slow'
  let requests = 0
  let url = ''
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++
      req.resume()
      // slow: never answers (the run is mid-send when the signal comes).
      if (mode === 'ok') req.on('end', () => res.writeHead(200, {'content-type': 'application/json'}).end('{"text":"Success","code":0}'))
      else if (mode === 'refuse') req.on('end', () => res.writeHead(400, {'content-type': 'application/json'}).end('{"text":"Invalid data format","code":6}'))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
  })

  function leftIn(dir: string): string[] {
    const out: string[] = []
    for (const e of readdirSync(dir, {withFileTypes: true})) {
      out.push(e.name)
      if (e.isDirectory()) for (const f of leftIn(path.join(dir, e.name))) out.push(`${e.name}/${f}`)
    }
    return out
  }

  const args = () => ['recent', '-f', SAMPLE_LOG, '--resource', 'all', '-o', 'json', '--hec-url', url, '--hec-events']
  const results: string[] = []
  afterAll(() => figures.push(`--hec-events spool: ${results.join('; ')}`))

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${signal} mid-send: exit ${code}, the temporary folder is empty`, {timeout: 60_000}, async () => {
      mode = 'slow'
      const tmpDir = mkdtempSync(path.join(tmp, `hec-${signal}-`))
      const start = requests
      const run = startCli(args(), {env: {TMPDIR: tmpDir, SPLUNK_HEC_TOKEN: 'test-token'}})
      let exited = false
      void run.exited.then(() => (exited = true))
      await until(() => exited || requests > start, 30_000)
      // While it runs the spool is private: a 0700 folder holding a 0600 file.
      const during = leftIn(tmpDir)
      const spoolDir = readdirSync(tmpDir)[0]
      const modes = spoolDir ? `${(statSync(path.join(tmpDir, spoolDir)).mode & 0o777).toString(8)}/${readdirSync(path.join(tmpDir, spoolDir)).map((f) => (statSync(path.join(tmpDir, spoolDir, f)).mode & 0o777).toString(8)).join(',')}` : '-'
      run.child.kill(signal)
      const {code: exitCode, signal: killedBy} = await run.exited
      const left = leftIn(tmpDir)
      results.push(`${signal}: ${left.length} left (was ${during.length} while sending, modes ${modes}), exit ${exitCode ?? killedBy}`)
      expect(run.stderr()).not.toMatch(STACK_TRACE)
      expect(during.length).toBeGreaterThan(0)
      expect(modes).toBe('700/600')
      expect(left).toEqual([])
      expect(exitCode).toBe(code)
    })
  }

  for (const [name, m, code] of [['normal end', 'ok', 0], ['HEC refusal (error exit)', 'refuse', 7]] as const) {
    it(`${name}: the temporary folder is empty`, {timeout: 60_000}, async () => {
      mode = m
      const tmpDir = mkdtempSync(path.join(tmp, `hec-${m}-`))
      const r = await runCli(args(), {env: {TMPDIR: tmpDir, SPLUNK_HEC_TOKEN: 'test-token'}})
      const left = leftIn(tmpDir)
      results.push(`${name}: ${left.length} left, exit ${r.exitCode}`)
      expect(r.stderr).not.toMatch(STACK_TRACE)
      expect(r.exitCode, r.stderr).toBe(code)
      expect(left).toEqual([])
    })
  }
})

// ---------------------------------------------------------------------------------------------
describe('credentials in denial messages, exec arguments and manifest errors are redacted', () => {
  const dir = path.join(tmp, 'redact')
  // Every planted value holds PLNT; none may appear in any output.
  const exec = (name: string, command: string[], extra: Record<string, unknown> = {}) =>
    auditLine(name, {
      verb: 'create',
      requestURI: `/api/v1/namespaces/db/pods/${name}/exec?${command.map((c) => `command=${encodeURIComponent(c)}`).join('&')}&container=main&stdin=true&tty=true`,
      objectRef: {resource: 'pods', subresource: 'exec', namespace: 'db', name, apiVersion: 'v1'},
      responseStatus: {code: 101},
      ...extra,
    })
  const denied = (name: string, message: string, reason?: string) =>
    auditLine(name, {
      verb: 'create',
      requestURI: '/api/v1/namespaces/db/secrets',
      responseStatus: {code: 400, status: 'Failure', message},
      ...(reason ? {annotations: {'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': reason}} : {}),
    })
  const LINES = [
    exec('mysql-0', ['mysql', '-uroot', '-pPLNTmysql1', 'app']),
    exec('pg-0', ['sh', '-c', 'PGPASSWORD=PLNTpg2 psql -h db -U app']),
    exec('curl-0', ['curl', '-u', 'admin:PLNTcurl3', 'https://internal']),
    exec('app-0', ['app', '--password', 'PLNTflag4', '--verbose']),
    exec('git-0', ['git', 'clone', 'https://bot:PLNTurl5@git.example.com/x.git']),
    exec('aws-0', ['env', 'AWS_ACCESS_KEY_ID=AKIAPLNT2345678ABCDE', 'aws', 's3', 'ls']),
    denied('webhook-1', 'admission webhook "policy.example.com" denied the request: container env DB_PASSWORD=PLNTwebhook6 is not allowed'),
    denied('webhook-2', 'admission webhook "h.example.com" denied the request: header Authorization: Bearer PLNTbearer7xyz must not be set'),
    denied('webhook-3', 'denied: token eyJhbGciOiJIUzI1NiJ9.eyJQTE5UIjoiOCJ9.PLNTjwt8sig found in annotation'),
    denied('webhook-4', 'denied: key -----BEGIN RSA PRIVATE KEY-----\nPLNTpem9\n-----END RSA PRIVATE KEY----- in data'),
    denied('authz-1', 'forbidden', 'webhook authorizer: request carried token=PLNTauthz10'),
    denied('authz-2', 'forbidden', 'denied: client sent "password": "PLNTjson11"'),
  ]
  const SHAPES = ['-p…', 'PGPASSWORD=…', 'admin:…', '--password …', 'bot:…@', 'AKIA…', 'DB_PASSWORD=…', 'Bearer …', 'eyJ…', 'PRIVATE KEY-----…', 'token=…', '"password": "…"']

  beforeAll(() => {
    mkdirSync(dir)
    writeFileSync(path.join(dir, 'audit.log'), LINES.join(''))
    // A manifest a parser chokes on: V8's message quotes the text around the error.
    mkdirSync(path.join(dir, 'rbac'))
    writeFileSync(
      path.join(dir, 'rbac', 'bad.json'),
      '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}}\n{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"stringData":{"url": postgres PLNTmanifest12 "x"}}\n',
    )
  })

  const outputs: {what: string; text: string}[] = []
  afterAll(() => {
    const leaked = outputs.filter((o) => o.text.includes('PLNT')).length
    figures.push(`redaction: ${LINES.length} hostile events + 1 bad manifest, ${outputs.length} outputs scanned, ${leaked} leaked a planted value`)
  })

  const formats = ['table', 'wide', 'json', 'yaml', 'csv', 'cim']
  it('recent, every format, events and --findings', {timeout: 120_000}, async () => {
    const runs = [...formats.map((o) => ['-o', o]), ...['table', 'json', 'csv', 'cim'].map((o) => ['--findings', '-o', o])]
    const results = await Promise.all(runs.map((extra) => runCli(['recent', '-f', path.join(dir, 'audit.log'), '--resource', 'all', ...extra])))
    results.forEach((r, i) => {
      outputs.push({what: runs[i]!.join(' '), text: r.stdout + r.stderr})
      expect(r.stderr).not.toMatch(STACK_TRACE)
    })
    const all = results.map((r) => r.stdout).join('\n')
    // The events were read and shown (the guard proves something), with their shape kept.
    const json = results[2]!.stdout
    expect(json.trim().split('\n').length).toBe(LINES.length)
    for (const shape of SHAPES) expect(decodeURIComponent(all.replace(/%(?![0-9A-F]{2})/g, '%25')), shape).toContain(shape)
    for (const [i, r] of results.entries()) expect(r.stdout + r.stderr, runs[i]!.join(' ')).not.toContain('PLNT')
  })

  it('unused (denied reasons) and who-can (manifest warnings)', {timeout: 120_000}, async () => {
    const unused = await runCli(['unused', '--manifests', path.join(ROOT, 'samples/rbac'), '-f', path.join(dir, 'audit.log'), '-o', 'json'])
    outputs.push({what: 'unused', text: unused.stdout + unused.stderr})
    expect(unused.stderr).not.toMatch(STACK_TRACE)
    expect(unused.stdout + unused.stderr).not.toContain('PLNT')
    const whoCan = await runCli(['who-can', 'get', 'secrets', '-A', '--manifests', path.join(dir, 'rbac')])
    outputs.push({what: 'who-can', text: whoCan.stdout + whoCan.stderr})
    expect(whoCan.stderr).not.toMatch(STACK_TRACE)
    // The warning is still there (document 2 is bad), without the quoted text.
    expect(whoCan.stderr).toMatch(/bad\.json: document 2: invalid JSON/)
    expect(whoCan.stdout + whoCan.stderr).not.toContain('PLNT')
  })

  it('the pattern table: every hostile case hidden with its shape kept, every benign case untouched', async () => {
    const {redactSecrets} = await import('../../src/lib/redact.js')
    const {BENIGN, HOSTILE} = await import('./redact-cases.js')
    const hidden = HOSTILE.filter(([input, expected]) => redactSecrets(input) === expected).length
    const untouched = BENIGN.filter((input) => redactSecrets(input) === input).length
    figures.push(`redaction table: ${hidden}/${HOSTILE.length} hostile cases hidden with their shape, ${untouched}/${BENIGN.length} benign cases untouched`)
    expect(hidden).toBe(HOSTILE.length)
    expect(untouched).toBe(BENIGN.length)
  })

  it('the dashboard event detail', async () => {
    const {normaliseRecord} = await import('../../src/audit/normalise.js')
    const {eventDetailLines} = await import('../../src/ui/derive.js')
    let shown = ''
    for (const line of LINES) {
      const events = normaliseRecord(JSON.parse(line), {format: 'k8s', file: 'x', line: 1})
      if (typeof events === 'string') throw new Error(events)
      for (const e of events) shown += eventDetailLines(e).join('\n')
    }
    outputs.push({what: 'dashboard detail', text: shown})
    expect(shown).toContain('Reason:')
    expect(shown).not.toContain('PLNT')
  })
})
