// Run the built executable as a user would, and a fake cluster holding the sample RBAC objects
// whose authorizer is RBAC itself plus a scripted webhook (which can allow and deny).
import {existsSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'
import {loadManifests} from '../../src/kube/load-manifests.js'
import {authorize, indexSnapshot} from '../../src/rbac/authorizer.js'
import type {RequestAttributes} from '../../src/rbac/types.js'
import {startFakeApiServer, type FakeApiServer, type FakeApiServerOptions, type FakeIdentity} from '../fake-apiserver/index.js'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const BIN = join(ROOT, 'bin/run.js')
export const SAMPLES_RBAC = join(ROOT, 'samples/rbac')
export const CORPUS = resolve(ROOT, '../shared/corpus')
export const HAS_CORPUS = existsSync(join(CORPUS, 'rbac'))

/** One subject of `who-can -o json`, as the tests read it. */
export interface WhoCanJsonSubject
 {
  kind: string
  name: string
  namespace?: string
  confirmation: string
  scope: {clusterWide: boolean; namespaces: string[]}
  paths: {binding: {kind: string; name: string; namespace?: string}; role: {kind: string; name: string}; viaGroup?: string}[]
  risks: {code: string}[]
  checks?: {verb: string; target: string; namespace: string; allowed: boolean; reason?: string}[]
  coveredThrough?: string[]
}

export async function runCli(args: string[], options: {env?: Record<string, string>; input?: string} = {}) {
  return execa('node', [BIN, ...args], {reject: false, env: {NO_COLOR: '1', ...options.env}, ...(options.input !== undefined ? {input: options.input} : {}), cwd: ROOT})
}

export type Webhook = (user: FakeIdentity, attrs: RequestAttributes) => {allowed: boolean; denied?: boolean; reason: string} | undefined

/**
 * Like a real API server's chain: system:masters first, then a webhook (which may allow or deny),
 * then RBAC over the sample objects (or the given manifests).
 */
export async function startSampleCluster(options: Partial<FakeApiServerOptions> & {webhook?: Webhook; manifests?: string[]} = {}): Promise<FakeApiServer> {
  const {webhook, manifests, ...rest} = options
  const loaded = await loadManifests(manifests ?? [SAMPLES_RBAC])
  const index = indexSnapshot(loaded.snapshot)
  return startFakeApiServer({
    store: {rbac: loaded.snapshot, namespaces: loaded.snapshot.namespaces, serviceAccounts: loaded.snapshot.serviceAccounts},
    authorize: (user, attrs) => {
      if (user.groups.includes('system:masters')) return {allowed: true, reason: ''}
      const hook = webhook?.(user, attrs)
      if (hook) return hook
      const rbac = authorize(index, {user: user.username, groups: user.groups}, attrs)
      return {allowed: rbac.allowed, reason: rbac.reason}
    },
    ...rest,
  })
}
