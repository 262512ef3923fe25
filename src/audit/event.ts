// One normalised audit event, whatever shape it arrived in (native audit.k8s.io Event, EKS
// CloudWatch, GKE LogEntry, AKS diagnostic record, ...). Request and response bodies are never
// kept: the few facts detections need from them are extracted into `body`, without values.

export type AuditFormat =
  | 'k8s' // audit.k8s.io/v1 Event (JSON line, EventList, array, pretty-printed)
  | 'eks' // CloudWatch export: {message: "<event json>", ...}
  | 'gke' // Cloud Audit LogEntry with protoPayload
  | 'aks' // Azure diagnostic record: properties.log / log_s / AKSAudit columns
  | 'csv' // flattened CSV exports

export interface EventOrigin {
  format: AuditFormat
  /** File path, '-' for stdin, or the name of a remote source. */
  file?: string
  /** 1-based line where the record starts. */
  line?: number
  /** A cloud's own id for the record (GKE insertId, CloudWatch eventId, ...). */
  recordId?: string
}

export interface Identity {
  username: string
  groups: string[]
  uid?: string
}

export interface AuditEvent {
  auditID?: string
  stage?: string
  level?: string
  /** requestReceivedTimestamp (or the best time the source has), epoch milliseconds. */
  time: number
  verb: string
  /** Who the request acted as: the impersonated identity when there is one. */
  user: Identity
  /** Who really sent the request, when it was impersonated. */
  impersonator?: Identity
  sourceIPs: string[]
  userAgent?: string
  requestURI?: string
  apiGroup?: string
  apiVersion?: string
  resource?: string
  subresource?: string
  namespace?: string
  name?: string
  /** HTTP status code of the response. */
  code?: number
  /** responseStatus.reason or message, short. */
  statusReason?: string
  /** authorization.k8s.io/decision: 'allow' | 'forbid'. */
  decision?: string
  /** authorization.k8s.io/reason. */
  reason?: string
  /** The request was cut by the log pipeline (EKS `[Truncated...]`). */
  truncated?: boolean
  /** Value-free facts from request bodies, for detections (RBAC rules, configmap keys). */
  body?: BodyFacts
  origin: EventOrigin
  /**
   * Set by `recent` when the identity is one of the settings' systemIdentities: the control plane's
   * own background requests (system:apiserver re-listing every secret, controllers, kubelets) or a
   * managed cloud's agents. A label, not a verdict: a stolen kube-system token is "system" too.
   */
  system?: true
}

/** Never holds a secret or configmap value: only structure and key names. */
export interface BodyFacts {
  roleRef?: {kind: string; name: string}
  subjects?: {kind: string; name: string; namespace?: string}[]
  rules?: {verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[]}[]
  /** Keys of data/stringData/binaryData (configmaps, secrets), never the values. */
  dataKeys?: string[]
  /** For impersonation or token requests: the target. */
  target?: string
  /** What a pod (or a controller's pod template) asks of the node: configuration, never env values. */
  pod?: PodFacts
}

/** The parts of a pod spec that break out of a container, as written in the request. */
export interface PodFacts {
  /** Containers (init and ephemeral too) with securityContext.privileged: true. */
  privileged?: string[]
  hostPID?: true
  hostNetwork?: true
  hostIPC?: true
  /** hostPath volume paths. */
  hostPaths?: string[]
  /** securityContext.capabilities.add of any container, upper-cased, without a CAP_ prefix. */
  capabilities?: string[]
  serviceAccountName?: string
  /** Secret names mounted as volumes or projected. */
  secretVolumes?: string[]
}

/**
 * Refused by authentication or authorization. A 403 whose authorization decision is `allow` was
 * refused later, by admission (PodSecurity, ResourceQuota, the ServiceAccount plugin): the identity
 * had the permission. Without the decision annotation (older logs, some cloud exports) the code
 * alone decides.
 */
export function isAuthorizationDenial(event: Pick<AuditEvent, 'decision' | 'code'>): boolean {
  if (event.decision === 'forbid') return true
  if (event.decision === 'allow') return false
  return event.code === 401 || event.code === 403
}

/**
 * The authorization decision as people should read it: a 403 that authorization allowed was refused
 * afterwards, by admission (PodSecurity, ResourceQuota, the ServiceAccount plugin), not by RBAC.
 */
export function decisionText(event: Pick<AuditEvent, 'decision' | 'code'>): string {
  return isAdmissionRefusal(event) ? 'allow (admission 403)' : (event.decision ?? '')
}

/** Authorized, then refused by admission: 403 with the decision `allow`. */
export function isAdmissionRefusal(event: Pick<AuditEvent, 'decision' | 'code'>): boolean {
  return event.decision === 'allow' && event.code === 403
}
