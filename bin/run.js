#!/usr/bin/env node
// kubectl finds this executable on PATH as `kubectl sensitive-access`.
import {execute, settings} from '@oclif/core'

// Always the built code: oclif would otherwise run src/ through tsx whenever NODE_ENV is "test"
// or "development" (bin/dev.js is the way to run the sources).
settings.enableAutoTranspile = false

// With no command on a terminal, the dashboard opens (on a pipe, the help is printed as usual).
const args = process.argv.slice(2)
await execute({dir: import.meta.url, args: args.length === 0 && process.stdout.isTTY ? ['dashboard'] : args})
