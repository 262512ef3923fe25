// kubeconfig resolution with kubectl's rules, on files written per test.
import {mkdtemp, mkdir, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {kubeconfigFiles, loadKubeConfig} from '../../src/kube/config.js'
import {KubeConfigError, KUBE_EXIT_CODES} from '../../src/kube/errors.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kubeconfig-test-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name)
  await mkdir(path.dirname(file), {recursive: true})
  await writeFile(file, text)
  return file
}

const FIRST = `apiVersion: v1
kind: Config
current-context: shared
clusters:
- name: shared-cluster
  cluster: {server: "https://first.example:6443", certificate-authority-data: ${Buffer.from('FIRST CA').toString('base64')}}
- name: only-first
  cluster: {server: "https://only-first.example"}
users:
- name: shared-user
  user: {token: first-token}
contexts:
- name: shared
  context: {cluster: shared-cluster, user: shared-user, namespace: team-a}
`

const SECOND = `apiVersion: v1
kind: Config
current-context: from-second
clusters:
- name: shared-cluster
  cluster: {server: "https://second.example:6443"}
- name: second-cluster
  cluster: {server: "https://second-only.example", insecure-skip-tls-verify: true}
users:
- name: shared-user
  user: {token: second-token}
- name: second-user
  user: {token: token-two}
contexts:
- name: shared
  context: {cluster: second-cluster, user: second-user}
- name: from-second
  context: {cluster: second-cluster, user: second-user, namespace: team-b}
`

async function authorization(config: Awaited<ReturnType<typeof loadKubeConfig>>): Promise<string | undefined> {
  return (await config.credentials.get()).authorization
}

describe('KUBECONFIG with several files', () => {
  it('merges with the first file winning on names and on current-context', async () => {
    const first = await write('first.yaml', FIRST)
    const second = await write('second.yaml', SECOND)
    const missing = path.join(dir, 'absent.yaml')
    const env = {KUBECONFIG: [missing, first, second].join(path.delimiter), HOME: dir}
    const config = await loadKubeConfig({}, env)
    expect(config.files).toEqual([first, second])
    expect(config.contextName).toBe('shared')
    expect(config.server).toBe('https://first.example:6443')
    expect(config.tls.ca?.toString()).toBe('FIRST CA')
    expect(await authorization(config)).toBe('Bearer first-token')
    expect(config.namespace).toBe('team-a')
    expect(config.namespaceFromFlag).toBe(false)

    // Names only the second file defines are reachable.
    const other = await loadKubeConfig({context: 'from-second'}, env)
    expect(other.server).toBe('https://second-only.example')
    expect(other.tls.insecureSkipTlsVerify).toBe(true)
    expect(await authorization(other)).toBe('Bearer token-two')
    expect(other.namespace).toBe('team-b')
  })

  it('takes current-context from a later file when the first does not set one', async () => {
    const first = await write('first.yaml', FIRST.replace('current-context: shared\n', ''))
    const second = await write('second.yaml', SECOND)
    const config = await loadKubeConfig({}, {KUBECONFIG: [first, second].join(path.delimiter)})
    expect(config.contextName).toBe('from-second')
  })

  it('lets --kubeconfig replace KUBECONFIG, and fails clearly when it is missing', async () => {
    const second = await write('second.yaml', SECOND)
    const first = await write('first.yaml', FIRST)
    const config = await loadKubeConfig({kubeconfig: second}, {KUBECONFIG: first})
    expect(config.contextName).toBe('from-second')
    const error = await loadKubeConfig({kubeconfig: path.join(dir, 'nope')}, {}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeConfigError)
    expect((error as KubeConfigError).userMessage).toBe(`kubeconfig ${path.join(dir, 'nope')} does not exist`)
    expect((error as KubeConfigError).exitCode).toBe(KUBE_EXIT_CODES.config)
  })

  it('falls back to ~/.kube/config', async () => {
    await write('.kube/config', SECOND)
    expect(kubeconfigFiles({}, {HOME: dir}).files).toEqual([path.join(dir, '.kube', 'config')])
    const config = await loadKubeConfig({}, {HOME: dir})
    expect(config.contextName).toBe('from-second')
  })
})

describe('overrides', () => {
  it('applies --context, --cluster, --user and -n in kubectl order', async () => {
    const first = await write('first.yaml', FIRST)
    const config = await loadKubeConfig({kubeconfig: first, cluster: 'only-first', namespace: 'ops'})
    expect(config.server).toBe('https://only-first.example')
    expect(config.tls.ca).toBeUndefined()
    expect(config.namespace).toBe('ops')
    expect(config.namespaceFromFlag).toBe(true)
    await expect(loadKubeConfig({kubeconfig: first, context: 'nope'})).rejects.toThrow('context "nope" does not exist')
    await expect(loadKubeConfig({kubeconfig: first, user: 'nope'})).rejects.toThrow('user "nope" does not exist')
  })

  it('applies --server, --token, --certificate-authority and --insecure-skip-tls-verify', async () => {
    const first = await write('first.yaml', FIRST)
    const ca = await write('ca.crt', 'FLAG CA')
    const config = await loadKubeConfig({kubeconfig: first, server: 'override.example:443', token: 'flag-token', certificateAuthority: ca})
    expect(config.server).toBe('https://override.example')
    expect(await authorization(config)).toBe('Bearer flag-token')
    expect(config.tls.ca?.toString()).toBe('FLAG CA')
    const insecure = await loadKubeConfig({kubeconfig: first, insecureSkipTlsVerify: true})
    expect(insecure.tls.insecureSkipTlsVerify).toBe(true)
    expect(insecure.tls.ca).toBeUndefined()
  })

  it('says what is missing when there is no kubeconfig at all', async () => {
    const error = await loadKubeConfig({}, {HOME: dir}).catch((e: unknown) => e)
    expect((error as KubeConfigError).userMessage).toBe(`no kubeconfig found (looked at ${path.join(dir, '.kube', 'config')}): pass --kubeconfig, --context or --server`)
  })

  it('reports a malformed file without a stack trace', async () => {
    const bad = await write('bad.yaml', 'clusters: [\n  - name: x\n  cluster: {')
    const error = await loadKubeConfig({kubeconfig: bad}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeConfigError)
    expect((error as KubeConfigError).userMessage).toMatch(new RegExp(`^invalid kubeconfig ${bad.replace(/[.]/g, '\\.')}: `))
    expect((error as KubeConfigError).userMessage).not.toContain('\n')
  })
})

describe('in a pod without kubeconfig', () => {
  it('uses the service account token, CA and namespace, as client-go\'s in-cluster config', async () => {
    const sa = path.join(dir, 'sa')
    await write('sa/token', 'pod-token\n')
    await write('sa/ca.crt', 'POD CA')
    await write('sa/namespace', 'monitoring')
    const env = {HOME: path.join(dir, 'home'), KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443'}
    const config = await loadKubeConfig({}, env, {serviceAccountDir: sa})
    expect(config.server).toBe('https://10.96.0.1')
    expect(config.namespace).toBe('monitoring')
    expect(config.tls.ca?.toString()).toBe('POD CA')
    expect(config.credentials.kind).toBe('token-file')
    expect(await authorization(config)).toBe('Bearer pod-token')
    expect(config.files).toEqual([])
    // A kubeconfig, when there is one, wins.
    await write('home/.kube/config', SECOND)
    expect((await loadKubeConfig({}, env, {serviceAccountDir: sa})).contextName).toBe('from-second')
  })
})

describe('user credentials', () => {
  it('resolves certificate and tokenFile paths against the kubeconfig folder', async () => {
    await write('sub/client.crt', 'CERT')
    await write('sub/client.key', 'KEY')
    await write('sub/token', 'file-token\n')
    const file = await write('sub/config', `apiVersion: v1
kind: Config
current-context: c
clusters: [{name: k, cluster: {server: "https://k.example"}}]
users:
- name: certs
  user: {client-certificate: client.crt, client-key: client.key}
- name: tokenfile
  user: {tokenFile: token}
contexts: [{name: c, context: {cluster: k, user: certs}}]
`)
    const certs = await loadKubeConfig({kubeconfig: file})
    expect(certs.credentials.kind).toBe('client-certificate')
    const credentials = await certs.credentials.get()
    expect(credentials.cert?.toString()).toBe('CERT')
    expect(credentials.key?.toString()).toBe('KEY')
    const tokenFile = await loadKubeConfig({kubeconfig: file, user: 'tokenfile'})
    expect(tokenFile.credentials.kind).toBe('token-file')
    expect(await authorization(tokenFile)).toBe('Bearer file-token')
  })

  it('reads impersonation from the kubeconfig user, and lets the flags replace it', async () => {
    const file = await write('imp.yaml', `apiVersion: v1
kind: Config
current-context: c
clusters: [{name: k, cluster: {server: "https://k.example"}}]
users: [{name: u, user: {token: t, as: admin-bot, as-groups: [g1, g2], as-uid: "7"}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
`)
    expect((await loadKubeConfig({kubeconfig: file})).impersonate).toEqual({user: 'admin-bot', groups: ['g1', 'g2'], uid: '7'})
    expect((await loadKubeConfig({kubeconfig: file, impersonate: {user: 'bob'}})).impersonate).toEqual({user: 'bob'})
  })
})
