import {FindingGroups} from '../group.js'
import {isWrite} from '../match.js'
import {listParam} from '../params.js'
import type {RuleDefinition} from '../rule.js'

/** Configmaps that decide who is who (aws-auth) or where names resolve (CoreDNS). */
export const identityConfigmapChange: RuleDefinition = {
  id: 'identity-configmap-change',
  title: 'Change to an identity-critical configmap',
  severity: 'high',
  technique: {id: 'T1556', name: 'Modify Authentication Process'},
  description:
    'Reports writes (create, update, patch, delete) to the configmaps listed in `objects`: kube-system/aws-auth maps ' +
    'AWS IAM identities to Kubernetes users and groups on EKS (an entry added there is a back door), and ' +
    'kube-system/coredns and coredns-custom (AKS) decide name resolution for every pod (traffic redirection).',
  fields: ['verb', 'objectRef.resource', 'objectRef.namespace', 'objectRef.name', 'user.username'],
  falsePositives: ['Cluster bootstrap, eksctl/Terraform adding node groups to aws-auth, CoreDNS upgrades.'],
  settings: [
    {
      name: 'objects',
      kind: 'stringList',
      default: ['kube-system/aws-auth', 'kube-system/coredns', 'kube-system/coredns-custom'],
      description: 'namespace/name of configmaps whose change is reported.',
    },
  ],
  excludesSystemIdentities: true,
  auditLevel: {needs: 'Metadata'},
  create(settings) {
    const objects = listParam(settings, identityConfigmapChange, 'objects')
    const groups = new FindingGroups(identityConfigmapChange)
    return {
      onEvent(event) {
        if (event.resource !== 'configmaps' || !isWrite(event) || event.subresource) return
        if (event.code !== undefined && event.code >= 400) return
        const object = `${event.namespace ?? ''}/${event.name ?? ''}`
        if (!objects.includes(object)) return
        const who = event.user.username
        groups.add(`${who}\u0000${object}\u0000${event.verb}`, event, {who, what: `${event.verb} configmaps ${object}`})
      },
      finish: () => groups.findings(),
    }
  },
}
