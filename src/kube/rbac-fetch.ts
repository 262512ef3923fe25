// The cluster's RBAC objects, read the way the API server wants to be read: four cluster-wide
// LISTs (plus namespaces and service accounts when asked) in parallel, 500 per page. The number
// of requests grows with objects/500, never with the number of namespaces. A kind the caller may
// not list is recorded as missing, not fatal: the caller decides what an incomplete answer means.
import type {Binding, ObjectMeta, PolicyRule, RbacSnapshot, Role, ServiceAccountRef, Subject} from '../rbac/types.js'
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

export interface RbacFetchResult {
  snapshot: RbacSnapshot
  missing: MissingRead[]
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

interface RawObject {
  metadata?: Partial<ObjectMeta> & {name?: string}
  rules?: PolicyRule[] | null
  aggregationRule?: Role['aggregationRule']
  subjects?: Subject[] | null
  roleRef?: Binding['roleRef']
}

interface Target {
  kind: string
  path: string
  metadataOnly: boolean
}

const RBAC = 'rbac.authorization.k8s.io'

export async function fetchRbacSnapshot(client: KubeClient, options: RbacFetchOptions = {}): Promise<RbacFetchResult> {
  const before = client.requestCount
  const targets: Target[] = [
    {kind: `roles.${RBAC}`, path: `/apis/${RBAC}/v1/roles`, metadataOnly: false},
    {kind: `clusterroles.${RBAC}`, path: `/apis/${RBAC}/v1/clusterroles`, metadataOnly: false},
    {kind: `rolebindings.${RBAC}`, path: `/apis/${RBAC}/v1/rolebindings`, metadataOnly: false},
    {kind: `clusterrolebindings.${RBAC}`, path: `/apis/${RBAC}/v1/clusterrolebindings`, metadataOnly: false},
  ]
  // Names are all we need of namespaces and service accounts: metadata-only keeps lists small.
  if (options.namespaces) targets.push({kind: 'namespaces', path: '/api/v1/namespaces', metadataOnly: true})
  if (options.serviceAccounts) targets.push({kind: 'serviceaccounts', path: '/api/v1/serviceaccounts', metadataOnly: true})

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

  const [roles, clusterRoles, roleBindings, clusterRoleBindings] = results
  const snapshot: RbacSnapshot = {
    roles: (roles ?? []).map((item) => toRole('Role', item)),
    clusterRoles: (clusterRoles ?? []).map((item) => toRole('ClusterRole', item)),
    roleBindings: (roleBindings ?? []).map((item) => toBinding('RoleBinding', item)),
    clusterRoleBindings: (clusterRoleBindings ?? []).map((item) => toBinding('ClusterRoleBinding', item)),
  }
  let index = 4
  if (options.namespaces) {
    const items = results[index++]
    if (items) snapshot.namespaces = items.map((item) => item.metadata?.name ?? '').filter((name) => name !== '')
  }
  if (options.serviceAccounts) {
    const items = results[index++]
    if (items) {
      snapshot.serviceAccounts = items
        .filter((item) => item.metadata?.name && item.metadata.namespace)
        .map((item): ServiceAccountRef => ({namespace: item.metadata!.namespace!, name: item.metadata!.name!}))
    }
  }
  return {snapshot, missing, requests: client.requestCount - before, restartedLists}
}

function reduce(raw: RawObject): RawObject {
  const reduced: RawObject = {metadata: toMeta(raw.metadata)}
  if (raw.rules !== undefined) reduced.rules = raw.rules
  if (raw.aggregationRule) reduced.aggregationRule = raw.aggregationRule
  if (raw.subjects !== undefined) reduced.subjects = raw.subjects
  if (raw.roleRef) reduced.roleRef = raw.roleRef
  return reduced
}

function toMeta(raw: RawObject['metadata']): ObjectMeta {
  const meta: ObjectMeta = {name: raw?.name ?? ''}
  if (raw?.namespace) meta.namespace = raw.namespace
  if (raw?.labels) meta.labels = raw.labels
  if (raw?.annotations) {
    // last-applied-configuration repeats the whole object as applied; for RBAC that is harmless,
    // but the rule is that this annotation never reaches an output, so it is never kept.
    const {['kubectl.kubernetes.io/last-applied-configuration']: _dropped, ...rest} = raw.annotations
    if (Object.keys(rest).length > 0) meta.annotations = rest
  }
  if (raw?.uid) meta.uid = raw.uid
  if (raw?.resourceVersion) meta.resourceVersion = raw.resourceVersion
  return meta
}

function toRole(kind: Role['kind'], raw: RawObject): Role {
  const role: Role = {kind, metadata: toMeta(raw.metadata), rules: raw.rules ?? []}
  if (raw.aggregationRule) role.aggregationRule = raw.aggregationRule
  return role
}

function toBinding(kind: Binding['kind'], raw: RawObject): Binding {
  const binding: Binding = {kind, metadata: toMeta(raw.metadata), roleRef: raw.roleRef ?? {apiGroup: RBAC, kind: '', name: ''}}
  if (raw.subjects) binding.subjects = raw.subjects
  return binding
}
