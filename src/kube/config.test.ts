// Startup: loading a kubeconfig must not import @kubernetes/client-node (about a second) unless
// the chosen user has an auth-provider. The module is replaced by a factory that counts and
// throws, so any import of it, static or lazy, anywhere under loadKubeConfig, is seen here.
import {chmod, mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it, vi} from 'vitest'
import {loadKubeConfig} from './config.js'
import {KubeCredentialError} from './errors.js'

const clientNode = vi.hoisted(() => ({imports: 0}))
vi.mock('@kubernetes/client-node', () => {
  clientNode.imports += 1
  throw new Error('@kubernetes/client-node was imported')
})

let dir: string
let kubeconfig: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kubeconfig-lazy-'))
  const b64 = (text: string): string => Buffer.from(text).toString('base64')
  const plugin = path.join(dir, 'plugin.sh')
  await writeFile(plugin, '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"exec-token"}}\'\n')
  await chmod(plugin, 0o755)
  await writeFile(path.join(dir, 'token'), 'file-token\n')
  kubeconfig = path.join(dir, 'config')
  await writeFile(
    kubeconfig,
    `apiVersion: v1
kind: Config
current-context: token
clusters: [{name: k, cluster: {server: "https://k.example:6443", certificate-authority-data: ${b64('CA')}}}]
users:
- {name: token, user: {token: static-token}}
- {name: exec, user: {exec: {command: ./plugin.sh, apiVersion: client.authentication.k8s.io/v1beta1}}}
- {name: cert, user: {client-certificate-data: ${b64('CERT')}, client-key-data: ${b64('KEY')}}}
- {name: tokenfile, user: {tokenFile: token}}
- {name: basic, user: {username: a, password: b}}
- {name: oidc, user: {auth-provider: {name: oidc, config: {id-token: x}}}}
contexts:
- {name: token, context: {cluster: k, user: token}}
- {name: oidc, context: {cluster: k, user: oidc}}
`,
  )
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

describe('loadKubeConfig without client-node', () => {
  it.each([
    ['token', 'token', 'Bearer static-token'],
    ['exec', 'exec', 'Bearer exec-token'],
    ['cert', 'client-certificate', undefined],
    ['tokenfile', 'token-file', 'Bearer file-token'],
    ['basic', 'basic', `Basic ${Buffer.from('a:b').toString('base64')}`],
  ])('user %s: resolves and signs without importing it', async (user, kind, authorization) => {
    const config = await loadKubeConfig({kubeconfig, user})
    expect(config.credentials.kind).toBe(kind)
    expect(config.tls.ca?.toString()).toBe('CA')
    const credentials = await config.credentials.get()
    expect(credentials.authorization).toBe(authorization)
    if (user === 'cert') expect([credentials.cert?.toString(), credentials.key?.toString()]).toEqual(['CERT', 'KEY'])
    expect(clientNode.imports).toBe(0)
  })

  it('imports it for an auth-provider user, and only when a request needs credentials', async () => {
    const config = await loadKubeConfig({kubeconfig, context: 'oidc'})
    expect(config.credentials.kind).toBe('auth-provider')
    // Resolving alone (e.g. printing the context) still does not load it.
    expect(clientNode.imports).toBe(0)
    // The control: the mock really stands in the way of the import.
    const error = await config.credentials.get().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeCredentialError)
    expect((error as KubeCredentialError).userMessage).toMatch(/^auth-provider "oidc" for user "oidc": /)
    expect(clientNode.imports).toBeGreaterThan(0)
  })
})
