// One GossipMembership in a process of its own (real UDP), for the loopback test, the lab test and the benchmark.
// argv[2]: JSON {node, bindAddress, port, keyFile, candidates, timers?}. Prints JSON lines: {event: 'view', t, alive,
// source, reason} on every change (t = wall-clock ms). stdin JSON lines: {cmd: 'leave'} | {cmd: 'candidates', candidates}.
import {createInterface} from 'node:readline'
import {GossipMembership} from '../../../../src/speaker/membership/membership.js'
import type {Candidate} from '../../../../src/speaker/membership/types.js'

const cfg = JSON.parse(process.argv[2] ?? '{}') as {node: string; bindAddress: string; port: number; keyFile?: string; candidates: Candidate[]; timers?: Record<string, number>}
const m = new GossipMembership({node: cfg.node, bindAddress: cfg.bindAddress, port: cfg.port, keyFile: cfg.keyFile, timers: cfg.timers})
const out = (o: object): void => void process.stdout.write(JSON.stringify(o) + '\n')
m.on('change', (v) => out({event: 'view', t: Date.now(), alive: [...v.alive].sort(), source: v.source, reason: v.reason}))
m.setCandidates(cfg.candidates)
await m.start()
out({event: 'started', t: Date.now()})
// Keep the process alive (the socket is unref'd so a speaker can exit cleanly).
const keepAlive = setInterval(() => undefined, 60_000)
createInterface({input: process.stdin}).on('line', (line) => {
  const c = JSON.parse(line) as {cmd: string; candidates?: Candidate[]}
  if (c.cmd === 'candidates') m.setCandidates(c.candidates ?? [])
  if (c.cmd === 'leave') void m.leave().then(() => {
    clearInterval(keepAlive)
    out({event: 'left', t: Date.now()})
  })
  if (c.cmd === 'stats') out({event: 'stats', stats: m.stats()})
})
process.on('SIGTERM', () => void m.leave().then(() => process.exit(0)))
