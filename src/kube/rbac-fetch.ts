// The cluster's RBAC objects, read the way the API server wants to be read: four cluster-wide
// LISTs (plus namespaces and service accounts when asked) in parallel, 500 per page. The number
// of requests grows with objects/500, never with the number of namespaces. A kind the caller may
// not list is recorded as missing, not fatal: the caller decides what an incomplete answer means.
// Every object is checked as a manifest would be (src/rbac/manifests.ts): one whose rules,
// subjects or roleRef cannot be read is recorded as malformed, never silently dropped or trusted.
import {bindingFromObject, isRecord, isStringMap, objectLabel, roleFromObject} from '../rbac/manifests.js'
import {sanitizeForTerminal} from '../lib/sanitize.js'
import type {Binding, ObjectMeta, RbacSnapshot, ServiceAccountRef} from '../rbac/types.js'
import type {KubeClient} from './client.js'
import {KubeForbiddenError, KubeListError, KubeNotFoundError, type KubeError} from './errors.js'

export interface MissingRead {
  /** `rolebindings.rbac.authorization.k8s.io`, `namespaces`... */
  kind: string
  verb: string
  /** The server's own message (403/404). */
  reason: string
  /** In words: `list rolebindings.rbac.authorization.k8s.io at cluster scope`. */
  description: string
}

/** An object the server sent that cannot be read as what its list says it is. */
export interface MalformedObject {
  /** `ClusterRole "name"`, `RoleBinding "ns/name"`, `roles item 7` when it has no name: terminal-safe. */
  object: string
  /** What is wrong, terminal-safe. */
  problem: string
}

export interface RbacFetchResult {
  snapshot: RbacSnapshot
  missing: MissingRead[]
  /** Objects skipped (or rules/subjects dropped from them) as malformed: the answer is incomplete. */
  malformed: MalformedObject[]
  /** HTTP requests this fetch made. */
  requests: number
  /** Lists restarted after an expired continue token. */
  restartedLists: string[]
}

export interface RbacFetchOptions {
  namespaces?: boolean
  serviceAccounts?: boolean
  /** Page size; 500 like kubectl. */
  limit?: number
}

/** What is kept of a listed object while the other pages arrive: raw, checked at the end. */
type RawObject = Record<string, unknown>

interface Target {
  /** The Kind of the list's items: Role, ServiceAccount... */
  itemKind: string
  kind: string
  path: string
  metadataOnly: boolean
}

const RBAC = 'rbac.authorization.k8s.io'

export async function fetchRbacSnapshot(client: KubeClient, options: RbacFetchOptions = {}): Promise<RbacFetchResult> {
  const before = client.requestCount
  const targets: Target[] = [
    {itemKind: 'Role', kind: `roles.${RBAC}`, path: `/apis/${RBAC}/v1/roles`, metadataOnly: false},
    {itemKind: 'ClusterRole', kind: `clusterroles.${RBAC}`, path: `/apis/${RBAC}/v1/clusterroles`, metadataOnly: false},
    {itemKind: 'RoleBinding', kind: `rolebindings.${RBAC}`, path: `/apis/${RBAC}/v1/rolebindings`, metadataOnly: false},
    {itemKind: 'ClusterRoleBinding', kind: `clusterrolebindings.${RBAC}`, path: `/apis/${RBAC}/v1/clusterrolebindings`, metadataOnly: false},
  ]
  // Names are all we need of namespaces and service accounts: metadata-only keeps lists small.
  if (options.namespaces) targets.push({itemKind: 'Namespace', kind: 'namespaces', path: '/api/v1/namespaces', metadataOnly: true})
  if (options.serviceAccounts) targets.push({itemKind: 'ServiceAccount', kind: 'serviceaccounts', path: '/api/v1/serviceaccounts', metadataOnly: true})

  const missing: MissingRead[] = []
  const restartedLists: string[] = []
  const results = await Promise.all(
    targets.map(async (target) => {
      try {
        // Reduce each object as its page arrives: raw objects (managedFields...) are not kept.
        const list = await client.listAll<RawObject, RawObject>(target.path, {metadataOnly: target.metadataOnly, limit: options.limit ?? 500, map: reduce})
        if (list.restarted) restartedLists.push(target.kind)
        return list.items
      } catch (error) {
        // A list the server never ends (KubeListError) is that kind unread, as a 403 is.
        if (error instanceof KubeForbiddenError || error instanceof KubeNotFoundError || error instanceof KubeListError) {
          missing.push({kind: target.kind, verb: 'list', reason: (error as KubeError).userMessage, description: `list ${target.kind} at cluster scope`})
          return undefined
        }
        throw error
      }
    }),
  )
  // Keep the order of `targets` in the report, whatever order the answers came in.
  missing.sort((a, b) => targets.findIndex((t) => t.kind === a.kind) - targets.findIndex((t) => t.kind === b.kind))

  const malformed: MalformedObject[] = []
  const check = <T>(target: Target, items: RawObject[] | undefined, build: (item: Record<string, unknown>, meta: ObjectMeta, label: string, problem: (message: string) => void) => T | undefined): T[] => {
    const out: T[] = []
    for (const [i, item] of (items ?? []).entries()) {
      const namespaced = target.itemKind === 'Role' || target.itemKind === 'RoleBinding' || target.itemKind === 'ServiceAccount'
      const meta = isRecord(item) ? item.metadata : undefined
      const name = isRecord(meta) && typeof meta.name === 'string' && meta.name !== '' ? meta.name : undefined
      const namespace = isRecord(meta) && typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : undefined
      const label = name ? objectLabel(target.itemKind, namespace, name) : `${target.kind} item ${i}`
      // The object is named once, in `object`; the checks' messages start with the same label.
      const problem = (message: string) => malformed.push({object: sanitizeForTerminal(label), problem: sanitizeForTerminal(message.startsWith(label) ? message.slice(label.length).replace(/^:\s*/, '') : message)})
      if (!isRecord(item)) {
        problem(`not an object`)
        continue
      }
      if (!name || (namespaced && !namespace)) {
        problem(!name ? 'no metadata.name' : 'no metadata.namespace')
        continue
      }
      if (isRecord(meta) && meta.labels !== undefined && meta.labels !== null && !isStringMap(meta.labels)) {
        problem('metadata.labels must map strings to strings; labels ignored')
      }
      const built = build(item, toMeta(meta as Record<string, unknown>), objectLabel(target.itemKind, namespace, name), problem)
      if (built !== undefined) out.push(built)
    }
    return out
  }
  const [roles, clusterRoles, roleBindings, clusterRoleBindings] = results
  const snapshot: RbacSnapshot = {
    roles: check(targets[0]!, roles, (item, meta, label, problem) => roleFromObject('Role', item, meta, label, problem)),
    clusterRoles: check(targets[1]!, clusterRoles, (item, meta, label, problem) => roleFromObject('ClusterRole', item, meta, label, problem)),
    roleBindings: check(targets[2]!, roleBindings, (item, meta, label, problem) => asListed(item, bindingFromObject('RoleBinding', item, meta, label, problem))),
    clusterRoleBindings: check(targets[3]!, clusterRoleBindings, (item, meta, label, problem) => asListed(item, bindingFromObject('ClusterRoleBinding', item, meta, label, problem))),
  }
  let index = 4
  if (options.namespaces) {
    const target = targets[index]!
    const items = results[index++]
    if (items) snapshot.namespaces = check(target, items, (_item, meta) => meta.name)
  }
  if (options.serviceAccounts) {
    const target = targets[index]!
    const items = results[index++]
    if (items) snapshot.serviceAccounts = check(target, items, (_item, meta): ServiceAccountRef => ({namespace: meta.namespace!, name: meta.name}))
  }
  return {snapshot, missing, malformed, requests: client.requestCount - before, restartedLists}
}

/** A binding the server sent without subjects stays without them, as the API has it. */
function asListed(raw: Record<string, unknown>, binding: Binding | undefined): Binding | undefined {
  if (binding && (raw.subjects === undefined || raw.subjects === null)) delete binding.subjects
  return binding
}

/** Only what the analysis reads is kept of each object as its page arrives (managedFields are large). */
function reduce(raw: RawObject): RawObject {
  if (!isRecord(raw)) return raw
  const meta = raw.metadata
  // managedFields and the last-applied annotation are the bulk of an object: dropped here, the
  // rest kept unchecked until every page is in.
  const reduced: RawObject = {
    metadata: isRecord(meta)
      ? Object.fromEntries(['name', 'namespace', 'labels', 'annotations', 'uid', 'resourceVersion'].filter((k) => meta[k] !== undefined).map((k) => [k, k === 'annotations' && isRecord(meta[k]) ? withoutLastApplied(meta[k]) : meta[k]]))
      : meta,
  }
  for (const field of ['rules', 'aggregationRule', 'subjects', 'roleRef'] as const) if (raw[field] !== undefined) reduced[field] = raw[field]
  return reduced
}

function withoutLastApplied(annotations: Record<string, unknown>): Record<string, unknown> {
  const {['kubectl.kubernetes.io/last-applied-configuration']: _dropped, ...rest} = annotations
  return rest
}

function toMeta(raw: Record<string, unknown>): ObjectMeta {
  const meta: ObjectMeta = {name: raw.name as string}
  if (typeof raw.namespace === 'string' && raw.namespace !== '') meta.namespace = raw.namespace
  if (isStringMap(raw.labels)) meta.labels = raw.labels
  if (isStringMap(raw.annotations)) {
    // last-applied-configuration repeats the whole object as applied; for RBAC that is harmless,
    // but the rule is that this annotation never reaches an output, so it is never kept.
    const {['kubectl.kubernetes.io/last-applied-configuration']: _dropped, ...rest} = raw.annotations
    if (Object.keys(rest).length > 0) meta.annotations = rest
  }
  if (typeof raw.uid === 'string' && raw.uid !== '') meta.uid = raw.uid
  if (typeof raw.resourceVersion === 'string' && raw.resourceVersion !== '') meta.resourceVersion = raw.resourceVersion
  return meta
}
