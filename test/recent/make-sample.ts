// Generates samples/audit/sample-audit.log: a small, realistic, deterministic audit log of one
// working day on a cluster, with the stories detections look for. Run: npx tsx test/recent/make-sample.ts
// The planted value PLANTED_SECRET_VALUE sits in a RequestResponse-level secret create (request
// body data, stringData and the last-applied-configuration annotation): it must never reach output.
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const PLANTED_SECRET_VALUE = 's3cr3t-SAMPLE-VALUE'

const K8S_UA = (bin: string, suffix = '') => `${bin}/v1.30.2 (linux/amd64) kubernetes/3968350${suffix}`
const KUBECTL_MAC = 'kubectl/v1.30.1 (darwin/arm64) kubernetes/6911225'
const KUBECTL_LINUX = 'kubectl/v1.29.4 (linux/amd64) kubernetes/55f1e2a'

interface Who {
  username: string
  groups: string[]
  uid?: string
}

const SA = (ns: string, name: string): Who => ({
  username: `system:serviceaccount:${ns}:${name}`,
  groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
})

interface Req {
  at: number
  who: Who
  verb: string
  resource?: string
  subresource?: string
  namespace?: string
  name?: string
  group?: string
  code: number
  ip: string
  ua: string
  uri?: string
  reason?: string
  impersonate?: Who
  level?: 'Metadata' | 'Request' | 'RequestResponse'
  requestObject?: unknown
  responseObject?: unknown
  stages?: string[]
}

/** A tiny deterministic PRNG so the sample is the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

export function makeSample(): string {
  const rand = rng(42)
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T
  const start = Date.parse('2026-11-26T08:00:00Z')
  const reqs: Req[] = []
  const at = (minutes: number) => start + Math.round(minutes * 60_000 + rand() * 1000)

  // Controller and kubelet chatter through the day.
  const nodes = ['ip-10-0-1-17.ec2.internal', 'ip-10-0-2-33.ec2.internal', 'ip-10-0-3-51.ec2.internal']
  for (let m = 0; m < 600; m += 6) {
    const node = pick(nodes)
    const [podNs, podSecret] = pick([['payments', 'payments-db-credentials'], ['web', 'web-tls'], ['monitoring', 'grafana-admin']]) as [string, string]
    reqs.push({at: at(m), who: {username: `system:node:${node}`, groups: ['system:nodes', 'system:authenticated']}, verb: 'get', resource: 'secrets', namespace: podNs, name: podSecret, code: 200, ip: `10.0.${nodes.indexOf(node) + 1}.10`, ua: K8S_UA('kubelet'), reason: 'Node authorizer'})
    reqs.push({at: at(m + 1), who: {username: `system:node:${node}`, groups: ['system:nodes', 'system:authenticated']}, verb: 'watch', resource: 'configmaps', namespace: pick(['payments', 'web', 'kube-system']), name: 'kube-root-ca.crt', code: 200, ip: `10.0.${nodes.indexOf(node) + 1}.10`, ua: K8S_UA('kubelet'), reason: 'Node authorizer', stages: ['ResponseStarted', 'ResponseComplete']})
    reqs.push({at: at(m + 2), who: {username: 'system:kube-controller-manager', groups: ['system:authenticated']}, verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: 'kube-system', name: 'kube-controller-manager', code: 200, ip: '10.0.0.5', ua: K8S_UA('kube-controller-manager', '/leader-election'), reason: 'RBAC: allowed by ClusterRoleBinding "system:kube-controller-manager" of ClusterRole "system:kube-controller-manager" to User "system:kube-controller-manager"'})
    reqs.push({at: at(m + 3), who: SA('kube-system', 'coredns'), verb: 'watch', resource: 'endpointslices', group: 'discovery.k8s.io', code: 200, ip: '10.0.1.44', ua: K8S_UA('coredns'), reason: 'RBAC: allowed by ClusterRoleBinding "system:coredns"'})
    if (m % 60 === 0) reqs.push({at: at(m + 4), who: SA('kube-system', 'namespace-controller'), verb: 'list', resource: 'configmaps', namespace: pick(['web', 'payments']), code: 200, ip: '10.0.0.5', ua: K8S_UA('kube-controller-manager', '/system:serviceaccount:kube-system:namespace-controller'), reason: 'RBAC: allowed by ClusterRoleBinding "system:controller:namespace-controller"'})
    reqs.push({at: at(m + 5), who: SA('monitoring', 'prometheus'), verb: 'list', resource: 'pods', code: 200, ip: '10.0.2.80', ua: 'prometheus/2.53.0', reason: 'RBAC: allowed by ClusterRoleBinding "prometheus"'})
  }
  // cert-manager keeps TLS secrets fresh.
  for (let m = 10; m < 600; m += 30) {
    reqs.push({at: at(m), who: SA('cert-manager', 'cert-manager'), verb: pick(['get', 'update']), resource: 'secrets', namespace: 'web', name: 'web-tls', code: 200, ip: '10.0.3.21', ua: K8S_UA('cert-manager-controller', '/controller'), reason: 'RBAC: allowed by ClusterRoleBinding "cert-manager-controller-certificates"'})
  }

  // A human reading secrets with kubectl.
  const alice: Who = {username: 'alice@example.com', groups: ['platform-devs', 'system:authenticated']}
  reqs.push({at: at(95), who: alice, verb: 'list', resource: 'secrets', namespace: 'payments', code: 200, ip: '198.51.100.23', ua: KUBECTL_MAC, reason: 'RBAC: allowed by RoleBinding "devs-read/payments" of ClusterRole "view-secrets" to Group "platform-devs"'})
  reqs.push({at: at(96), who: alice, verb: 'get', resource: 'secrets', namespace: 'payments', name: 'payments-db-credentials', code: 200, ip: '198.51.100.23', ua: KUBECTL_MAC, reason: 'RBAC: allowed by RoleBinding "devs-read/payments" of ClusterRole "view-secrets" to Group "platform-devs"', stages: ['RequestReceived', 'ResponseComplete']})
  reqs.push({at: at(97), who: alice, verb: 'get', resource: 'secrets', namespace: 'kube-system', name: 'aws-credentials', code: 403, ip: '198.51.100.23', ua: KUBECTL_MAC})
  reqs.push({at: at(98), who: alice, verb: 'list', resource: 'secrets', code: 403, ip: '198.51.100.23', ua: KUBECTL_MAC})

  // A service account token carried to a workstation: kubectl UA, public IP, many namespaces.
  const deployer = SA('ci', 'deployer')
  reqs.push({at: at(130), who: deployer, verb: 'list', resource: 'namespaces', code: 200, ip: '203.0.113.50', ua: KUBECTL_LINUX, reason: 'RBAC: allowed by ClusterRoleBinding "ci-deployer"'})
  for (const [i, ns] of ['payments', 'web', 'monitoring', 'kube-system', 'ci'].entries()) {
    reqs.push({at: at(131 + i), who: deployer, verb: 'list', resource: 'secrets', namespace: ns, code: ns === 'kube-system' ? 403 : 200, ip: '203.0.113.50', ua: KUBECTL_LINUX, reason: ns === 'kube-system' ? undefined : 'RBAC: allowed by ClusterRoleBinding "ci-deployer"'})
  }
  for (const [i, name] of ['payments-db-credentials', 'stripe-api-key', 'grafana-admin'].entries()) {
    reqs.push({at: at(137 + i), who: deployer, verb: 'get', resource: 'secrets', namespace: i === 2 ? 'monitoring' : 'payments', name, code: 200, ip: '203.0.113.50', ua: KUBECTL_LINUX, reason: 'RBAC: allowed by ClusterRoleBinding "ci-deployer"'})
  }
  // The same service account used in-cluster as designed.
  reqs.push({at: at(60), who: deployer, verb: 'patch', resource: 'deployments', group: 'apps', namespace: 'web', name: 'web', code: 200, ip: '10.0.2.91', ua: 'argocd-application-controller/v2.11.3', reason: 'RBAC: allowed by ClusterRoleBinding "ci-deployer"'})

  // A compromised pod's service account probing: forbidden everywhere.
  const webSa = SA('web', 'web-frontend')
  for (const [i, ns] of ['web', 'payments', 'kube-system', 'default'].entries()) {
    reqs.push({at: at(200 + i * 0.2), who: webSa, verb: 'list', resource: 'secrets', namespace: ns, code: ns === 'web' ? 403 : 403, ip: '10.0.2.117', ua: 'python-requests/2.31.0'})
  }
  reqs.push({at: at(201), who: webSa, verb: 'create', resource: 'selfsubjectrulesreviews', group: 'authorization.k8s.io', code: 201, ip: '10.0.2.117', ua: 'python-requests/2.31.0', reason: 'RBAC: allowed by ClusterRoleBinding "system:basic-user"'})
  reqs.push({at: at(202), who: webSa, verb: 'get', resource: 'configmaps', namespace: 'web', name: 'web-config', code: 200, ip: '10.0.2.117', ua: 'python-requests/2.31.0', reason: 'RBAC: allowed by RoleBinding "web-config-reader/web"'})

  // Anonymous scanning from the internet.
  const anon: Who = {username: 'system:anonymous', groups: ['system:unauthenticated']}
  for (const [i, uri] of ['/api/v1/secrets', '/api/v1/namespaces/kube-system/secrets', '/api/v1/configmaps', '/.env', '/version', '/apis'].entries()) {
    const isSecret = uri.includes('secrets')
    const isCm = uri.includes('configmaps')
    const ns = uri.includes('kube-system') ? 'kube-system' : undefined
    reqs.push({at: at(300 + i * 0.05), who: anon, verb: uri === '/version' || uri === '/.env' || uri === '/apis' ? 'get' : 'list', resource: isSecret ? 'secrets' : isCm ? 'configmaps' : undefined, namespace: ns, uri, code: uri === '/version' ? 200 : 403, ip: '192.0.2.77', ua: pick(['curl/8.5.0', 'Mozilla/5.0 zgrab/0.x', 'python-requests/2.31.0'])})
  }
  // Two more denied probes (fixed agents, so the random sequence above is unchanged): more than
  // five denials from one address is what the scanning detection looks for.
  reqs.push({at: start + 300.4 * 60_000, who: anon, verb: 'get', uri: '/api/v1/nodes', code: 403, ip: '192.0.2.77', ua: 'masscan/1.3'})
  reqs.push({at: start + 300.45 * 60_000, who: anon, verb: 'get', uri: '/metrics', code: 403, ip: '192.0.2.77', ua: 'masscan/1.3'})

  // Exec into a pod (three stages, one request).
  const bob: Who = {username: 'bob@example.com', groups: ['sre', 'system:authenticated']}
  reqs.push({at: at(360), who: bob, verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'payments', name: 'payments-api-7d9f8-xk2lp', uri: '/api/v1/namespaces/payments/pods/payments-api-7d9f8-xk2lp/exec?command=sh&container=api&stdin=true&stdout=true&tty=true', code: 101, ip: '198.51.100.40', ua: KUBECTL_MAC, reason: 'RBAC: allowed by ClusterRoleBinding "sre-admin" of ClusterRole "cluster-admin" to Group "sre"', stages: ['RequestReceived', 'ResponseStarted', 'ResponseComplete']})
  // bob, as an admin, impersonates the payments app to check what it can read.
  reqs.push({at: at(365), who: bob, impersonate: SA('payments', 'payments-api'), verb: 'get', resource: 'secrets', namespace: 'payments', name: 'stripe-api-key', code: 200, ip: '198.51.100.40', ua: KUBECTL_MAC, reason: 'RBAC: allowed by RoleBinding "payments-api/payments" of Role "read-own-secrets" to ServiceAccount "payments-api/payments"'})
  reqs.push({at: at(366), who: bob, impersonate: {username: 'system:admin', groups: ['system:masters']}, verb: 'list', resource: 'secrets', namespace: 'kube-system', code: 200, ip: '198.51.100.40', ua: KUBECTL_MAC, reason: 'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"'})

  // A RequestResponse-level secret create with values in the body. Values must never be output.
  const lastApplied = JSON.stringify({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'payments-db-credentials', namespace: 'payments'}, stringData: {password: PLANTED_SECRET_VALUE}})
  reqs.push({
    at: at(400), who: bob, verb: 'create', resource: 'secrets', namespace: 'payments', name: 'payments-db-credentials', code: 201, ip: '198.51.100.40', ua: KUBECTL_MAC, level: 'RequestResponse',
    reason: 'RBAC: allowed by ClusterRoleBinding "sre-admin" of ClusterRole "cluster-admin" to Group "sre"',
    requestObject: {kind: 'Secret', apiVersion: 'v1', metadata: {name: 'payments-db-credentials', namespace: 'payments', annotations: {'kubectl.kubernetes.io/last-applied-configuration': lastApplied}}, stringData: {password: PLANTED_SECRET_VALUE, username: 'payments'}, type: 'Opaque'},
    responseObject: {kind: 'Secret', apiVersion: 'v1', metadata: {name: 'payments-db-credentials', namespace: 'payments', uid: '8d1c3f5e-2b7a-4c1e-9f0a-1b2c3d4e5f60', annotations: {'kubectl.kubernetes.io/last-applied-configuration': lastApplied}}, data: {password: Buffer.from(PLANTED_SECRET_VALUE).toString('base64'), username: Buffer.from('payments').toString('base64')}, type: 'Opaque'},
  })
  // A configmap holding a credential in plain text.
  reqs.push({
    at: at(410), who: alice, verb: 'update', resource: 'configmaps', namespace: 'web', name: 'web-config', code: 200, ip: '198.51.100.23', ua: KUBECTL_MAC, level: 'RequestResponse',
    reason: 'RBAC: allowed by RoleBinding "devs-edit/web" of ClusterRole "edit" to Group "platform-devs"',
    requestObject: {kind: 'ConfigMap', apiVersion: 'v1', metadata: {name: 'web-config', namespace: 'web'}, data: {DATABASE_URL: `postgres://web:${PLANTED_SECRET_VALUE}@db:5432/web`, LOG_LEVEL: 'info'}},
  })

  // Privilege escalation: bind cluster-admin to the ci deployer, then a role reading all secrets.
  reqs.push({
    at: at(420), who: deployer, verb: 'create', resource: 'clusterrolebindings', group: 'rbac.authorization.k8s.io', name: 'ci-deployer-admin', code: 201, ip: '203.0.113.50', ua: KUBECTL_LINUX, level: 'Request',
    reason: 'RBAC: allowed by ClusterRoleBinding "ci-deployer"',
    requestObject: {kind: 'ClusterRoleBinding', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: {name: 'ci-deployer-admin'}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin'}, subjects: [{kind: 'ServiceAccount', name: 'deployer', namespace: 'ci'}]},
  })
  reqs.push({
    at: at(421), who: deployer, verb: 'create', resource: 'clusterroles', group: 'rbac.authorization.k8s.io', name: 'secret-reader-all', code: 201, ip: '203.0.113.50', ua: KUBECTL_LINUX, level: 'Request',
    reason: 'RBAC: allowed by ClusterRoleBinding "ci-deployer-admin"',
    requestObject: {kind: 'ClusterRole', apiVersion: 'rbac.authorization.k8s.io/v1', metadata: {name: 'secret-reader-all'}, rules: [{apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch']}]},
  })
  // A token minted for a powerful service account.
  reqs.push({at: at(425), who: deployer, verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: 'kube-system', name: 'clusterrole-aggregation-controller', code: 201, ip: '203.0.113.50', ua: KUBECTL_LINUX, reason: 'RBAC: allowed by ClusterRoleBinding "ci-deployer-admin"'})
  // Secrets deleted at the end of the session, and a failed delete.
  reqs.push({at: at(430), who: deployer, verb: 'delete', resource: 'secrets', namespace: 'ci', name: 'deployer-token-old', code: 200, ip: '203.0.113.50', ua: KUBECTL_LINUX, reason: 'RBAC: allowed by ClusterRoleBinding "ci-deployer-admin"'})
  reqs.push({at: at(431), who: deployer, verb: 'delete', resource: 'secrets', namespace: 'ci', name: 'does-not-exist', code: 404, ip: '203.0.113.50', ua: KUBECTL_LINUX, reason: 'RBAC: allowed by ClusterRoleBinding "ci-deployer-admin"'})

  reqs.sort((a, b) => a.at - b.at)
  const lines: string[] = []
  let n = 0
  for (const r of reqs) {
    n++
    const auditID = uuid(rand)
    const stages = r.stages ?? ['ResponseComplete']
    for (const [i, stage] of stages.entries()) {
      lines.push(JSON.stringify(event(r, auditID, stage, i)))
    }
  }
  return lines.join('\n') + '\n'
}

function event(r: Req, auditID: string, stage: string, stageIndex: number): Record<string, unknown> {
  const group = r.group ?? ''
  const base = group ? `/apis/${group}/v1` : '/api/v1'
  const uri =
    r.uri ??
    (r.resource
      ? `${base}${r.namespace ? `/namespaces/${r.namespace}` : ''}/${r.resource}${r.name ? `/${r.name}` : ''}${r.subresource ? `/${r.subresource}` : ''}${r.verb === 'watch' ? '?watch=true' : ''}`
      : '/')
  const received = new Date(r.at).toISOString().replace('Z', '000Z')
  const stageTs = new Date(r.at + 3 + stageIndex * 40).toISOString().replace('Z', '000Z')
  const e: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: r.level ?? 'Metadata',
    auditID,
    stage,
    requestURI: uri,
    verb: r.verb,
    user: r.who,
  }
  if (r.impersonate) e.impersonatedUser = r.impersonate
  e.sourceIPs = [r.ip]
  e.userAgent = r.ua
  if (r.resource) {
    const ref: Record<string, unknown> = {resource: r.resource}
    if (r.namespace) ref.namespace = r.namespace
    if (r.name) ref.name = r.name
    ref.apiGroup = group
    ref.apiVersion = 'v1'
    if (r.subresource) ref.subresource = r.subresource
    e.objectRef = ref
  }
  if (stage !== 'RequestReceived') {
    const status: Record<string, unknown> = {metadata: {}, code: stage === 'ResponseStarted' || r.code === 101 ? (r.subresource === 'exec' ? 101 : r.code) : r.code}
    if (r.code >= 400) {
      status.status = 'Failure'
      status.reason = r.code === 403 ? 'Forbidden' : r.code === 404 ? 'NotFound' : 'Error'
      status.message =
        r.code === 403
          ? `${r.resource ?? 'path'} is forbidden: User "${(r.impersonate ?? r.who).username}" cannot ${r.verb} resource "${r.resource ?? ''}" in API group "${group}"${r.namespace ? ` in the namespace "${r.namespace}"` : ' at the cluster scope'}`
          : `${r.resource ?? ''} "${r.name ?? ''}" not found`
    }
    e.responseStatus = status
  }
  if (stage !== 'RequestReceived' && r.requestObject && r.level !== 'Metadata') e.requestObject = r.requestObject
  if (stage === 'ResponseComplete' && r.responseObject && r.level === 'RequestResponse') e.responseObject = r.responseObject
  e.requestReceivedTimestamp = received
  e.stageTimestamp = stage === 'RequestReceived' ? received : stageTs
  const decision = r.code === 403 ? 'forbid' : 'allow'
  const annotations: Record<string, string> = {'authorization.k8s.io/decision': decision, 'authorization.k8s.io/reason': r.reason ?? ''}
  if (r.code === 403) annotations['authorization.k8s.io/reason'] = ''
  e.annotations = annotations
  return e
}

function uuid(rand: () => number): string {
  const hex = () => Math.floor(rand() * 16).toString(16)
  const part = (n: number) => Array.from({length: n}, hex).join('')
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const here = path.dirname(fileURLToPath(import.meta.url))
  const out = path.resolve(here, '../../samples/audit/sample-audit.log')
  writeFileSync(out, makeSample())
  process.stdout.write(`wrote ${out}\n`)
}
