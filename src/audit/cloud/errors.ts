// Every way fetching from a cloud fails ends as one typed, one-line error a person can act on.
// The CLIs' own messages are recognised so the fix (sign in, grant a role, enable a log) can be named.

export type CloudErrorKind =
  | 'not-installed'
  | 'not-signed-in'
  | 'access-denied'
  | 'not-found'
  | 'throttled'
  | 'empty-window'
  | 'bad-config'
  | 'bad-output'
  | 'failed'

/** Exit codes, aligned with src/kube/errors.ts where the meaning is the same. */
export const CLOUD_EXIT_CODES: Record<CloudErrorKind, number> = {
  'bad-config': 3,
  'not-installed': 3,
  'not-signed-in': 5,
  'access-denied': 6,
  'not-found': 7,
  throttled: 7,
  'empty-window': 2,
  'bad-output': 7,
  failed: 7,
}

export class CloudSourceError extends Error {
  readonly kind: CloudErrorKind
  readonly exitCode: number
  /** One line, safe to print as is. */
  readonly userMessage: string

  constructor(kind: CloudErrorKind, message: string, options?: {cause?: unknown}) {
    const line = oneLine(message)
    super(line, options)
    this.name = 'CloudSourceError'
    this.kind = kind
    this.exitCode = CLOUD_EXIT_CODES[kind]
    this.userMessage = line
  }
}

export type CliName = 'aws' | 'gcloud' | 'az'

const LOGIN_HINT: Record<CliName, string> = {
  aws: 'run `aws sso login` or `aws configure` (and pass --profile if you use one)',
  gcloud: 'run `gcloud auth login`',
  az: 'run `az login`',
}

const INSTALL_HINT: Record<CliName, string> = {
  aws: 'install the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html',
  gcloud: 'install the Google Cloud SDK: https://cloud.google.com/sdk/docs/install',
  az: 'install the Azure CLI: https://learn.microsoft.com/cli/azure/install-azure-cli',
}

export function notInstalled(cli: CliName): CloudSourceError {
  return new CloudSourceError('not-installed', `\`${cli}\` is not installed or not on PATH: ${INSTALL_HINT[cli]}`)
}

/** Recognise a failed CLI run from its stderr. `context` names what was asked (log group, workspace). */
export function classifyCliFailure(cli: CliName, stderr: string, context: string): CloudSourceError {
  const text = stderr.trim()
  const first = firstMeaningfulLine(text)
  if (isThrottle(text)) return new CloudSourceError('throttled', `${cli}: throttled by the service while reading ${context} (retries exhausted): ${first}`)
  if (
    /Unable to locate credentials|ExpiredToken|Token has expired|security token included in the request is (expired|invalid)|InvalidClientTokenId|UnrecognizedClientException|SSO session .*(expired|invalid)|Error loading SSO Token/i.test(text) ||
    /gcloud auth login|gcloud auth application-default login|Reauthentication (failed|required)|You do not currently have an active account selected|invalid_grant/i.test(text) ||
    /az login|AADSTS\d+|Please run 'az login'|refresh token has expired|No subscription found/i.test(text)
  ) {
    return new CloudSourceError('not-signed-in', `${cli}: not signed in or the session expired: ${LOGIN_HINT[cli]} (${first})`)
  }
  if (/AccessDenied|not authorized to perform|PERMISSION_DENIED|does not have .*permission|AuthorizationFailed|Forbidden|InsufficientAccessError|\b403\b/i.test(text)) {
    return new CloudSourceError('access-denied', `${cli}: access denied reading ${context}; see docs/sources.md for the permissions needed (${first})`)
  }
  if (/ResourceNotFoundException|specified log group does not exist|NOT_FOUND|PathNotFoundError|WorkspaceNotFound|ResourceNotFound|could not be found|was not found|\b404\b/i.test(text)) {
    return new CloudSourceError('not-found', `${cli}: ${context} not found (${first})`)
  }
  if (/invalid choice|argument .* (is )?required|unrecognized arguments|az: '.*' is not in the 'az/i.test(text)) {
    return new CloudSourceError('bad-config', `${cli}: the installed CLI rejected the command; update it or install the extension it names (${first})`)
  }
  return new CloudSourceError('failed', `${cli} failed reading ${context}: ${first || 'no error message'}`)
}

export function isThrottle(text: string): boolean {
  return /ThrottlingException|Rate exceeded|TooManyRequests|RESOURCE_EXHAUSTED|Quota exceeded|\b429\b|LimitExceededException/i.test(text)
}

function firstMeaningfulLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '')
  // The CLIs print the real error after a blank line or with an `ERROR:`/`An error occurred` prefix.
  const best = lines.find((l) => /error|denied|exception|not found|expired|credentials|login/i.test(l)) ?? lines[0] ?? ''
  return shorten(best, 300)
}

export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim()
}

function shorten(text: string, max: number): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text
}
