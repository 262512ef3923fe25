// Which resources exist, so `who-can get cm` can be turned into exact authorizer attributes
// (group, plural resource, subresource) offline. The built-in table follows the API server's
// discovery documents of a current release; a connected run can build the same table from the
// cluster's own discovery (`tableFromDiscovery`) so CRDs and aggregated APIs resolve too.

export interface ResourceInfo {
  /** '' for the core group. */
  group: string
  version: string
  /** Plural, lower-case: what RBAC rules name. */
  resource: string
  singular: string
  kind: string
  shortNames: string[]
  namespaced: boolean
  subresources: string[]
}

export interface ResourceTable {
  resources: ResourceInfo[]
}

// group/version | plural | singular | Kind | short names | n(amespaced)/c(luster) | subresources
const BUILTIN = `
v1|bindings|binding|Binding||n|
v1|componentstatuses|componentstatus|ComponentStatus|cs|c|
v1|configmaps|configmap|ConfigMap|cm|n|
v1|endpoints|endpoints|Endpoints|ep|n|
v1|events|event|Event|ev|n|
v1|limitranges|limitrange|LimitRange|limits|n|
v1|namespaces|namespace|Namespace|ns|c|finalize,status
v1|nodes|node|Node|no|c|proxy,status
v1|persistentvolumeclaims|persistentvolumeclaim|PersistentVolumeClaim|pvc|n|status
v1|persistentvolumes|persistentvolume|PersistentVolume|pv|c|status
v1|pods|pod|Pod|po|n|attach,binding,ephemeralcontainers,eviction,exec,log,portforward,proxy,resize,status
v1|podtemplates|podtemplate|PodTemplate||n|
v1|replicationcontrollers|replicationcontroller|ReplicationController|rc|n|scale,status
v1|resourcequotas|resourcequota|ResourceQuota|quota|n|status
v1|secrets|secret|Secret||n|
v1|serviceaccounts|serviceaccount|ServiceAccount|sa|n|token
v1|services|service|Service|svc|n|proxy,status
admissionregistration.k8s.io/v1|mutatingwebhookconfigurations|mutatingwebhookconfiguration|MutatingWebhookConfiguration||c|
admissionregistration.k8s.io/v1|validatingadmissionpolicies|validatingadmissionpolicy|ValidatingAdmissionPolicy||c|status
admissionregistration.k8s.io/v1|validatingadmissionpolicybindings|validatingadmissionpolicybinding|ValidatingAdmissionPolicyBinding||c|
admissionregistration.k8s.io/v1|validatingwebhookconfigurations|validatingwebhookconfiguration|ValidatingWebhookConfiguration||c|
apiextensions.k8s.io/v1|customresourcedefinitions|customresourcedefinition|CustomResourceDefinition|crd,crds|c|status
apiregistration.k8s.io/v1|apiservices|apiservice|APIService||c|status
apps/v1|controllerrevisions|controllerrevision|ControllerRevision||n|
apps/v1|daemonsets|daemonset|DaemonSet|ds|n|status
apps/v1|deployments|deployment|Deployment|deploy|n|scale,status
apps/v1|replicasets|replicaset|ReplicaSet|rs|n|scale,status
apps/v1|statefulsets|statefulset|StatefulSet|sts|n|scale,status
authentication.k8s.io/v1|selfsubjectreviews|selfsubjectreview|SelfSubjectReview||c|
authentication.k8s.io/v1|tokenreviews|tokenreview|TokenReview||c|
authorization.k8s.io/v1|localsubjectaccessreviews|localsubjectaccessreview|LocalSubjectAccessReview||n|
authorization.k8s.io/v1|selfsubjectaccessreviews|selfsubjectaccessreview|SelfSubjectAccessReview||c|
authorization.k8s.io/v1|selfsubjectrulesreviews|selfsubjectrulesreview|SelfSubjectRulesReview||c|
authorization.k8s.io/v1|subjectaccessreviews|subjectaccessreview|SubjectAccessReview||c|
autoscaling/v2|horizontalpodautoscalers|horizontalpodautoscaler|HorizontalPodAutoscaler|hpa|n|status
batch/v1|cronjobs|cronjob|CronJob|cj|n|status
batch/v1|jobs|job|Job||n|status
certificates.k8s.io/v1|certificatesigningrequests|certificatesigningrequest|CertificateSigningRequest|csr|c|approval,status
coordination.k8s.io/v1|leases|lease|Lease||n|
discovery.k8s.io/v1|endpointslices|endpointslice|EndpointSlice||n|
events.k8s.io/v1|events|event|Event|ev|n|
flowcontrol.apiserver.k8s.io/v1|flowschemas|flowschema|FlowSchema||c|status
flowcontrol.apiserver.k8s.io/v1|prioritylevelconfigurations|prioritylevelconfiguration|PriorityLevelConfiguration||c|status
networking.k8s.io/v1|ingressclasses|ingressclass|IngressClass||c|
networking.k8s.io/v1|ingresses|ingress|Ingress|ing|n|status
networking.k8s.io/v1|ipaddresses|ipaddress|IPAddress|ip|c|
networking.k8s.io/v1|networkpolicies|networkpolicy|NetworkPolicy|netpol|n|
networking.k8s.io/v1|servicecidrs|servicecidr|ServiceCIDR||c|status
node.k8s.io/v1|runtimeclasses|runtimeclass|RuntimeClass||c|
policy/v1|poddisruptionbudgets|poddisruptionbudget|PodDisruptionBudget|pdb|n|status
rbac.authorization.k8s.io/v1|clusterrolebindings|clusterrolebinding|ClusterRoleBinding||c|
rbac.authorization.k8s.io/v1|clusterroles|clusterrole|ClusterRole||c|
rbac.authorization.k8s.io/v1|rolebindings|rolebinding|RoleBinding||n|
rbac.authorization.k8s.io/v1|roles|role|Role||n|
resource.k8s.io/v1|deviceclasses|deviceclass|DeviceClass||c|
resource.k8s.io/v1|resourceclaims|resourceclaim|ResourceClaim||n|status
resource.k8s.io/v1|resourceclaimtemplates|resourceclaimtemplate|ResourceClaimTemplate||n|
resource.k8s.io/v1|resourceslices|resourceslice|ResourceSlice||c|
scheduling.k8s.io/v1|priorityclasses|priorityclass|PriorityClass|pc|c|
storage.k8s.io/v1|csidrivers|csidriver|CSIDriver||c|
storage.k8s.io/v1|csinodes|csinode|CSINode||c|
storage.k8s.io/v1|csistoragecapacities|csistoragecapacity|CSIStorageCapacity||n|
storage.k8s.io/v1|storageclasses|storageclass|StorageClass|sc|c|
storage.k8s.io/v1|volumeattachments|volumeattachment|VolumeAttachment||c|status
storage.k8s.io/v1|volumeattributesclasses|volumeattributesclass|VolumeAttributesClass|vac|c|
`

/** The offline table: core first, then groups alphabetically (resolution prefers earlier rows). */
export function builtinResourceTable(): ResourceTable {
  const resources: ResourceInfo[] = []
  for (const line of BUILTIN.split('\n')) {
    if (line.trim() === '') continue
    const [gv, resource, singular, kind, short, scope, subs] = line.split('|') as [string, string, string, string, string, string, string]
    const slash = gv.lastIndexOf('/')
    resources.push({
      group: slash < 0 ? '' : gv.slice(0, slash),
      version: slash < 0 ? gv : gv.slice(slash + 1),
      resource,
      singular,
      kind,
      shortNames: short ? short.split(',') : [],
      namespaced: scope === 'n',
      subresources: subs ? subs.split(',') : [],
    })
  }
  return {resources}
}

/** The parts of metav1.APIResourceList this needs. */
export interface APIResourceListJson {
  groupVersion: string
  resources: {name: string; singularName?: string; namespaced: boolean; kind: string; shortNames?: string[]}[]
}

/** The parts of metav1.APIGroupList (`/apis`) this needs. */
export interface APIGroupListJson {
  groups: {name: string; preferredVersion?: {groupVersion: string; version: string}; versions?: {groupVersion: string; version: string}[]}[]
}

/**
 * A table from discovery: the APIResourceList of `/api/v1` and of each `/apis/<group>/<version>`.
 * With the `/apis` APIGroupList, only each group's preferred version is used (as kubectl does);
 * without it, the first list seen for a group wins. Subresources (`pods/exec`) attach to their
 * resource. Pure: the caller fetches and parses the JSON.
 */
export function tableFromDiscovery(resourceLists: readonly APIResourceListJson[], groupList?: APIGroupListJson): ResourceTable {
  const preferred = new Map<string, string>()
  for (const g of groupList?.groups ?? []) if (g.preferredVersion) preferred.set(g.name, g.preferredVersion.version)
  const chosenVersion = new Map<string, string>()
  const byKey = new Map<string, ResourceInfo>()
  const pendingSubs: {key: string; sub: string}[] = []
  const ordered = [...resourceLists].sort((a, b) => Number(a.groupVersion.includes('/')) - Number(b.groupVersion.includes('/')))
  for (const list of ordered) {
    const slash = list.groupVersion.lastIndexOf('/')
    const group = slash < 0 ? '' : list.groupVersion.slice(0, slash)
    const version = slash < 0 ? list.groupVersion : list.groupVersion.slice(slash + 1)
    const want = preferred.get(group) ?? chosenVersion.get(group)
    if (want !== undefined && want !== version) continue
    chosenVersion.set(group, version)
    for (const r of list.resources ?? []) {
      const [name, sub] = r.name.split('/', 2) as [string, string | undefined]
      const key = `${group}/${name}`
      if (sub !== undefined) {
        pendingSubs.push({key, sub})
        continue
      }
      byKey.set(key, {
        group,
        version,
        resource: name,
        singular: r.singularName || r.kind.toLowerCase(),
        kind: r.kind,
        shortNames: r.shortNames ?? [],
        namespaced: r.namespaced,
        subresources: [],
      })
    }
  }
  for (const {key, sub} of pendingSubs) {
    const info = byKey.get(key)
    if (info && !info.subresources.includes(sub)) info.subresources.push(sub)
  }
  return {resources: [...byKey.values()]}
}

export type ResolvedResource =
  | {ok: true; info: ResourceInfo; subresource?: string}
  | {ok: false; error: string; suggestions: string[]}

/**
 * Resolve what a user typed, like kubectl: plural, singular, short name or Kind (any case), with an
 * optional `.group` or `.version.group` suffix (`deployments.apps`, `deploy.v1.apps`) and an
 * optional `/subresource` (`pods/exec`). When a name exists in several groups, the core group
 * wins, then the table order (kubectl's `events` is the core one).
 */
export function resolveResource(text: string, table: ResourceTable): ResolvedResource {
  const input = text.trim()
  if (input.length === 0) return {ok: false, error: 'empty resource name', suggestions: []}
  const slash = input.indexOf('/')
  const base = (slash < 0 ? input : input.slice(0, slash)).toLowerCase()
  const sub = slash < 0 ? undefined : input.slice(slash + 1)
  if (sub !== undefined && (sub.length === 0 || sub.includes('/'))) {
    return {ok: false, error: `"${input}": expected resource or resource/subresource`, suggestions: []}
  }
  let candidates = matchName(base, table.resources)
  if (candidates.length === 0 && base.includes('.')) {
    const dot = base.indexOf('.')
    const name = base.slice(0, dot)
    const rest = base.slice(dot + 1)
    const named = matchName(name, table.resources)
    candidates = named.filter((r) => r.group === rest || `${r.version}.${r.group}` === rest || (r.group === '' && rest === r.version))
  }
  if (candidates.length === 0) {
    return {
      ok: false,
      error: `the server doesn't have a resource type "${base}"${suggest(base, table).length > 0 ? `; did you mean ${suggest(base, table).join(', ')}?` : ''}`,
      suggestions: suggest(base, table),
    }
  }
  const info = candidates[0]!
  if (sub !== undefined) {
    if (!info.subresources.includes(sub)) {
      const known = info.subresources.map((s) => `${info.resource}/${s}`)
      return {
        ok: false,
        error: `${qualified(info)} has no subresource "${sub}"${known.length > 0 ? `; it has ${known.join(', ')}` : ''}`,
        suggestions: known,
      }
    }
    return {ok: true, info, subresource: sub}
  }
  return {ok: true, info}
}

/** `deployments.apps`, or just `secrets` for the core group. */
export function qualified(info: ResourceInfo): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource
}

function matchName(name: string, resources: readonly ResourceInfo[]): ResourceInfo[] {
  const hits = resources.filter(
    (r) => r.resource === name || r.singular === name || r.kind.toLowerCase() === name || r.shortNames.includes(name),
  )
  // Core first, stable otherwise.
  return hits.filter((r) => r.group === '').concat(hits.filter((r) => r.group !== ''))
}

function suggest(name: string, table: ResourceTable): string[] {
  const scored: {label: string; d: number}[] = []
  for (const r of table.resources) {
    let best = Infinity
    for (const n of [r.resource, r.singular, ...r.shortNames]) {
      const d = n.startsWith(name) || name.startsWith(n) ? Math.min(1, Math.abs(n.length - name.length)) : levenshtein(name, n)
      best = Math.min(best, d)
    }
    if (best <= Math.max(1, Math.floor(name.length / 4))) scored.push({label: qualified(r), d: best})
  }
  scored.sort((a, b) => a.d - b.d || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
  return [...new Set(scored.map((s) => s.label))].slice(0, 5)
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!
    prev[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1))
      diag = tmp
    }
  }
  return prev[b.length]!
}
