// `npm run release`: standalone kubectl-sensitive_access executables for every krew platform,
// their archives in release/, and plugin.yaml with the archives' sha256.
//
//   tsx scripts/release.ts [--platforms linux/amd64,darwin/arm64|all] [--out DIR]
//                          [--cache-dir DIR] [--no-write-manifest]
//
// The committed plugin.yaml is rewritten only by a run that builds all platforms (a partial
// build would leave stale sums for the others); every run writes DIR/plugin.yaml for the
// platforms it built, usable with `kubectl krew install --manifest DIR/plugin.yaml --archive ...`.
//
// macOS: injecting the blob invalidates the Node binary's code signature, and Apple Silicon
// refuses to run unsigned code. `codesign` exists only on macOS, so the darwin binaries built here
// must be re-signed there before publishing (`codesign --remove-signature` then
// `codesign --sign - kubectl-sensitive_access`), and the darwin sums in plugin.yaml refreshed.
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {tarGz, zip, type ArchiveEntry} from './release/archive.js'
import {bundle} from './release/bundle.js'
import {manifestYaml, platformEntry, renderManifest, validateManifest, type PlatformEntry} from './release/manifest.js'
import {nodeBinary} from './release/node-dist.js'
import {buildPack, sha256} from './release/pack.js'
import {NODE_VERSION, TARGETS, archiveName, binaryFile, completionFile, selectTargets, targetKey, type Target} from './release/platforms.js'
import {injectBlob, makeSeaBlob} from './release/sea.js'

export interface ReleaseOptions {
  projectRoot: string
  outDir: string
  cacheDir: string
  targets: Target[]
  writeManifest: boolean
  /** gzip/deflate level; 6 unless a test wants speed over size. */
  compressionLevel?: number
  log: (line: string) => void
}

export interface ReleaseArtifact {
  target: Target
  archive: string
  sha256: string
  bytes: number
  binaryBytes: number
}

export interface ReleaseResult {
  artifacts: ReleaseArtifact[]
  manifestPath: string
  bundleBytes: number
  startupBytes: number
  seconds: number
}

function hostTarget(): Target {
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64'
  const target = TARGETS.find((t) => t.os === 'linux' && t.arch === arch)
  // The SEA blob must be made by the pinned Node, so the release host must be able to run it.
  if (process.platform !== 'linux' || !target) throw new Error('the release is built on Linux (x64 or arm64)')
  return target
}

export async function release(options: ReleaseOptions): Promise<ReleaseResult> {
  const started = performance.now()
  const {projectRoot, outDir, log} = options
  const pkg = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as {name: string; version: string}
  const work = join(outDir, '.work')
  await rm(work, {recursive: true, force: true})
  await mkdir(work, {recursive: true})

  // Downloads run while esbuild bundles.
  const host = hostTarget()
  const wanted = [...new Set([host, ...options.targets])]
  const nodes = new Map(wanted.map((t) => [t, nodeBinary(t, options.cacheDir, log)]))
  for (const p of nodes.values()) p.catch(() => {})

  log('bundling with esbuild')
  const bundled = await bundle(projectRoot, join(work, 'bundle'))
  const {index, payload} = buildPack(bundled.files, {name: pkg.name, version: pkg.version, entry: bundled.entry})
  const indexPath = join(work, 'app.index.json')
  const payloadPath = join(work, 'app.pack')
  await writeFile(indexPath, JSON.stringify(index))
  await writeFile(payloadPath, payload)
  log(`bundle: ${bundled.files.size} files, ${payload.length} bytes (${bundled.startupBytes} bytes loaded by --help)`)

  const blob = await makeSeaBlob({
    pinnedNode: await nodes.get(host)!,
    workDir: work,
    launcher: join(projectRoot, 'scripts/release/launcher.cjs'),
    indexJson: indexPath,
    payload: payloadPath,
  })

  const license = await readFile(join(projectRoot, 'LICENSE'))
  const artifacts: ReleaseArtifact[] = []
  // One injection at a time (each holds a ~100 MB binary in memory, twice), while the previous
  // platform's archive compresses on zlib's thread pool.
  let compressing: Promise<void> = Promise.resolve()
  for (const target of options.targets) {
    const binary = join(work, `${target.os}_${target.arch}`, binaryFile(target))
    await mkdir(dirname(binary), {recursive: true})
    log(`building ${targetKey(target)} (Node ${NODE_VERSION})`)
    await injectBlob(target, await nodes.get(target)!, blob, binary)
    const binaryData = await readFile(binary)
    const entries: ArchiveEntry[] = [
      {name: binaryFile(target), data: binaryData, mode: 0o755},
      {name: completionFile(target), data: await readFile(join(projectRoot, 'completion', completionFile(target))), mode: 0o755},
      {name: 'LICENSE', data: license, mode: 0o644},
    ]
    await rm(dirname(binary), {recursive: true, force: true})
    await compressing
    const level = options.compressionLevel ?? 6
    compressing = (target.os === 'windows' ? zip(entries, level) : tarGz(entries, level)).then(async (archive) => {
      const archivePath = join(outDir, archiveName(target))
      await writeFile(archivePath, archive)
      artifacts.push({target, archive: archivePath, sha256: sha256(archive), bytes: archive.length, binaryBytes: binaryData.length})
      log(`  ${archiveName(target)}: ${(archive.length / 1e6).toFixed(1)} MB, sha256 ${sha256(archive)}`)
    })
    // Handled here so a failure waits for the `await` above instead of crashing as unhandled.
    compressing.catch(() => {})
  }
  await compressing
  // Archives finish in order, but keep the manifest in the canonical platform order regardless.
  artifacts.sort((a, b) => options.targets.indexOf(a.target) - options.targets.indexOf(b.target))

  if (artifacts.some((a) => a.target.os === 'darwin')) {
    log('note: darwin binaries carry an invalidated signature; ad-hoc sign them on macOS (codesign --sign -) before publishing')
  }
  const entries: PlatformEntry[] = artifacts.map((a) => platformEntry(a.target, pkg.version, a.sha256))
  const manifest = renderManifest(pkg.version, entries)
  const problems = validateManifest(manifest)
  if (problems.length > 0) throw new Error(`plugin.yaml would be rejected by krew:\n  ${problems.join('\n  ')}`)
  const manifestPath = join(outDir, 'plugin.yaml')
  await writeFile(manifestPath, manifestYaml(manifest))
  await writeFile(join(outDir, 'SHA256SUMS'), artifacts.map((a) => `${a.sha256}  ${archiveName(a.target)}\n`).join(''))

  const complete = TARGETS.every((t) => artifacts.some((a) => a.target === t))
  if (options.writeManifest && complete) {
    const rootManifest = join(projectRoot, 'plugin.yaml')
    // Generated in full (wording lives in scripts/release/manifest.ts): version, uri and sums
    // always agree with the archives just built.
    await writeFile(rootManifest, manifestYaml(manifest))
    log(`wrote the sha256 values into ${rootManifest}`)
  } else if (options.writeManifest) {
    log('not every platform was built: the committed plugin.yaml is left unchanged')
  }
  await rm(work, {recursive: true, force: true})
  return {artifacts, manifestPath, bundleBytes: payload.length, startupBytes: bundled.startupBytes, seconds: (performance.now() - started) / 1000}
}

async function cli(): Promise<void> {
  const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const {values} = parseArgs({
    options: {
      platforms: {type: 'string'},
      out: {type: 'string'},
      'cache-dir': {type: 'string'},
      'no-write-manifest': {type: 'boolean'},
    },
  })
  const result = await release({
    projectRoot,
    outDir: resolve(values.out ?? join(projectRoot, 'release')),
    cacheDir: resolve(values['cache-dir'] ?? join(projectRoot, 'node_modules/.cache/kubectl-sensitive-access-release')),
    targets: selectTargets(values.platforms),
    writeManifest: !values['no-write-manifest'],
    log: (line) => process.stderr.write(line + '\n'),
  })
  process.stderr.write(`release done in ${result.seconds.toFixed(1)} s\n`)
  // The one line of data: where the manifest is, for scripts that chain on this.
  process.stdout.write(result.manifestPath + '\n')
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await cli().catch((error: unknown) => {
    process.stderr.write(`release failed: ${(error as Error).message}\n`)
    process.exitCode = 1
  })
}
