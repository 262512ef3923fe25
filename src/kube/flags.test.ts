import {Parser} from '@oclif/core'
import {describe, expect, it} from 'vitest'
import {kubeFlags, kubeOptionsFromFlags, parseByteSize, parseRequestTimeout} from './flags.js'

describe('parseRequestTimeout', () => {
  it('holds a longer wait than a timer can take at the longest one (600h would otherwise fire after 1 ms)', () => {
    expect(parseRequestTimeout('600h')).toBe(2 ** 31 - 1)
    expect(parseRequestTimeout('99999999999')).toBe(2 ** 31 - 1)
    expect(parseRequestTimeout('596h')).toBe(596 * 3_600_000)
    // A real timer with that value waits: it has not fired after 50 ms.
    let fired = false
    const timer = setTimeout(() => (fired = true), parseRequestTimeout('600h'))
    return new Promise<void>((resolve) => setTimeout(() => {
      clearTimeout(timer)
      expect(fired).toBe(false)
      resolve()
    }, 50))
  })
  it('reads kubectl syntax: 0, plain seconds and Go durations', () => {
    expect(parseRequestTimeout('0')).toBe(0)
    expect(parseRequestTimeout('5')).toBe(5000)
    expect(parseRequestTimeout('30s')).toBe(30_000)
    expect(parseRequestTimeout('1m')).toBe(60_000)
    expect(parseRequestTimeout('1m30s')).toBe(90_000)
    expect(parseRequestTimeout('500ms')).toBe(500)
    expect(parseRequestTimeout('1.5s')).toBe(1500)
    expect(parseRequestTimeout('1h')).toBe(3_600_000)
  })

  it('rejects what kubectl rejects, with the accepted forms in the message', () => {
    for (const bad of ['', 'abc', '10x', '5 s', 's', '-1s']) expect(() => parseRequestTimeout(bad), bad).toThrow(/invalid --request-timeout/)
  })
})

describe('kubeFlags', () => {
  it('parses like kubectl: short flags, repeatable --as-group, durations', async () => {
    const {flags} = await Parser.parse(
      ['-n', 'prod', '-s', 'https://10.0.0.1:6443', '--as', 'alice', '--as-group', 'devs', '--as-group', 'ops', '--as-uid', 'u-1', '--request-timeout', '1m', '--insecure-skip-tls-verify', '--context', 'c', '--cluster', 'k', '--user', 'u', '--token', 't', '--certificate-authority', '/ca.crt', '--kubeconfig', '/k'],
      {flags: kubeFlags},
    )
    expect(kubeOptionsFromFlags(flags)).toEqual({
      kubeconfig: '/k',
      context: 'c',
      cluster: 'k',
      user: 'u',
      impersonate: {user: 'alice', groups: ['devs', 'ops'], uid: 'u-1'},
      requestTimeoutMs: 60_000,
      insecureSkipTlsVerify: true,
      server: 'https://10.0.0.1:6443',
      token: 't',
      certificateAuthority: '/ca.crt',
      namespace: 'prod',
    })
  })

  it('gives an empty options object when no flag is set', async () => {
    const {flags} = await Parser.parse([], {flags: kubeFlags})
    expect(kubeOptionsFromFlags(flags)).toEqual({})
  })

  it('fails parsing on a malformed --request-timeout', async () => {
    await expect(Parser.parse(['--request-timeout', 'soon'], {flags: kubeFlags})).rejects.toThrow(/invalid --request-timeout/)
  })
})

describe('parseByteSize (--max-response-size)', () => {
  it('reads Kubernetes quantities: binary and decimal suffixes, plain bytes', () => {
    expect(parseByteSize('256Mi')).toBe(256 * 1024 ** 2)
    expect(parseByteSize('64Ki')).toBe(64 * 1024)
    expect(parseByteSize('0.25Gi')).toBe(256 * 1024 ** 2)
    expect(parseByteSize('100M')).toBe(100_000_000)
    expect(parseByteSize('4096')).toBe(4096)
    expect(parseByteSize(' 16Mi ')).toBe(16 * 1024 ** 2)
  })
  it('refuses what is not a size, or a size it could not use, naming the flag', () => {
    for (const bad of ['', 'lots', '-1Mi', '16MB', '1Ti', '600Mi', '1', '0']) expect(() => parseByteSize(bad), bad).toThrow(/--max-response-size/)
  })
  it('reaches the kube options', async () => {
    const {flags} = await Parser.parse(['--max-response-size', '32Mi'], {flags: kubeFlags})
    expect(kubeOptionsFromFlags(flags).maxResponseBytes).toBe(32 * 1024 ** 2)
    expect(kubeOptionsFromFlags({}).maxResponseBytes).toBeUndefined()
  })
})
