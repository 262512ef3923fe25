// Once per `vitest run`: find the real control plane built by scripts/real-cluster/build.sh (cached;
// it builds when Go is there and the cache is empty) and put its kubectl first on PATH, so every
// test that runs `kubectl` runs the one built from the same Kubernetes version as the API server.
// Without Go the real-cluster tests are skipped, loudly; under CI=true that is a failure.
import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'
import type {TestProject} from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Folder of kube-apiserver and kubectl, or '' when the real-cluster tests cannot run. */
    realClusterBin: string
    realClusterSkipReason: string
  }
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

async function locate(): Promise<{binDir: string} | {reason: string}> {
  const etcd = await execa('etcd', ['--version'], {reject: false}).catch(() => undefined)
  if (!etcd || etcd.exitCode !== 0) return {reason: 'etcd is not installed (Debian: apt-get install etcd-server)'}
  const build = await execa('bash', [path.join(ROOT, 'scripts/real-cluster/build.sh')], {reject: false, stderr: 'inherit'})
  const binDir = build.stdout.trim().split('\n').pop() ?? ''
  if (build.exitCode !== 0 || !existsSync(path.join(binDir, 'kube-apiserver'))) {
    return {reason: build.exitCode === 3 ? 'Go is not installed, so kube-apiserver and kubectl could not be built' : `scripts/real-cluster/build.sh failed (exit ${build.exitCode})`}
  }
  return {binDir}
}

export default async function setup(project: TestProject): Promise<void> {
  const found = await locate()
  if ('binDir' in found) {
    process.env.PATH = `${found.binDir}${path.delimiter}${process.env.PATH ?? ''}`
    project.provide('realClusterBin', found.binDir)
    project.provide('realClusterSkipReason', '')
    return
  }
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`real-cluster tests cannot run under CI: ${found.reason}`)
  const line = '!'.repeat(100)
  process.stderr.write(`\n${line}\n!! THE REAL-CLUSTER TESTS DID NOT RUN: ${found.reason}.\n!! Install Go and etcd (scripts/test-deps.sh says how) to test against a real kube-apiserver.\n${line}\n\n`)
  project.provide('realClusterBin', '')
  project.provide('realClusterSkipReason', found.reason)
}
