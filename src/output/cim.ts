// Splunk Common Information Model field names, added beside the original fields so a SIEM's
// CIM-based searches and dashboards (Change, Alerts, Authentication) pick our data up without a
// custom add-on. Pure functions: `-o cim` prints their JSON lines, the HEC sender ships them.
import type {AuditEvent} from '../audit/event.js'
import {redactEvent} from '../audit/redact-event.js'
import type {Finding} from '../detect/finding.js'
import {renderJsonLine} from './formats.js'

/** The CIM fields we fill. `dest` is the cluster, when the caller knows its name. */
export interface CimFields {
  app: string
  user: string
  src?: string
  dest?: string
  object?: string
  object_category?: string
  action?: string
  status?: 'success' | 'failure'
  signature: string
  signature_id?: string
  severity?: string
  vendor_product: string
}

export interface CimOptions {
  /** Cluster name, for `dest`. */
  dest?: string
}

const APP = 'kubernetes'
const VENDOR_PRODUCT = 'kubectl-sensitive-access'

// CIM Change data model action values; reads are `read` (the Data Access convention).
const VERB_ACTION: Record<string, string> = {
  create: 'created',
  update: 'modified',
  patch: 'modified',
  delete: 'deleted',
  deletecollection: 'deleted',
  get: 'read',
  list: 'read',
  watch: 'read',
}

export function cimAction(verb: string): string {
  return VERB_ACTION[verb.toLowerCase()] ?? verb.toLowerCase()
}

/** 2xx/1xx (101 for exec upgrades) are success; any 4xx/5xx a failure; unknown stays unset. */
export function cimStatus(code: number | undefined): 'success' | 'failure' | undefined {
  if (code === undefined) return undefined
  return code < 400 ? 'success' : 'failure'
}

function objectOf(namespace: string | undefined, name: string | undefined): string | undefined {
  if (!name) return namespace
  return namespace ? `${namespace}/${name}` : name
}

/** CIM fields for one audit event. */
export function eventCimFields(event: AuditEvent, options: CimOptions = {}): CimFields {
  const category = event.resource ? (event.subresource ? `${event.resource}/${event.subresource}` : event.resource) : undefined
  const fields: CimFields = {
    app: APP,
    user: event.user.username,
    signature: [event.verb, category ?? event.requestURI ?? ''].filter(Boolean).join(' '),
    action: cimAction(event.verb),
    vendor_product: VENDOR_PRODUCT,
  }
  if (event.sourceIPs[0]) fields.src = event.sourceIPs[0]
  if (options.dest) fields.dest = options.dest
  const object = objectOf(event.namespace, event.name)
  if (object) fields.object = object
  if (category) fields.object_category = category
  const status = cimStatus(event.code)
  if (status) fields.status = status
  return fields
}

export type CimEvent = Omit<AuditEvent, 'user'> & CimFields & {user_groups: string[]; user_uid?: string}

/**
 * The event with its CIM fields beside the original ones. The one clash is `user`: CIM wants the
 * name as a string, so the Identity is flattened into `user`, `user_groups` and `user_uid`.
 */
export function eventToCim(original: AuditEvent, options: CimOptions = {}): CimEvent {
  // What goes to the SIEM is printed output too: no credential from a reason or an exec command.
  const event = redactEvent(original)
  const {user, ...rest} = event
  const out: CimEvent = {...rest, ...eventCimFields(event, options), user_groups: user.groups}
  if (user.uid) out.user_uid = user.uid
  return out
}

/**
 * CIM fields for a finding (Alerts data model). `what` reads `verb resource ns/name`, so action,
 * object_category and object come from it when it has that form.
 */
export function findingCimFields(finding: Finding, options: CimOptions = {}): CimFields {
  const fields: CimFields = {
    app: APP,
    user: finding.who,
    signature: finding.title,
    signature_id: finding.ruleId,
    severity: finding.severity,
    vendor_product: VENDOR_PRODUCT,
  }
  if (options.dest) fields.dest = options.dest
  const [verb, resource, object] = finding.what.split(/\s+/)
  if (verb && resource && VERB_ACTION[verb.toLowerCase()]) {
    fields.action = cimAction(verb)
    fields.object_category = resource
    if (object) fields.object = object
  } else {
    fields.object = finding.what
  }
  return fields
}

export type CimFinding = Finding &
  CimFields & {
    mitre_technique_id: string
    /** CIM Alerts: the kind of alert. */
    type: 'alert'
    description?: string
    _time: number
  }

export function findingToCim(finding: Finding, options: CimOptions = {}): CimFinding {
  const out: CimFinding = {
    ...finding,
    ...findingCimFields(finding, options),
    severity: finding.severity,
    mitre_technique_id: finding.technique,
    type: 'alert',
    _time: finding.lastSeen / 1000,
  }
  if (finding.detail) out.description = finding.detail
  return out
}

/**
 * `-o cim`: one JSON document per line, through the same encoder as `-o json`: JSON.stringify alone
 * leaves C1 controls (CSI), DEL, NEL and the bidi overrides raw.
 */
export function renderCimLines(items: Iterable<Finding | AuditEvent>, options: CimOptions = {}): string {
  let out = ''
  for (const item of items) out += renderJsonLine(isFinding(item) ? findingToCim(item, options) : eventToCim(item, options))
  return out
}

export function isFinding(item: Finding | AuditEvent): item is Finding {
  return typeof (item as Finding).ruleId === 'string' && typeof (item as Finding).who === 'string'
}
