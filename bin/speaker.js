#!/usr/bin/env node
// The speaker daemon. Runs the compiled code (`npm run build` first); see src/speaker/main.ts.
import {setFlagsFromString} from 'node:v8'

// As the controller: a long-running daemon trades a little throughput for a smaller heap.
if (!process.env.LBCTL_NO_OPTIMIZE_FOR_SIZE) setFlagsFromString('--optimize-for-size')

const {main} = await import('../dist/src/speaker/main.js')
const code = await main()
// Open sockets (keep-alive agents, watch streams, packet sockets) must not keep a stopped daemon alive.
process.exit(code)
