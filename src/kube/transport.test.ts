import {describe, expect, it} from 'vitest'
import {noProxyMatches, proxyFromEnvironment} from './transport.js'

describe('proxyFromEnvironment (client-go ProxyFromEnvironment)', () => {
  const server = new URL('https://kube.example.com:6443')
  it('takes HTTPS_PROXY for an https server, HTTP_PROXY for an http one, upper case first', () => {
    expect(proxyFromEnvironment(server, {HTTPS_PROXY: 'http://proxy:3128', https_proxy: 'http://other:1'})?.host).toBe('proxy:3128')
    expect(proxyFromEnvironment(server, {https_proxy: 'http://lower:3128'})?.host).toBe('lower:3128')
    expect(proxyFromEnvironment(server, {HTTP_PROXY: 'http://proxy:3128'})).toBeUndefined()
    expect(proxyFromEnvironment(new URL('http://kube.example.com:8080'), {HTTP_PROXY: 'http://proxy:3128'})?.host).toBe('proxy:3128')
  })
  it('reads a value without a scheme as http://, keeps socks5://, ignores other schemes', () => {
    expect(proxyFromEnvironment(server, {HTTPS_PROXY: 'proxy:3128'})?.href).toBe('http://proxy:3128/')
    expect(proxyFromEnvironment(server, {HTTPS_PROXY: 'socks5://u:p@proxy:1080'})?.protocol).toBe('socks5:')
    expect(proxyFromEnvironment(server, {HTTPS_PROXY: 'ftp://proxy'})).toBeUndefined()
  })
  it('never proxies localhost or a loopback address', () => {
    for (const host of ['https://localhost:6443', 'https://127.0.0.1:6443', 'https://127.3.4.5', 'https://[::1]:6443']) {
      expect(proxyFromEnvironment(new URL(host), {HTTPS_PROXY: 'http://proxy:3128'}), host).toBeUndefined()
    }
  })
  it('goes direct when NO_PROXY (or no_proxy) matches', () => {
    expect(proxyFromEnvironment(server, {HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'example.com'})).toBeUndefined()
    expect(proxyFromEnvironment(server, {HTTPS_PROXY: 'http://proxy:3128', no_proxy: '.example.com'})).toBeUndefined()
    expect(proxyFromEnvironment(server, {HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: 'other.com'})?.host).toBe('proxy:3128')
  })
})

describe('noProxyMatches (golang.org/x/net/http/httpproxy)', () => {
  it('matches names, subdomains, leading dots and *.', () => {
    expect(noProxyMatches('example.com', 'example.com', '443')).toBe(true)
    expect(noProxyMatches('example.com', 'a.example.com', '443')).toBe(true)
    expect(noProxyMatches('.example.com', 'a.example.com', '443')).toBe(true)
    expect(noProxyMatches('.example.com', 'example.com', '443')).toBe(false)
    expect(noProxyMatches('*.example.com', 'a.b.example.com', '443')).toBe(true)
    expect(noProxyMatches('ample.com', 'example.com', '443')).toBe(false)
    expect(noProxyMatches(' Other.org , EXAMPLE.com ', 'example.com', '443')).toBe(true)
    expect(noProxyMatches('*', 'anything', '1')).toBe(true)
    expect(noProxyMatches('', 'example.com', '443')).toBe(false)
  })
  it('matches ports only when given', () => {
    expect(noProxyMatches('example.com:6443', 'example.com', '6443')).toBe(true)
    expect(noProxyMatches('example.com:6443', 'example.com', '443')).toBe(false)
  })
  it('matches IP addresses and CIDR ranges', () => {
    expect(noProxyMatches('10.0.0.1', '10.0.0.1', '443')).toBe(true)
    expect(noProxyMatches('10.0.0.0/8', '10.20.30.40', '443')).toBe(true)
    expect(noProxyMatches('10.0.0.0/8', '11.0.0.1', '443')).toBe(false)
    expect(noProxyMatches('fd00::/8', 'fd12::1', '443')).toBe(true)
    expect(noProxyMatches('10.0.0.0/8', 'ten.example', '443')).toBe(false)
  })
})
