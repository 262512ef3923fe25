import type {AuditEvent} from '../../audit/event.js'
import {redactArgv} from '../../lib/redact.js'
import type {Severity} from '../finding.js'
import {FindingGroups} from '../group.js'
import {compilePatterns, isDenied} from '../match.js'
import {listParam} from '../params.js'
import type {RuleDefinition} from '../rule.js'

const POD_SUBRESOURCES = new Set(['exec', 'attach', 'portforward', 'ephemeralcontainers'])

/** `command=` parameters of an exec URI, in order, decoded (`?command=sh&command=-c&command=id`). */
export function execCommand(requestURI: string | undefined): string[] {
  if (!requestURI) return []
  const q = requestURI.indexOf('?')
  if (q < 0) return []
  const out: string[] = []
  for (const part of requestURI.slice(q + 1).split('&')) {
    const eq = part.indexOf('=')
    if (eq < 0 || part.slice(0, eq) !== 'command') continue
    try {
      out.push(decodeURIComponent(part.slice(eq + 1).replace(/\+/g, ' ')))
    } catch {
      out.push(part.slice(eq + 1))
    }
  }
  return out
}

/** Getting into a running workload: a shell, an attach, a tunnel, a debug container, a node proxy. */
export const lateralMovement: RuleDefinition = {
  id: 'lateral-movement',
  title: 'Lateral movement into pods or nodes',
  severity: 'medium',
  technique: {id: 'T1609', name: 'Container Administration Command'},
  description:
    'Reports pods/exec, pods/attach, pods/portforward and pods/ephemeralcontainers (kubectl debug) requests — with verb ' +
    'create, or get as newer kubectl sends over WebSocket — and nodes/proxy. The exec command is decoded from the ' +
    '`command=` parameters of requestURI. Severity rises to high in a sensitiveNamespaces namespace (kube-system, openshift-*, gke-*, calico-system, ...) or ' +
    'for `tar` (kubectl cp copies files out this way), and to critical when the command mentions a service-account ' +
    'token path or a cloud metadata endpoint (sensitiveCommandPatterns). Refused attempts are reported at low severity.',
  fields: ['objectRef.resource', 'objectRef.subresource', 'objectRef.namespace', 'objectRef.name', 'verb', 'requestURI', 'user.username'],
  falsePositives: ['Administrators debugging workloads; CI running `kubectl exec` for migrations (allowlist the identity).'],
  settings: [
    {
      name: 'sensitiveNamespaces',
      kind: 'stringList',
      // The platform's own namespaces: their pods run with the cluster's most powerful service accounts.
      default: [
        'kube-system', 'kube-node-lease', 'openshift-*', 'gke-*', 'gmp-system', 'azure-*', 'aks-*', 'amazon-*', 'aws-*', 'eks-*',
        'calico-system', 'calico-apiserver', 'tigera-operator', 'cilium*', 'istio-system', 'linkerd*', 'cattle-*',
        'cert-manager', 'gatekeeper-system', 'kyverno', 'vault*', 'external-secrets', 'argocd', 'flux-system',
      ],
      description: 'Namespace globs where entering a pod is high severity (the platform\'s own namespaces).',
    },
    {
      name: 'sensitiveCommandPatterns',
      kind: 'stringList',
      default: ['/var/run/secrets/kubernetes.io/serviceaccount', '/run/secrets/kubernetes.io/serviceaccount', '169.254.169.254', 'metadata.google.internal', 'fd00:ec2::254', '100.100.100.200'],
      description: 'Substrings of an exec command that mean credential theft (token files, cloud metadata endpoints).',
    },
  ],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Metadata'},
  create(settings) {
    const sensitiveNs = compilePatterns(listParam(settings, lateralMovement, 'sensitiveNamespaces'))
    const patterns = listParam(settings, lateralMovement, 'sensitiveCommandPatterns')
    const groups = new FindingGroups(lateralMovement)
    return {
      onEvent(event: AuditEvent) {
        const podEntry = event.resource === 'pods' && POD_SUBRESOURCES.has(event.subresource ?? '')
        const nodeProxy = event.resource === 'nodes' && event.subresource === 'proxy'
        if (!podEntry && !nodeProxy) return
        // ephemeralcontainers are added by patch/update; exec/attach/portforward by create or (WebSocket) get.
        const verbs = event.subresource === 'ephemeralcontainers' ? ['patch', 'update', 'create'] : ['create', 'get']
        if (podEntry && !verbs.includes(event.verb)) return
        const who = event.user.username
        const command = event.subresource === 'exec' ? execCommand(event.requestURI) : []
        const commandText = command.join(' ')
        let severity: Severity = 'medium'
        const why: string[] = []
        if (event.namespace && sensitiveNs(event.namespace)) {
          severity = 'high'
          why.push(`in ${event.namespace}`)
        }
        if (command[0] === 'tar' || /(^|\/)tar$/.test(command[0] ?? '')) {
          severity = 'high'
          why.push('tar: a kubectl cp file copy')
        }
        const hit = patterns.find((p) => commandText.includes(p))
        if (hit) {
          severity = 'critical'
          why.push(`command touches ${hit}`)
        }
        const denied = isDenied(event) || (event.code !== undefined && event.code >= 400)
        if (denied) {
          // Nobody got in: still worth a line, never worth an escalation.
          severity = 'low'
          why.push('denied')
        }
        const target = nodeProxy ? `nodes/proxy ${event.name ?? ''}` : `${event.subresource} ${event.namespace ?? ''}/${event.name ?? ''}`
        // Shown without credentials (`mysql -p…`, `PGPASSWORD=…`); the patterns above saw the real command.
        const shownCommand = redactArgv(command).join(' ')
        const what = shownCommand ? `${target}: ${shownCommand.slice(0, 200)}` : target
        groups.add(`${who}\u0000${what}\u0000${denied}`, event, {who, what, severity, detail: why.length > 0 ? why.join('; ') : `${event.verb} ${event.subresource}`})
      },
      finish: () => groups.findings(),
    }
  },
}
