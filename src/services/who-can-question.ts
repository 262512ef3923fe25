// Turn `who-can [VERB[,VERB...]] [RESOURCE[/NAME]]` into the engine's question. Pure, so every
// spelling a user may type is tested without a cluster.
import {qualified, resolveResource, type ResourceTable} from '../rbac/resources.js'
import {DEFAULT_VERBS, defaultTargets, type WhoCanTarget} from '../rbac/who-can.js'

/** Verbs the API server and RBAC know; a single argument made only of these is a verb list. */
const KNOWN_VERBS = new Set([
  '*', 'get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection',
  'impersonate', 'bind', 'escalate', 'use', 'approve', 'sign', 'attest', 'proxy',
  // Non-resource requests use the lower-cased HTTP method.
  'post', 'put', 'head', 'options',
])

export interface QuestionInput {
  /** Positional arguments after `who-can`, as typed. */
  args: string[]
  /** `--verbs`, possibly repeated or comma-separated. */
  verbs?: string[]
  /** `--subresource`. */
  subresource?: string
}

export interface Question {
  verbs: string[]
  targets: WhoCanTarget[]
  /** True when the default question (read secrets and configmaps) is asked. */
  isDefault: boolean
}

export class QuestionError extends Error {
  override name = 'QuestionError'
}

export function splitList(values: readonly string[]): string[] {
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '')
}

function isVerbList(text: string): boolean {
  const parts = splitList([text])
  return parts.length > 0 && parts.every((p) => KNOWN_VERBS.has(p.toLowerCase()))
}

/**
 * One argument is a verb list when every item is a known verb (`get,list`), a non-resource URL when
 * it starts with `/`, and a resource otherwise (`secrets`, `cm`, `deployments.apps/web`). Two
 * arguments are VERBS then RESOURCE, as in kubectl-who-can and `kubectl auth can-i`.
 */
export function parseQuestion(input: QuestionInput, table: ResourceTable): Question {
  if (input.args.length > 2) throw new QuestionError(`expected at most two arguments (VERBS and RESOURCE), got ${input.args.length}`)
  let verbArg: string | undefined
  let resourceArg: string | undefined
  if (input.args.length === 2) [verbArg, resourceArg] = input.args
  else if (input.args.length === 1) {
    const only = input.args[0]!
    if (isVerbList(only)) verbArg = only
    else resourceArg = only
  }
  const flagVerbs = splitList(input.verbs ?? [])
  if (verbArg !== undefined && flagVerbs.length > 0) throw new QuestionError('give the verbs either as an argument or with --verbs, not both')
  const verbs = verbArg !== undefined ? splitList([verbArg]) : flagVerbs
  if (verbArg !== undefined && verbs.length === 0) throw new QuestionError(`no verb in "${verbArg}"`)

  if (resourceArg === undefined) {
    if (input.subresource) {
      return {verbs: verbs.length > 0 ? verbs : [...DEFAULT_VERBS], targets: defaultTargets().map((t) => ({...t, subresource: input.subresource!})), isDefault: false}
    }
    return {verbs: verbs.length > 0 ? verbs : [...DEFAULT_VERBS], targets: defaultTargets(), isDefault: verbs.length === 0}
  }

  if (resourceArg.startsWith('/')) {
    if (input.subresource) throw new QuestionError('--subresource applies to resources, not to a non-resource URL')
    return {verbs: verbs.length > 0 ? verbs.map((v) => v.toLowerCase()) : ['get'], targets: [{kind: 'nonResource', path: resourceArg}], isDefault: false}
  }

  const targets = splitList([resourceArg]).map((item) => resolveTarget(item, input.subresource, table))
  return {verbs: verbs.length > 0 ? verbs : [...DEFAULT_VERBS], targets, isDefault: false}
}

/**
 * `RESOURCE`, `RESOURCE/NAME`, or `RESOURCE/SUBRESOURCE` when the part after the slash is one of
 * the resource's subresources (`pods/exec`); `--subresource` names it explicitly, and then the
 * part after the slash is always the object's name.
 */
function resolveTarget(item: string, subresourceFlag: string | undefined, table: ResourceTable): WhoCanTarget {
  const slash = item.indexOf('/')
  const base = slash < 0 ? item : item.slice(0, slash)
  const after = slash < 0 ? undefined : item.slice(slash + 1)
  if (after !== undefined && after === '') throw new QuestionError(`"${item}": nothing after "/"`)
  if (base === '*') {
    return {kind: 'resource', apiGroup: '*', resource: '*', namespaced: true, ...(subresourceFlag ? {subresource: subresourceFlag} : {}), ...(after ? {name: after} : {})}
  }
  const resolved = resolveResource(base, table)
  if (!resolved.ok) throw new QuestionError(resolved.error)
  const info = resolved.info
  let subresource = subresourceFlag
  let name: string | undefined
  if (after !== undefined) {
    if (!subresourceFlag && info.subresources.includes(after)) subresource = after
    else name = after
  }
  if (subresource && !info.subresources.includes(subresource)) {
    const known = info.subresources.map((s) => `${info.resource}/${s}`)
    throw new QuestionError(`${qualified(info)} has no subresource "${subresource}"${known.length > 0 ? `; it has ${known.join(', ')}` : ''}`)
  }
  return {
    kind: 'resource',
    apiGroup: info.group,
    resource: info.resource,
    namespaced: info.namespaced,
    ...(subresource ? {subresource} : {}),
    ...(name ? {name} : {}),
  }
}
