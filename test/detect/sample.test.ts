// The project's sample audit log (samples/audit/sample-audit.log) through reader and engine.
import {existsSync} from 'node:fs'
import {dirname, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {readAuditEvents} from '../../src/audit/reader.js'
import {detect} from '../../src/detect/engine.js'
import {renderJson} from '../../src/output/formats.js'
import {defaultSettings} from '../../src/detect/settings.js'

const SAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '../../samples/audit/sample-audit.log')

describe.skipIf(!existsSync(SAMPLE))('sample audit log', () => {
  it('finds the planted attack chain', async () => {
    const r = await detect(readAuditEvents([SAMPLE]), {settings: defaultSettings()})
    const has = (rule: string, who: string, severity: string, what: RegExp) =>
      r.findings.some((f) => f.ruleId === rule && f.who === who && f.severity === severity && what.test(f.what))
    expect(has('rbac-grants-secret-access', 'system:serviceaccount:ci:deployer', 'critical', /clusterrolebindings/)).toBe(true)
    expect(has('serviceaccount-token-minted', 'system:serviceaccount:ci:deployer', 'high', /kube-system\//)).toBe(true)
    expect(has('suspicious-kubectl', 'system:serviceaccount:ci:deployer', 'high', /service account token/)).toBe(true)
    expect(has('privileged-impersonation', 'system:admin', 'high', /impersonated by bob@example.com/)).toBe(true)
    expect(has('lateral-movement', 'bob@example.com', 'medium', /^exec payments\/.*: sh$/)).toBe(true)
    expect(has('permission-probing', 'system:serviceaccount:web:web-frontend', 'low', /python-requests/)).toBe(true)
    // Findings come most severe first.
    expect(r.findings[0]?.severity).toBe('critical')
    // The anonymous scanner at 192.0.2.77 was refused 7 times: more than 5, so one scan finding for that address.
    expect(r.findings.filter((f) => f.ruleId === 'unauthenticated-scanning').map((f) => [f.count, f.what])).toEqual([[7, expect.stringContaining('192.0.2.77')]])
  })

  it('never carries secret or configmap values into findings', async () => {
    const r = await detect(readAuditEvents([SAMPLE]), {settings: defaultSettings()})
    const out = renderJson(r.findings)
    for (const value of ['czNjcjN0LVNBTVBMRS1WQUxVRQ==', 's3cr3t-SAMPLE-VALUE', 'last-applied-configuration']) expect(out).not.toContain(value)
  })
})
