'use strict'
// Main script of the standalone executable (Node single-executable application).
// Node 20 runs only a CommonJS main from the SEA blob, and our CLI is an ESM bundle with
// code-split chunks; so this launcher unpacks the bundle, once per build, into a private cache dir
// and imports it from there. Every file is checked against its sha256 before each import: the
// cache dir is on disk, and what runs must be exactly what was shipped.
const crypto = require('node:crypto')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const sea = require('node:sea')
const {createRequire} = require('node:module')
const {pathToFileURL} = require('node:url')

function fail(message) {
  process.stderr.write(`kubectl-sensitive_access: ${message}\n`)
  process.exit(70)
}

function cacheRoot() {
  if (process.env.XDG_CACHE_HOME && path.isAbsolute(process.env.XDG_CACHE_HOME)) return process.env.XDG_CACHE_HOME
  if (process.platform === 'win32') return process.env.LOCALAPPDATA || path.join(os.homedir(), 'AppData', 'Local')
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches')
  return path.join(os.homedir(), '.cache')
}

function sha256(data) {
  return crypto.createHash('sha256').update(data).digest('hex')
}

// A directory someone else owns (or a symlink planted in our place) could feed us code.
function ownedPrivateDir(dir) {
  const st = fs.lstatSync(dir)
  if (!st.isDirectory()) return false
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return true
  return st.uid === process.getuid() && (st.mode & 0o022) === 0
}

function verified(dir, index) {
  try {
    if (!ownedPrivateDir(dir)) return false
    for (const file of index.files) {
      if (sha256(fs.readFileSync(path.join(dir, file.path))) !== file.sha256) return false
    }
    return true
  } catch {
    return false
  }
}

function unpack(dir, index) {
  const payload = Buffer.from(sea.getAsset('app.pack'))
  if (sha256(payload) !== index.sha256) fail('the embedded bundle is corrupt (sha256 mismatch); reinstall the plugin')
  const temp = `${dir}.tmp-${process.pid}-${crypto.randomBytes(6).toString('hex')}`
  fs.mkdirSync(temp, {mode: 0o700})
  for (const file of index.files) {
    const target = path.join(temp, file.path)
    fs.mkdirSync(path.dirname(target), {recursive: true, mode: 0o700})
    fs.writeFileSync(target, payload.subarray(file.offset, file.offset + file.size), {mode: 0o600, flag: 'wx'})
  }
  try {
    // Atomic: readers see either no directory or a complete one.
    fs.renameSync(temp, dir)
  } catch (error) {
    fs.rmSync(temp, {recursive: true, force: true})
    // Another process won the race; its copy is used if it verifies.
    if (!verified(dir, index)) throw error
  }
}

function install(index) {
  const parent = path.join(cacheRoot(), 'kubectl-sensitive-access')
  fs.mkdirSync(parent, {recursive: true, mode: 0o700})
  if (process.platform !== 'win32') fs.chmodSync(parent, 0o700)
  if (!ownedPrivateDir(parent)) fail(`${parent} is not a private directory owned by you; refusing to run code from it`)
  const dir = path.join(parent, `${index.version}-${index.sha256.slice(0, 16)}`)
  if (verified(dir, index)) return dir
  if (fs.existsSync(dir)) {
    // Damaged or tampered with: move it aside (atomic) and unpack afresh.
    const stale = `${dir}.stale-${process.pid}-${crypto.randomBytes(6).toString('hex')}`
    fs.renameSync(dir, stale)
    fs.rmSync(stale, {recursive: true, force: true})
  }
  unpack(dir, index)
  if (!verified(dir, index)) fail(`could not verify the unpacked bundle in ${dir}`)
  return dir
}

function start() {
  const index = JSON.parse(sea.getAsset('app.index.json', 'utf8'))
  let dir
  try {
    dir = install(index)
  } catch (error) {
    fail(`cannot unpack the bundle into the cache dir (set XDG_CACHE_HOME to a writable directory): ${error.message}`)
  }
  // The SEA main's own import() has no module loader behind it in Node 20; a real file on disk,
  // loaded through createRequire, gets the normal ESM loader.
  const load = createRequire(path.join(dir, 'boot.cjs'))('./boot.cjs')
  // In a SEA, argv[1] repeats the executable path, so user arguments start at 2 as usual.
  return load(pathToFileURL(path.join(dir, index.entry)).href).then((bundle) => bundle.main(dir, process.argv.slice(2)))
}

start().catch((error) => fail(error && error.message ? error.message : String(error)))
