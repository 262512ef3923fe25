import type {AuditEvent, PodFacts} from '../../audit/event.js'
import type {Severity} from '../finding.js'
import {FindingGroups, maxSeverity} from '../group.js'
import {listParam} from '../params.js'
import type {RuleDefinition} from '../rule.js'

const WRITE = new Set(['create', 'update', 'patch'])

/** Resources whose request body holds a pod spec (a pod, or a template the controllers stamp out). */
const WORKLOADS = new Set(['pods', 'deployments', 'daemonsets', 'statefulsets', 'replicasets', 'jobs', 'cronjobs', 'replicationcontrollers', 'podtemplates'])

/** Legacy ServiceAccount token Secrets are named `<serviceaccount>-token-<5 characters>`. */
const TOKEN_SECRET = /^(.+)-token-[a-z0-9]{5}$/

/** Why a pod spec escapes its container, in words, and how bad that is. */
export function workloadRisks(pod: PodFacts, settings: {sensitiveHostPaths: string[]; dangerousCapabilities: string[]}): {reasons: string[]; severity: Severity} {
  const reasons: string[] = []
  // Any hostPath is host access, but a data directory (local storage) is ordinary: medium unless
  // something else makes it worse.
  let severity: Severity = 'medium'
  const raise = (to: Severity) => {
    severity = maxSeverity(severity, to)
  }
  if (pod.privileged || pod.hostPID || pod.hostIPC || pod.hostNetwork) raise('high')
  if (pod.privileged) reasons.push(`privileged container ${pod.privileged.join(', ')}`)
  if (pod.hostPID) reasons.push('hostPID')
  if (pod.hostIPC) reasons.push('hostIPC')
  if (pod.hostNetwork) reasons.push('hostNetwork')
  for (const path of pod.hostPaths ?? []) {
    const clean = path.replace(/\/+$/, '') || '/'
    if (settings.sensitiveHostPaths.some((p) => clean === p || (p !== '/' && clean.startsWith(`${p}/`)))) {
      reasons.push(`hostPath ${path} (node credentials or the container runtime)`)
      raise('critical')
    } else reasons.push(`hostPath ${path}`)
  }
  const dangerous = (pod.capabilities ?? []).filter((c) => settings.dangerousCapabilities.includes(c))
  if (dangerous.length > 0) {
    reasons.push(`capabilities ${dangerous.join(', ')}`)
    raise('high')
  }
  // A privileged container in the host's PID namespace is a root shell on the node (nsenter -t 1).
  if (pod.privileged && pod.hostPID) raise('critical')
  const own = pod.serviceAccountName ?? 'default'
  for (const secret of pod.secretVolumes ?? []) {
    const owner = TOKEN_SECRET.exec(secret)?.[1]
    if (owner && owner !== own) {
      reasons.push(`mounts the token Secret of service account ${owner}`)
      raise('high')
    }
  }
  return {reasons, severity: reasons.length === 0 ? 'info' : severity}
}

/** A workload that breaks out to its node: the usual next step once a credential may create pods. */
export const privilegedWorkload: RuleDefinition = {
  id: 'privileged-workload',
  title: 'Privileged workload created or changed',
  severity: 'high',
  technique: {id: 'T1611', name: 'Escape to Host'},
  description:
    'Inspects the request body of create/update/patch on pods and on the controllers that stamp pods out (deployments, ' +
    'daemonsets, statefulsets, replicasets, jobs, cronjobs, replicationcontrollers, podtemplates) for what escapes the ' +
    'container: a privileged container, hostPID, hostIPC, hostNetwork, hostPath volumes, added capabilities from ' +
    'dangerousCapabilities, or a mounted token Secret of another service account. Critical for a hostPath under ' +
    'sensitiveHostPaths (the node\'s root, /etc, the kubelet\'s credentials, the container runtime socket) or a ' +
    'privileged container with hostPID; medium for another hostPath alone (local storage); high otherwise; medium when ' +
    'the API server refused it (RBAC or admission such as PodSecurity: the attempt is still the signal). Needs the Request audit level for these resources: at Metadata ' +
    'level the body is not logged and the rule cannot see anything.',
  fields: ['verb', 'objectRef.resource', 'objectRef.namespace', 'objectRef.name', 'requestObject.spec', 'responseStatus.code', 'user.username'],
  falsePositives: [
    'Node agents installed by people or CI (CNI, CSI drivers, log and monitoring daemonsets) need host access: allowlist their namespaces or deployers.',
    'Pods the controllers create from such templates are system identities and are not reported again.',
  ],
  settings: [
    {
      name: 'sensitiveHostPaths',
      kind: 'stringList',
      default: ['/', '/etc', '/root', '/home', '/proc', '/sys', '/dev', '/boot', '/var/lib/kubelet', '/etc/kubernetes', '/var/run/docker.sock', '/run/docker.sock', '/var/run/containerd', '/run/containerd', '/var/run/crio', '/run/crio', '/var/lib/docker', '/var/lib/containerd', '/var/log'],
      description: 'hostPath paths (and what is under them) that make a workload critical.',
    },
    {
      name: 'dangerousCapabilities',
      kind: 'stringList',
      default: ['ALL', 'SYS_ADMIN', 'SYS_PTRACE', 'SYS_MODULE', 'SYS_RAWIO', 'DAC_READ_SEARCH', 'DAC_OVERRIDE', 'NET_ADMIN', 'NET_RAW', 'BPF', 'PERFMON', 'SYS_CHROOT', 'SETUID', 'SETGID'],
      description: 'Added capabilities that count (upper case, without CAP_).',
    },
  ],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Request', metadataLimits: 'at Metadata level the pod spec is not logged: the rule sees nothing'},
  create(settings) {
    const options = {
      sensitiveHostPaths: listParam(settings, privilegedWorkload, 'sensitiveHostPaths'),
      dangerousCapabilities: listParam(settings, privilegedWorkload, 'dangerousCapabilities').map((c) => c.toUpperCase()),
    }
    const groups = new FindingGroups(privilegedWorkload)
    return {
      onEvent(event: AuditEvent) {
        const pod = event.body?.pod
        if (!pod || !WRITE.has(event.verb) || !WORKLOADS.has(event.resource ?? '') || event.subresource) return
        const {reasons, severity} = workloadRisks(pod, options)
        if (reasons.length === 0) return
        const refused = event.code !== undefined && event.code >= 400
        const who = event.user.username
        const what = `${event.verb} ${event.resource} ${event.namespace ? `${event.namespace}/` : ''}${event.name ?? ''}`
        const finding = groups.add(`${who}\u0000${what}\u0000${refused}`, event, {
          who,
          what,
          // Refused: the attempt is the signal, nothing ran.
          severity: refused ? 'medium' : severity,
          detail: `${reasons.join('; ')}${refused ? `; refused (${event.code})` : ''}`,
        })
        if (!refused) finding.severity = maxSeverity(finding.severity, severity)
      },
      finish: () => groups.findings(),
    }
  },
}
