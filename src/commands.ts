// Every command, named explicitly: oclif then needs no directory scan at startup, and the
// standalone (bundled) executable finds them without a file system layout.
// Command modules stay light: they import their services lazily inside run().
import type {Command} from '@oclif/core'
import {Complete} from './commands/complete.js'
import {Dashboard} from './commands/dashboard.js'
import {Detections} from './commands/detections.js'
import {Recent} from './commands/recent.js'
import {Unused} from './commands/unused.js'
import {WhoCan} from './commands/who-can.js'

export const COMMANDS: Record<string, Command.Class> = {
  __complete: Complete,
  dashboard: Dashboard,
  detections: Detections,
  recent: Recent,
  unused: Unused,
  'who-can': WhoCan,
}
