// kubeconfig resolution with kubectl's rules, on files written per test.
import {chmod, mkdtemp, mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {kubeconfigFiles, loadKubeConfig, parseKubeconfig} from '../../src/kube/config.js'
import {KubeConfigError, KubeCredentialError, KUBE_EXIT_CODES} from '../../src/kube/errors.js'

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

function expectConfigError(error: unknown, message: string | RegExp): void {
  expect(error).toBeInstanceOf(KubeConfigError)
  const config = error as KubeConfigError
  expect(config.exitCode).toBe(KUBE_EXIT_CODES.config)
  expect(config.userMessage).not.toContain('\n')
  if (typeof message === 'string') expect(config.userMessage).toBe(message)
  else expect(config.userMessage).toMatch(message)
}

const b64 = (text: string): string => Buffer.from(text).toString('base64')

describe('relative paths, resolved against the kubeconfig file\'s folder (client-go ResolvePaths)', () => {
  it('resolves certificate-authority, client-certificate, client-key, tokenFile, and exec.command only when it is a path', () => {
    const parsed = parseKubeconfig(
      `clusters:
- {name: rel, cluster: {server: "https://k", certificate-authority: certs/ca.crt}}
- {name: abs, cluster: {server: "https://k", certificate-authority: /etc/ca.crt}}
users:
- name: files
  user: {client-certificate: ../c.crt, client-key: k.key, tokenFile: tok/en}
- name: exec-path
  user: {exec: {command: ./bin/plugin, apiVersion: client.authentication.k8s.io/v1}}
- name: exec-name
  user: {exec: {command: kubelogin, args: [get-token]}}
- name: exec-abs
  user: {exec: {command: /usr/bin/aws}}
`,
      path.join(dir, 'conf', 'config'),
    )
    expect(parsed.clusters.map((cluster) => cluster.certificateAuthority)).toEqual([path.join(dir, 'conf', 'certs', 'ca.crt'), '/etc/ca.crt'])
    const [files, execPath, execName, execAbs] = parsed.users
    expect(files).toMatchObject({clientCertificate: path.join(dir, 'c.crt'), clientKey: path.join(dir, 'conf', 'k.key'), tokenFile: path.join(dir, 'conf', 'tok', 'en')})
    expect(execPath?.exec?.command).toBe(path.join(dir, 'conf', 'bin', 'plugin'))
    expect(execName?.exec).toEqual({command: 'kubelogin', args: ['get-token']})
    expect(execAbs?.exec?.command).toBe('/usr/bin/aws')
  })

  it('makes paths absolute even when the kubeconfig itself was named relatively', () => {
    const parsed = parseKubeconfig('clusters: [{name: k, cluster: {server: "https://k", certificate-authority: ca.crt}}]', path.join('some', 'config'))
    expect(parsed.clusters[0]?.certificateAuthority).toBe(path.resolve('some', 'ca.crt'))
  })

  it('reads the CA next to the second KUBECONFIG file and runs a relative exec plugin from that file\'s folder', async () => {
    await write('second/ca.crt', 'SECOND DIR CA')
    const plugin = await write(
      'second/bin/plugin.sh',
      '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin"}}\'\n',
    )
    await chmod(plugin, 0o755)
    const first = await write('first/config', 'current-context: c\n')
    const second = await write(
      'second/config',
      `clusters: [{name: k, cluster: {server: "https://k.example", certificate-authority: ca.crt}}]
users: [{name: u, user: {exec: {command: bin/plugin.sh, apiVersion: client.authentication.k8s.io/v1}}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
`,
    )
    const config = await loadKubeConfig({}, {KUBECONFIG: [first, second].join(path.delimiter)})
    expect(config.tls.ca?.toString()).toBe('SECOND DIR CA')
    expect(config.credentials.kind).toBe('exec')
    expect(await authorization(config)).toBe('Bearer from-plugin')
  })
})

describe('-data versus file', () => {
  const config = (cluster: string, user: string): string => `current-context: c
clusters: [{name: k, cluster: {server: "https://k.example", ${cluster}}}, {name: unused, cluster: {server: "https://u", certificate-authority: x, certificate-authority-data: ${b64('X')}}}]
users: [{name: u, user: {${user}}}]
contexts: [{name: c, context: {cluster: k, user: u}}, {name: other, context: {cluster: unused, user: u}}]
`

  it('uses whichever one is set', async () => {
    await write('ca.crt', 'CA FROM FILE')
    await write('c.crt', 'CERT FROM FILE')
    const fromFiles = await loadKubeConfig({kubeconfig: await write('files.yaml', config('certificate-authority: ca.crt', `client-certificate: c.crt, client-key-data: ${b64('KEY FROM DATA')}`))})
    expect(fromFiles.tls.ca?.toString()).toBe('CA FROM FILE')
    const credentials = await fromFiles.credentials.get()
    expect(credentials.cert?.toString()).toBe('CERT FROM FILE')
    expect(credentials.key?.toString()).toBe('KEY FROM DATA')
    const fromData = await loadKubeConfig({kubeconfig: await write('data.yaml', config(`certificate-authority-data: ${b64('CA FROM DATA')}`, 'token: t'))})
    expect(fromData.tls.ca?.toString()).toBe('CA FROM DATA')
  })

  it('refuses both on the cluster or user in use, as kubectl does, and lets --certificate-authority settle the CA', async () => {
    await write('ca.crt', 'CA FROM FILE')
    await write('flag-ca.crt', 'FLAG CA')
    const bothCa = await write('both-ca.yaml', config(`certificate-authority: ca.crt, certificate-authority-data: ${b64('CA')}`, 'token: t'))
    expectConfigError(await loadKubeConfig({kubeconfig: bothCa}).catch((e: unknown) => e), 'cluster "k" sets both certificate-authority and certificate-authority-data: keep one')
    expect((await loadKubeConfig({kubeconfig: bothCa, certificateAuthority: path.join(dir, 'flag-ca.crt')})).tls.ca?.toString()).toBe('FLAG CA')
    const bothKey = await write('both-key.yaml', config('', `client-key: k.key, client-key-data: ${b64('K')}`))
    expectConfigError(await loadKubeConfig({kubeconfig: bothKey}).catch((e: unknown) => e), 'user "u" sets both client-key and client-key-data: keep one')
    // A conflict in a cluster nobody uses is not an error (kubectl validates the context in use only).
    expect((await loadKubeConfig({kubeconfig: bothKey, token: 'flag'})).server).toBe('https://k.example')
    expectConfigError(await loadKubeConfig({kubeconfig: bothKey, context: 'other', token: 'flag'}).catch((e: unknown) => e), /^cluster "unused" sets both/)
  })

  it('names a missing certificate file', async () => {
    const file = await write('missing.yaml', config('certificate-authority: nowhere/ca.crt', 'token: t'))
    expectConfigError(await loadKubeConfig({kubeconfig: file}).catch((e: unknown) => e), `cannot read certificate-authority ${path.join(dir, 'nowhere', 'ca.crt')}: ENOENT`)
  })
})

describe('fields of the wrong type', () => {
  const cases: [string, string, string][] = [
    ['a list as document', '- a\n- b\n', 'the document must be a mapping, not a list'],
    ['clusters as a mapping', 'clusters: {a: b}\n', 'clusters must be a list, not a mapping'],
    ['a cluster without name', 'clusters: [{cluster: {server: "https://k"}}]\n', 'clusters[0].name is missing'],
    ['a numeric token', 'users: [{name: u}, {name: v, user: {token: 123456}}]\n', 'users[1].user.token must be a string, not a number'],
    ['a quoted boolean', 'clusters: [{name: k, cluster: {server: "https://k", insecure-skip-tls-verify: "true"}}]\n', 'clusters[0].cluster.insecure-skip-tls-verify must be true or false, not a string'],
    ['as-groups as a string', 'users: [{name: u, user: {as-groups: admins}}]\n', 'users[0].user.as-groups must be a list, not a string'],
    ['an exec without command', 'users: [{name: u, user: {exec: {args: [x]}}}]\n', 'users[0].user.exec.command is missing'],
    ['exec args of mappings', 'users: [{name: u, user: {exec: {command: x, args: [{a: 1}]}}}]\n', 'users[0].user.exec.args[0] must be a string, not a mapping'],
    ['data that is not base64', 'clusters: [{name: k, cluster: {server: "https://k", certificate-authority-data: "not base64!"}}]\n', 'clusters[0].cluster.certificate-authority-data is not base64'],
    ['a numeric namespace', 'contexts: [{name: c, context: {cluster: k, namespace: 42}}]\n', 'contexts[0].context.namespace must be a string, not a number'],
    ['a proxy-url list', 'clusters: [{name: k, cluster: {server: "https://k", proxy-url: [a]}}]\n', 'clusters[0].cluster.proxy-url must be a string, not a list'],
  ]
  it.each(cases)('%s: a KubeConfigError naming the file and the field', async (_label, text, problem) => {
    const file = await write('wrong.yaml', text)
    expectConfigError(await loadKubeConfig({kubeconfig: file}).catch((e: unknown) => e), `invalid kubeconfig ${file}: ${problem}`)
  })

  it('never echoes the offending value (it may be a secret)', async () => {
    const file = await write('secret.yaml', 'users: [{name: u, user: {password: 98765432123}}]\n')
    const error = (await loadKubeConfig({kubeconfig: file}).catch((e: unknown) => e)) as KubeConfigError
    expect(error.userMessage).toBe(`invalid kubeconfig ${file}: users[0].user.password must be a string, not a number`)
    expect(error.message).not.toContain('98765432123')
  })

  it('accepts what kubectl accepts: nulls, empty sections, unknown fields, YAML merge keys, repeated keys', async () => {
    const file = await write(
      'loose.yaml',
      `apiVersion: v1
kind: Config
preferences: {}
extensions: null
current-context: c
clusters:
- name: k
  cluster: &base {server: "https://k.example:6443", proxy-url: "http://proxy:3128", extensions: [{name: x, extension: {}}]}
- name: k2
  cluster: {<<: *base, server: "https://k2.example"}
users:
- name: u
  user:
    token: first-value
    exec: null
    token: t
contexts:
- name: c
  context: {cluster: k2, user: u, namespace: null}
`,
    )
    const config = await loadKubeConfig({kubeconfig: file})
    expect(config.server).toBe('https://k2.example')
    expect(config.namespace).toBe('default')
    expect(await authorization(config)).toBe('Bearer t')
  })

  it('leaves a cluster without server alone until it is used, then says so', async () => {
    const file = await write(
      'no-server.yaml',
      `current-context: c
clusters: [{name: empty, cluster: {}}, {name: k, cluster: {server: "https://k.example"}}]
contexts: [{name: c, context: {cluster: empty}}, {name: ok, context: {cluster: k}}]
`,
    )
    expect((await loadKubeConfig({kubeconfig: file, context: 'ok'})).server).toBe('https://k.example')
    expectConfigError(await loadKubeConfig({kubeconfig: file}).catch((e: unknown) => e), 'context "c" has no cluster server: pass --kubeconfig, --context or --server')
  })
})

describe('impersonation and basic auth from the kubeconfig user', () => {
  it('carries as-user-extra and builds a basic Authorization header', async () => {
    const file = await write(
      'extra.yaml',
      `current-context: c
clusters: [{name: k, cluster: {server: "https://k.example"}}]
users: [{name: u, user: {username: alice, password: s3cret, as: bot, as-user-extra: {scopes: [view, edit], team: [a]}}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
`,
    )
    const config = await loadKubeConfig({kubeconfig: file})
    expect(config.impersonate).toEqual({user: 'bot', extra: {scopes: ['view', 'edit'], team: ['a']}})
    expect(config.credentials.kind).toBe('basic')
    expect(await authorization(config)).toBe(`Basic ${b64('alice:s3cret')}`)
  })
})

describe('auth-provider users, signed by client-node', () => {
  const azure = (config: string): string => `current-context: c
clusters: [{name: k, cluster: {server: "https://k.example"}}]
users: [{name: az, user: {auth-provider: {name: azure, config: {${config}}}}}]
contexts: [{name: c, context: {cluster: k, user: az}}]
`

  it('uses a valid token as it is', async () => {
    const config = await loadKubeConfig({kubeconfig: await write('azure.yaml', azure('access-token: still-good'))})
    expect(config.credentials.kind).toBe('auth-provider')
    expect(await authorization(config)).toBe('Bearer still-good')
  })

  it('refreshes an expired token once and keeps the refreshed one in client-node\'s state', async () => {
    const counter = path.join(dir, 'runs')
    const script = await write('refresh.sh', `#!/bin/sh\necho run >> '${counter}'\necho '{"token":"fresh","expiry":"2999-01-01T00:00:00Z"}'\n`)
    await chmod(script, 0o755)
    const config = await loadKubeConfig({
      kubeconfig: await write('azure.yaml', azure(`access-token: old, expiry: "2000-01-01T00:00:00Z", cmd-path: '${script}', token-key: '{.token}', expiry-key: '{.expiry}'`)),
    })
    expect(await authorization(config)).toBe('Bearer fresh')
    config.credentials.invalidate()
    expect(await authorization(config)).toBe('Bearer fresh')
    expect((await readFile(counter, 'utf8')).trim().split('\n')).toHaveLength(1)
  })

  it('reports a failed refresh as a credential error, on one line', async () => {
    const config = await loadKubeConfig({kubeconfig: await write('azure.yaml', azure('access-token: old, expiry: "2000-01-01T00:00:00Z"'))})
    const error = (await config.credentials.get().catch((e: unknown) => e)) as KubeCredentialError
    expect(error).toBeInstanceOf(KubeCredentialError)
    expect(error.userMessage).toBe('auth-provider "azure" for user "az": Token is expired!')
  })
})

describe('proxy-url and the proxy environment', () => {
  const config = (proxy: string) => `apiVersion: v1
kind: Config
current-context: c
clusters:
- name: k
  cluster: {server: "https://kube.example:6443", proxy-url: "${proxy}"}
contexts:
- name: c
  context: {cluster: k}
`
  it('uses the cluster\'s proxy-url (http, https, socks5), even when HTTPS_PROXY is set', async () => {
    for (const proxy of ['http://user:pw@proxy.example:3128', 'https://proxy.example', 'socks5://proxy.example:1080']) {
      const file = await write('config', config(proxy))
      const resolved = await loadKubeConfig({kubeconfig: file}, {HTTPS_PROXY: 'http://env-proxy:1'})
      expect(resolved.proxy?.href).toBe(new URL(proxy).href)
    }
  })
  it('refuses another scheme as client-go does, without quoting the URL (it may hold a password)', async () => {
    const file = await write('config', config('ftp://user:hunter2@proxy.example'))
    const error = await loadKubeConfig({kubeconfig: file}, {}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KubeConfigError)
    expect((error as KubeConfigError).message).toBe(`invalid kubeconfig ${file}: clusters[0].cluster.proxy-url: unsupported scheme "ftp", must be http, https, or socks5`)
    expect((error as KubeConfigError).message).not.toContain('hunter2')
  })
  it('takes HTTPS_PROXY when the cluster has no proxy-url, unless NO_PROXY matches', async () => {
    const file = await write('config', config('').replace(', proxy-url: ""', ''))
    expect((await loadKubeConfig({kubeconfig: file}, {HTTPS_PROXY: 'http://env-proxy:3128'})).proxy?.host).toBe('env-proxy:3128')
    expect((await loadKubeConfig({kubeconfig: file}, {HTTPS_PROXY: 'http://env-proxy:3128', NO_PROXY: '.example'})).proxy).toBeUndefined()
    expect((await loadKubeConfig({kubeconfig: file}, {})).proxy).toBeUndefined()
  })
  it('defaults --max-response-size to 256 MiB and takes the option', async () => {
    const file = await write('config', config('').replace(', proxy-url: ""', ''))
    expect((await loadKubeConfig({kubeconfig: file}, {})).maxResponseBytes).toBe(256 * 1024 ** 2)
    expect((await loadKubeConfig({kubeconfig: file, maxResponseBytes: 4096}, {})).maxResponseBytes).toBe(4096)
  })
})
