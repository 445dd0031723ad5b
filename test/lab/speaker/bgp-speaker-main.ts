// Runs one BgpSpeaker inside a lab node namespace, as the speaker daemon would: SpeakerState as JSON lines on stdin
// ({"state": {...}, "nodeAddresses": [...]}; secrets as an object, live as an array; {"stop": true}), status as JSON
// lines on stdout after each apply and each change ({ev: "status", sessions, routes, announced, problems}).
import {createInterface} from 'node:readline'
import {destination, pino} from 'pino'
import {BgpSpeaker} from '../../../src/speaker/bgp/speaker.js'
import type {SecretObject, SpeakerState} from '../../../src/speaker/state.js'

const node = process.argv[2]
const t0 = performance.now()
let addrs: string[] = []
let problems: unknown[] = []
const out = (ev: string, data: object) => process.stdout.write(JSON.stringify({t: Math.round((performance.now() - t0) * 10) / 10, ev, ...data}) + '\n')
let scheduled = false
const report = () => {
  if (scheduled) return
  scheduled = true
  setImmediate(() => {
    scheduled = false
    out('status', {sessions: sp.sessions(), routes: sp.routes(), announced: Object.fromEntries(sp.announcedServices()), problems: [...problems, ...sp.runtimeProblems()]})
  })
}
const sp = new BgpSpeaker({node, nodeAddresses: () => addrs, onChange: report, log: pino({level: process.env.LOG_LEVEL ?? 'warn'}, destination(2))})
process.on('SIGTERM', () => void sp.stop().then(() => process.exit(0)))
createInterface({input: process.stdin}).on('line', async (line) => {
  const c = JSON.parse(line) as {state?: Omit<SpeakerState, 'secrets' | 'live'> & {secrets: Record<string, SecretObject>; live: string[]}; nodeAddresses?: string[]; stop?: boolean}
  if (c.nodeAddresses) addrs = c.nodeAddresses
  if (c.state) {
    problems = sp.apply({...c.state, secrets: new Map(Object.entries(c.state.secrets)), live: new Set(c.state.live)})
    out('applied', {problems})
    report()
  }
  if (c.stop) {
    await sp.stop()
    out('stopped', {})
    process.exit(0)
  }
})
out('started', {node})
