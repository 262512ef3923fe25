import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {defaultConfigPath, defaultSettings, loadSettings, parseSettings, SettingsError} from './settings.js'

describe('defaultSettings', () => {
  it('shows every rule with its defaults and the managed-cloud identities', () => {
    const s = defaultSettings()
    expect(s.rules['secret-read-burst']).toEqual({enabled: true, threshold: 15, window: '30m'})
    expect(s.systemIdentities.users).toEqual(expect.arrayContaining(['eks:*', 'aksService', 'system:serviceaccount:gke-managed-system:*', 'system:kube-controller-manager', 'system:node:*']))
    expect(s.systemIdentities.users).not.toContain('system:anonymous')
    expect(s.excludeSystemIdentities).toBe(true)
  })
  it('returns fresh objects each time', () => {
    const a = defaultSettings()
    a.allowlist.users.push('x')
    a.systemIdentities.users.length = 0
    expect(defaultSettings().allowlist.users).toEqual([])
    expect(defaultSettings().systemIdentities.users.length).toBeGreaterThan(5)
  })
})

describe('parseSettings', () => {
  it('merges a file over the defaults', () => {
    const s = parseSettings(
      [
        'excludeSystemIdentities: false',
        'allowlist:',
        '  users: [ci-bot]',
        '  sourceCIDRs: [10.0.0.0/8, "2001:db8::/32"]',
        'rules:',
        '  secret-read-burst:',
        '    threshold: 40',
        '  known-scanner-agent:',
        '    enabled: false',
      ].join('\n'),
    )
    expect(s.excludeSystemIdentities).toBe(false)
    expect(s.allowlist.users).toEqual(['ci-bot'])
    expect(s.allowlist.sourceCIDRs).toEqual(['10.0.0.0/8', '2001:db8::/32'])
    expect(s.rules['secret-read-burst']).toEqual({enabled: true, threshold: 40, window: '30m'})
    expect(s.rules['known-scanner-agent']?.enabled).toBe(false)
  })
  it('accepts an empty file', () => {
    expect(parseSettings('')).toEqual(defaultSettings())
  })
  const bad: [string, string][] = [
    ['rules:\n  secret-read-burst:\n    threshold: x', 'config.yaml: rules.secret-read-burst.threshold: expected a positive integer, got "x"'],
    ['rules:\n  secret-read-burst:\n    threshold: 0', 'config.yaml: rules.secret-read-burst.threshold: expected a positive integer, got 0'],
    ['rules:\n  secret-read-burst:\n    window: soon', 'config.yaml: rules.secret-read-burst.window: expected a duration like 30m, 1h or 7d, got "soon"'],
    ['rules:\n  secret-read-burst:\n    treshold: 3', 'config.yaml: rules.secret-read-burst.treshold: unknown setting (this rule has: enabled, threshold, window)'],
    ['rules:\n  no-such-rule: {}', 'config.yaml: rules.no-such-rule: unknown rule id (see `kubectl sensitive-access detections`)'],
    ['allowlist:\n  sourceCIDRs: [10.0.0.0/40]', 'config.yaml: allowlist.sourceCIDRs[0]: expected an IPv4 or IPv6 network like 10.0.0.0/8, got "10.0.0.0/40"'],
    ['allowlist:\n  users: alice', 'config.yaml: allowlist.users: expected a list of strings, got "alice"'],
    ['allowlist:\n  people: [a]', 'config.yaml: allowlist.people: unknown key (expected users, groups, userAgents, sourceCIDRs or namespaces)'],
    ['excludeSystemIdentities: yes please', 'config.yaml: excludeSystemIdentities: expected true or false, got "yes please"'],
    ['rulez: {}', 'config.yaml: rulez: unknown key (expected excludeSystemIdentities, systemIdentities, allowlist or rules)'],
    ['- a\n- b', 'config.yaml: (top level): expected a mapping, got a list'],
    ['a: [b', 'config.yaml: not valid YAML'],
  ]
  for (const [text, message] of bad) {
    it(`rejects ${JSON.stringify(text)} naming the key`, () => {
      expect(() => parseSettings(text)).toThrow(SettingsError)
      expect(() => parseSettings(text)).toThrow(message)
    })
  }
})

describe('loading', () => {
  it('uses XDG_CONFIG_HOME, else ~/.config', () => {
    expect(defaultConfigPath({XDG_CONFIG_HOME: '/x'})).toBe('/x/kubectl-sensitive-access/config.yaml')
    expect(defaultConfigPath({})).toMatch(/\.config\/kubectl-sensitive-access\/config\.yaml$/)
  })
  it('falls back to defaults only when the default file is absent; an explicit missing file is an error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sa-settings-'))
    await expect(loadSettings(join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml: cannot read settings file \(ENOENT\)/)
    const file = join(dir, 'mine.yaml')
    await writeFile(file, 'rules:\n  forbidden-create:\n    enabled: maybe\n')
    await expect(loadSettings(file)).rejects.toThrow('mine.yaml: rules.forbidden-create.enabled: expected true or false, got "maybe"')
  })
})
