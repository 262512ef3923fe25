// Indirect paths to secrets: permissions that are not "get secrets" but lead to a secret's value
// all the same (create a pod that mounts it, exec into a pod that has it, mint a token for a
// ServiceAccount that can read it, grant yourself the right, ...). Each path is asked of the same
// who-can engine, in the same scope, so the answers keep the engine's exact RBAC semantics.
// Pure: no I/O.
import type {IndexedSnapshot} from './authorizer.js'
import type {RbacSnapshot} from './types.js'
import {whoCan, type GrantedAccess, type GrantPath, type Scope, type SubjectKind, type WhoCanTarget} from './who-can.js'

export type IndirectKind =
  | 'pod-create'
  | 'exec'
  | 'token-request'
  | 'impersonate'
  | 'rbac-escalation'
  | 'node-proxy'
  | 'admission-webhook'
  | 'csr-approval'
  | 'node-authorizer'

export const INDIRECT_KINDS: readonly IndirectKind[] = [
  'pod-create',
  'exec',
  'token-request',
  'impersonate',
  'rbac-escalation',
  'node-proxy',
  'admission-webhook',
  'csr-approval',
  'node-authorizer',
]

/** One (verbs, targets) question whose holders reach secrets in some other way. */
export interface IndirectQuestion {
  kind: IndirectKind
  verbs: string[]
  targets: WhoCanTarget[]
  /** What holding it in `where` (`payments`, or `every namespace`) leads to. */
  effect: (where: string) => string
  /** Several questions must ALL be granted (CSR approval needs approval AND the signer). */
  requires?: {verbs: string[]; targets: WhoCanTarget[]; text: string}
}

const core = (resource: string, subresource?: string): WhoCanTarget => ({kind: 'resource', apiGroup: '', resource, namespaced: true, ...(subresource ? {subresource} : {})})
const group = (apiGroup: string, resource: string, namespaced: boolean, extra: {subresource?: string; name?: string} = {}): WhoCanTarget => ({
  kind: 'resource',
  apiGroup,
  resource,
  namespaced,
  ...extra,
})
const RBAC = 'rbac.authorization.k8s.io'

/** Every target an indirect question asks about (the access of an IndirectGrant names these). */
export function indirectTargets(): WhoCanTarget[] {
  return indirectQuestions().flatMap((q) => [...q.targets, ...(q.requires?.targets ?? [])])
}

/** The questions, in the order they are reported. */
export function indirectQuestions(): IndirectQuestion[] {
  return [
    {
      kind: 'pod-create',
      verbs: ['create'],
      // Any controller that creates pods from a template is as good as creating the pod.
      targets: [
        core('pods'),
        core('replicationcontrollers'),
        group('apps', 'deployments', true),
        group('apps', 'replicasets', true),
        group('apps', 'statefulsets', true),
        group('apps', 'daemonsets', true),
        group('batch', 'jobs', true),
        group('batch', 'cronjobs', true),
      ],
      effect: (where) => `mount any secret (and run as any ServiceAccount) in ${where}`,
    },
    {
      kind: 'exec',
      // Before Kubernetes 1.31, exec and attach over WebSockets were authorised as `get`.
      verbs: ['create', 'get', 'update', 'patch'],
      targets: [core('pods', 'exec'), core('pods', 'attach'), core('pods', 'ephemeralcontainers')],
      effect: (where) => `read the secrets mounted in running pods in ${where}`,
    },
    {
      kind: 'token-request',
      verbs: ['create'],
      targets: [core('serviceaccounts', 'token')],
      effect: (where) => `mint a token for any ServiceAccount in ${where} and use its secret access`,
    },
    {
      kind: 'impersonate',
      verbs: ['impersonate'],
      targets: [group('', 'users', false), group('', 'groups', false), core('serviceaccounts'), group('authentication.k8s.io', 'uids', false)],
      effect: (where) => `act as another identity (users, groups, ServiceAccounts in ${where}) that can read secrets`,
    },
    {
      kind: 'rbac-escalation',
      verbs: ['bind', 'escalate', 'create', 'update', 'patch'],
      targets: [group(RBAC, 'roles', true), group(RBAC, 'rolebindings', true), group(RBAC, 'clusterroles', false), group(RBAC, 'clusterrolebindings', false)],
      effect: (where) => `grant itself read access to secrets in ${where}`,
    },
    {
      kind: 'node-proxy',
      verbs: ['get', 'create'],
      targets: [group('', 'nodes', false, {subresource: 'proxy'})],
      effect: () => 'call the kubelet API (exec, logs, pod specs) on every node',
    },
    {
      kind: 'admission-webhook',
      verbs: ['create', 'update', 'patch'],
      targets: [group('admissionregistration.k8s.io', 'mutatingwebhookconfigurations', false), group('admissionregistration.k8s.io', 'validatingwebhookconfigurations', false)],
      effect: () => 'receive every secret written in the cluster through an admission webhook',
    },
    {
      kind: 'csr-approval',
      verbs: ['update'],
      targets: [group('certificates.k8s.io', 'certificatesigningrequests', false, {subresource: 'approval'})],
      requires: {
        verbs: ['approve'],
        targets: [group('certificates.k8s.io', 'signers', false, {name: 'kubernetes.io/kube-apiserver-client'})],
        text: 'approve signers "kubernetes.io/kube-apiserver-client"',
      },
      effect: () => 'approve client certificates for any identity (system:masters included)',
    },
  ]
}

export interface IndirectGrant {
  kind: SubjectKind
  name: string
  namespace?: string
  /** Same key as who-can subjects: `User:alice`, `ServiceAccount:ns/name`. */
  key: string
  path: IndirectKind
  /** `indirect: pod-create`. */
  label: string
  /** The (verb, target, scope) grants that open the path. */
  access: GrantedAccess[]
  scope: Scope
  /** The path spelled out, one line per scope: `create pods in ns payments -> mount any secret in payments`. */
  explanation: string[]
  /** RBAC bindings that grant it (empty for node-authorizer, which is outside RBAC). */
  paths: GrantPath[]
  /** Set for paths outside RBAC (the Node authorizer). */
  synthetic?: string
}

export interface IndirectQuery {
  namespace?: string
  allNamespaces: boolean
}

const NODE_AUTHORIZER_NOTE =
  'the Node authorizer (outside RBAC) lets each kubelet, user system:node:NAME in group system:nodes, read the secrets and configmaps of the pods scheduled on its node'

/**
 * Every subject holding an indirect path to secrets in the scope, one entry per (subject, path),
 * sorted like who-can (kind, namespace, name) then by path order. system:masters is left out: it
 * already holds everything directly.
 */
export function indirectWhoCan(snapshot: RbacSnapshot | IndexedSnapshot, query: IndirectQuery): IndirectGrant[] {
  const out: IndirectGrant[] = []
  const base = {allNamespaces: query.allNamespaces, ...(query.namespace && !query.allNamespaces ? {namespace: query.namespace} : {})}
  for (const q of indirectQuestions()) {
    const answer = whoCan(snapshot, {...base, verbs: q.verbs, targets: q.targets})
    let holders = answer.subjects.filter((s) => !s.superuser)
    let extraPaths = new Map<string, GrantPath[]>()
    if (q.requires) {
      const second = whoCan(snapshot, {...base, verbs: q.requires.verbs, targets: q.requires.targets})
      const byKey = new Map(second.subjects.map((s) => [s.key, s]))
      holders = holders.filter((s) => byKey.has(s.key))
      extraPaths = new Map([...byKey].map(([k, s]) => [k, s.paths]))
    }
    for (const s of holders) {
      const explanation = explain(s.access, q.effect)
      if (q.requires) explanation.push(`(together with: ${q.requires.text})`)
      out.push({
        kind: s.kind,
        name: s.name,
        ...(s.namespace !== undefined ? {namespace: s.namespace} : {}),
        key: s.key,
        path: q.kind,
        label: `indirect: ${q.kind}`,
        access: s.access,
        scope: s.scope,
        explanation,
        paths: dedupePaths([...s.paths, ...(extraPaths.get(s.key) ?? [])]),
      })
    }
  }
  // The Node authorizer is not RBAC: it is always there (on clusters started with
  // --authorization-mode=Node,RBAC, which is every mainstream distribution).
  out.push({
    kind: 'Group',
    name: 'system:nodes',
    key: 'Group:system:nodes',
    path: 'node-authorizer',
    label: 'indirect: node-authorizer',
    access: [],
    scope: {clusterWide: true, namespaces: []},
    explanation: ['member of system:nodes (user system:node:NAME) -> read the secrets and configmaps of the pods on its node, through the Node authorizer'],
    paths: [],
    synthetic: NODE_AUTHORIZER_NOTE,
  })
  const order = new Map(INDIRECT_KINDS.map((k, i) => [k, i]))
  const kindOrder: Record<SubjectKind, number> = {User: 0, Group: 1, ServiceAccount: 2}
  out.sort(
    (a, b) =>
      kindOrder[a.kind] - kindOrder[b.kind] ||
      cmp(a.namespace ?? '', b.namespace ?? '') ||
      cmp(a.name, b.name) ||
      order.get(a.path)! - order.get(b.path)!,
  )
  return out
}

/** `create pods,deployments.apps in ns payments -> mount any secret ... in payments`, one line per scope. */
function explain(access: GrantedAccess[], effect: (where: string) => string): string[] {
  const byScope = new Map<string, {where: string; scopeText: string; items: Map<string, string[]>}>()
  for (const a of access) {
    const scopes = a.scope.clusterWide ? [''] : a.scope.namespaces
    for (const ns of scopes) {
      let entry = byScope.get(ns)
      if (!entry) {
        entry = {where: ns ? ns : 'every namespace', scopeText: ns ? `in ns ${ns}` : 'cluster-wide', items: new Map()}
        byScope.set(ns, entry)
      }
      entry.items.set(a.verb, [...(entry.items.get(a.verb) ?? []), a.target])
    }
  }
  const lines: string[] = []
  for (const entry of [...byScope.values()].sort((x, y) => cmp(x.where === 'every namespace' ? '' : x.where, y.where === 'every namespace' ? '' : y.where))) {
    // Verbs with the same target list are written together: `create,update roles...`.
    const byTargets = new Map<string, string[]>()
    for (const [verb, targets] of entry.items) {
      const key = [...new Set(targets)].join(',')
      byTargets.set(key, [...(byTargets.get(key) ?? []), verb])
    }
    const what = [...byTargets].map(([targets, verbs]) => `${verbs.join(',')} ${targets}`).join('; ')
    lines.push(`${what} ${entry.scopeText} -> ${effect(entry.where)}`)
  }
  return lines
}

function dedupePaths(paths: GrantPath[]): GrantPath[] {
  const seen = new Set<string>()
  return paths.filter((p) => {
    const k = `${p.binding.kind}/${p.binding.namespace ?? ''}/${p.binding.name}/${p.subjectIndex ?? ''}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

