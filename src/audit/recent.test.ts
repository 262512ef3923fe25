import {describe, expect, it} from 'vitest'
import {emptyStats} from './reader.js'
import {describeSkips, inputsLost} from './recent.js'

describe('describeSkips', () => {
  it('says entries of other services apart, even with no bad record, and they lose no input', () => {
    const stats = {...emptyStats(), otherServices: 12}
    expect(describeSkips(stats)).toBe(
      'note: 12 entries of other services, not Kubernetes: skipped (GCP services other than k8s.io, AKS categories other than kube-audit, CloudWatch streams other than kube-apiserver-audit)\n',
    )
    expect(inputsLost(stats)).toBe(0)
  })

  it('names an input refused whole, and counts it as lost', () => {
    const stats = {...emptyStats(), skipped: 1, skipReasons: {'too-many-aliases': 1}, skipPositions: ['bomb.yaml:1: too-many-aliases'], refusedInputs: 1, refusedPositions: ['bomb.yaml: too-many-aliases']}
    const text = describeSkips(stats)
    expect(text).toContain('error: bomb.yaml: nothing read from it: a YAML alias bomb')
    expect(text).toContain('warning: skipped 1 bad record (1 too-many-aliases)')
    expect(inputsLost(stats)).toBe(1)
  })
})
