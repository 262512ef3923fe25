// Audit logs with known secret values planted everywhere a real log carries them: Secret and
// ConfigMap bodies at RequestResponse level (data, stringData, binaryData, list responses, patches),
// the last-applied-configuration annotation, in the native, EKS (message string), GKE
// (protoPayload.request/response) and AKS (properties.log string) shapes; and credentials in free
// text (a webhook's denial message, an authorizer's reason, an exec argument). Generated into a temp dir.
import {writeFileSync} from 'node:fs'
import path from 'node:path'

/** Every value planted; none may ever reach any output, raw or base64-encoded. */
export const PLANTED = {
  data: 'PLANTED-data-hunter2-7f3a',
  stringData: 'PLANTED-stringData-x9k2',
  binaryData: 'PLANTED-binaryData-q4w8',
  lastApplied: 'PLANTED-lastApplied-m3n5',
  configmapPassword: 'PLANTED-cm-password-z8v1',
  configmapDsn: 'postgres://admin:PLANTED-cm-dsn-r2t6@db:5432/app',
  listItem: 'PLANTED-listItem-b5c7',
  patch: 'PLANTED-patch-j1h9',
  gke: 'PLANTED-gke-k6p3',
  aks: 'PLANTED-aks-d4f2',
  eks: 'PLANTED-eks-s7u5',
  // Not bodies: free text someone else wrote, where a credential may stand (redacted on output).
  webhookMessage: 'PLANTED-webhook-c8d2',
  authzReason: 'PLANTED-authz-w3e1',
  execArgument: 'PLANTED-exec-y6g4',
} as const

export function forbiddenStrings(): string[] {
  const values = Object.values(PLANTED)
  return [...values, ...values.map((v) => Buffer.from(v).toString('base64')), 'PLANTED-']
}

const b64 = (s: string) => Buffer.from(s).toString('base64')

function secretObject(ns: string, name: string, value: string, extra: Record<string, unknown> = {}) {
  const body = {apiVersion: 'v1', kind: 'Secret', metadata: {name, namespace: ns}, type: 'Opaque', data: {password: b64(value)}, ...extra}
  return {
    ...body,
    metadata: {...body.metadata, annotations: {'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({...body, data: {password: b64(PLANTED.lastApplied)}})}},
  }
}

function native(i: number, verb: string, resource: string, ns: string, name: string | undefined, bodies: {requestObject?: unknown; responseObject?: unknown}, user = 'mallory@example.com') {
  const uri = `/api/v1/namespaces/${ns}/${resource}${name ? `/${name}` : ''}`
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: `planted-${i}`,
    stage: 'ResponseComplete',
    requestURI: uri,
    verb,
    user: {username: user, groups: ['system:authenticated']},
    sourceIPs: ['10.0.0.9'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/abc',
    objectRef: {resource, namespace: ns, ...(name ? {name} : {}), apiVersion: 'v1'},
    responseStatus: {metadata: {}, code: verb === 'create' ? 201 : 200},
    ...bodies,
    requestReceivedTimestamp: new Date(Date.UTC(2026, 10, 26, 10, 0, i)).toISOString(),
    stageTimestamp: new Date(Date.UTC(2026, 10, 26, 10, 0, i, 5)).toISOString(),
    annotations: {'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': ''},
  }
}

export function writeSecretFixtures(dir: string): string[] {
  const events = [
    native(1, 'create', 'secrets', 'payments', 'db', {requestObject: secretObject('payments', 'db', PLANTED.data, {stringData: {token: PLANTED.stringData}}), responseObject: secretObject('payments', 'db', PLANTED.data)}),
    native(2, 'get', 'secrets', 'payments', 'db', {responseObject: secretObject('payments', 'db', PLANTED.data)}),
    native(3, 'list', 'secrets', 'payments', undefined, {responseObject: {kind: 'SecretList', apiVersion: 'v1', metadata: {}, items: [secretObject('payments', 'a', PLANTED.listItem), secretObject('payments', 'b', PLANTED.listItem)]}}),
    native(4, 'patch', 'secrets', 'payments', 'db', {requestObject: {data: {password: b64(PLANTED.patch)}, stringData: {extra: PLANTED.patch}}, responseObject: secretObject('payments', 'db', PLANTED.patch)}),
    native(5, 'update', 'secrets', 'payments', 'bin', {requestObject: {...secretObject('payments', 'bin', PLANTED.data), binaryData: {blob: b64(PLANTED.binaryData)}}}),
    native(6, 'create', 'configmaps', 'payments', 'app-config', {
      requestObject: {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'app-config', namespace: 'payments', annotations: {'kubectl.kubernetes.io/last-applied-configuration': `{"data":{"DB_PASSWORD":"${PLANTED.lastApplied}"}}`}}, data: {DB_PASSWORD: PLANTED.configmapPassword, DATABASE_URL: PLANTED.configmapDsn, 'app.yaml': `db:\n  password: ${PLANTED.configmapPassword}\n`}},
      responseObject: {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'app-config', namespace: 'payments'}, data: {DB_PASSWORD: PLANTED.configmapPassword, DATABASE_URL: PLANTED.configmapDsn}},
    }),
    native(7, 'delete', 'secrets', 'payments', 'db', {responseObject: secretObject('payments', 'db', PLANTED.data)}, 'system:serviceaccount:ci:deployer'),
    native(8, 'get', 'secrets', 'kube-system', 'bootstrap', {responseObject: secretObject('kube-system', 'bootstrap', PLANTED.data)}, 'system:anonymous'),
    // An admission webhook's denial quoting the env it refused; a webhook authorizer's reason; an exec's password argument.
    {
      ...native(9, 'create', 'secrets', 'payments', 'db2', {}),
      responseStatus: {metadata: {}, status: 'Failure', code: 400, message: `admission webhook "vault.example.com" denied the request: env DB_PASSWORD=${PLANTED.webhookMessage} is not allowed`},
    },
    {
      ...native(10, 'get', 'secrets', 'payments', 'db', {}),
      responseStatus: {metadata: {}, code: 403},
      annotations: {'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': `webhook authorizer: request carried token=${PLANTED.authzReason}`},
    },
    {
      ...native(11, 'create', 'pods', 'payments', 'db-0', {}),
      requestURI: `/api/v1/namespaces/payments/pods/db-0/exec?command=mysql&command=-uroot&command=-p${PLANTED.execArgument}&container=db&stdin=true`,
      objectRef: {resource: 'pods', subresource: 'exec', namespace: 'payments', name: 'db-0', apiVersion: 'v1'},
      responseStatus: {metadata: {}, code: 101},
    },
  ]
  const files: string[] = []
  const put = (name: string, lines: unknown[]) => {
    const file = path.join(dir, name)
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n')
    files.push(file)
  }
  put('native.log', events)
  // EKS: CloudWatch Logs export, the native event as a JSON string in `message`.
  put(
    'eks.jsonl',
    events.slice(0, 4).map((e, i) => ({
      eventId: `eks-${i}`,
      timestamp: Date.UTC(2026, 10, 26, 11, 0, i),
      logStreamName: 'kube-apiserver-audit-abc',
      message: JSON.stringify({...e, auditID: `eks-${i}`, requestObject: secretObject('payments', 'eks', PLANTED.eks, {stringData: {k: PLANTED.eks}})}),
    })),
  )
  // GKE: Cloud Logging LogEntry with protoPayload.request / response.
  put(
    'gke.jsonl',
    ['create', 'get', 'update'].map((verb, i) => ({
      insertId: `gke-${i}`,
      logName: 'projects/p/logs/cloudaudit.googleapis.com%2Fdata_access',
      timestamp: new Date(Date.UTC(2026, 10, 26, 12, 0, i)).toISOString(),
      resource: {type: 'k8s_cluster', labels: {cluster_name: 'c', location: 'europe-west1', project_id: 'p'}},
      labels: {'authorization.k8s.io/decision': 'allow'},
      protoPayload: {
        '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
        authenticationInfo: {principalEmail: 'mallory@example.com'},
        requestMetadata: {callerIp: '10.0.0.7', callerSuppliedUserAgent: 'kubectl/v1.31.0'},
        serviceName: 'k8s.io',
        methodName: `io.k8s.core.v1.secrets.${verb}`,
        resourceName: 'core/v1/namespaces/payments/secrets/gke-db',
        request: {'@type': 'core.k8s.io/v1.Secret', ...secretObject('payments', 'gke-db', PLANTED.gke, {stringData: {k: PLANTED.gke}})},
        response: {'@type': 'core.k8s.io/v1.Secret', ...secretObject('payments', 'gke-db', PLANTED.gke)},
        status: {},
      },
    })),
  )
  // AKS: diagnostic setting record, the native event as a JSON string in properties.log.
  put(
    'aks.jsonl',
    events.slice(0, 4).map((e, i) => ({
      time: new Date(Date.UTC(2026, 10, 26, 13, 0, i)).toISOString(),
      category: 'kube-audit',
      operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
      properties: {pod: 'kube-apiserver-1', containerID: 'c', log: JSON.stringify({...e, auditID: `aks-${i}`, responseObject: secretObject('payments', 'aks', PLANTED.aks)})},
    })),
  )
  return files
}
