import {captureOutput} from '@oclif/test'
import {describe, expect, it} from 'vitest'
import {Detections} from '../../src/commands/detections.js'
import {RULES} from '../../src/detect/catalog.js'

const run = (argv: string[]) => captureOutput(() => Detections.run(argv, import.meta.url))

describe('kubectl sensitive-access detections', () => {
  it('lists the catalog as a table: id, severity, technique, title', async () => {
    const {stdout, error} = await run([])
    expect(error).toBeUndefined()
    const lines = stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID\s+SEVERITY\s+TECHNIQUE\s+TITLE$/)
    expect(lines).toHaveLength(RULES.length + 1)
    expect(lines.find((l) => l.startsWith('secret-read-burst '))).toMatch(/secret-read-burst\s+high\s+T1552\.007\s+Secret enumeration/)
  })
  it('wide adds technique names and setting names; --no-headers drops the header', async () => {
    const {stdout} = await run(['-o', 'wide', '--no-headers'])
    expect(stdout).not.toMatch(/^ID/)
    expect(stdout).toMatch(/secret-read-burst\s+high\s+T1552\.007\s+.*Unsecured Credentials: Container API\s+threshold,window/)
  })
  it('json and yaml carry the full documentation with defaults', async () => {
    const json = JSON.parse((await run(['-o', 'json'])).stdout) as {id: string; settings: {name: string; default: unknown}[]}[]
    expect(json.map((r) => r.id)).toEqual(RULES.map((r) => r.id))
    expect(json.find((r) => r.id === 'secret-read-burst')?.settings).toEqual([
      expect.objectContaining({name: 'threshold', default: 15}),
      expect.objectContaining({name: 'window', default: '30m'}),
    ])
    const yaml = (await run(['-o', 'yaml'])).stdout
    expect(yaml).toContain('- id: sensitive-access-summary')
  })
  it('shows one rule in full', async () => {
    const {stdout} = await run(['unauthenticated-scanning'])
    expect(stdout).toContain('ID:          unauthenticated-scanning')
    expect(stdout).toContain('Technique:   T1595 Active Scanning')
    expect(stdout).toContain('Known false positives:')
    expect(stdout).toContain('threshold (positiveInt, default 5)')
    const json = JSON.parse((await run(['unauthenticated-scanning', '-o', 'json'])).stdout) as {fields: string[]}
    expect(json.fields).toContain('sourceIPs')
  })
  it('prints a default settings file that parses back to the defaults', async () => {
    const {parseSettings, defaultSettings} = await import('../../src/detect/settings.js')
    const {stdout} = await run(['--default-config'])
    expect(stdout).toContain('excludeSystemIdentities: true')
    expect(parseSettings(stdout)).toEqual(defaultSettings())
  })
  it('rejects an unknown rule id with a clear message and exit code 2', async () => {
    const {error, stdout} = await run(['no-such-rule'])
    expect(stdout).toBe('')
    expect(error?.message).toContain('unknown rule "no-such-rule"')
    expect(error?.oclif?.exit).toBe(2)
  })
})
