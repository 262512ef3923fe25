import {describe, expect, it} from 'vitest'
import {compilePatterns, compileScope, compileSystemIdentities, globMatch, isDenied, isKubectl, matchesAny, networkOf, serviceAccountOf, userAgentProduct} from './match.js'
import {defaultSettings} from './settings.js'
import {ev} from '../../test/detect/helpers.js'

describe('match helpers', () => {
  it('globs', () => {
    expect(globMatch('system:node:*', 'system:node:n1')).toBe(true)
    expect(globMatch('system:node:*', 'system:nodes')).toBe(false)
    expect(globMatch('eks:*', 'eks:')).toBe(true)
    expect(globMatch('a*b*c', 'abc')).toBe(true)
    expect(globMatch('a*b*c', 'acb')).toBe(false)
    expect(globMatch('aksService', 'aksService2')).toBe(false)
  })
  it('networks: IPv4 /24, IPv6 /64, mapped IPv4, garbage', () => {
    expect(networkOf('10.1.2.3')).toBe('10.1.2.0/24')
    expect(networkOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64')
    expect(networkOf('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(networkOf('::1')).toBe('0:0:0:0::/64')
    expect(networkOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(networkOf('::ffff:192.0.2.9')).toBe('192.0.2.0/24')
    expect(networkOf('64:ff9b::192.0.2.9')).toBe('64:ff9b:0:0::/64')
    expect(networkOf('not-an-ip')).toBeUndefined()
  })
  it('service accounts, kubectl and user agent products', () => {
    expect(serviceAccountOf('system:serviceaccount:ns:sa')).toEqual({namespace: 'ns', name: 'sa'})
    expect(serviceAccountOf('system:serviceaccounts:default:default')).toBeUndefined()
    expect(isKubectl('kubectl/v1.30.0 (linux/amd64) kubernetes/abc')).toBe(true)
    expect(isKubectl('kubectl.exe/v1.30.0 (windows/amd64)')).toBe(true)
    expect(isKubectl('kube-controller-manager/v1.30.0')).toBe(false)
    expect(userAgentProduct('kubectl.exe/v1.30.0 (windows/amd64)')).toBe('kubectl')
    expect(userAgentProduct(undefined)).toBe('(none)')
  })
  it('scope: allowlists and system identities', () => {
    const s = defaultSettings()
    s.allowlist = {users: ['ci-*'], groups: ['break-glass'], userAgents: ['Argo'], sourceCIDRs: ['10.0.0.0/8', '2001:db8::/32'], namespaces: ['sandbox']}
    const scope = compileScope(s)
    expect(scope.allowlisted(ev({user: 'ci-bot'}))).toBe(true)
    expect(scope.allowlisted(ev({groups: ['break-glass']}))).toBe(true)
    expect(scope.allowlisted(ev({userAgent: 'argocd-application-controller/v2'}))).toBe(true)
    expect(scope.allowlisted(ev({sourceIPs: ['10.9.8.7']}))).toBe(true)
    expect(scope.allowlisted(ev({sourceIPs: ['2001:db8::5']}))).toBe(true)
    expect(scope.allowlisted(ev({namespace: 'sandbox'}))).toBe(true)
    expect(scope.allowlisted(ev({sourceIPs: ['11.0.0.1'], namespace: 'prod'}))).toBe(false)
    expect(scope.isSystem(ev({user: 'eks:addon-manager'}))).toBe(true)
    expect(scope.isSystem(ev({user: 'alice', groups: ['system:serviceaccounts:kube-system']}))).toBe(true)
    expect(scope.isSystem(ev({user: 'system:anonymous'}))).toBe(false)
    s.excludeSystemIdentities = false
    expect(compileScope(s).isSystem(ev({user: 'eks:addon-manager'}))).toBe(false)
    // `recent` labels by the list itself, whatever excludeSystemIdentities says about the rules.
    expect(compileSystemIdentities(s.systemIdentities)(ev({user: 'eks:addon-manager'}))).toBe(true)
    expect(compileSystemIdentities(s.systemIdentities)(ev({user: 'system:apiserver'}))).toBe(true)
    expect(compileSystemIdentities(s.systemIdentities)(ev({user: 'system:serviceaccount:default:app'}))).toBe(false)
  })
  it('denied: by authentication or authorization, not by admission', () => {
    expect(isDenied(ev({code: 403, decision: 'forbid'}))).toBe(true)
    expect(isDenied(ev({code: 401}))).toBe(true)
    // A decision-less 403 (older logs, some cloud exports) still counts.
    const {decision, ...noDecision} = ev({code: 403})
    expect(decision).toBe('forbid')
    expect(isDenied(noDecision)).toBe(true)
    // What the real kube-apiserver logs when PodSecurity or the ServiceAccount plugin refuses a pod.
    expect(isDenied(ev({code: 403, decision: 'allow'}))).toBe(false)
    expect(isDenied(ev({code: 200, decision: 'allow'}))).toBe(false)
  })
})

describe('compilePatterns', () => {
  it('matches like globMatch, with regex characters taken literally', () => {
    const patterns = ['system:node:*', 'eks:*', 'aksService', 'a.b*', 'x*y*z', '(weird)+*']
    const test = compilePatterns(patterns)
    const values = ['system:node:n1', 'system:nodes', 'eks:', 'aksService', 'aksService2', 'a.bc', 'axbc', 'xyz', 'x1y2z', 'xzy', '(weird)+1', 'weird']
    for (const v of values) expect(test(v), v).toBe(matchesAny(patterns, v))
    expect(compilePatterns([])('anything')).toBe(false)
  })
})
