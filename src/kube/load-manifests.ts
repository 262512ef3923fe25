// Reads manifest files and folders for offline analysis (`--manifests`): walks folders
// recursively for .yaml/.yml/.json, parses them (src/rbac/manifests.ts) and applies ClusterRole
// aggregation, so the snapshot holds what a live cluster's controller would have computed.
import {readdir, readFile, stat} from 'node:fs/promises'
import {extname, join} from 'node:path'
import {redactSecrets} from '../lib/redact.js'
import {sanitizeForTerminal} from '../lib/sanitize.js'
import {aggregateClusterRoles} from '../rbac/aggregate.js'
import {parseManifests, type ManifestProblem, type ManifestSource} from '../rbac/manifests.js'
import type {RbacSnapshot, ServiceAccountRef} from '../rbac/types.js'

export interface LoadedManifests {
  snapshot: RbacSnapshot & {namespaces: string[]; serviceAccounts: ServiceAccountRef[]}
  /** Human-readable, one per problem: for stderr. */
  warnings: string[]
  problems: ManifestProblem[]
  files: string[]
  documents: number
  kept: Record<string, number>
  ignored: Record<string, number>
}

/** Thrown when nothing at all could be read: the message is meant for the user as is. */
export class ManifestLoadError extends Error {
  override name = 'ManifestLoadError'
}

const EXTENSIONS = new Set(['.yaml', '.yml', '.json'])

/**
 * Files named explicitly are read whatever their extension; folders contribute their
 * .yaml/.yml/.json files, recursively, in sorted order (so results do not depend on the disk).
 */
export async function loadManifests(paths: readonly string[]): Promise<LoadedManifests> {
  const warnings: string[] = []
  const files: string[] = []
  for (const p of paths) {
    let st
    try {
      st = await stat(p)
    } catch {
      warnings.push(`${p}: no such file or folder; skipped`)
      continue
    }
    if (st.isDirectory()) for (const file of await walk(p, warnings)) files.push(file)
    else files.push(p)
  }
  const sources: ManifestSource[] = []
  for (const f of files) {
    try {
      sources.push({file: f, text: await readFile(f, 'utf8')})
    } catch (e) {
      warnings.push(`${f}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'}); skipped`)
    }
  }
  if (sources.length === 0) {
    throw new ManifestLoadError(
      `no manifest files found in ${paths.join(', ') || '(nothing given)'} (looked for .yaml, .yml and .json files)`,
    )
  }
  const parsed = parseManifests(sources)
  for (const pr of parsed.problems) {
    warnings.push(`${pr.file}: document ${pr.document}${pr.item !== undefined ? `, item ${pr.item}` : ''}: ${withoutQuotedInput(pr.message)}`)
  }
  const agg = aggregateClusterRoles(parsed.snapshot.clusterRoles)
  for (const warning of agg.warnings) warnings.push(warning)
  return {
    snapshot: {...parsed.snapshot, clusterRoles: agg.clusterRoles},
    // For stderr: file names and quoted object names made terminal-safe.
    warnings: warnings.map(sanitizeForTerminal),
    problems: parsed.problems,
    files: sources.map((s) => s.file),
    documents: parsed.documents,
    kept: parsed.kept,
    ignored: parsed.ignored,
  }
}

/**
 * A parser's message without the input it quotes: V8's JSON errors quote the text around the
 * error (`Unexpected token 'P', ..."ord": PLANTED}"... is not valid JSON`), which in a Secret
 * manifest is the Secret's value. The position says where to look; credentials elsewhere in the
 * message are hidden too.
 */
function withoutQuotedInput(message: string): string {
  return redactSecrets(message.replace(/Unexpected token '[\s\S]*?', (?:\.\.\.)?"[\s\S]*"(?:\.\.\.)? is not valid JSON/, 'unexpected character'))
}

async function walk(dir: string, warnings: string[]): Promise<string[]> {
  let entries
  try {
    entries = await readdir(dir, {withFileTypes: true})
  } catch (e) {
    warnings.push(`${dir}: cannot list (${(e as NodeJS.ErrnoException).code ?? 'error'}); skipped`)
    return []
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const out: string[] = []
  for (const e of entries) {
    const full = join(dir, e.name)
    if (e.isDirectory()) for (const file of await walk(full, warnings)) out.push(file)
    else if (e.isFile() && EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(full)
  }
  return out
}
