// The detection catalog, in the order `detections` lists it. Ids are stable: settings files and
// scripts refer to them.
import type {RuleDefinition} from './rule.js'
import {anonymousAllowed} from './rules/anonymous-allowed.js'
import {configmapCredentialKeys} from './rules/configmap-credential-keys.js'
import {forbiddenCreate} from './rules/forbidden-create.js'
import {identityConfigmapChange} from './rules/identity-configmap-change.js'
import {knownScannerAgent} from './rules/known-scanner-agent.js'
import {lateralMovement} from './rules/lateral-movement.js'
import {loggingTampering} from './rules/logging-tampering.js'
import {nodeSecretDenied} from './rules/node-secret-denied.js'
import {permissionProbing} from './rules/permission-probing.js'
import {privilegedImpersonation} from './rules/privileged-impersonation.js'
import {privilegedWorkload} from './rules/privileged-workload.js'
import {rbacGrantsSecretAccess} from './rules/rbac-grants-secret-access.js'
import {rbacObjectAccess} from './rules/rbac-object-access.js'
import {secretReadBurst} from './rules/secret-read-burst.js'
import {sensitiveAccessSummary} from './rules/sensitive-access-summary.js'
import {serviceAccountCrossNamespaceSecret} from './rules/serviceaccount-cross-namespace-secret.js'
import {serviceAccountDenied} from './rules/serviceaccount-denied.js'
import {serviceAccountTokenMinted} from './rules/serviceaccount-token-minted.js'
import {suspiciousKubectl} from './rules/suspicious-kubectl.js'
import {unauthenticatedScanning} from './rules/unauthenticated-scanning.js'
import {unusualSensitiveAccess} from './rules/unusual-sensitive-access.js'

export type {RuleDefinition, RuleSettingSpec, Technique, BaselineView} from './rule.js'

export const RULES: RuleDefinition[] = [
  sensitiveAccessSummary,
  suspiciousKubectl,
  serviceAccountDenied,
  unusualSensitiveAccess,
  unauthenticatedScanning,
  forbiddenCreate,
  rbacObjectAccess,
  secretReadBurst,
  anonymousAllowed,
  lateralMovement,
  serviceAccountTokenMinted,
  privilegedImpersonation,
  rbacGrantsSecretAccess,
  identityConfigmapChange,
  configmapCredentialKeys,
  serviceAccountCrossNamespaceSecret,
  nodeSecretDenied,
  permissionProbing,
  knownScannerAgent,
  privilegedWorkload,
  loggingTampering,
]

export function findRule(id: string): RuleDefinition | undefined {
  return RULES.find((r) => r.id.toLowerCase() === id.toLowerCase())
}
