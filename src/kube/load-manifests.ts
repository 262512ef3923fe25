// Reads manifest files and folders for offline analysis (`--manifests`): walks folders
// recursively for .yaml/.yml/.json (following symbolic links, each real folder once), parses them
// (src/rbac/manifests.ts) and applies ClusterRole aggregation, so the snapshot holds what a live
// cluster's controller would have computed. An input that cannot be used (a missing path, a file
// that cannot be read, a malformed document or object, a folder without any RBAC object) is a
// counted skip in `skipped`: the answer from the rest stands, and the caller marks it incomplete.
import type {Stats} from 'node:fs'
import {readdir, readFile, realpath, stat} from 'node:fs/promises'
import {extname, join} from 'node:path'
import {redactSecrets} from '../lib/redact.js'
import {sanitizeForTerminal} from '../lib/sanitize.js'
import {aggregateClusterRoles} from '../rbac/aggregate.js'
import {parseManifests, type ManifestProblem, type ManifestSource} from '../rbac/manifests.js'
import type {RbacSnapshot, ServiceAccountRef} from '../rbac/types.js'

export interface LoadedManifests {
  snapshot: RbacSnapshot & {namespaces: string[]; serviceAccounts: ServiceAccountRef[]}
  /** Human-readable, one per problem, skips and notes alike: for stderr. */
  warnings: string[]
  /** Only the notes (nothing dropped: an assumption was made). */
  notes: string[]
  /**
   * What was dropped: paths, files, documents or objects (terminal-safe). Non-empty means the
   * answer may lack grants: incomplete.
   */
  skipped: {source: string; reason: string}[]
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
const RBAC_KINDS = ['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']

/**
 * Files named explicitly are read whatever their extension; folders contribute their
 * .yaml/.yml/.json files, recursively, in sorted order (so results do not depend on the disk).
 */
export async function loadManifests(paths: readonly string[]): Promise<LoadedManifests> {
  const skipped: {source: string; reason: string}[] = []
  const skip = (source: string, reason: string) => skipped.push({source: sanitizeForTerminal(source), reason: sanitizeForTerminal(reason)})
  const files: string[] = []
  // Which folder argument each file came from: a folder that gives no RBAC object is said plainly.
  const folderOf = new Map<string, string>()
  const folders: string[] = []
  const visited = new Set<string>()
  for (const p of paths) {
    let st: Stats
    try {
      st = await stat(p)
    } catch (e) {
      skip(p, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : `cannot open (${errorCode(e)})`)
      continue
    }
    if (st.isDirectory()) {
      folders.push(p)
      const found = await walk(p, skip, visited)
      if (found.length === 0) skip(p, 'no .yaml, .yml or .json file in this folder')
      for (const file of found) {
        files.push(file)
        folderOf.set(file, p)
      }
    } else if (st.isFile()) files.push(p)
    // A FIFO, socket or device: a read could block forever or never end.
    else skip(p, 'not a regular file or folder')
  }
  const sources: ManifestSource[] = []
  for (const f of files) {
    try {
      sources.push({file: f, text: await readFile(f, 'utf8')})
    } catch (e) {
      skip(f, `cannot read (${errorCode(e)})`)
    }
  }
  if (sources.length === 0 && skipped.length === 0) {
    throw new ManifestLoadError(
      `no manifest files found in ${paths.join(', ') || '(nothing given)'} (looked for .yaml, .yml and .json files)`,
    )
  }
  if (sources.length === 0) {
    throw new ManifestLoadError(`no manifest files found in ${paths.join(', ')}: nothing could be read (${skipped.map((s) => `${s.source}: ${s.reason}`).join('; ')})`)
  }
  const parsed = parseManifests(sources)
  const notes: string[] = []
  for (const pr of parsed.problems) {
    const where = `${pr.file}: document ${pr.document}${pr.item !== undefined ? `, item ${pr.item}` : ''}`
    if (pr.note) notes.push(sanitizeForTerminal(`${where}: ${withoutQuotedInput(pr.message)}`))
    else skip(where, withoutQuotedInput(pr.message))
  }
  // A folder of manifests with no RBAC object in it was most likely the wrong folder.
  for (const folder of folders) {
    const count = sources.filter((s) => folderOf.get(s.file) === folder).reduce((n, s) => n + (parsed.rbacByFile[s.file] ?? 0), 0)
    const hasFiles = sources.some((s) => folderOf.get(s.file) === folder)
    if (hasFiles && count === 0) skip(folder, `no RBAC object (${RBAC_KINDS.join(', ')}) in this folder`)
  }
  if (RBAC_KINDS.every((k) => (parsed.kept[k] ?? 0) === 0) && folders.length === 0) {
    skip(paths.join(', '), `no RBAC object (${RBAC_KINDS.join(', ')}) in any input`)
  }
  const agg = aggregateClusterRoles(parsed.snapshot.clusterRoles)
  for (const warning of agg.warnings) notes.push(sanitizeForTerminal(warning))
  return {
    snapshot: {...parsed.snapshot, clusterRoles: agg.clusterRoles},
    // For stderr: file names and quoted object names made terminal-safe.
    warnings: [...skipped.map((s) => `${s.source}: ${s.reason}; skipped`), ...notes],
    notes,
    skipped,
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

/** Files under `dir`, sorted; symbolic links followed, each real folder entered once (a link up cannot loop). */
async function walk(dir: string, skip: (source: string, reason: string) => void, visited: Set<string>): Promise<string[]> {
  let real: string
  try {
    real = await realpath(dir)
  } catch (e) {
    skip(dir, `cannot open (${errorCode(e)})`)
    return []
  }
  if (visited.has(real)) return []
  visited.add(real)
  let entries
  try {
    entries = await readdir(dir, {withFileTypes: true})
  } catch (e) {
    skip(dir, `cannot list (${errorCode(e)})`)
    return []
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const out: string[] = []
  for (const e of entries) {
    const full = join(dir, e.name)
    let isDirectory = e.isDirectory()
    let isFile = e.isFile()
    if (e.isSymbolicLink()) {
      try {
        const target = await stat(full)
        isDirectory = target.isDirectory()
        isFile = target.isFile()
      } catch (error) {
        // A link that leads nowhere is only worth a word when it looks like a manifest.
        if (EXTENSIONS.has(extname(e.name).toLowerCase())) skip(full, `broken symbolic link (${errorCode(error)})`)
        continue
      }
    }
    if (isDirectory) for (const file of await walk(full, skip, visited)) out.push(file)
    else if (isFile && EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(full)
  }
  return out
}

function errorCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? ((e as Error).message?.split('\n')[0] || 'error')
}
