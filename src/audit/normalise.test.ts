import {describe, expect, it} from 'vitest'
import type {AuditEvent, EventOrigin} from './event.js'
import {normaliseCsvRow, normaliseRecord, type SkipReason} from './normalise.js'

const origin: EventOrigin = {format: 'k8s', file: 'x.log', line: 7}

const native = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'RequestResponse',
  auditID: 'a-1',
  stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/prod/secrets/db',
  verb: 'get',
  user: {username: 'alice', groups: ['devs', 'system:authenticated'], uid: 'u1'},
  sourceIPs: ['10.1.2.3'],
  userAgent: 'kubectl/v1.30.0 (linux/amd64) kubernetes/abc',
  objectRef: {resource: 'secrets', namespace: 'prod', name: 'db', apiVersion: 'v1'},
  responseStatus: {metadata: {}, code: 200},
  requestReceivedTimestamp: '2024-05-01T10:00:00.000000Z',
  stageTimestamp: '2024-05-01T10:00:00.010000Z',
  annotations: {'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by RoleBinding "r/prod"'},
  responseObject: {kind: 'Secret', metadata: {name: 'db', annotations: {'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"TOP-SECRET"}}'}}, data: {password: 'VE9QLVNFQ1JFVA=='}},
}

function events(result: AuditEvent[] | SkipReason): AuditEvent[] {
  if (typeof result === 'string') throw new Error(`skipped: ${result}`)
  return result
}

describe('normaliseRecord: native audit.k8s.io Event', () => {
  it('maps every field the report shows', () => {
    const [e] = events(normaliseRecord(native, origin))
    expect(e).toMatchObject({
      auditID: 'a-1',
      stage: 'ResponseComplete',
      verb: 'get',
      user: {username: 'alice', groups: ['devs', 'system:authenticated'], uid: 'u1'},
      sourceIPs: ['10.1.2.3'],
      resource: 'secrets',
      namespace: 'prod',
      name: 'db',
      code: 200,
      decision: 'allow',
      reason: 'RBAC: allowed by RoleBinding "r/prod"',
      time: Date.parse('2024-05-01T10:00:00Z'),
      origin,
    })
    expect(e?.impersonator).toBeUndefined()
  })

  it('keeps what a pod spec asks of the node, from a pod, a controller template, a CronJob or a patch, and no env value', () => {
    const spec = {
      hostPID: true,
      serviceAccountName: 'web',
      containers: [{name: 'a', securityContext: {privileged: true, capabilities: {add: ['cap_sys_admin', 'NET_RAW']}}, env: [{name: 'PASSWORD', value: 'hunter2-env'}]}],
      initContainers: [{name: 'init', securityContext: {privileged: false}}],
      volumes: [{name: 'root', hostPath: {path: '/'}}, {name: 't', secret: {secretName: 'builder-token-x7k2p'}}, {name: 'p', projected: {sources: [{secret: {name: 'api-keys'}}]}}],
    }
    const expected = {privileged: ['a'], capabilities: ['NET_RAW', 'SYS_ADMIN'], hostPID: true, hostPaths: ['/'], secretVolumes: ['builder-token-x7k2p', 'api-keys'], serviceAccountName: 'web'}
    const record = (resource: string, verb: string, requestObject: unknown) => ({...native, verb, objectRef: {resource, namespace: 'prod', name: 'x', apiVersion: 'v1'}, requestObject})
    const pod = (resource: string, verb: string, body: unknown) => events(normaliseRecord(record(resource, verb, body), origin))[0]?.body?.pod
    expect(pod('pods', 'create', {kind: 'Pod', spec})).toEqual(expected)
    expect(pod('deployments', 'create', {kind: 'Deployment', spec: {replicas: 1, template: {spec}}})).toEqual(expected)
    expect(pod('cronjobs', 'create', {kind: 'CronJob', spec: {schedule: '* * * * *', jobTemplate: {spec: {template: {spec}}}}})).toEqual(expected)
    expect(pod('daemonsets', 'patch', {spec: {template: {spec: {hostNetwork: true}}}})).toEqual({hostNetwork: true})
    expect(pod('podtemplates', 'create', {kind: 'PodTemplate', template: {spec: {hostIPC: true}}})).toEqual({hostIPC: true})
    // An ordinary pod asks nothing of the node; a Service's spec is not a pod's.
    expect(pod('pods', 'create', {kind: 'Pod', spec: {containers: [{name: 'a', image: 'nginx'}]}})).toBeUndefined()
    expect(pod('services', 'create', {kind: 'Service', spec: {type: 'NodePort', ports: [{port: 80}]}})).toBeUndefined()
    expect(JSON.stringify(events(normaliseRecord(record('pods', 'create', {spec}), origin)))).not.toContain('hunter2-env')
  })

  it('keeps data key names and drops every value, including last-applied-configuration', () => {
    const [e] = events(normaliseRecord(native, origin))
    expect(e?.body?.dataKeys).toEqual(['password'])
    const text = JSON.stringify(e)
    expect(text).not.toContain('TOP-SECRET')
    expect(text).not.toContain('VE9QLVNFQ1JFVA')
    expect(text).not.toContain('last-applied')
  })

  it('accepts events with kind/apiVersion stripped and v1beta1 `timestamp`', () => {
    const {kind: _k, apiVersion: _a, requestReceivedTimestamp: _r, stageTimestamp: _s, ...bare} = native
    const [e] = events(normaliseRecord({...bare, timestamp: '2017-09-11T19:55:05Z'}, origin))
    expect(e?.time).toBe(Date.parse('2017-09-11T19:55:05Z'))
    expect(e?.verb).toBe('get')
  })

  it('attributes impersonated requests to the impersonated user and keeps the sender', () => {
    const [e] = events(normaliseRecord({...native, user: {username: 'admin', groups: ['system:masters']}, impersonatedUser: {username: 'bob', groups: ['g']}}, origin))
    expect(e?.user.username).toBe('bob')
    expect(e?.impersonator?.username).toBe('admin')
  })

  it('extracts RBAC structure from bodies', () => {
    const [e] = events(
      normaliseRecord(
        {
          ...native,
          objectRef: {resource: 'clusterrolebindings', name: 'x', apiGroup: 'rbac.authorization.k8s.io'},
          requestObject: {roleRef: {kind: 'ClusterRole', name: 'cluster-admin'}, subjects: [{kind: 'ServiceAccount', name: 'd', namespace: 'ci'}], rules: [{verbs: ['*'], resources: ['secrets']}]},
          responseObject: undefined,
        },
        origin,
      ),
    )
    expect(e?.body).toEqual({
      roleRef: {kind: 'ClusterRole', name: 'cluster-admin'},
      subjects: [{kind: 'ServiceAccount', name: 'd', namespace: 'ci'}],
      rules: [{verbs: ['*'], resources: ['secrets']}],
    })
  })

  it('records token request targets', () => {
    const [e] = events(normaliseRecord({...native, verb: 'create', objectRef: {resource: 'serviceaccounts', subresource: 'token', namespace: 'kube-system', name: 'admin'}, responseObject: undefined}, origin))
    expect(e?.body?.target).toBe('system:serviceaccount:kube-system:admin')
  })

  it('skips records that are not audit events, with a reason', () => {
    expect(normaliseRecord({kind: 0}, origin)).toBe('unknown-shape')
    expect(normaliseRecord('text', origin)).toBe('unknown-shape')
    expect(normaliseRecord({kind: 'Event', verb: 'get'}, origin)).toBe('invalid-event')
    expect(normaliseRecord({kind: 'Event', user: {username: 'a'}}, origin)).toBe('invalid-event')
  })
})

describe('normaliseRecord: envelopes', () => {
  it('EventList (webhook batches) and top-level arrays', () => {
    expect(events(normaliseRecord({kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [native, {...native, auditID: 'a-2'}]}, origin))).toHaveLength(2)
    expect(events(normaliseRecord([native, native, native], origin))).toHaveLength(3)
  })

  it('reports bad entries of an envelope that also holds good ones', () => {
    const inner: SkipReason[] = []
    expect(events(normaliseRecord([native, {kind: 0}], origin, inner))).toHaveLength(1)
    expect(inner).toEqual(['unknown-shape'])
  })

  it('EKS CloudWatch export: message holds the event; [Truncated...] counts as truncated', () => {
    const [e] = events(normaliseRecord({timestamp: 1714557600000, message: JSON.stringify(native), logStreamName: 'kube-apiserver-audit-abc', eventId: 'ev-1'}, origin))
    expect(e?.origin).toMatchObject({format: 'eks', recordId: 'ev-1'})
    expect(e?.user.username).toBe('alice')
    expect(normaliseRecord({message: JSON.stringify(native).slice(0, 100) + '[Truncated...]'}, origin)).toBe('truncated')
    expect(normaliseRecord({message: 'not json'}, origin)).toBe('not-json')
  })

  it('aws logs filter-log-events output: events[].message', () => {
    const page = {events: [{logStreamName: 's', timestamp: 1, message: JSON.stringify(native), eventId: '1'}, {message: '{"kind":"Event"...[Truncated...]'}], searchedLogStreams: []}
    const inner: SkipReason[] = []
    expect(events(normaliseRecord(page, origin, inner))).toHaveLength(1)
    expect(inner).toEqual(['truncated'])
  })

  it('entries of other services are "other-service", decided on content first', () => {
    const gke = {protoPayload: {serviceName: 'compute.googleapis.com', methodName: 'v1.compute.instances.insert', authenticationInfo: {principalEmail: 'a@b'}}}
    expect(normaliseRecord(gke, origin)).toBe('other-service')
    // A k8s.io method is read whatever the service name says.
    expect(events(normaliseRecord({protoPayload: {...gke.protoPayload, methodName: 'io.k8s.core.v1.secrets.get', resourceName: 'core/v1/namespaces/n/secrets/s'}}, origin))).toHaveLength(1)
    const aks = {category: 'kube-apiserver', properties: {log: 'I1101 10:00:00.000000 1 controller.go:1] text'}}
    expect(normaliseRecord(aks, origin)).toBe('other-service')
    expect(events(normaliseRecord({category: 'guard', properties: {log: JSON.stringify(native)}}, origin))).toHaveLength(1)
    expect(normaliseRecord({category: 'kube-audit', properties: {log: 'text'}}, origin)).toBe('not-json')
    const cw = {logStreamName: 'authenticator-abc', message: 'time="x" level=info msg="access granted"'}
    expect(normaliseRecord(cw, origin)).toBe('other-service')
    expect(normaliseRecord({...cw, logStreamName: 'kube-apiserver-audit-abc'}, origin)).toBe('not-json')
    const inner: SkipReason[] = []
    const sub = {messageType: 'DATA_MESSAGE', logStream: 'kube-scheduler-1', logEvents: [{id: '1', timestamp: 1, message: 'text'}, {id: '2', timestamp: 2, message: 'more'}]}
    expect(normaliseRecord(sub, origin, inner)).toBe('other-service')
    expect(inner).toEqual(['other-service'])
    expect(events(normaliseRecord({...sub, logStream: 'kube-apiserver-audit-1', logEvents: [{id: '1', timestamp: 1, message: JSON.stringify(native)}]}, origin))).toHaveLength(1)
  })

  it('an envelope of nothing usable returns its first skip and lists each other one once', () => {
    const inner: SkipReason[] = []
    expect(normaliseRecord({items: [{kind: 'Event'}, 42, {protoPayload: {serviceName: 'iam.googleapis.com', methodName: 'x'}}]}, origin, inner)).toBe('invalid-event')
    expect(inner).toEqual(['unknown-shape', 'other-service'])
  })

  it('AKS: properties.log as a string or an object, records[] envelope, AzureDiagnostics log_s', () => {
    const rec = {category: 'kube-audit', operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read', properties: {log: JSON.stringify(native), pod: 'kube-apiserver-1'}}
    expect(events(normaliseRecord(rec, origin))[0]?.origin.format).toBe('aks')
    expect(events(normaliseRecord({...rec, properties: {log: native}}, origin))).toHaveLength(1)
    expect(events(normaliseRecord({records: [rec, rec]}, origin))).toHaveLength(2)
    expect(events(normaliseRecord({Category: 'kube-audit', log_s: JSON.stringify(native)}, origin))[0]?.verb).toBe('get')
  })

  it('AKSAudit table columns', () => {
    const row = {
      TimeGenerated: '2024-05-01T10:00:01Z',
      AuditId: 'z',
      Stage: 'ResponseComplete',
      Verb: 'list',
      RequestUri: '/api/v1/secrets',
      User: {username: 'u', groups: ['g']},
      SourceIps: '["1.2.3.4"]',
      UserAgent: 'curl/8',
      ObjectRef: {resource: 'secrets'},
      ResponseStatus: {code: 403},
      Annotations: {'authorization.k8s.io/decision': 'forbid'},
      RequestReceivedTime: '2024-05-01T10:00:00Z',
    }
    const [e] = events(normaliseRecord(row, origin))
    expect(e).toMatchObject({verb: 'list', resource: 'secrets', code: 403, decision: 'forbid', sourceIPs: ['1.2.3.4'], time: Date.parse('2024-05-01T10:00:00Z')})
  })

  it('ignores Panther p_* metadata', () => {
    const [e] = events(normaliseRecord({...native, p_log_type: 'Amazon.EKS.Audit', p_any_ip_addresses: ['9.9.9.9']}, origin))
    expect(JSON.stringify(e)).not.toContain('p_log_type')
    expect(e?.sourceIPs).toEqual(['10.1.2.3'])
  })
})

describe('normaliseRecord: GKE Cloud Audit LogEntry', () => {
  const entry = {
    insertId: 'ins-1',
    protoPayload: {
      '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
      authenticationInfo: {principalEmail: 'dev@example.com'},
      authorizationInfo: [{granted: false, permission: 'io.k8s.core.v1.secrets.get'}],
      methodName: 'io.k8s.core.v1.secrets.get',
      resourceName: 'core/v1/namespaces/prod/secrets/db',
      requestMetadata: {callerIp: '35.1.2.3', callerSuppliedUserAgent: 'kubectl/v1.29'},
      serviceName: 'k8s.io',
      status: {code: 7, message: 'PERMISSION_DENIED'},
    },
    labels: {'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': ''},
    timestamp: '2024-05-01T10:00:00Z',
  }

  it('maps method, resource name, caller, status and labels', () => {
    const [e] = events(normaliseRecord(entry, origin))
    expect(e).toMatchObject({
      verb: 'get',
      resource: 'secrets',
      namespace: 'prod',
      name: 'db',
      apiGroup: '',
      code: 403,
      decision: 'forbid',
      user: {username: 'dev@example.com'},
      sourceIPs: ['35.1.2.3'],
      userAgent: 'kubectl/v1.29',
      origin: {format: 'gke', recordId: 'ins-1'},
      requestURI: '/api/v1/namespaces/prod/secrets/db',
    })
  })

  it('subresources, groups, `status: {}` and granted:false without labels', () => {
    const exec = {...entry, labels: undefined, protoPayload: {...entry.protoPayload, methodName: 'io.k8s.core.v1.pods.exec.create', resourceName: 'core/v1/namespaces/a/pods/p/exec', status: {}}}
    const [e] = events(normaliseRecord(exec, origin))
    expect(e).toMatchObject({verb: 'create', resource: 'pods', subresource: 'exec', name: 'p', code: 200, decision: 'forbid'})
    const rbac = {...entry, protoPayload: {...entry.protoPayload, methodName: 'io.k8s.authorization.rbac.v1.clusterroles.create', resourceName: 'rbac.authorization.k8s.io/v1/clusterroles/x', status: undefined}}
    const [r] = events(normaliseRecord(rbac, origin))
    expect(r).toMatchObject({verb: 'create', resource: 'clusterroles', name: 'x', apiGroup: 'rbac.authorization.k8s.io'})
    expect(r?.namespace).toBeUndefined()
    expect(r?.code).toBeUndefined()
  })

  it('falls back to methodName when resourceName is missing, and handles non-resource paths', () => {
    const [e] = events(normaliseRecord({...entry, protoPayload: {...entry.protoPayload, resourceName: undefined, methodName: 'io.k8s.core.v1.configmaps.list'}}, origin))
    expect(e).toMatchObject({verb: 'list', resource: 'configmaps'})
    const [n] = events(normaliseRecord({...entry, protoPayload: {...entry.protoPayload, resourceName: 'HNAP1', methodName: 'io.k8s.get', status: {code: 16}}}, origin))
    expect(n).toMatchObject({verb: 'get', requestURI: '/HNAP1', code: 401})
    expect(n?.resource).toBeUndefined()
  })
})

describe('normaliseCsvRow (hkerma flattened CSV)', () => {
  const row = ['{"name":"c"}', '2023-01-27T18:28:08.129781Z', 'system:node:n1', 'get', 'secrets', '', 'tok', '', '/api/v1/namespaces/kube-flannel/secrets/tok', 'id-1', 'ResponseComplete', '403', '', '', '']
  it('maps the columns and takes the namespace from the URI', () => {
    const e = normaliseCsvRow(row, origin)
    expect(e).toMatchObject({verb: 'get', resource: 'secrets', name: 'tok', namespace: 'kube-flannel', code: 403, auditID: 'id-1', apiGroup: '', origin: {format: 'csv'}})
  })
  it('rejects short rows and rows without a time', () => {
    expect(normaliseCsvRow(row.slice(0, 10), origin)).toBe('csv-columns')
    expect(normaliseCsvRow(['', 'yesterday', ...row.slice(2)], origin)).toBe('invalid-event')
  })
})
