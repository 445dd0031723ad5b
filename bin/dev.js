#!/usr/bin/env node
// Development entry point: ignores oclif.manifest.json so freshly built commands show up without regenerating it.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
