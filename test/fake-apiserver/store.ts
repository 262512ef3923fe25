// The objects the fake API server serves, indexed once so that any page of any list is a slice
// of a sorted array joined from JSON strings serialised at most once per object (the benchmark
// lists 40,000 RoleBindings in pages of 500: no per-request re-serialisation, no O(n^2)).
import type {Binding, RbacSnapshot, Role, ServiceAccountRef} from '../../src/rbac/types.js'

export interface FakeSecret {
  namespace: string
  name: string
  type?: string
  /** Plain-text values; served base64-encoded, as the API does. */
  data?: Record<string, string>
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

export interface FakeConfigMap {
  namespace: string
  name: string
  data?: Record<string, string>
  labels?: Record<string, string>
  annotations?: Record<string, string>
}

export interface FakeStoreInput {
  rbac?: Partial<RbacSnapshot>
  /** Added to the namespaces of rbac.namespaces and of every namespaced object. */
  namespaces?: string[]
  serviceAccounts?: ServiceAccountRef[]
  secrets?: FakeSecret[]
  configMaps?: FakeConfigMap[]
}

export interface ResourceDef {
  group: string
  version: string
  /** Plural, as in URLs and RBAC rules. */
  resource: string
  singular: string
  kind: string
  namespaced: boolean
  verbs: string[]
  shortNames?: string[]
  /** False for virtual resources (reviews): no objects, only POST. */
  stored: boolean
}

const READ_WRITE = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

/** What discovery advertises, with the real server's names, kinds and short names. */
export const RESOURCES: ResourceDef[] = [
  {group: '', version: 'v1', resource: 'namespaces', singular: 'namespace', kind: 'Namespace', namespaced: false, verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['ns'], stored: true},
  {group: '', version: 'v1', resource: 'serviceaccounts', singular: 'serviceaccount', kind: 'ServiceAccount', namespaced: true, verbs: READ_WRITE, shortNames: ['sa'], stored: true},
  {group: '', version: 'v1', resource: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true, verbs: READ_WRITE, stored: true},
  {group: '', version: 'v1', resource: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, verbs: READ_WRITE, shortNames: ['cm'], stored: true},
  {group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterrolebindings', singular: 'clusterrolebinding', kind: 'ClusterRoleBinding', namespaced: false, verbs: READ_WRITE, stored: true},
  {group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', singular: 'clusterrole', kind: 'ClusterRole', namespaced: false, verbs: READ_WRITE, stored: true},
  {group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'rolebindings', singular: 'rolebinding', kind: 'RoleBinding', namespaced: true, verbs: READ_WRITE, stored: true},
  {group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', singular: 'role', kind: 'Role', namespaced: true, verbs: READ_WRITE, stored: true},
  {group: 'authorization.k8s.io', version: 'v1', resource: 'localsubjectaccessreviews', singular: 'localsubjectaccessreview', kind: 'LocalSubjectAccessReview', namespaced: true, verbs: ['create'], stored: false},
  {group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', singular: 'selfsubjectaccessreview', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'], stored: false},
  {group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectrulesreviews', singular: 'selfsubjectrulesreview', kind: 'SelfSubjectRulesReview', namespaced: false, verbs: ['create'], stored: false},
  {group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', singular: 'subjectaccessreview', kind: 'SubjectAccessReview', namespaced: false, verbs: ['create'], stored: false},
]

export function groupVersion(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group === '' ? def.version : `${def.group}/${def.version}`
}

export interface StoredObject {
  namespace?: string
  name: string
  /** The object without kind/apiVersion: the form items take inside a typed list. */
  object: Record<string, unknown>
  creationTimestamp: string
  /** Lazily serialised forms, kept once made. */
  json?: string
  metadataJson?: string
}

export interface Collection {
  def: ResourceDef
  /** Sorted by namespace then name, as etcd keys sort. */
  all: StoredObject[]
  byNamespace: Map<string, StoredObject[]>
  byKey: Map<string, StoredObject>
}

export class FakeStore {
  readonly collections = new Map<string, Collection>()
  /** The resourceVersion every list reports: the store does not change while served. */
  readonly resourceVersion: string
  private nextVersion = 1000

  constructor(input: FakeStoreInput = {}) {
    const namespaces = new Set<string>([...(input.rbac?.namespaces ?? []), ...(input.namespaces ?? [])])
    const add = (resource: string, namespace: string | undefined, name: string, build: (meta: Record<string, unknown>) => Record<string, unknown>, extraMeta?: {labels?: Record<string, string>; annotations?: Record<string, string>}): void => {
      if (namespace) namespaces.add(namespace)
      this.pending.push({resource, namespace, name, build, extraMeta})
    }
    for (const role of input.rbac?.roles ?? []) add('roles', role.metadata.namespace ?? 'default', role.metadata.name, (metadata) => roleBody(role, metadata), role.metadata)
    for (const role of input.rbac?.clusterRoles ?? []) add('clusterroles', undefined, role.metadata.name, (metadata) => roleBody(role, metadata), role.metadata)
    for (const binding of input.rbac?.roleBindings ?? []) add('rolebindings', binding.metadata.namespace ?? 'default', binding.metadata.name, (metadata) => bindingBody(binding, metadata), binding.metadata)
    for (const binding of input.rbac?.clusterRoleBindings ?? []) add('clusterrolebindings', undefined, binding.metadata.name, (metadata) => bindingBody(binding, metadata), binding.metadata)
    for (const sa of input.serviceAccounts ?? input.rbac?.serviceAccounts ?? []) add('serviceaccounts', sa.namespace, sa.name, (metadata) => ({metadata}))
    for (const secret of input.secrets ?? []) {
      add('secrets', secret.namespace, secret.name, (metadata) => ({
        metadata,
        type: secret.type ?? 'Opaque',
        data: Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
      }), secret)
    }
    for (const cm of input.configMaps ?? []) add('configmaps', cm.namespace, cm.name, (metadata) => ({metadata, data: {...cm.data}}), cm)
    for (const ns of namespaces) add('namespaces', undefined, ns, (metadata) => ({metadata, spec: {finalizers: ['kubernetes']}, status: {phase: 'Active'}}))

    for (const def of RESOURCES) if (def.stored) this.collections.set(collectionKey(def.group, def.resource), {def, all: [], byNamespace: new Map(), byKey: new Map()})
    const created = new Date(Date.UTC(2026, 0, 1)).toISOString().replace('.000', '')
    for (const entry of this.pending) {
      const collection = this.collections.get(collectionKey(RESOURCES.find((def) => def.resource === entry.resource)!.group, entry.resource))!
      const key = objectKey(entry.namespace, entry.name)
      // A duplicate in the input replaces the earlier object, as a re-apply would.
      const version = String(this.nextVersion++)
      const metadata: Record<string, unknown> = {name: entry.name}
      if (entry.namespace) metadata.namespace = entry.namespace
      metadata.uid = fakeUid(Number(version))
      metadata.resourceVersion = version
      metadata.creationTimestamp = created
      if (entry.extraMeta?.labels) metadata.labels = entry.extraMeta.labels
      if (entry.extraMeta?.annotations) metadata.annotations = entry.extraMeta.annotations
      const stored: StoredObject = {name: entry.name, object: entry.build(metadata), creationTimestamp: created}
      if (entry.namespace) stored.namespace = entry.namespace
      collection.byKey.set(key, stored)
    }
    this.pending.length = 0
    for (const collection of this.collections.values()) {
      const keys = [...collection.byKey.keys()].sort()
      collection.all = keys.map((key) => collection.byKey.get(key)!)
      for (const object of collection.all) {
        if (!object.namespace) continue
        let list = collection.byNamespace.get(object.namespace)
        if (!list) collection.byNamespace.set(object.namespace, (list = []))
        list.push(object)
      }
    }
    this.resourceVersion = String(this.nextVersion)
  }

  private readonly pending: {resource: string; namespace: string | undefined; name: string; build: (meta: Record<string, unknown>) => Record<string, unknown>; extraMeta: {labels?: Record<string, string>; annotations?: Record<string, string>} | undefined}[] = []

  collection(group: string, resource: string): Collection | undefined {
    return this.collections.get(collectionKey(group, resource))
  }
}

export function itemJson(object: StoredObject): string {
  return (object.json ??= JSON.stringify(object.object))
}

/** A full object as a GET returns it: with kind and apiVersion first. */
export function objectJson(def: ResourceDef, object: StoredObject): string {
  const json = itemJson(object)
  return `{"kind":${JSON.stringify(def.kind)},"apiVersion":${JSON.stringify(groupVersion(def))}${json.length > 2 ? ',' : ''}${json.slice(1)}`
}

export function partialMetadataJson(object: StoredObject): string {
  return (object.metadataJson ??= `{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":${JSON.stringify(object.object.metadata)}}`)
}

function collectionKey(group: string, resource: string): string {
  return `${resource}.${group}`
}

// Sorting keys as the API server's etcd keys sort: cluster objects by name, namespaced objects
// by namespace then name. NUL separates so that `a/b` never sorts between `a` and `a-`.
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}\u0000${name}` : name
}

// Deterministic (tests can compare runs), unique, UUID-shaped.
function fakeUid(sequence: number): string {
  return `00000000-0000-4000-8000-${sequence.toString(16).padStart(12, '0')}`
}

function roleBody(role: Role, metadata: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {metadata, rules: role.rules ?? []}
  if (role.aggregationRule) body.aggregationRule = role.aggregationRule
  return body
}

function bindingBody(binding: Binding, metadata: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {metadata}
  if (binding.subjects) body.subjects = binding.subjects
  body.roleRef = binding.roleRef
  return body
}
