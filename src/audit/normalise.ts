// Turns one parsed record, in any shape an audit log reaches us in, into normalised AuditEvents.
// The shape is sniffed per record (not per file) because real exports mix envelopes in one file.
// Request and response bodies are read only to extract value-free BodyFacts and then dropped:
// nothing returned from here may hold a secret or configmap value.
import type {AuditEvent, AuditFormat, BodyFacts, EventOrigin, Identity, PodFacts} from './event.js'

/** Why a record produced no event. Counted by the reader, reported on stderr. */
export type SkipReason =
  | 'not-json'
  | 'not-yaml'
  | 'unknown-shape'
  | 'invalid-event'
  | 'truncated'
  | 'csv-columns'
  | 'line-too-long'
  | 'corrupt-gzip'
  | 'read-error'
  | 'no-such-file'
  | 'glob-matched-nothing'
  | 'utf-16-not-read'
  | 'xz-not-read'
  | 'bzip2-not-read'
  | 'zstd-not-read'
  | 'document-too-large'
  | 'too-deep'
  | 'too-many-aliases'
  | 'element-too-large'
  /**
   * Not a bad record: an entry of another service in a shared export (a project-wide GCP Cloud
   * Audit export, an AKS diagnostic setting sending more categories than kube-audit, a CloudWatch
   * group's non-audit streams). Counted apart by the reader, never as a skip.
   */
  | 'other-service'

/**
 * Normalise one parsed record. Returns the events it holds (an envelope such as an EventList or
 * a CloudWatch `events[]` page may hold several, or none) or the reason it holds none.
 * When an envelope holds both good and bad entries, the bad ones are pushed to `innerSkips`.
 */
export function normaliseRecord(obj: unknown, origin: EventOrigin, innerSkips?: SkipReason[]): AuditEvent[] | SkipReason {
  if (Array.isArray(obj)) return fromList(obj, origin, innerSkips)
  if (!isObject(obj)) return 'unknown-shape'

  // Envelopes first: they hold records of the other shapes.
  if (Array.isArray(obj.items) && (obj.kind === 'EventList' || obj.kind === undefined)) return fromList(obj.items, origin, innerSkips)
  if (Array.isArray(obj.records)) return fromList(obj.records, origin, innerSkips) // Azure Event Hub / storage export
  if (Array.isArray(obj.events) && obj.events.every((e) => isObject(e) && 'message' in e)) {
    return fromList(obj.events, origin, innerSkips) // aws logs filter-log-events / get-log-events
  }
  // CloudWatch subscription delivery (Firehose, Lambda): one stream's events under logEvents.
  if (Array.isArray(obj.logEvents) && typeof obj.logStream === 'string') {
    if (isAuditStream(obj.logStream)) return fromList(obj.logEvents, origin, innerSkips)
    // Another stream of the cluster's log group: what is not an audit event is not a bad record.
    const own: SkipReason[] = []
    const result = fromList(obj.logEvents, origin, own)
    if (innerSkips) for (let i = 0; i < own.length; i++) innerSkips.push('other-service')
    return typeof result === 'string' ? 'other-service' : result
  }

  // The shared-export cases below decide on content first: a record that holds an audit event is
  // read whatever its service, category or stream says; only one that does not is "other service".
  if (isObject(obj.protoPayload)) {
    // A project-wide Cloud Audit export holds every Google service; only k8s.io is the API server.
    const service = obj.protoPayload.serviceName
    const method = obj.protoPayload.methodName
    if (typeof service === 'string' && service !== 'k8s.io' && !(typeof method === 'string' && method.startsWith('io.k8s.'))) return 'other-service'
    return one(fromGke(obj, {...origin, format: 'gke'}))
  }

  // AKS diagnostic record: properties.log (string or object), AzureDiagnostics log_s. A diagnostic
  // setting may send kube-apiserver, guard, autoscaler... logs too: text lines, not audit events.
  const props = obj.properties
  const category = typeof obj.category === 'string' ? obj.category : typeof obj.Category === 'string' ? obj.Category : undefined
  const otherCategory = category !== undefined && !AKS_AUDIT_CATEGORIES.has(category.toLowerCase())
  if (isObject(props) && 'log' in props) return otherService(fromEmbedded(props.log, {...origin, format: 'aks'}, obj), otherCategory)
  if ('log_s' in obj) return otherService(fromEmbedded(obj.log_s, {...origin, format: 'aks'}, obj), otherCategory)
  // AKSAudit (Log Analytics) table: PascalCase columns of the native event.
  if ('Verb' in obj && ('User' in obj || 'ObjectRef' in obj || 'RequestUri' in obj)) {
    return one(fromNative(fromAksAuditColumns(obj), {...origin, format: 'aks'}))
  }

  // EKS CloudWatch export: the native event is a JSON string in `message`. The cluster's log group
  // also holds the kube-apiserver, authenticator, scheduler... streams: their lines are not audit.
  if (typeof obj.message === 'string' && !('verb' in obj)) {
    const stream = obj.logStreamName ?? obj.logStream ?? obj['@logStream']
    const otherStream = typeof stream === 'string' && !isAuditStream(stream)
    const recordId = typeof obj.eventId === 'string' ? obj.eventId : typeof obj.id === 'string' ? obj.id : origin.recordId
    return otherService(fromEmbedded(obj.message, {...origin, format: 'eks', recordId}, obj), otherStream)
  }

  if (looksNative(obj)) return one(fromNative(obj, origin))
  // Says it is an audit event but lacks the verb or the user: a partial record, not a new shape.
  if (obj.kind === 'Event' || (obj.kind === undefined && typeof obj.apiVersion === 'string' && obj.apiVersion.startsWith('audit.k8s.io/'))) return 'invalid-event'
  return 'unknown-shape'
}

const AKS_AUDIT_CATEGORIES = new Set(['kube-audit', 'kube-audit-admin'])

/** EKS names its audit streams kube-apiserver-audit-<id>. */
function isAuditStream(name: string): boolean {
  return name.startsWith('kube-apiserver-audit')
}

/** A record of another service's stream or category that holds no audit event is not a bad record. */
function otherService(result: AuditEvent[] | SkipReason, other: boolean): AuditEvent[] | SkipReason {
  return other && typeof result === 'string' ? 'other-service' : result
}

function fromList(list: unknown[], origin: EventOrigin, innerSkips?: SkipReason[]): AuditEvent[] | SkipReason {
  const out: AuditEvent[] = []
  let firstSkip: SkipReason | undefined
  let firstAt = -1
  for (const item of list) {
    const result = normaliseRecord(item, origin, innerSkips)
    if (typeof result === 'string') {
      if (firstSkip === undefined) {
        firstSkip = result
        firstAt = innerSkips?.length ?? -1
      }
      innerSkips?.push(result)
    } else {
      for (const e of result) out.push(e)
    }
  }
  // An envelope with nothing usable is itself a skip; with some good entries, the bad ones were
  // reported through innerSkips. The one returned is taken out of the list (that very one: the
  // reasons may differ), so that each entry is counted once.
  if (out.length === 0 && firstSkip !== undefined) {
    if (innerSkips && firstAt >= 0) innerSkips.splice(firstAt, 1)
    return firstSkip
  }
  return out
}

function one(result: AuditEvent | SkipReason): AuditEvent[] | SkipReason {
  return typeof result === 'string' ? result : [result]
}

function fromEmbedded(payload: unknown, origin: EventOrigin, envelope: Record<string, unknown>): AuditEvent[] | SkipReason {
  let inner = payload
  if (typeof payload === 'string') {
    // CloudWatch cuts events over 256 KB and appends this marker: the JSON is unrecoverable.
    if (payload.endsWith('[Truncated...]')) return 'truncated'
    try {
      inner = JSON.parse(payload)
    } catch {
      return 'not-json'
    }
  }
  if (!isObject(inner)) return 'unknown-shape'
  const result = looksNative(inner) ? fromNative(inner, origin) : 'unknown-shape'
  if (typeof result === 'string') return result
  // Envelope time when the inner event has none (hand-written or partial exports).
  if (result.time === 0) result.time = parseTime(envelope.time ?? envelope.timestamp ?? envelope.TimeGenerated)
  return [result]
}

function looksNative(obj: Record<string, unknown>): boolean {
  return typeof obj.verb === 'string' && (isObject(obj.user) || isObject(obj.objectRef) || typeof obj.requestURI === 'string')
}

/** A native audit.k8s.io Event (v1, or v1beta1 with `timestamp`; kind/apiVersion optional). */
function fromNative(obj: Record<string, unknown>, origin: EventOrigin): AuditEvent | SkipReason {
  if (typeof obj.verb !== 'string') return 'invalid-event'
  const sender = identity(obj.user)
  if (!sender) return 'invalid-event'
  const impersonated = identity(obj.impersonatedUser)
  const ref = isObject(obj.objectRef) ? obj.objectRef : undefined
  const status = isObject(obj.responseStatus) ? obj.responseStatus : undefined
  const annotations = isObject(obj.annotations) ? obj.annotations : undefined
  const meta = isObject(obj.metadata) ? obj.metadata : undefined

  const event: AuditEvent = {
    time: parseTime(obj.requestReceivedTimestamp ?? obj.timestamp ?? obj.stageTimestamp ?? meta?.creationTimestamp),
    verb: obj.verb,
    user: impersonated ?? sender,
    sourceIPs: stringArray(obj.sourceIPs),
    origin,
  }
  if (impersonated) event.impersonator = sender
  setStr(event, 'auditID', obj.auditID)
  setStr(event, 'stage', obj.stage)
  setStr(event, 'level', obj.level)
  setStr(event, 'userAgent', obj.userAgent)
  setStr(event, 'requestURI', obj.requestURI)
  if (ref) {
    setStr(event, 'apiGroup', ref.apiGroup)
    setStr(event, 'apiVersion', ref.apiVersion)
    setStr(event, 'resource', ref.resource)
    setStr(event, 'subresource', ref.subresource)
    setStr(event, 'namespace', ref.namespace)
    setStr(event, 'name', ref.name)
  }
  if (status) {
    if (typeof status.code === 'number') event.code = status.code
    const reason = typeof status.reason === 'string' && status.reason ? status.reason : status.message
    if (typeof reason === 'string' && reason) event.statusReason = shorten(reason)
  }
  if (annotations) {
    setStr(event, 'decision', annotations['authorization.k8s.io/decision'])
    const why = annotations['authorization.k8s.io/reason']
    if (typeof why === 'string' && why) event.reason = shorten(why)
  }
  const body = bodyFacts(obj.requestObject, obj.responseObject, event)
  if (body) event.body = body
  return event
}

function fromAksAuditColumns(row: Record<string, unknown>): Record<string, unknown> {
  const parse = (v: unknown) => {
    if (typeof v !== 'string') return v
    try {
      return JSON.parse(v)
    } catch {
      return v
    }
  }
  return {
    auditID: row.AuditId,
    stage: row.Stage,
    level: row.Level,
    requestURI: row.RequestUri,
    verb: typeof row.Verb === 'string' ? row.Verb : undefined,
    user: parse(row.User),
    impersonatedUser: parse(row.ImpersonatedUser),
    sourceIPs: parse(row.SourceIps),
    userAgent: row.UserAgent,
    objectRef: parse(row.ObjectRef),
    responseStatus: parse(row.ResponseStatus),
    annotations: parse(row.Annotations),
    requestReceivedTimestamp: row.RequestReceivedTime ?? row.TimeGenerated,
    stageTimestamp: row.StageReceivedTime,
  }
}

// gRPC status codes (google.rpc.Code) as the HTTP codes the API server really answered.
const GRPC_TO_HTTP: Record<number, number> = {
  0: 200, 1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403, 8: 429, 9: 400, 10: 409, 11: 400, 12: 501, 13: 500,
  14: 503, 15: 500, 16: 401,
}

/** GKE Cloud Audit LogEntry: methodName `io.k8s.<group>.<version>.<resource>[.<subresource>].<verb>`. */
function fromGke(entry: Record<string, unknown>, origin: EventOrigin): AuditEvent | SkipReason {
  const p = entry.protoPayload as Record<string, unknown>
  const method = typeof p.methodName === 'string' ? p.methodName : ''
  if (!method.startsWith('io.k8s.')) return 'unknown-shape'
  const auth = isObject(p.authenticationInfo) ? p.authenticationInfo : {}
  const reqMeta = isObject(p.requestMetadata) ? p.requestMetadata : {}
  const labels = isObject(entry.labels) ? entry.labels : {}
  const username = typeof auth.principalEmail === 'string' ? auth.principalEmail : ''
  if (!username) return 'invalid-event'

  const parts = method.slice('io.k8s.'.length).split('.')
  const verb = parts[parts.length - 1] ?? ''
  const recordId = typeof entry.insertId === 'string' ? entry.insertId : origin.recordId
  const event: AuditEvent = {
    time: parseTime(entry.timestamp ?? p.timestamp ?? entry.receiveTimestamp),
    verb,
    user: {username, groups: []},
    sourceIPs: typeof reqMeta.callerIp === 'string' ? [reqMeta.callerIp] : [],
    origin: recordId ? {...origin, recordId} : origin,
  }
  setStr(event, 'userAgent', reqMeta.callerSuppliedUserAgent)

  const ref = parseGkeResourceName(typeof p.resourceName === 'string' ? p.resourceName : undefined, parts)
  if (ref.uri) event.requestURI = ref.uri
  setStr(event, 'apiGroup', ref.apiGroup)
  setStr(event, 'apiVersion', ref.apiVersion)
  setStr(event, 'resource', ref.resource)
  setStr(event, 'subresource', ref.subresource)
  setStr(event, 'namespace', ref.namespace)
  setStr(event, 'name', ref.name)

  const status = isObject(p.status) ? p.status : undefined
  if (status) {
    const grpc = typeof status.code === 'number' ? status.code : 0 // `status: {}` means OK
    event.code = GRPC_TO_HTTP[grpc] ?? 500
    if (typeof status.message === 'string' && status.message) event.statusReason = shorten(status.message)
  }
  const decision = labels['authorization.k8s.io/decision']
  if (typeof decision === 'string') event.decision = decision
  else if (Array.isArray(p.authorizationInfo) && p.authorizationInfo.length > 0) {
    const granted = p.authorizationInfo.every((a) => isObject(a) && a.granted === true)
    const denied = p.authorizationInfo.some((a) => isObject(a) && a.granted === false)
    if (denied) event.decision = 'forbid'
    else if (granted) event.decision = 'allow'
  }
  const why = labels['authorization.k8s.io/reason']
  if (typeof why === 'string' && why) event.reason = shorten(why)
  const body = bodyFacts(p.request, p.response, event)
  if (body) event.body = body
  return event
}

interface ParsedRef {
  apiGroup?: string
  apiVersion?: string
  resource?: string
  subresource?: string
  namespace?: string
  name?: string
  uri?: string
}

const VERSION = /^v\d+((alpha|beta)\d+)?$/

function parseGkeResourceName(resourceName: string | undefined, methodParts: string[]): ParsedRef {
  // resourceName: `core/v1/namespaces/NS/secrets/NAME[/SUB]`, `rbac.authorization.k8s.io/v1/clusterroles/NAME`.
  const segs = (resourceName ?? '').replace(/^\//, '').split('/').filter((s) => s !== '')
  if (segs.length >= 3 && VERSION.test(segs[1] ?? '')) {
    const ref: ParsedRef = {apiGroup: segs[0] === 'core' ? '' : segs[0], apiVersion: segs[1]}
    let rest = segs.slice(2)
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      ref.namespace = rest[1]
      rest = rest.slice(2)
    }
    ref.resource = rest[0]
    if (rest[1] !== undefined) ref.name = rest[1]
    if (rest[2] !== undefined) ref.subresource = rest[2]
    if (ref.resource === 'namespaces' && ref.name) ref.namespace = ref.name
    const prefix = ref.apiGroup ? `/apis/${ref.apiGroup}/${ref.apiVersion}` : `/api/${ref.apiVersion}`
    ref.uri = `${prefix}/${segs.slice(2).join('/')}`
    return ref
  }
  // No usable resourceName: take what methodName says (group names there are abbreviated).
  const v = methodParts.findIndex((s) => VERSION.test(s))
  if (v >= 0) {
    const after = methodParts.slice(v + 1, -1)
    const group = methodParts.slice(0, v).join('.')
    const ref: ParsedRef = {apiGroup: group === 'core' ? '' : group, apiVersion: methodParts[v], resource: after[0]}
    if (after[1] !== undefined) ref.subresource = after[1]
    return ref
  }
  return resourceName ? {uri: resourceName.startsWith('/') ? resourceName : `/${resourceName}`} : {}
}

/** Flattened CSV (hkerma/kubernetes-event-dataset): see SOURCES.md for the columns. */
export function normaliseCsvRow(cells: string[], origin: EventOrigin): AuditEvent | SkipReason {
  if (cells.length < 12) return 'csv-columns'
  const [, time, username, verb, resource, namespace, name, subresource, uri, auditID, stage, code] = cells
  if (!username || !verb || Number.isNaN(Date.parse(time ?? ''))) return 'invalid-event'
  const event: AuditEvent = {time: parseTime(time), verb, user: {username, groups: []}, sourceIPs: [], origin: {...origin, format: 'csv'}}
  const fromUri = parseRequestUri(uri ?? '')
  if (resource) event.resource = resource
  if (subresource) event.subresource = subresource
  if (name) event.name = name
  const ns = namespace || fromUri.namespace
  if (ns) event.namespace = ns
  if (fromUri.apiGroup !== undefined && resource) event.apiGroup = fromUri.apiGroup
  if (uri) event.requestURI = uri
  if (auditID) event.auditID = auditID
  if (stage) event.stage = stage
  const n = Number(code)
  if (code && Number.isInteger(n)) event.code = n
  return event
}

function parseRequestUri(uri: string): {namespace?: string; apiGroup?: string} {
  const path = uri.split('?')[0] ?? ''
  const out: {namespace?: string; apiGroup?: string} = {}
  const ns = /\/namespaces\/([^/]+)\/[^/]+/.exec(path)
  if (ns?.[1]) out.namespace = ns[1]
  if (path.startsWith('/api/')) out.apiGroup = ''
  else {
    const g = /^\/apis\/([^/]+)\//.exec(path)
    if (g?.[1]) out.apiGroup = g[1]
  }
  return out
}

/**
 * Value-free facts from request/response bodies: RBAC structure and key names only. The bodies
 * themselves (and so the last-applied-configuration annotation) are never copied anywhere.
 */
function bodyFacts(request: unknown, response: unknown, event: AuditEvent): BodyFacts | undefined {
  const facts: BodyFacts = {}
  for (const body of [request, response]) {
    if (!isObject(body)) continue
    if (!facts.roleRef && isObject(body.roleRef) && typeof body.roleRef.name === 'string') {
      facts.roleRef = {kind: String(body.roleRef.kind ?? ''), name: body.roleRef.name}
    }
    if (!facts.subjects && Array.isArray(body.subjects)) {
      facts.subjects = body.subjects.filter(isObject).map((s) => {
        const out: {kind: string; name: string; namespace?: string} = {kind: String(s.kind ?? ''), name: String(s.name ?? '')}
        if (typeof s.namespace === 'string') out.namespace = s.namespace
        return out
      })
    }
    if (!facts.rules && Array.isArray(body.rules)) {
      facts.rules = body.rules.filter(isObject).map((r) => {
        const rule: NonNullable<BodyFacts['rules']>[number] = {verbs: stringArray(r.verbs)}
        if (Array.isArray(r.apiGroups)) rule.apiGroups = stringArray(r.apiGroups)
        if (Array.isArray(r.resources)) rule.resources = stringArray(r.resources)
        if (Array.isArray(r.resourceNames)) rule.resourceNames = stringArray(r.resourceNames)
        return rule
      })
    }
    if (!facts.dataKeys) {
      const keys = new Set<string>()
      for (const field of ['data', 'stringData', 'binaryData']) {
        const d = body[field]
        if (isObject(d)) for (const k of Object.keys(d)) keys.add(k)
      }
      if (keys.size > 0) facts.dataKeys = [...keys].sort()
    }
  }
  if (isObject(request)) {
    const pod = podFacts(podSpecOf(request))
    if (pod) facts.pod = pod
  }
  // TokenRequest and impersonation targets: who a token is minted for.
  if (event.resource === 'serviceaccounts' && event.subresource === 'token' && event.name) {
    facts.target = `system:serviceaccount:${event.namespace ?? ''}:${event.name}`
  }
  return Object.keys(facts).length > 0 ? facts : undefined
}

/**
 * The pod spec inside a Pod, a pod template (Deployment, DaemonSet, StatefulSet, ReplicaSet, Job,
 * ReplicationController, PodTemplate) or a CronJob, also in a partial patch body.
 */
function podSpecOf(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const spec = isObject(body.spec) ? body.spec : undefined
  const template = isObject(body.template) ? body.template : undefined
  if (template && isObject(template.spec)) return template.spec
  if (!spec) return undefined
  if (isObject(spec.jobTemplate) && isObject(spec.jobTemplate.spec) && isObject(spec.jobTemplate.spec.template) && isObject(spec.jobTemplate.spec.template.spec)) {
    return spec.jobTemplate.spec.template.spec
  }
  if (isObject(spec.template) && isObject(spec.template.spec)) return spec.template.spec
  if (Array.isArray(spec.containers) || Array.isArray(spec.volumes) || 'hostPID' in spec || 'hostNetwork' in spec || 'hostIPC' in spec) return spec
  return undefined
}

/** Value-free facts of a pod spec: what it asks of the node. Undefined when it asks nothing notable. */
function podFacts(spec: Record<string, unknown> | undefined): PodFacts | undefined {
  if (!spec) return undefined
  const facts: PodFacts = {}
  const privileged: string[] = []
  const capabilities = new Set<string>()
  for (const list of [spec.containers, spec.initContainers, spec.ephemeralContainers]) {
    if (!Array.isArray(list)) continue
    for (const c of list) {
      if (!isObject(c) || !isObject(c.securityContext)) continue
      if (c.securityContext.privileged === true) privileged.push(typeof c.name === 'string' ? c.name : '?')
      const caps = isObject(c.securityContext.capabilities) ? c.securityContext.capabilities.add : undefined
      for (const cap of stringArray(caps)) capabilities.add(cap.toUpperCase().replace(/^CAP_/, ''))
    }
  }
  if (privileged.length > 0) facts.privileged = privileged
  if (capabilities.size > 0) facts.capabilities = [...capabilities].sort()
  if (spec.hostPID === true) facts.hostPID = true
  if (spec.hostNetwork === true) facts.hostNetwork = true
  if (spec.hostIPC === true) facts.hostIPC = true
  const hostPaths: string[] = []
  const secrets: string[] = []
  if (Array.isArray(spec.volumes)) {
    for (const v of spec.volumes) {
      if (!isObject(v)) continue
      if (isObject(v.hostPath) && typeof v.hostPath.path === 'string') hostPaths.push(v.hostPath.path)
      if (isObject(v.secret) && typeof v.secret.secretName === 'string') secrets.push(v.secret.secretName)
      if (isObject(v.projected) && Array.isArray(v.projected.sources)) {
        for (const source of v.projected.sources) if (isObject(source) && isObject(source.secret) && typeof source.secret.name === 'string') secrets.push(source.secret.name)
      }
    }
  }
  if (hostPaths.length > 0) facts.hostPaths = hostPaths
  if (secrets.length > 0) facts.secretVolumes = secrets
  const sa = typeof spec.serviceAccountName === 'string' ? spec.serviceAccountName : typeof spec.serviceAccount === 'string' ? spec.serviceAccount : undefined
  if (Object.keys(facts).length === 0) return undefined
  if (sa) facts.serviceAccountName = sa
  return facts
}

function identity(value: unknown): Identity | undefined {
  if (!isObject(value) || typeof value.username !== 'string') return undefined
  const id: Identity = {username: value.username, groups: stringArray(value.groups)}
  if (typeof value.uid === 'string' && value.uid) id.uid = value.uid
  return id
}

/** Epoch ms, or 0 when the record carries no usable time (hand-written test stubs do that). */
export function parseTime(value: unknown): number {
  if (typeof value !== 'string' || value === '') return 0
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? 0 : ms
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

function setStr<K extends keyof AuditEvent>(event: AuditEvent, key: K, value: unknown): void {
  if (typeof value === 'string' && value !== '') (event as unknown as Record<string, unknown>)[key] = value
  else if (typeof value === 'string' && key === 'apiGroup') (event as unknown as Record<string, unknown>)[key] = value
}

function shorten(text: string): string {
  return text.length > 200 ? text.slice(0, 197) + '...' : text
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export type {AuditFormat}
