// One test that fires and one near miss that must not, per rule, on hand-built events.
import type {AuditEvent, PodFacts} from '../../src/audit/event.js'
import {describe, expect, it} from 'vitest'
import {emptyBaseline} from '../../src/detect/baseline.js'
import {RULES} from '../../src/detect/catalog.js'
import {execCommand} from '../../src/detect/rules/lateral-movement.js'
import {defaultSettings} from '../../src/detect/settings.js'
import {ev, MIN, run, sa, T0, type EventOverrides} from './helpers.js'

const secretGet = (name: string, extra: EventOverrides = {}) =>
  ev({resource: 'secrets', namespace: 'prod', name, verb: 'get', ...extra})

describe('catalog', () => {
  it('has unique ids and complete documentation for every rule', () => {
    const ids = RULES.map((r) => r.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(RULES.length).toBe(21)
    for (const r of RULES) {
      expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/)
      expect(r.technique.id).toMatch(/^T\d{4}(\.\d{3})?$/)
      expect(r.description.length).toBeGreaterThan(60)
      expect(r.fields.length).toBeGreaterThan(0)
      expect(r.falsePositives.length).toBeGreaterThan(0)
      // A rule that reads a request body says so, and what it misses at Metadata level.
      expect(r.auditLevel.needs === 'Request').toBe(r.fields.some((f) => f.startsWith('requestObject')))
      if (r.auditLevel.needs === 'Request') expect(r.auditLevel.metadataLimits).toMatch(/^at Metadata level /)
    }
  })
})

describe('sensitive-access-summary', () => {
  it('summarises reads per identity with distinct objects', async () => {
    const f = await run('sensitive-access-summary', [secretGet('a'), secretGet('b'), secretGet('a'), ev({resource: 'configmaps', verb: 'update', namespace: 'x', name: 'c'})])
    expect(f.map((x) => [x.who, x.what, x.count, x.severity])).toEqual([
      ['alice', 'read secrets (2 objects)', 3, 'info'],
      ['alice', 'write configmaps (1 object)', 1, 'info'],
    ])
  })
  it('leaves out system identities and non-sensitive resources', async () => {
    const f = await run('sensitive-access-summary', [
      secretGet('a', {user: 'system:kube-controller-manager'}),
      secretGet('a', {user: 'eks:certificate-controller'}),
      ev({resource: 'pods', namespace: 'prod', name: 'p'}),
    ])
    expect(f).toEqual([])
  })
})

describe('suspicious-kubectl', () => {
  it('fires for kubectl by anonymous and by a service account', async () => {
    const f = await run('suspicious-kubectl', [ev({user: 'system:anonymous', groups: ['system:unauthenticated']}), ev({user: sa('prod', 'web')})])
    expect(f.map((x) => [x.who, x.severity])).toEqual([
      ['system:anonymous', 'high'],
      [sa('prod', 'web'), 'high'],
    ])
  })
  it('fires for kubectl from a network new for that identity, not from a known one', async () => {
    const learn = ev({time: T0, sourceIPs: ['198.51.100.7']})
    const same = ev({time: T0 + 3 * 86_400_000, sourceIPs: ['198.51.100.99']})
    const fresh = ev({time: T0 + 3 * 86_400_000, sourceIPs: ['192.0.2.5']})
    const f = await run('suspicious-kubectl', [learn, same, fresh], {baselineWindow: 86_400_000})
    expect(f.map((x) => x.what)).toEqual(['kubectl from new network 192.0.2.0/24'])
  })
  it('looks at who sent the request: an admin impersonating a service account holds no token of it', async () => {
    const admin = {username: 'admin@example.com', groups: ['sre', 'system:authenticated']}
    const f = await run('suspicious-kubectl', [
      ev({user: sa('prod', 'web'), impersonator: admin}),
      // A service account token that impersonates someone else is still a token used with kubectl.
      ev({user: 'bob', impersonator: {username: sa('prod', 'thief'), groups: ['system:serviceaccounts']}}),
    ])
    expect(f.map((x) => x.who)).toEqual([sa('prod', 'thief')])
  })
  it('judges a kubectl network by the sender, so impersonating does not make one new', async () => {
    const admin = {username: 'admin@example.com', groups: ['system:authenticated']}
    const learn = ev({user: 'admin@example.com', time: T0, sourceIPs: ['198.51.100.7']})
    const asBob = ev({user: 'bob', impersonator: admin, time: T0 + 3 * 86_400_000, sourceIPs: ['198.51.100.8']})
    const f = await run('suspicious-kubectl', [learn, asBob, ev({user: 'bob', time: T0 + 60_000, sourceIPs: ['203.0.113.1']})], {baselineWindow: 86_400_000})
    expect(f).toEqual([])
  })
  it('stays silent for a human with a non-kubectl client, and without a baseline', async () => {
    const f = await run('suspicious-kubectl', [ev({user: sa('prod', 'web'), userAgent: 'Go-http-client/2.0'}), ev({sourceIPs: ['192.0.2.5']})])
    expect(f).toEqual([])
  })
})

describe('serviceaccount-denied', () => {
  it('does not count a denial of an impersonated service account: the admin testing it holds no token', async () => {
    const admin = {username: 'admin@example.com', groups: ['system:authenticated']}
    expect(await run('serviceaccount-denied', [ev({user: sa('a', 'x'), impersonator: admin, code: 403})])).toEqual([])
  })
  it('does not count a 403 of admission (decision allow): the permission was there', async () => {
    expect(await run('serviceaccount-denied', [ev({user: sa('a', 'x'), verb: 'create', resource: 'pods', code: 403, decision: 'allow'})])).toEqual([])
  })
  it('reports a single denial as low and a burst as medium', async () => {
    const one = await run('serviceaccount-denied', [ev({user: sa('a', 'x'), code: 403, resource: 'secrets', namespace: 'b'})])
    expect(one.map((f) => f.severity)).toEqual(['low'])
    const burst = Array.from({length: 5}, (_, i) => ev({user: sa('a', 'x'), code: 403, time: T0 + i * MIN, resource: 'pods'}))
    const f = await run('serviceaccount-denied', burst)
    expect(f.map((x) => [x.severity, x.what])).toEqual([['medium', 'burst of 5 denied requests']])
  })
  it('is not a burst when spread beyond the window, and ignores humans and successes', async () => {
    const spread = Array.from({length: 5}, (_, i) => ev({user: sa('a', 'x'), code: 403, time: T0 + i * 11 * MIN}))
    const f = await run('serviceaccount-denied', [...spread, ev({code: 403}), ev({user: sa('a', 'y'), code: 200})])
    expect(f.map((x) => [x.who, x.severity])).toEqual([[sa('a', 'x'), 'low']])
  })
})

describe('unusual-sensitive-access', () => {
  const learning = [
    secretGet('db', {time: T0, userAgent: 'kubectl/v1.29.0', groups: ['devs'], sourceIPs: ['10.1.2.3']}),
    secretGet('db', {time: T0, user: 'bob', userAgent: 'kubectl/v1.29.0', groups: ['devs'], sourceIPs: ['10.1.2.3']}),
  ]
  const later = T0 + 2 * 86_400_000
  it('flags a new agent, group, network and a new identity after the learning period', async () => {
    const f = await run(
      'unusual-sensitive-access',
      [
        ...learning,
        secretGet('db', {time: later, userAgent: 'python-requests/2.31', groups: ['devs', 'ops'], sourceIPs: ['10.9.9.9']}),
        secretGet('db', {time: later, user: 'mallory', userAgent: 'kubectl/v1.29.0', groups: ['devs'], sourceIPs: ['10.1.2.3']}),
      ],
      {baselineWindow: 86_400_000},
    )
    expect(f.map((x) => `${x.who}: ${x.what}`).sort()).toEqual([
      'alice: new group ops',
      'alice: new source network 10.9.9.0/24',
      'alice: new user agent python-requests',
      'mallory: new identity on secrets',
    ])
  })
  it('accepts a known agent of another version, a known /24, and allowlisted agents', async () => {
    const settings = defaultSettings()
    settings.allowlist.userAgents = ['python-requests/']
    const f = await run(
      'unusual-sensitive-access',
      [
        ...learning,
        secretGet('db', {time: later, userAgent: 'kubectl/v1.31.0', groups: ['devs'], sourceIPs: ['10.1.2.200']}),
        secretGet('db', {time: later, userAgent: 'python-requests/2.31', groups: ['devs'], sourceIPs: ['10.1.2.3']}),
      ],
      {baselineWindow: 86_400_000, settings},
    )
    expect(f).toEqual([])
  })
  it('uses a prior baseline (state file) when there is no learning period', async () => {
    const prior = emptyBaseline()
    prior.sensitiveAgents.alice = {kubectl: T0 - 1}
    prior.sensitiveGroups.alice = {devs: T0 - 1}
    prior.sensitiveNetworks.alice = {'10.1.2.0/24': T0 - 1}
    const f = await run('unusual-sensitive-access', [secretGet('db', {groups: ['devs'], sourceIPs: ['10.1.2.3']}), secretGet('db', {groups: ['devs'], sourceIPs: ['172.16.0.1']})], {baseline: prior})
    expect(f.map((x) => x.what)).toEqual(['new source network 172.16.0.0/24'])
  })
  it('is silent on a cold start (no state, no learning period)', async () => {
    expect(await run('unusual-sensitive-access', [secretGet('db', {user: 'mallory'})])).toEqual([])
  })
})

describe('unauthenticated-scanning', () => {
  const denied = (n: number, ip: string) => Array.from({length: n}, (_, i) => ev({user: 'system:anonymous', groups: ['system:unauthenticated'], code: 401, sourceIPs: [ip], time: T0 + i}))
  it('fires above 5 denials from one address', async () => {
    const f = await run('unauthenticated-scanning', denied(6, '198.51.100.1'))
    expect(f.map((x) => [x.who, x.count])).toEqual([['system:anonymous', 6]])
  })
  it('does not fire at exactly 5 or when spread over addresses', async () => {
    expect(await run('unauthenticated-scanning', [...denied(5, '198.51.100.1'), ...denied(3, '198.51.100.2')])).toEqual([])
  })
})

describe('forbidden-create', () => {
  it('fires on a refused create', async () => {
    const f = await run('forbidden-create', [ev({verb: 'create', resource: 'pods', namespace: 'kube-system', code: 403})])
    expect(f.map((x) => x.what)).toEqual(['create pods in kube-system'])
  })
  it('ignores allowed creates and refused reads', async () => {
    expect(await run('forbidden-create', [ev({verb: 'create', resource: 'pods', code: 201}), ev({verb: 'get', resource: 'pods', code: 403})])).toEqual([])
  })
})

describe('rbac-object-access', () => {
  const rbac = {apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings'}
  it('reports writes as low and reads as info, and a new authorization path as medium', async () => {
    const reason = 'RBAC: allowed by ClusterRoleBinding "ops" of ClusterRole "admin" to User "alice"'
    const f = await run(
      'rbac-object-access',
      [
        ev({...rbac, verb: 'list', time: T0, reason}),
        ev({...rbac, verb: 'create', name: 'x', time: T0 + 2 * 86_400_000, reason: 'RBAC: allowed by ClusterRoleBinding "break-glass" of ClusterRole "cluster-admin" to User "alice"'}),
      ],
      {baselineWindow: 86_400_000},
    )
    expect(f.map((x) => [x.severity, x.what])).toEqual([
      ['medium', 'create clusterrolebindings via a new authorization path'],
      ['low', 'write clusterrolebindings'],
      ['info', 'read clusterrolebindings'],
    ])
  })
  it('reports RBAC reconnaissance: three kinds listed cluster-wide within 10 minutes, as medium', async () => {
    const list = (resource: string, minute: number, extra: EventOverrides = {}) => ev({apiGroup: 'rbac.authorization.k8s.io', resource, verb: 'list', time: T0 + minute * MIN, ...extra})
    const recon = await run('rbac-object-access', [list('clusterroles', 0), list('clusterrolebindings', 1), list('rolebindings', 2)])
    expect(recon.filter((f) => f.severity === 'medium').map((f) => [f.what, f.detail])).toEqual([['RBAC reconnaissance', 'listed clusterrolebindings, clusterroles, rolebindings across the cluster within 10 min']])
    // Near misses: spread over more than the window, in one namespace, refused, or only two kinds.
    const quiet = [
      [list('clusterroles', 0), list('clusterrolebindings', 11), list('rolebindings', 22)],
      [list('roles', 0, {namespace: 'web'}), list('rolebindings', 1, {namespace: 'web'}), list('clusterroles', 2)],
      [list('clusterroles', 0), list('clusterrolebindings', 1), list('rolebindings', 2, {code: 403})],
      [list('clusterroles', 0), list('clusterrolebindings', 1), list('clusterroles', 2)],
    ]
    for (const events of quiet) expect((await run('rbac-object-access', events)).filter((f) => f.severity === 'medium')).toEqual([])
    // kubectl auth can-i --list is one more kind; on its own it is no finding of this rule.
    const canI = ev({apiGroup: 'authorization.k8s.io', resource: 'selfsubjectrulesreviews', verb: 'create', code: 201, time: T0 + 2 * MIN})
    const withCanI = await run('rbac-object-access', [list('clusterroles', 0), list('clusterrolebindings', 1), canI])
    expect(withCanI.filter((f) => f.severity === 'medium').map((f) => f.detail)).toEqual(['listed clusterrolebindings, clusterroles, selfsubjectrulesreviews across the cluster within 10 min'])
    expect(await run('rbac-object-access', [canI])).toEqual([])
  })
  it('ignores system identities and non-RBAC groups', async () => {
    expect(await run('rbac-object-access', [ev({...rbac, user: 'system:kube-controller-manager'}), ev({resource: 'clusterrolebindings', apiGroup: 'example.com'})])).toEqual([])
  })
})

describe('secret-read-burst', () => {
  it('fires at 15 distinct secrets within 30 minutes and on a cluster-wide list', async () => {
    const reads = Array.from({length: 15}, (_, i) => secretGet(`s${i}`, {time: T0 + i * MIN}))
    const f = await run('secret-read-burst', [...reads, ev({resource: 'secrets', verb: 'list'})])
    expect(f.map((x) => x.what).sort()).toEqual(['list secrets in all namespaces', 'read 15 distinct secrets within 30 min'])
    expect(f.find((x) => x.what.startsWith('read'))?.count).toBe(15)
  })
  it('counts only reads inside a burst window and honours a configured threshold', async () => {
    const reads = Array.from({length: 15}, (_, i) => secretGet(`s${i}`, {time: T0 + i * MIN}))
    const late = secretGet('late', {time: T0 + 2 * 86_400_000})
    expect((await run('secret-read-burst', [...reads, late])).map((x) => x.count)).toEqual([15])
    const settings = defaultSettings()
    settings.rules['secret-read-burst']!.threshold = 3
    settings.rules['secret-read-burst']!.window = '5m'
    const f = await run('secret-read-burst', [secretGet('a'), secretGet('b', {time: T0 + MIN}), secretGet('c', {time: T0 + 2 * MIN})], {settings})
    expect(f.map((x) => x.what)).toEqual(['read 3 distinct secrets within 5 min'])
  })
  it('does not fire for 14 distinct, repeated reads of one secret, spread reads, or a namespaced list', async () => {
    const fourteen = Array.from({length: 14}, (_, i) => secretGet(`s${i}`, {time: T0 + i * MIN}))
    const repeated = Array.from({length: 30}, (_, i) => secretGet('same', {time: T0 + i * MIN, user: 'bob'}))
    const spread = Array.from({length: 15}, (_, i) => secretGet(`s${i}`, {time: T0 + i * 3 * MIN, user: 'carol'}))
    const f = await run('secret-read-burst', [...fourteen, ...repeated, ...spread, ev({resource: 'secrets', verb: 'list', namespace: 'prod'})])
    expect(f).toEqual([])
  })
})

describe('anonymous-allowed', () => {
  const anon = {user: 'system:anonymous', groups: ['system:unauthenticated']}
  it('fires for an allowed anonymous request, critical on secrets', async () => {
    const f = await run('anonymous-allowed', [ev({...anon, resource: 'secrets', verb: 'list', namespace: 'kube-system'}), ev({...anon, requestURI: '/metrics'})])
    expect(f.map((x) => [x.severity, x.what])).toEqual([
      ['critical', 'list secrets in kube-system'],
      ['high', 'get /metrics'],
    ])
  })
  it('ignores health/discovery paths and denied requests', async () => {
    const f = await run('anonymous-allowed', [
      ev({...anon, requestURI: '/healthz'}),
      ev({...anon, requestURI: '/readyz?verbose'}),
      ev({...anon, requestURI: '/.well-known/openid-configuration'}),
      ev({...anon, requestURI: '/openid/v1/jwks'}),
      ev({...anon, resource: 'secrets', code: 403}),
      ev({requestURI: '/metrics'}),
    ])
    expect(f).toEqual([])
  })
})

describe('lateral-movement', () => {
  it('is high in the platform\'s own namespaces (globs), medium elsewhere', async () => {
    const exec = (namespace: string) => ev({verb: 'create', resource: 'pods', subresource: 'exec', namespace, name: 'p', code: 101, requestURI: `/api/v1/namespaces/${namespace}/pods/p/exec?command=sh`})
    const f = await run('lateral-movement', ['kube-system', 'openshift-etcd', 'gke-managed-cim', 'calico-system', 'argocd', 'web', 'openshift'].map(exec))
    expect(Object.fromEntries(f.map((x) => [x.what.split(' ')[1]!.split('/')[0], x.severity]))).toEqual({
      'kube-system': 'high', 'openshift-etcd': 'high', 'gke-managed-cim': 'high', 'calico-system': 'high', argocd: 'high', web: 'medium', openshift: 'medium',
    })
  })
  it('decodes exec commands', () => {
    expect(execCommand('/api/v1/namespaces/a/pods/b/exec?command=cat&command=%2Fvar%2Frun%2Fsecrets%2Fkubernetes.io%2Fserviceaccount%2Ftoken&stdout=true')).toEqual([
      'cat',
      '/var/run/secrets/kubernetes.io/serviceaccount/token',
    ])
  })
  it('rates token theft critical, kube-system and tar high, a plain shell medium', async () => {
    const exec = (ns: string, cmd: string, verb = 'create') =>
      ev({verb, resource: 'pods', subresource: 'exec', namespace: ns, name: 'p', code: 101, requestURI: `/api/v1/namespaces/${ns}/pods/p/exec?${cmd.split(' ').map((c) => `command=${encodeURIComponent(c)}`).join('&')}`})
    const f = await run('lateral-movement', [
      exec('prod', 'cat /var/run/secrets/kubernetes.io/serviceaccount/token'),
      exec('kube-system', 'sh', 'get'),
      exec('prod', 'tar cf - /data'),
      exec('prod', 'curl http://169.254.169.254/latest/meta-data/'),
      exec('prod', 'bash'),
      ev({verb: 'create', resource: 'pods', subresource: 'portforward', namespace: 'prod', name: 'db'}),
      ev({verb: 'patch', resource: 'pods', subresource: 'ephemeralcontainers', namespace: 'prod', name: 'db'}),
      ev({verb: 'get', resource: 'nodes', subresource: 'proxy', name: 'node-1'}),
    ])
    const bySeverity = (s: string) => f.filter((x) => x.severity === s).map((x) => x.what).sort()
    expect(bySeverity('critical')).toEqual(['exec prod/p: cat /var/run/secrets/kubernetes.io/serviceaccount/token', 'exec prod/p: curl http://169.254.169.254/latest/meta-data/'])
    expect(bySeverity('high')).toEqual(['exec kube-system/p: sh', 'exec prod/p: tar cf - /data'])
    expect(bySeverity('medium')).toEqual(['ephemeralcontainers prod/db', 'exec prod/p: bash', 'nodes/proxy node-1', 'portforward prod/db'])
  })
  it('reports a refused exec at low severity, without escalation', async () => {
    const f = await run('lateral-movement', [ev({verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'kube-system', name: 'p', code: 403, requestURI: '/api/v1/namespaces/kube-system/pods/p/exec?command=cat&command=/var/run/secrets/kubernetes.io/serviceaccount/token'})])
    expect(f.map((x) => x.severity)).toEqual(['low'])
  })
  it('ignores plain pod reads, logs and system identities', async () => {
    const f = await run('lateral-movement', [
      ev({verb: 'get', resource: 'pods', namespace: 'prod', name: 'p'}),
      ev({verb: 'get', resource: 'pods', subresource: 'log', namespace: 'prod', name: 'p'}),
      ev({verb: 'create', resource: 'pods', subresource: 'exec', namespace: 'prod', name: 'p', user: 'aksService'}),
    ])
    expect(f).toEqual([])
  })
})

describe('serviceaccount-token-minted', () => {
  it('fires when a person mints a token', async () => {
    const f = await run('serviceaccount-token-minted', [ev({verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: 'kube-system', name: 'admin'})])
    expect(f.map((x) => [x.severity, x.what])).toEqual([['high', 'token for service account kube-system/admin']])
  })
  it('ignores kubelets minting tokens, refused requests and reads of service accounts', async () => {
    const f = await run('serviceaccount-token-minted', [
      ev({verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: 'prod', name: 'web', code: 403}),
      ev({verb: 'create', resource: 'serviceaccounts', subresource: 'token', namespace: 'prod', name: 'web', user: 'system:node:n1', groups: ['system:nodes']}),
      ev({verb: 'get', resource: 'serviceaccounts', namespace: 'prod', name: 'web'}),
    ])
    expect(f).toEqual([])
  })
})

describe('privileged-impersonation', () => {
  it('rates impersonation of system:masters high and names the sender', async () => {
    const f = await run('privileged-impersonation', [ev({user: {username: 'admin-test', groups: ['system:masters']}, impersonator: {username: 'alice', groups: []}})])
    expect(f.map((x) => [x.severity, x.who, x.what])).toEqual([['high', 'admin-test', 'impersonated by alice']])
  })
  it('rates ordinary impersonation low and ignores requests without impersonation', async () => {
    const f = await run('privileged-impersonation', [ev({user: 'bob', impersonator: {username: 'alice', groups: []}}), ev({user: 'system:admin', groups: ['system:masters']})])
    expect(f.map((x) => [x.severity, x.who])).toEqual([['low', 'bob']])
  })
})

describe('rbac-grants-secret-access', () => {
  const rbac = (resource: string, body: object, extra: EventOverrides = {}) => ev({apiGroup: 'rbac.authorization.k8s.io', resource, verb: 'create', name: 'x', body, ...extra})
  it('fires on cluster-admin bindings and dangerous roles', async () => {
    const f = await run('rbac-grants-secret-access', [
      rbac('clusterrolebindings', {roleRef: {kind: 'ClusterRole', name: 'cluster-admin'}, subjects: [{kind: 'User', name: 'eve'}]}),
      rbac('clusterroles', {rules: [{verbs: ['get', 'list'], apiGroups: [''], resources: ['secrets']}]}),
      rbac('rolebindings', {roleRef: {kind: 'ClusterRole', name: 'admin'}, subjects: [{kind: 'User', name: 'eve'}]}, {namespace: 'prod', name: 'y', time: T0 + 1}),
      rbac('roles', {rules: [{verbs: ['create'], apiGroups: [''], resources: ['pods/exec']}]}, {namespace: 'prod'}),
    ])
    expect(f.map((x) => [x.severity, x.what, x.detail])).toEqual([
      ['critical', 'create clusterrolebindings x', 'binds ClusterRole cluster-admin'],
      ['high', 'create clusterroles x', 'reads secrets'],
      ['high', 'create roles prod/x', 'pods/exec'],
      ['high', 'create rolebindings prod/y', 'binds ClusterRole admin, which reads secrets'],
    ])
  })
  it('ignores harmless roles, view bindings, Metadata-level events and system identities', async () => {
    const f = await run('rbac-grants-secret-access', [
      rbac('clusterroles', {rules: [{verbs: ['get'], apiGroups: [''], resources: ['pods']}]}),
      rbac('rolebindings', {roleRef: {kind: 'ClusterRole', name: 'view'}, subjects: [{kind: 'User', name: 'eve'}]}),
      ev({apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', verb: 'create', name: 'x'}),
      rbac('clusterroles', {rules: [{verbs: ['*'], resources: ['*']}]}, {user: 'system:kube-controller-manager'}),
      rbac('clusterrolebindings', {roleRef: {kind: 'ClusterRole', name: 'cluster-admin'}}, {code: 403, decision: 'forbid'}),
    ])
    expect(f).toEqual([])
  })
})

describe('identity-configmap-change', () => {
  it('fires on a write to aws-auth', async () => {
    const f = await run('identity-configmap-change', [ev({verb: 'patch', resource: 'configmaps', namespace: 'kube-system', name: 'aws-auth'})])
    expect(f.map((x) => x.what)).toEqual(['patch configmaps kube-system/aws-auth'])
  })
  it('ignores reads of aws-auth and writes of other configmaps', async () => {
    const f = await run('identity-configmap-change', [ev({verb: 'get', resource: 'configmaps', namespace: 'kube-system', name: 'aws-auth'}), ev({verb: 'patch', resource: 'configmaps', namespace: 'prod', name: 'aws-auth'})])
    expect(f).toEqual([])
  })
})

describe('configmap-credential-keys', () => {
  it('names credential-like keys, never values', async () => {
    const f = await run('configmap-credential-keys', [ev({verb: 'create', resource: 'configmaps', namespace: 'prod', name: 'app', body: {dataKeys: ['aws_access_key_id', 'db_password', 'color']}})])
    expect(f.map((x) => x.detail)).toEqual(['credential-like keys: aws_access_key_id, db_password'])
  })
  it('ignores ordinary keys and configmaps without body facts', async () => {
    const f = await run('configmap-credential-keys', [ev({verb: 'create', resource: 'configmaps', namespace: 'prod', name: 'app', body: {dataKeys: ['color', 'size']}}), ev({verb: 'create', resource: 'configmaps', name: 'b'})])
    expect(f).toEqual([])
  })
})

describe('serviceaccount-cross-namespace-secret', () => {
  it('fires when a service account reads another namespace, allowed or denied', async () => {
    const f = await run('serviceaccount-cross-namespace-secret', [secretGet('db', {user: sa('web', 'app'), namespace: 'payments'}), secretGet('x', {user: sa('web', 'app'), namespace: 'kube-system', code: 403})])
    expect(f.map((x) => [x.severity, x.what])).toEqual([
      ['medium', 'get secrets in namespace kube-system (denied)'],
      ['medium', 'get secrets in namespace payments'],
    ])
  })
  it('ignores its own namespace, humans, and cluster-wide lists (secret-read-burst reports those)', async () => {
    expect(await run('serviceaccount-cross-namespace-secret', [secretGet('db', {user: sa('prod', 'app')}), secretGet('db'), ev({user: sa('web', 'app'), resource: 'secrets', verb: 'list'})])).toEqual([])
  })
})

describe('node-secret-denied', () => {
  it('fires on a refused node secret read', async () => {
    const f = await run('node-secret-denied', [secretGet('db', {user: 'system:node:n1', groups: ['system:nodes'], code: 403, decision: 'forbid'})])
    expect(f.map((x) => x.who)).toEqual(['system:node:n1'])
  })
  it('ignores a request impersonating a node: not the kubelet credential', async () => {
    const admin = {username: 'admin@example.com', groups: ['system:authenticated']}
    expect(await run('node-secret-denied', [secretGet('db', {user: 'system:node:n1', groups: ['system:nodes'], impersonator: admin, code: 403})])).toEqual([])
  })
  it('ignores allowed node reads and other denials', async () => {
    expect(await run('node-secret-denied', [secretGet('db', {user: 'system:node:n1', groups: ['system:nodes']}), secretGet('db', {code: 403})])).toEqual([])
  })
})

describe('permission-probing', () => {
  const review = (extra: EventOverrides) => ev({apiGroup: 'authorization.k8s.io', resource: 'selfsubjectrulesreviews', verb: 'create', ...extra})
  it('fires for a service account and for an unusual client', async () => {
    const f = await run('permission-probing', [review({user: sa('prod', 'web')}), review({userAgent: 'python-requests/2.31'})])
    expect(f.map((x) => x.who)).toEqual(['alice', sa('prod', 'web')].sort())
  })
  it('ignores a person running kubectl auth can-i', async () => {
    expect(await run('permission-probing', [review({})])).toEqual([])
  })
})

describe('known-scanner-agent', () => {
  it('fires on a scanner User-Agent', async () => {
    const f = await run('known-scanner-agent', [ev({userAgent: 'kube-hunter/0.6.8'})])
    expect(f.map((x) => x.what)).toEqual(['requests by kube-hunter'])
  })
  it('names the sender when the scanner impersonates', async () => {
    const f = await run('known-scanner-agent', [ev({user: 'system:admin', impersonator: {username: 'mallory', groups: []}, userAgent: 'kube-hunter/0.6.8'})])
    expect(f.map((x) => x.who)).toEqual(['mallory'])
  })
  it('ignores ordinary clients', async () => {
    expect(await run('known-scanner-agent', [ev({}), ev({userAgent: 'Mozilla/5.0'})])).toEqual([])
  })
})

describe('privileged-workload', () => {
  const workload = (pod: PodFacts, extra: EventOverrides = {}) => ev({verb: 'create', resource: 'pods', namespace: 'web', name: 'x', code: 201, body: {pod}, ...extra})
  const fired = async (events: AuditEvent[]) => (await run('privileged-workload', events)).map((f) => [f.severity, f.detail])
  it('rates what escapes the container: high, critical for the node\'s root or runtime socket or privileged+hostPID', async () => {
    expect(await fired([workload({hostNetwork: true})])).toEqual([['high', 'hostNetwork']])
    expect(await fired([workload({hostPaths: ['/var/run/docker.sock']})])).toEqual([['critical', 'hostPath /var/run/docker.sock (node credentials or the container runtime)']])
    expect(await fired([workload({hostPaths: ['/var/lib/kubelet/pki/']})])).toEqual([['critical', 'hostPath /var/lib/kubelet/pki/ (node credentials or the container runtime)']])
    expect(await fired([workload({privileged: ['a'], hostPID: true})])).toEqual([['critical', 'privileged container a; hostPID']])
    expect(await fired([workload({capabilities: ['SYS_ADMIN', 'CHOWN']})])).toEqual([['high', 'capabilities SYS_ADMIN']])
    expect(await fired([workload({serviceAccountName: 'web', secretVolumes: ['builder-token-x7k2p']})])).toEqual([['high', 'mounts the token Secret of service account builder']])
    expect(await fired([workload({privileged: ['a']}, {resource: 'daemonsets', verb: 'patch', code: 200})])).toEqual([['high', 'privileged container a']])
  })
  it('a refused attempt (RBAC or PodSecurity) is medium: nothing ran', async () => {
    expect(await fired([workload({privileged: ['a']}, {code: 403, decision: 'allow'})])).toEqual([['medium', 'privileged container a; refused (403)']])
  })
  it('near misses: harmless capabilities and paths, its own token, a status write, reads, the controllers\' own pods', async () => {
    expect(await fired([
      workload({capabilities: ['CHOWN']}),
      workload({hostPaths: ['/data/cache']}, {user: 'system:serviceaccount:kube-system:replicaset-controller'}),
      workload({serviceAccountName: 'builder', secretVolumes: ['builder-token-x7k2p', 'tls']}),
      workload({privileged: ['a']}, {subresource: 'status', verb: 'update'}),
      workload({privileged: ['a']}, {verb: 'get'}),
      workload({privileged: ['a']}, {user: 'system:serviceaccount:kube-system:daemon-set-controller'}),
    ])).toEqual([])
    // A harmless hostPath is still host access: reported, not critical.
    expect(await fired([workload({hostPaths: ['/data/cache']})])).toEqual([['medium', 'hostPath /data/cache']])
  })
})

describe('logging-tampering', () => {
  const write = (verb: string, resource: string, name: string | undefined, extra: EventOverrides = {}) => ev({verb, resource, ...(name ? {name} : {}), namespace: 'logging', code: 200, ...extra})
  const fired = async (events: AuditEvent[]) => (await run('logging-tampering', events)).map((f) => [f.severity, f.what])
  it('a delete or a scale-down of what makes or ships logs is high, another change medium, a refusal low', async () => {
    expect(await fired([write('delete', 'daemonsets', 'fluent-bit')])).toEqual([['high', 'delete daemonsets logging/fluent-bit']])
    expect(await fired([write('delete', 'configmaps', 'aws-logging', {namespace: 'aws-observability'})])).toEqual([['high', 'delete configmaps aws-observability/aws-logging']])
    expect(await fired([write('deletecollection', 'configmaps', undefined, {namespace: 'falco'})])).toEqual([['high', 'deletecollection configmaps falco/*']])
    expect(await fired([write('patch', 'deployments', 'vector-aggregator', {subresource: 'scale'})])).toEqual([['high', 'patch deployments/scale logging/vector-aggregator']])
    expect(await fired([write('update', 'apiservers', 'cluster', {namespace: undefined, apiGroup: 'config.openshift.io'})])).toEqual([['medium', 'update apiservers cluster']])
    expect(await fired([write('patch', 'configmaps', 'kube-apiserver-audit-policy', {namespace: 'kube-system'})])).toEqual([['medium', 'patch configmaps kube-system/kube-apiserver-audit-policy']])
    expect(await fired([write('delete', 'daemonsets', 'fluent-bit', {code: 403})])).toEqual([['low', 'delete daemonsets logging/fluent-bit']])
  })
  it('near misses: reads, other objects, status writes, the controllers\' own work', async () => {
    expect(await fired([
      write('get', 'configmaps', 'fluent-bit'),
      write('list', 'daemonsets', undefined),
      write('delete', 'configmaps', 'web-config'),
      write('delete', 'secrets', 'fluent-bit-token'),
      write('update', 'daemonsets', 'fluent-bit', {subresource: 'status'}),
      write('delete', 'daemonsets', 'fluent-bit', {user: 'system:serviceaccount:kube-system:generic-garbage-collector'}),
    ])).toEqual([])
  })
})
