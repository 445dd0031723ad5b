#!/usr/bin/env node
// The controller daemon. Runs the compiled code (`npm run build` first); see src/controller/main.ts.
import {setFlagsFromString} from 'node:v8'

// A long-running daemon trades a little throughput for memory: V8 then collects garbage before growing the heap
// (10,000 services: ~105 MB RSS instead of ~175 MB). Set before anything else is loaded, so it governs the whole heap.
if (!process.env.LBCTL_NO_OPTIMIZE_FOR_SIZE) setFlagsFromString('--optimize-for-size')

const {main} = await import('../dist/src/controller/main.js')
const code = await main()
// Open sockets (keep-alive agents, watch streams) must not keep a stopped daemon alive.
process.exit(code)
