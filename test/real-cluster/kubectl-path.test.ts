// Every test that runs `kubectl` must run the one built from the API server's own version
// (global-setup.ts puts it first on PATH): the krew, completion and wire tests go through it.
import {execa} from 'execa'
import {describe, expect, inject, it} from 'vitest'

const binDir = inject('realClusterBin')

describe.skipIf(!binDir)(binDir ? 'kubectl on PATH' : `kubectl on PATH: SKIPPED, ${inject('realClusterSkipReason')}`, () => {
  it('is the kubectl built beside kube-apiserver', async () => {
    const which = await execa('sh', ['-c', 'command -v kubectl'])
    expect(which.stdout.trim()).toBe(`${binDir}/kubectl`)
    const version = JSON.parse((await execa('kubectl', ['version', '--client', '-o', 'json'])).stdout) as {clientVersion: {gitVersion: string}}
    expect(version.clientVersion.gitVersion).toBe(binDir.split('/').at(-1))
  })
})
