// Every file of the real corpus (../shared/corpus/audit) parses with the counts below.
// The counts were derived independently of this code:
// - JSON lines: jq -s over each file, e.g. for demo.log
//     jq -s '[length, ([.[]|select(.responseStatus.code==403)]|length), ([.[]|select(.impersonatedUser)]|length),
//             ([.[]|select(.objectRef.resource=="secrets" and (.verb|IN("get","list","watch")))]|length)]'
//   panther k8s-event.jsonl: records with a string verb and user.username (146), minus duplicates of
//   [auditID, verb, requestURI, user, impersonated user, sourceIPs, userAgent] (`group_by(.)|map(length-1)|add`
//   over records with an auditID = 5) = 141 (on [auditID, verb, requestURI] alone it was 8: a client-supplied
//   Audit-ID shared by different users no longer merges their requests); AKS: `.properties.log|fromjson`;
//   GKE: records with principalEmail (45), `methodName|test("secrets\\.(get|list|watch)$")`, status.code 7/16.
// - hkerma CSV: Python's csv module: 16,564 rows, 1 short (the truncated last row), 89 duplicate
//   (auditID, verb, requestURI) keys, 16,474 requests; after keeping the best stage per key:
//   625 secret reads, 1,256 secrets events, 295 configmaps events, 56 denied (401/403), 262 anonymous.
// - falco: one Event per file (6 in create_configmap_sensitive_values.json); fal_01_003.json is `{"kind": 0}`.
import {existsSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import type {AuditEvent} from '../../src/audit/event.js'
import {readAuditEvents, type ReadStats} from '../../src/audit/reader.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const CORPUS = path.resolve(here, '../../../shared/corpus/audit')
const present = existsSync(CORPUS)
if (!present) console.warn(`corpus not found at ${CORPUS}: corpus tests skipped (CI always has it)`)

async function read(rel: string): Promise<{events: AuditEvent[]; stats: ReadStats}> {
  const stream = readAuditEvents([path.join(CORPUS, rel)])
  const events: AuditEvent[] = []
  for await (const e of stream) events.push(e)
  return {events, stats: stream.stats}
}

const secretReads = (es: AuditEvent[]) => es.filter((e) => e.resource === 'secrets' && ['get', 'list', 'watch'].includes(e.verb)).length
const denied = (es: AuditEvent[]) => es.filter((e) => e.code === 401 || e.code === 403).length
const impersonated = (es: AuditEvent[]) => es.filter((e) => e.impersonator !== undefined).length

interface Expect {
  file: string
  records: number
  events: number
  duplicates?: number
  skipped?: Record<string, number>
  secretReads?: number
  denied?: number
  impersonated?: number
  configmaps?: number
  formats: string[]
}

const EXPECTED: Expect[] = [
  {file: 'audit2rbac/demo.log', records: 37, events: 37, secretReads: 1, denied: 11, impersonated: 37, formats: ['k8s']},
  {file: 'audit2rbac/demo-policy.yaml', records: 1, events: 0, skipped: {'unknown-shape': 1}, formats: []},
  {file: 'elastic-integrations/gcp-audit-test-k8s-nonmatching-resourcename.log', records: 1, events: 1, denied: 1, formats: ['gke']},
  // Lines 2 and 3 are the same request (auditID, verb and URI) shipped twice.
  {file: 'elastic-integrations/kubernetes-audit_logs-test-audit.log', records: 5, events: 4, duplicates: 1, formats: ['aks', 'gke', 'k8s']},
  {file: 'elastic-integrations/kubernetes-audit_logs-test-kube-audit.log', records: 1, events: 1, formats: ['aks']},
  {
    file: 'hkerma-kubernetes-event-dataset/audit-logs.csv',
    records: 16564,
    events: 16474,
    duplicates: 89,
    skipped: {'csv-columns': 1},
    secretReads: 625,
    denied: 56,
    configmaps: 295,
    formats: ['csv'],
  },
  {file: 'hkerma-kubernetes-event-dataset/audit-policy.yaml', records: 1, events: 0, skipped: {'unknown-shape': 1}, formats: []},
  {file: 'khi-gke/container_recorder_test_1_1.yaml', records: 1, events: 1, formats: ['gke']},
  {file: 'khi-gke/container_recorder_test_1_2.yaml', records: 1, events: 1, formats: ['gke']},
  {file: 'khi-gke/container_recorder_test_1_3.yaml', records: 1, events: 1, formats: ['gke']},
  {file: 'khi-gke/gke-logentries.jsonl', records: 3, events: 3, formats: ['gke']},
  {file: 'khi-gke/oss-event.jsonl', records: 1, events: 1, formats: ['k8s']},
  {file: 'khi-gke/oss-test-log.yaml', records: 1, events: 1, formats: ['k8s']},
  {file: 'panther-analysis/aks-diagnostic.jsonl', records: 34, events: 34, secretReads: 2, denied: 2, formats: ['aks']},
  // 6 partial stubs without authenticationInfo.principalEmail.
  {file: 'panther-analysis/gke-logentry.jsonl', records: 51, events: 45, skipped: {'invalid-event': 6}, secretReads: 2, denied: 2, formats: ['gke']},
  // 42 hand-written stubs without a verb or a user; 5 stages of re-used auditIDs merged.
  {
    file: 'panther-analysis/k8s-event.jsonl',
    records: 188,
    events: 141,
    duplicates: 5,
    skipped: {'invalid-event': 42},
    secretReads: 19,
    // One watch is logged complete four times (403, 403, 200, 200): the first complete record is kept.
    // jq keeping the first complete record per request key: 28.
    denied: 28,
    configmaps: 2,
    formats: ['k8s'],
  },
  {file: 'panther-analysis/tests-index.json', records: 273, events: 0, skipped: {'unknown-shape': 273}, formats: []},
  {file: 'sekoia-intake-formats/gke-k8s-cluster-logentry.jsonl', records: 1, events: 1, configmaps: 1, formats: ['gke']},
  {file: 'sekoia-intake-formats/k8s-audit-events.jsonl', records: 8, events: 8, impersonated: 1, formats: ['k8s']},
]

describe.skipIf(!present)('corpus: every audit file parses with the exact counts', () => {
  for (const x of EXPECTED) {
    it(x.file, async () => {
      const {events, stats} = await read(x.file)
      expect(stats.records).toBe(x.records)
      expect(stats.events).toBe(x.events)
      expect(events).toHaveLength(x.events)
      expect(stats.duplicates).toBe(x.duplicates ?? 0)
      expect(stats.skipReasons).toEqual(x.skipped ?? {})
      expect(secretReads(events)).toBe(x.secretReads ?? 0)
      expect(denied(events)).toBe(x.denied ?? 0)
      expect(impersonated(events)).toBe(x.impersonated ?? 0)
      if (x.configmaps !== undefined) expect(events.filter((e) => e.resource === 'configmaps')).toHaveLength(x.configmaps)
      expect([...new Set(events.map((e) => e.origin.format))].sort()).toEqual(x.formats)
    })
  }

  it('falco trace files: one event each, six in the sensitive-values file, fal_01_003 rejected', async () => {
    const dir = path.join(CORPUS, 'falco-trace-files')
    const files = readdirSync(dir).sort()
    expect(files).toHaveLength(47)
    for (const f of files) {
      const {events, stats} = await read(`falco-trace-files/${f}`)
      if (f === 'fal_01_003.json') {
        expect(events).toHaveLength(0)
        expect(stats.skipReasons).toEqual({'unknown-shape': 1})
        expect(stats.skipPositions[0]).toMatch(/fal_01_003\.json:1: unknown-shape$/)
      } else {
        expect(events, f).toHaveLength(f === 'create_configmap_sensitive_values.json' ? 6 : 1)
        expect(stats.skipped, f).toBe(0)
      }
    }
  })

  it('the whole corpus folder, read recursively, covers every file and sums up', async () => {
    const stream = readAuditEvents([CORPUS])
    let n = 0
    for await (const _ of stream) n++
    const perFile = EXPECTED.reduce((a, x) => a + x.events, 0) + 45 + 6
    // Stages merge across files too (rotated logs split requests): 2 requests appear in two files
    // (keyed [auditID, verb, requestURI, user, impersonated user, sourceIPs, userAgent]: falco's
    // replicaset-controller pod create 1, khi oss-event.jsonl = oss-test-log.yaml 1). On
    // [auditID, verb, requestURI] alone there were 5: falco's namespace create by some-user and by
    // system:anonymous, and panther's hand-written `abc-123` stubs of different users, are different requests.
    expect(n).toBe(perFile - 2)
    expect(stream.stats.duplicates).toBe(1 + 89 + 5 + 2)
    expect(stream.stats.inputs).toBe(EXPECTED.length + 47)
    expect(stream.stats.skipped).toBe(1 + 1 + 1 + 1 + 6 + 42 + 273)
  })

  it('demo.log: impersonated events belong to bob, sent by system:admin', async () => {
    const {events} = await read('audit2rbac/demo.log')
    // jq -r '.impersonatedUser.username' demo.log | sort | uniq -c: 29 bob, 3 alice, 5 sa1.
    expect(events.filter((e) => e.user.username === 'bob')).toHaveLength(29)
    expect(events.filter((e) => e.user.username === 'alice')).toHaveLength(3)
    expect(events.filter((e) => e.user.username === 'system:serviceaccount:ns1:sa1')).toHaveLength(5)
    expect(new Set(events.map((e) => e.impersonator?.username))).toEqual(new Set(['system:admin']))
    // Old v1beta1 `timestamp` gives the time.
    expect(events[0]?.time).toBe(Date.parse('2017-09-11T19:55:05Z'))
  })

  it('GKE: method and resource names become verb, resource, namespace, name; gRPC 7 becomes 403', async () => {
    const {events} = await read('panther-analysis/gke-logentry.jsonl')
    const get = events.find((e) => e.resource === 'secrets' && e.verb === 'get')
    expect(get).toMatchObject({namespace: 'production', name: 'tls-cert', code: 403, apiGroup: ''})
    const exec = events.find((e) => e.subresource === 'exec')
    expect(exec).toMatchObject({resource: 'pods', verb: 'create'})
    const rbac = events.find((e) => e.resource === 'clusterroles')
    expect(rbac?.apiGroup).toBe('rbac.authorization.k8s.io')
  })

  it('falco configmaps: data key names only, never the values', async () => {
    const {events} = await read('falco-trace-files/create_configmap_sensitive_values.json')
    const text = JSON.stringify(events)
    expect(events.some((e) => (e.body?.dataKeys ?? []).includes('access.properties'))).toBe(true)
    expect(text).not.toContain('MY-ID')
    expect(text).not.toContain('requestObject')
  })

  it('hkerma CSV: namespace comes from the request URI when its column is empty', async () => {
    const {events} = await read('hkerma-kubernetes-event-dataset/audit-logs.csv')
    const first = events.find((e) => e.name === 'kube-flannel-cfg')
    expect(first).toMatchObject({namespace: 'kube-flannel', resource: 'configmaps', verb: 'watch', code: 403})
    expect(events.filter((e) => e.user.username === 'system:anonymous')).toHaveLength(262)
  })
})
