#!/usr/bin/env node
// kubectl finds this executable on PATH as `kubectl sensitive-access`.
import {execute} from '@oclif/core'

// With no command on a terminal, the dashboard opens (on a pipe, the help is printed as usual).
const args = process.argv.slice(2)
await execute({dir: import.meta.url, args: args.length === 0 && process.stdout.isTTY ? ['dashboard'] : args})
