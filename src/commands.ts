// Every command, named explicitly: oclif then needs no directory scan at startup, and the
// standalone (bundled) executable finds them without a file system layout.
// Command modules stay light: they import their services lazily inside run().
import type {Command} from '@oclif/core'

export const COMMANDS: Record<string, Command.Class> = {}
