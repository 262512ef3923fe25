// krew plugin manifest: rendering (with the release's sha256 values) and the checks krew and
// krew-index apply to it (krew's internal/index/validation plus the index's own rules: a LICENSE
// installed with the plugin, `bin` present after the `files` operations).
import {stringify} from 'yaml'
import {
  BINARY_NAME,
  COMPLETION_NAME,
  PLUGIN_NAME,
  RELEASE_URL_BASE,
  archiveName,
  binaryFile,
  completionFile,
  targetKey,
  type Target,
} from './platforms.js'

export interface PlatformEntry {
  selector: {matchLabels: {os: string; arch: string}}
  uri: string
  sha256: string
  files: Array<{from: string; to: string}>
  bin: string
}

export interface PluginManifest {
  apiVersion: string
  kind: string
  metadata: {name: string}
  spec: {
    version: string
    homepage: string
    shortDescription: string
    description: string
    caveats?: string
    platforms: PlatformEntry[]
  }
}

export const API_VERSION = 'krew.googlecontainertools.github.com/v1alpha2'
export const HOMEPAGE = 'https://github.com/kubectl-sensitive-access/kubectl-sensitive-access'

export function platformEntry(target: Target, version: string, sha: string): PlatformEntry {
  const bin = binaryFile(target)
  return {
    selector: {matchLabels: {os: target.os, arch: target.arch}},
    uri: `${RELEASE_URL_BASE}/v${version}/${archiveName(target)}`,
    sha256: sha,
    files: [
      {from: bin, to: '.'},
      {from: completionFile(target), to: '.'},
      {from: 'LICENSE', to: '.'},
    ],
    bin,
  }
}

export function renderManifest(version: string, platforms: PlatformEntry[]): PluginManifest {
  return {
    apiVersion: API_VERSION,
    kind: 'Plugin',
    metadata: {name: PLUGIN_NAME},
    spec: {
      version: `v${version}`,
      homepage: HOMEPAGE,
      shortDescription: 'Who can and who did access Secrets and ConfigMaps',
      description: [
        'Answers two questions about sensitive objects (Secrets and ConfigMaps):',
        'who CAN access them, computed exactly from RBAC and confirmed with',
        'SubjectAccessReview, and who DID access them, read from the audit logs of',
        'any cluster (self-managed, EKS, GKE, AKS), with detections for risky access.',
        'Works offline on RBAC manifests and audit log files as well.',
      ].join('\n'),
      caveats: [
        'Shell completion (kubectl 1.26+): put the completion helper on your PATH, e.g.',
        `  ln -s "\${KREW_ROOT:-$HOME/.krew}/store/${PLUGIN_NAME}/v${version}/${COMPLETION_NAME}" \\`,
        `    "\${KREW_ROOT:-$HOME/.krew}/bin/${COMPLETION_NAME}"`,
        'then `kubectl sensitive-access <TAB>` completes commands, flags and namespaces.',
        '',
        'The first run unpacks the bundled program into $XDG_CACHE_HOME',
        '(default ~/.cache; ~/Library/Caches on macOS) under kubectl-sensitive-access/.',
      ].join('\n'),
      platforms,
    },
  }
}

export function manifestYaml(manifest: PluginManifest): string {
  return stringify(manifest, {lineWidth: 0})
}

// krew's own rules (internal/index/validation/validate.go).
const SAFE_NAME = /^[\w-]+$/
const WINDOWS_FORBIDDEN = ['CON', 'PRN', 'AUX', 'NUL', ...Array.from({length: 9}, (_, i) => `COM${i + 1}`), ...Array.from({length: 9}, (_, i) => `LPT${i + 1}`)]
const SHA256 = /^[a-f0-9]{64}$/
// krew parses versions with a leading `v` and semver after it.
const SEMVER = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/

/**
 * Problems krew or krew-index would reject the manifest for (empty when valid). `name` is the
 * index file name without `.yaml`, which must equal metadata.name.
 */
export function validateManifest(manifest: unknown, name = PLUGIN_NAME): string[] {
  const problems: string[] = []
  const m = manifest as Partial<PluginManifest> | undefined
  if (!m || typeof m !== 'object') return ['manifest is not a YAML mapping']
  if (m.apiVersion !== API_VERSION) problems.push(`apiVersion must be ${API_VERSION}`)
  if (m.kind !== 'Plugin') problems.push('kind must be Plugin')
  if (!SAFE_NAME.test(name) || WINDOWS_FORBIDDEN.some((f) => f.toLowerCase() === name.toLowerCase())) problems.push(`plugin name "${name}" is not allowed`)
  if (m.metadata?.name !== name) problems.push(`metadata.name must be "${name}"`)
  const spec = m.spec
  if (!spec) return [...problems, 'spec is missing']
  if (!spec.shortDescription) problems.push('spec.shortDescription is required')
  else if (/[\r\n]/.test(spec.shortDescription)) problems.push('spec.shortDescription must not contain line breaks')
  if (!spec.version) problems.push('spec.version is required')
  else if (!SEMVER.test(spec.version)) problems.push(`spec.version "${spec.version}" is not v-prefixed semver`)
  if (!spec.homepage) problems.push('spec.homepage is required by krew-index')
  if (!Array.isArray(spec.platforms) || spec.platforms.length === 0) {
    problems.push('spec.platforms must not be empty')
    return problems
  }
  const seen = new Set<string>()
  for (const [i, p] of spec.platforms.entries()) {
    const where = `platforms[${i}]`
    if (!p.uri) problems.push(`${where}.uri is required`)
    else if (!/^https:\/\//.test(p.uri)) problems.push(`${where}.uri must be https`)
    if (!p.sha256) problems.push(`${where}.sha256 is required`)
    else if (!SHA256.test(p.sha256)) problems.push(`${where}.sha256 "${p.sha256}" must be 64 lower-case hex digits`)
    if (!p.bin) problems.push(`${where}.bin is required`)
    if (p.files !== undefined) {
      if (!Array.isArray(p.files) || p.files.length === 0) problems.push(`${where}.files must be unspecified or non-empty`)
      else for (const op of p.files) if (!op.from || !op.to) problems.push(`${where}.files entries need both from and to`)
    }
    const labels = p.selector?.matchLabels as Record<string, string> | undefined
    if (!labels || Object.keys(labels).length === 0) problems.push(`${where}.selector must not be empty`)
    else {
      for (const key of Object.keys(labels)) if (key !== 'os' && key !== 'arch') problems.push(`${where}.selector key "${key}" is not supported`)
      const key = `${labels.os}/${labels.arch}`
      if (seen.has(key)) problems.push(`${where} duplicates the selector ${key}`)
      seen.add(key)
    }
  }
  return problems
}

/** Minimal glob (`*` and `?`, no path separators crossed), as krew's `files.from` uses. */
function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')
  return new RegExp(`^${escaped}$`)
}

/**
 * Where each archive member lands after krew applies `files` (from: glob in the archive, to:
 * directory or file name in the install dir). Returns install-relative path -> archive path.
 * Without `files`, krew installs the whole archive as is.
 */
export function applyFileOperations(archivePaths: string[], files: PlatformEntry['files'] | undefined): Map<string, string> {
  const placed = new Map<string, string>()
  if (!files) {
    for (const p of archivePaths) placed.set(p, p)
    return placed
  }
  for (const op of files) {
    const re = globToRegExp(op.from.replace(/^\.\//, ''))
    const matches = archivePaths.filter((p) => re.test(p))
    if (matches.length === 0) throw new Error(`files.from "${op.from}" matches nothing in the archive`)
    const to = op.to.replace(/^\.\//, '').replace(/\/$/, '')
    for (const match of matches) {
      const base = match.split('/').at(-1)!
      const dest = to === '.' || to === '' ? base : matches.length > 1 || op.from.includes('*') ? `${to}/${base}` : to
      placed.set(dest, match)
    }
  }
  return placed
}

/** krew-index rules that need the archive: LICENSE installed, `bin` present after `files`. */
export function validateInstalledLayout(entry: PlatformEntry, archivePaths: string[]): string[] {
  const problems: string[] = []
  let placed: Map<string, string>
  try {
    placed = applyFileOperations(archivePaths, entry.files)
  } catch (error) {
    return [(error as Error).message]
  }
  const bin = entry.bin.replace(/^\.\//, '')
  if (!placed.has(bin)) problems.push(`bin "${entry.bin}" is not in the installed files`)
  if (![...placed.keys()].some((p) => /^LICEN[CS]E(\.|$)/i.test(p.split('/').at(-1)!))) problems.push('no LICENSE file is installed')
  if (!bin.startsWith(BINARY_NAME)) problems.push(`bin "${entry.bin}" should be ${BINARY_NAME}`)
  return problems
}
