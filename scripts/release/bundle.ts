// esbuild bundle of the CLI: ESM, code-split, so the heavy modules (client-node, ink, react) that
// commands import lazily inside run() land in chunks that `--help` never loads.
import {readFile} from 'node:fs/promises'
import {join, relative} from 'node:path'
import {build} from 'esbuild'

export interface BundleResult {
  /** Relative path -> contents: everything the launcher unpacks. */
  files: Map<string, Buffer>
  entry: string
  /** Bytes of JavaScript `--help` loads (entry + its static imports). */
  startupBytes: number
}

// Node builtins are loaded through `require` by the CommonJS dependencies (oclif is CommonJS);
// an ESM bundle has no `require` of its own, so each output file gets one.
const BANNER = [
  "import {createRequire as __ksaCreateRequire} from 'node:module';",
  "import {fileURLToPath as __ksaFileURLToPath} from 'node:url';",
  "import {dirname as __ksaDirname} from 'node:path';",
  'const require = __ksaCreateRequire(import.meta.url);',
  'const __filename = __ksaFileURLToPath(import.meta.url);',
  'const __dirname = __ksaDirname(__filename);',
].join('\n')

export async function bundle(projectRoot: string, outdir: string): Promise<BundleResult> {
  const pkg = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as {
    name: string
    version: string
    description?: string
    oclif: Record<string, unknown>
  }
  const entry = 'main.js'
  // What oclif needs from package.json, with the command target pointing at the bundle itself.
  const pjson = {
    name: pkg.name,
    version: pkg.version,
    description: pkg.description,
    type: 'module',
    oclif: {...pkg.oclif, commands: {strategy: 'explicit', target: `./${entry}`, identifier: 'COMMANDS'}},
  }
  const result = await build({
    absWorkingDir: projectRoot,
    // The worker threads of `recent` load range-worker.js next to the module that starts them
    // (src/audit/reader.ts): a second entry, and chunks beside it rather than in a subfolder.
    entryPoints: {main: join(projectRoot, 'scripts/release/entry.ts'), 'range-worker': join(projectRoot, 'src/audit/range-worker.ts')},
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    splitting: true,
    outdir,
    chunkNames: '[name]-[hash]',
    banner: {js: BANNER},
    define: {KSA_PJSON: JSON.stringify(pjson), 'process.env.DEV': '"false"'},
    // Ink loads react-devtools-core only when DEV=true; oclif requires typescript only to read a
    // tsconfig in development (caught when absent). Neither is shipped: typescript alone is 3.5 MB.
    external: ['react-devtools-core', 'typescript'],
    minify: true,
    keepNames: true,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
  })
  const files = new Map<string, Buffer>()
  for (const output of Object.keys(result.metafile.outputs)) {
    const abs = join(projectRoot, output)
    const rel = relative(outdir, abs).split('\\').join('/')
    if (rel.endsWith('.map')) continue
    files.set(rel, await readFile(abs))
  }
  files.set('package.json', Buffer.from(JSON.stringify(pjson, null, 2) + '\n'))
  files.set('boot.cjs', Buffer.from("'use strict'\n// Loaded with createRequire by the launcher: a file-backed module gets the real ESM loader.\nmodule.exports = (url) => import(url)\n"))

  const outputs = result.metafile.outputs
  const entryKey = Object.keys(outputs).find((k) => k.endsWith(`/${entry}`) || k === entry)
  let startupBytes = 0
  const seen = new Set<string>()
  const visit = (key: string) => {
    if (seen.has(key) || !outputs[key]) return
    seen.add(key)
    startupBytes += outputs[key].bytes
    for (const imp of outputs[key].imports) if (imp.kind === 'import-statement') visit(imp.path)
  }
  if (entryKey) visit(entryKey)
  return {files, entry, startupBytes}
}
