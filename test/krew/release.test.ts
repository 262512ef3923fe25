// End to end: `scripts/release.ts` builds all five platforms once (about 2-4 minutes on two cores,
// Node binaries fetched from the npm registry and cached in node_modules/.cache), then:
// a krew-like install of the linux/amd64 archive driven by the generated plugin.yaml and run
// through the real kubectl, the standalone launcher's cache behaviour, and the structure of the
// macOS and Windows archives, which cannot run here.
import {execFile, execFileSync, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, chmodSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {applyFileOperations, validateInstalledLayout, validateManifest, type PluginManifest} from '../../scripts/release/manifest.js'
import {SEA_FUSE, TARGETS, archiveName, binaryFile, completionFile, targetKey} from '../../scripts/release/platforms.js'
import {fuseFlipped} from '../../scripts/release/sea.js'
import {release, type ReleaseResult} from '../../scripts/release.js'
import {COMMANDS} from '../../src/commands.js'
import {readArchive} from './archive-reader.js'

const run = promisify(execFile)
const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {version: string}).version
const visibleCommands = Object.keys(COMMANDS).filter((id) => !COMMANDS[id]!.hidden)
const registered = (id: string) => id in COMMANDS
// The title says why a case is skipped: the command is written by another engineer.
const skipNote = (id: string, title: string) => (registered(id) ? title : `${title} [skipped: \`${id}\` is not registered in src/commands.ts]`)
const onLinux = process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')
const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
})()

const work = mkdtempSync(join(tmpdir(), 'krew-release-'))
const outDir = join(work, 'release')
let result: ReleaseResult
let manifest: PluginManifest
const releaseLog: string[] = []

beforeAll(async () => {
  if (!onLinux) return
  result = await release({
    projectRoot: root,
    outDir,
    cacheDir: join(root, 'node_modules/.cache/kubectl-sensitive-access-release'),
    targets: [...TARGETS],
    writeManifest: false,
    // Fastest compression: the archives' structure is what is under test, not their size.
    compressionLevel: 1,
    log: (line) => releaseLog.push(line),
  })
  manifest = parse(readFileSync(result.manifestPath, 'utf8')) as PluginManifest
}, 600_000)

afterAll(() => rmSync(work, {recursive: true, force: true}))

describe.skipIf(!onLinux)('release artifacts', () => {
  it('writes one archive per platform and a valid plugin.yaml for them', () => {
    expect(readdirSync(outDir).sort()).toEqual([...TARGETS.map(archiveName), 'SHA256SUMS', 'plugin.yaml'].sort())
    expect(validateManifest(manifest)).toEqual([])
    expect(manifest.spec.platforms.map((p) => targetKey(p.selector.matchLabels as never))).toEqual(TARGETS.map(targetKey))
  })

  // Structure of every archive, including the three that cannot run on this machine.
  it.each(TARGETS.map((t) => [targetKey(t), t] as const))('%s archive: sha256, layout, executable format, SEA fuse', (_, target) => {
    const path = join(outDir, archiveName(target))
    const archive = readFileSync(path)
    const entry = manifest.spec.platforms.find((p) => p.selector.matchLabels.os === target.os && p.selector.matchLabels.arch === target.arch)!
    expect(createHash('sha256').update(archive).digest('hex')).toBe(entry.sha256)

    const files = readArchive(path, archive)
    expect(files.map((f) => f.name).sort()).toEqual([binaryFile(target), completionFile(target), 'LICENSE'].sort())
    expect(validateInstalledLayout(entry, files.map((f) => f.name))).toEqual([])
    expect(files.find((f) => f.name === 'LICENSE')!.data.equals(readFileSync(join(root, 'LICENSE')))).toBe(true)

    const binary = files.find((f) => f.name === binaryFile(target))!
    if (target.os !== 'windows') expect(binary.mode & 0o111).toBe(0o111)
    const bytes = binary.data
    if (target.format === 'elf') {
      expect(bytes.subarray(0, 4).toString('latin1')).toBe('\u007fELF')
      expect(bytes.readUInt16LE(18)).toBe(target.arch === 'amd64' ? 0x3e : 0xb7)
    } else if (target.format === 'mach-o') {
      expect(bytes.readUInt32LE(0)).toBe(0xfeedfacf)
      expect(bytes.readUInt32LE(4)).toBe(target.arch === 'amd64' ? 0x01000007 : 0x0100000c)
      // postject adds the NODE_SEA segment holding the blob.
      expect(bytes.indexOf('NODE_SEA\0')).toBeGreaterThan(0)
    } else {
      expect(bytes.subarray(0, 2).toString('latin1')).toBe('MZ')
      const pe = bytes.readUInt32LE(0x3c)
      expect(bytes.subarray(pe, pe + 4).toString('latin1')).toBe('PE\0\0')
      expect(bytes.readUInt16LE(pe + 4)).toBe(0x8664)
    }
    expect(bytes.indexOf(SEA_FUSE)).toBe(bytes.lastIndexOf(SEA_FUSE))
    expect(fuseFlipped(bytes)).toBe(true)
    // The embedded bundle index names this version: the blob really is inside.
    expect(bytes.indexOf(`"version":"${version}","entry":"main.js"`)).toBeGreaterThan(0)

    const completion = files.find((f) => f.name === completionFile(target))!.data.toString('utf8')
    expect(completion).toContain('__complete')
  })
})

// A krew install, step by step: take the linux entry from plugin.yaml, check the download's
// sha256, extract, apply `files`, link `bin` into a bin dir on PATH (plus the completion helper,
// as the caveats tell users to), then drive it through kubectl.
describe.skipIf(!onLinux || !hasKubectl)('krew-like install on linux/amd64, through kubectl', () => {
  const krewRoot = join(work, 'krew')
  const binDir = join(krewRoot, 'bin')
  const home = join(work, 'home')
  const cache = join(work, 'cache')
  const kubeconfig = join(work, 'kubeconfig')
  let env: NodeJS.ProcessEnv

  beforeAll(() => {
    if (!result) return
    const target = TARGETS.find((t) => t.os === 'linux' && t.arch === (process.arch === 'arm64' ? 'arm64' : 'amd64'))!
    const entry = manifest.spec.platforms.find((p) => p.selector.matchLabels.os === 'linux' && p.selector.matchLabels.arch === target.arch)!
    const download = readFileSync(join(outDir, entry.uri.split('/').at(-1)!))
    expect(createHash('sha256').update(download).digest('hex')).toBe(entry.sha256)

    const installDir = join(krewRoot, 'store', manifest.metadata.name, manifest.spec.version)
    const files = readArchive(entry.uri, download)
    for (const [to, from] of applyFileOperations(files.map((f) => f.name), entry.files)) {
      const file = files.find((f) => f.name === from)!
      mkdirSync(dirname(join(installDir, to)), {recursive: true})
      writeFileSync(join(installDir, to), file.data)
      chmodSync(join(installDir, to), file.mode)
    }
    mkdirSync(binDir, {recursive: true})
    // krew names the link after the plugin: kubectl-<name with - as _>.
    symlinkSync(join(installDir, entry.bin), join(binDir, `kubectl-${manifest.metadata.name.replace(/-/g, '_')}`))
    symlinkSync(join(installDir, completionFile(target)), join(binDir, completionFile(target)))
    mkdirSync(home, {recursive: true})
    // No cluster: completion's kubectl look-ups must fail fast and quietly.
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n')
    env = {
      // Unique entries: kubectl plugin list warns (and exits 1) about a plugin seen twice.
      PATH: [...new Set([binDir, dirname(execFileSync('sh', ['-c', 'command -v kubectl']).toString().trim()), '/usr/bin', '/bin'])].join(delimiter),
      HOME: home,
      XDG_CACHE_HOME: cache,
      KUBECONFIG: kubeconfig,
      NO_COLOR: '1',
    }
  })

  const kubectl = (args: string[]) => run('kubectl', args, {env, cwd: root, maxBuffer: 64 * 1024 * 1024})
  const viaNode = (args: string[]) => run(process.execPath, [join(root, 'bin/run.js'), ...args], {cwd: root, env: {...process.env, NO_COLOR: '1'}, maxBuffer: 64 * 1024 * 1024})

  it('is listed by kubectl plugin list', async () => {
    const {stdout} = await kubectl(['plugin', 'list'])
    expect(stdout).toContain(join(binDir, 'kubectl-sensitive_access'))
  })

  it('runs `kubectl sensitive-access --help`, unpacking once into a private cache dir', async () => {
    const {stdout, stderr} = await kubectl(['sensitive-access', '--help'])
    expect(stdout).toContain('kubectl sensitive-access')
    expect(stdout).toContain(`kubectl-sensitive-access/${version}`)
    for (const id of visibleCommands) expect(stdout).toContain(id)
    expect(stderr).toBe('')
    const parent = join(cache, 'kubectl-sensitive-access')
    expect(statSync(parent).mode & 0o777).toBe(0o700)
    const dirs = readdirSync(parent)
    expect(dirs).toHaveLength(1)
    expect(dirs[0]).toMatch(new RegExp(`^${version.replace(/\./g, '\\.')}-[0-9a-f]{16}$`))
    expect(statSync(join(parent, dirs[0]!)).mode & 0o777).toBe(0o700)
  })

  it('re-unpacks a cache that was tampered with instead of running it', async () => {
    const dir = join(cache, 'kubectl-sensitive-access', readdirSync(join(cache, 'kubectl-sensitive-access'))[0]!)
    const main = join(dir, 'main.js')
    const original = readFileSync(main)
    writeFileSync(main, "process.stdout.write('tampered\\n')\n")
    const {stdout} = await kubectl(['sensitive-access', '--version'])
    expect(stdout).toContain(`kubectl-sensitive-access/${version}`)
    expect(stdout).not.toContain('tampered')
    expect(readFileSync(main).equals(original)).toBe(true)
  })

  it('survives concurrent first runs (atomic unpack)', async () => {
    const fresh = join(work, 'cache-race')
    const runs = Array.from({length: 4}, () =>
      run(join(binDir, 'kubectl-sensitive_access'), ['--version'], {env: {...env, XDG_CACHE_HOME: fresh}}),
    )
    for (const {stdout} of await Promise.all(runs)) expect(stdout).toContain(`kubectl-sensitive-access/${version}`)
    expect(readdirSync(join(fresh, 'kubectl-sensitive-access'))).toHaveLength(1)
  })

  it('fails with a clear message, no stack trace, when the cache is not writable', async () => {
    const blocked = join(work, 'not-a-dir')
    writeFileSync(blocked, '')
    const child = spawn(join(binDir, 'kubectl-sensitive_access'), ['--help'], {env: {...env, XDG_CACHE_HOME: blocked}})
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code).toBe(70)
    expect(stderr).toContain('XDG_CACHE_HOME')
    expect(stderr).not.toMatch(/\n\s+at /)
  })

  it.skipIf(!registered('who-can'))(skipNote('who-can', 'who-can --manifests samples/rbac matches the npm-installed CLI'), async () => {
    const args = ['who-can', '--manifests', 'samples/rbac']
    const standalone = await kubectl(['sensitive-access', ...args])
    expect(standalone.stdout.length).toBeGreaterThan(0)
    expect(standalone.stdout).toBe((await viaNode(args)).stdout)
  })

  it.skipIf(!registered('recent'))(skipNote('recent', 'recent -f samples/audit/sample-audit.log matches the npm-installed CLI'), async () => {
    const args = ['recent', '-f', 'samples/audit/sample-audit.log']
    const standalone = await kubectl(['sensitive-access', ...args])
    expect(standalone.stdout.length).toBeGreaterThan(0)
    expect(standalone.stdout).toBe((await viaNode(args)).stdout)
  })

  it.skipIf(!registered('recent'))(skipNote('recent', 'recent scans with worker threads from the unpacked bundle, with the same answer'), async () => {
    const args = ['recent', '-f', 'samples/audit/sample-audit.log', '-o', 'json', '--stats']
    const parallelEnv = {...env, KUBECTL_SENSITIVE_ACCESS_PARALLEL_MIN_BYTES: '1'}
    const parallel = await run('kubectl', ['sensitive-access', ...args], {env: parallelEnv, cwd: root, maxBuffer: 64 * 1024 * 1024})
    const inline = await kubectl(['sensitive-access', ...args])
    expect(parallel.stderr).toMatch(/\([2-4] worker threads\)\n$/)
    expect(inline.stderr).not.toContain('worker threads')
    expect(parallel.stdout.length).toBeGreaterThan(0)
    expect(parallel.stdout).toBe(inline.stdout)
  })

  it('completes through `kubectl __complete sensitive-access ...`', async () => {
    const commands = await kubectl(['__complete', 'sensitive-access', ''])
    const lines = commands.stdout.trimEnd().split('\n')
    expect(lines.at(-1)).toBe(':4')
    expect(lines.slice(0, -1).map((l) => l.split('\t')[0])).toEqual([...visibleCommands].sort())

    const withFlags = Object.entries(COMMANDS).find(([id, cmd]) => !cmd.hidden && Object.keys(cmd.flags ?? {}).length > 0)
    if (withFlags) {
      const [id, cmd] = withFlags
      const flags = await kubectl(['__complete', 'sensitive-access', id, '--'])
      const offered = flags.stdout.trimEnd().split('\n').map((l) => l.split('\t')[0])
      for (const [name, flag] of Object.entries(cmd.flags ?? {})) if (!(flag as {hidden?: boolean}).hidden) expect(offered).toContain(`--${name}`)
    }

    const nsFlagCommand = Object.entries(COMMANDS).find(([, cmd]) => 'namespace' in (cmd.flags ?? {}))
    if (nsFlagCommand) {
      // No cluster in the kubeconfig: no candidates, still a well-formed answer, quickly.
      const ns = await kubectl(['__complete', 'sensitive-access', nsFlagCommand[0], '--namespace', ''])
      expect(ns.stdout.trimEnd().split('\n').at(-1)).toBe(':4')
    }
  })
})
