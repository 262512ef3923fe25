// The RBAC objects as the API serves them (rbac.authorization.k8s.io/v1), reduced to the fields
// the authorizer reads. Names follow the API so JSON from a cluster or a manifest maps directly.

export interface PolicyRule {
  verbs: string[]
  apiGroups?: string[]
  resources?: string[]
  resourceNames?: string[]
  nonResourceURLs?: string[]
}

export interface LabelSelectorRequirement {
  key: string
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'
  values?: string[]
}

export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: LabelSelectorRequirement[]
}

export interface ObjectMeta {
  name: string
  namespace?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  uid?: string
  resourceVersion?: string
}

export interface Role {
  kind: 'Role' | 'ClusterRole'
  metadata: ObjectMeta
  rules: PolicyRule[]
  aggregationRule?: {clusterRoleSelectors?: LabelSelector[]}
}

export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount' | string
  name: string
  namespace?: string
  apiGroup?: string
}

export interface RoleRef {
  apiGroup: string
  kind: 'Role' | 'ClusterRole' | string
  name: string
}

export interface Binding {
  kind: 'RoleBinding' | 'ClusterRoleBinding'
  metadata: ObjectMeta
  subjects?: Subject[]
  roleRef: RoleRef
}

export interface ServiceAccountRef {
  namespace: string
  name: string
}

/** Everything the who-can engine reads, however it was obtained (API server or manifests). */
export interface RbacSnapshot {
  roles: Role[]
  clusterRoles: Role[]
  roleBindings: Binding[]
  clusterRoleBindings: Binding[]
  /** Known namespaces; used for `-A` scopes and group expansion. */
  namespaces?: string[]
  /** Known service accounts; used by `--expand-groups` and `--check-serviceaccounts`. */
  serviceAccounts?: ServiceAccountRef[]
}

/** The attributes of one request, as Kubernetes' authorizer.Attributes. */
export interface ResourceRequest {
  kind: 'resource'
  verb: string
  apiGroup: string
  resource: string
  subresource?: string
  name?: string
  /** '' (or undefined) means a cluster-scoped request or a request across all namespaces. */
  namespace?: string
}

export interface NonResourceRequest {
  kind: 'nonResource'
  verb: string
  path: string
}

export type RequestAttributes = ResourceRequest | NonResourceRequest
