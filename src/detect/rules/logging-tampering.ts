import type {AuditEvent} from '../../audit/event.js'
import type {Severity} from '../finding.js'
import {FindingGroups} from '../group.js'
import {compilePatterns, isDenied} from '../match.js'
import {listParam} from '../params.js'
import type {RuleDefinition} from '../rule.js'

const DELETE = new Set(['delete', 'deletecollection'])
const CHANGE = new Set(['update', 'patch'])

/** Where logs and audit records are made or shipped: what an attacker switches off first. */
const SHIPPERS = new Set(['configmaps', 'daemonsets', 'deployments', 'statefulsets', 'namespaces'])

/** An attacker switching off what would record the attack: audit configuration, log shippers, runtime sensors. */
export const loggingTampering: RuleDefinition = {
  id: 'logging-tampering',
  title: 'Audit or logging configuration deleted or changed',
  severity: 'high',
  technique: {id: 'T1562.001', name: 'Impair Defenses: Disable or Modify Tools'},
  description:
    'Reports writes to what makes and ships logs: any change to the API objects in resources (audit sinks, ' +
    'OpenShift\'s APIServer audit profile and log forwarders), and configmaps, daemonsets, deployments, statefulsets ' +
    'and namespaces whose name (or, for a deletecollection, namespace) matches names (audit policies, Fluent Bit, ' +
    'Fluentd, Vector, Falco, the EKS Fargate aws-logging configmap, ...). A delete, or scaling a shipper, is high; ' +
    'another change is medium (a configuration edit can also silence a pipeline); a refused attempt is low.',
  fields: ['verb', 'objectRef.resource', 'objectRef.subresource', 'objectRef.namespace', 'objectRef.name', 'user.username', 'responseStatus.code'],
  falsePositives: ['Planned upgrades of the logging stack by its owners (allowlist their identity or namespace).'],
  settings: [
    {
      name: 'resources',
      kind: 'stringList',
      default: ['auditsinks', 'apiservers', 'clusterlogforwarders', 'clusterloggings', 'logforwarders', 'clusteroutputs', 'clusterflows'],
      description: 'Resources whose every write counts (apiservers is OpenShift\'s config.openshift.io audit profile).',
    },
    {
      name: 'names',
      kind: 'stringList',
      default: ['*audit*', '*fluent*', '*falco*', '*vector*', '*filebeat*', '*promtail*', '*logging*', '*log-forward*', '*logforward*', 'aws-observability', '*splunk*', '*otel*collector*', '*tetragon*'],
      description: 'Name globs of configmaps, daemonsets, deployments, statefulsets and namespaces that make or ship logs.',
    },
  ],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Metadata'},
  create(settings) {
    const resources = new Set(listParam(settings, loggingTampering, 'resources'))
    const named = compilePatterns(listParam(settings, loggingTampering, 'names'))
    const groups = new FindingGroups(loggingTampering)
    const concerns = (event: AuditEvent): boolean => {
      const resource = event.resource ?? ''
      if (resources.has(resource)) return true
      if (!SHIPPERS.has(resource)) return false
      const target = event.name ?? (event.verb === 'deletecollection' ? event.namespace : undefined)
      return target !== undefined && named(target)
    }
    return {
      onEvent(event) {
        const scaling = event.subresource === 'scale'
        if (!DELETE.has(event.verb) && !CHANGE.has(event.verb)) return
        if (event.subresource && !scaling) return
        if (!concerns(event)) return
        const refused = isDenied(event) || (event.code !== undefined && event.code >= 400)
        const severity: Severity = refused ? 'low' : DELETE.has(event.verb) || scaling ? 'high' : 'medium'
        const who = event.user.username
        const object = `${event.resource}${scaling ? '/scale' : ''} ${event.namespace ? `${event.namespace}/` : ''}${event.name ?? '*'}`
        groups.add(`${who}\u0000${event.verb}\u0000${object}\u0000${refused}`, event, {
          who,
          what: `${event.verb} ${object}`,
          severity,
          detail: refused ? `refused (${event.code ?? event.decision})` : DELETE.has(event.verb) ? 'deleted: what it made or shipped stops' : scaling ? 'scaled: a shipper at 0 replicas ships nothing' : 'changed',
        })
      },
      finish: () => groups.findings(),
    }
  },
}
