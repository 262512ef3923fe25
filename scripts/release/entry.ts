// Entry of the standalone bundle. The launcher imports this file from its unpacked cache dir and
// calls `main`. oclif then loads the commands through package.json's explicit strategy, whose
// target the release rewrites to this very file: the second import hits the module cache, so the
// bundle is evaluated once and no `dist/` layout is needed.
import {execute, settings} from '@oclif/core'
import type {Interfaces} from '@oclif/core'

export {COMMANDS} from '../../src/commands.js'

// Replaced at bundle time by esbuild's `define` with the trimmed package.json.
declare const KSA_PJSON: Interfaces.PJSON

export async function main(root: string, argv: string[]): Promise<void> {
  // There is no TypeScript source next to the bundle; never let oclif look for a tsconfig.
  settings.enableAutoTranspile = false
  // As bin/run.js: with no command on a terminal, the dashboard opens.
  const args = argv.length === 0 && process.stdout.isTTY ? ['dashboard'] : argv
  await execute({args, loadOptions: {root, pjson: structuredClone(KSA_PJSON)}})
}
