// The free-text fields of an event that carry other people's words: the authorizer's reason (a
// webhook authorizer writes what it likes), the response message (an admission webhook's denial
// may quote the pod's env), and the request URI (an exec's `command=` arguments). Every output
// prints events through this, so a password in them shows as `password=…`.
import {redactRequestURI, redactSecrets} from '../lib/redact.js'
import type {AuditEvent} from './event.js'

/** The event with credentials hidden in reason, statusReason and requestURI; the same object when there were none. */
export function redactEvent<T extends AuditEvent>(e: T): T {
  const reason = e.reason === undefined ? undefined : redactSecrets(e.reason)
  const statusReason = e.statusReason === undefined ? undefined : redactSecrets(e.statusReason)
  const requestURI = e.requestURI === undefined ? undefined : redactRequestURI(e.requestURI)
  if (reason === e.reason && statusReason === e.statusReason && requestURI === e.requestURI) return e
  const out: T = {...e}
  if (reason !== undefined) out.reason = reason
  if (statusReason !== undefined) out.statusReason = statusReason
  if (requestURI !== undefined) out.requestURI = requestURI
  return out
}
