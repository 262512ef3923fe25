import {FindingGroups} from '../group.js'
import {describeRequest, isAnonymous, isDenied, requestPath} from '../match.js'
import {listParam} from '../params.js'
import type {RuleDefinition} from '../rule.js'

/** Anything anonymous that the API server answered, apart from health and discovery endpoints. */
export const anonymousAllowed: RuleDefinition = {
  id: 'anonymous-allowed',
  title: 'Anonymous request allowed',
  severity: 'high',
  technique: {id: 'T1078.001', name: 'Valid Accounts: Default Accounts'},
  description:
    'Reports requests by system:anonymous or the system:unauthenticated group that were not refused, except paths ' +
    'that clusters serve anonymously on purpose (ignoredPaths: health, version, OIDC discovery). An allowed anonymous ' +
    'request means a binding grants something to everyone: critical when it touched secrets or configmaps.',
  fields: ['user.username', 'user.groups', 'requestURI', 'responseStatus.code', 'annotations.authorization.k8s.io/decision'],
  falsePositives: ['Clusters that deliberately expose extra non-resource paths anonymously (add them to ignoredPaths).'],
  settings: [
    {
      name: 'ignoredPaths',
      kind: 'stringList',
      default: ['/healthz', '/livez', '/readyz', '/version', '/.well-known', '/openid/v1/jwks'],
      description: 'Path prefixes anonymous callers may reach; a prefix matches itself and anything below it.',
    },
  ],
  excludesSystemIdentities: false,
  auditLevel: {needs: 'Metadata'},
  create(settings) {
    const ignored = listParam(settings, anonymousAllowed, 'ignoredPaths')
    const groups = new FindingGroups(anonymousAllowed)
    return {
      onEvent(event) {
        if (!isAnonymous(event) || isDenied(event)) return
        if (event.code !== undefined && event.code >= 400) return
        const path = requestPath(event) ?? ''
        if (!event.resource && ignored.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`))) return
        const sensitive = event.resource === 'secrets' || event.resource === 'configmaps'
        const what = describeRequest(event)
        groups.add(`${event.user.username}\u0000${what}`, event, {
          who: event.user.username,
          what,
          severity: sensitive ? 'critical' : 'high',
        })
      },
      finish: () => groups.findings(),
    }
  },
}
