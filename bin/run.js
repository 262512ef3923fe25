#!/usr/bin/env node
// kubectl finds this executable on PATH as `kubectl sensitive-access`.
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
