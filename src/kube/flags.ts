// The connection flags of kubectl, with kubectl's names and syntax, so that
// `kubectl sensitive-access who-can ... --context prod --as alice` means what a kubectl user expects.
// Commands spread `kubeFlags` into their own flags and pass the parsed values to
// `kubeOptionsFromFlags`. `-A/--all-namespaces` is left to commands: its meaning differs per command.
import {Flags} from '@oclif/core'
export {DEFAULT_MAX_RESPONSE_BYTES} from './transport.js'

const helpGroup = 'KUBERNETES'

/**
 * Parse kubectl's `--request-timeout`: `0` (no timeout), a plain number of seconds, or a Go
 * duration such as `30s`, `1m`, `1m30s`, `500ms`. Returns milliseconds; 0 means no timeout.
 */
/**
 * The longest wait a Node timer can hold (about 24.8 days). Longer ones fire after 1 ms, so a
 * generous --request-timeout (600h) would fail every request at once: it is held at this instead.
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1

export function parseRequestTimeout(input: string): number {
  const text = input.trim()
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_TIMEOUT_MS)
  const unit: Record<string, number> = {h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000_001}
  const part = /(\d+(?:\.\d*)?|\.\d+)(ms|us|µs|ns|h|m|s)/gy
  let total = 0
  let consumed = 0
  for (let match = part.exec(text); match; match = part.exec(text)) {
    total += Number(match[1]) * unit[match[2]!]!
    consumed = part.lastIndex
  }
  if (text.length === 0 || consumed !== text.length) {
    throw new Error(`invalid --request-timeout "${input}": use 0, a number of seconds, or a duration such as 30s, 1m, 1m30s`)
  }
  return Math.min(Math.round(total), MAX_TIMEOUT_MS)
}

/** A body is parsed as one string, and V8's strings stop at 512 MiB: a larger limit could not be used. */
export const MAX_MAX_RESPONSE_BYTES = 500 * 1024 ** 2

/**
 * Parse --max-response-size: bytes as a Kubernetes quantity, `256Mi`, `1Gi`, `64M`, `500000`
 * (the syntax of resource limits, which a kubectl user knows). At least 1 KiB, at most 500Mi.
 */
export function parseByteSize(input: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(Ki|Mi|Gi|k|K|M|G)?$/.exec(input.trim())
  const multiplier: Record<string, number> = {'': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, k: 1000, K: 1000, M: 1000 ** 2, G: 1000 ** 3}
  const bytes = match ? Math.floor(Number(match[1]) * multiplier[match[2] ?? '']!) : Number.NaN
  if (!Number.isFinite(bytes)) throw new Error(`invalid --max-response-size "${input}": use a size such as 256Mi, 64Mi or 1000000`)
  if (bytes < 1024 || bytes > MAX_MAX_RESPONSE_BYTES) throw new Error(`invalid --max-response-size "${input}": it must be between 1Ki and 500Mi`)
  return bytes
}

export const kubeFlags = {
  kubeconfig: Flags.string({description: 'Path to the kubeconfig file to use for CLI requests.', helpGroup}),
  context: Flags.string({description: 'The name of the kubeconfig context to use.', helpGroup}),
  cluster: Flags.string({description: 'The name of the kubeconfig cluster to use.', helpGroup}),
  user: Flags.string({description: 'The name of the kubeconfig user to use.', helpGroup}),
  as: Flags.string({description: 'Username to impersonate for the operation. User could be a regular user or a service account in a namespace.', helpGroup}),
  'as-group': Flags.string({description: 'Group to impersonate for the operation, this flag can be repeated to specify multiple groups.', multiple: true, helpGroup}),
  'as-uid': Flags.string({description: 'UID to impersonate for the operation.', helpGroup}),
  'request-timeout': Flags.custom<number>({
    description: 'The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don\'t timeout requests.',
    helpGroup,
    parse: async (input: string) => parseRequestTimeout(input),
  })(),
  'max-response-size': Flags.custom<number>({
    description: 'Largest API response held in memory (responses read at the same time count together), e.g. 64Mi; default 256Mi, at most 500Mi. A server that sends more is cut off with an error. Streams (node logs) are not limited.',
    helpGroup,
    parse: async (input: string) => parseByteSize(input),
  })(),
  'insecure-skip-tls-verify': Flags.boolean({description: 'If true, the server\'s certificate will not be checked for validity. This will make your HTTPS connections insecure.', helpGroup}),
  server: Flags.string({char: 's', description: 'The address and port of the Kubernetes API server.', helpGroup}),
  token: Flags.string({description: 'Bearer token for authentication to the API server.', helpGroup}),
  'certificate-authority': Flags.string({description: 'Path to a cert file for the certificate authority.', helpGroup}),
  namespace: Flags.string({char: 'n', description: 'If present, the namespace scope for this CLI request.', helpGroup}),
}

/** What a command hands to `loadKubeConfig`: kubectl's flags, as plain data. */
export interface KubeOptions {
  kubeconfig?: string
  context?: string
  cluster?: string
  user?: string
  /** Impersonation: `--as`, `--as-group` (any number), `--as-uid`. */
  impersonate?: {user?: string; groups?: string[]; uid?: string}
  /** Milliseconds; 0 or undefined means no timeout (kubectl's default). */
  requestTimeoutMs?: number
  /** --max-response-size in bytes; DEFAULT_MAX_RESPONSE_BYTES when undefined. */
  maxResponseBytes?: number
  insecureSkipTlsVerify?: boolean
  server?: string
  token?: string
  certificateAuthority?: string
  namespace?: string
}

/** The parsed flags as oclif returns them, for any command that spread `kubeFlags`. */
export interface KubeFlagValues {
  kubeconfig?: string
  context?: string
  cluster?: string
  user?: string
  as?: string
  'as-group'?: string[]
  'as-uid'?: string
  'request-timeout'?: number
  'max-response-size'?: number
  'insecure-skip-tls-verify'?: boolean
  server?: string
  token?: string
  'certificate-authority'?: string
  namespace?: string
}

export function kubeOptionsFromFlags(flags: KubeFlagValues): KubeOptions {
  const options: KubeOptions = {}
  if (flags.kubeconfig) options.kubeconfig = flags.kubeconfig
  if (flags.context) options.context = flags.context
  if (flags.cluster) options.cluster = flags.cluster
  if (flags.user) options.user = flags.user
  const groups = (flags['as-group'] ?? []).filter((group) => group !== '')
  if (flags.as || groups.length > 0 || flags['as-uid']) {
    options.impersonate = {}
    if (flags.as) options.impersonate.user = flags.as
    if (groups.length > 0) options.impersonate.groups = groups
    if (flags['as-uid']) options.impersonate.uid = flags['as-uid']
  }
  if (flags['request-timeout'] !== undefined) options.requestTimeoutMs = flags['request-timeout']
  if (flags['max-response-size'] !== undefined) options.maxResponseBytes = flags['max-response-size']
  if (flags['insecure-skip-tls-verify']) options.insecureSkipTlsVerify = true
  if (flags.server) options.server = flags.server
  if (flags.token) options.token = flags.token
  if (flags['certificate-authority']) options.certificateAuthority = flags['certificate-authority']
  if (flags.namespace) options.namespace = flags.namespace
  return options
}
