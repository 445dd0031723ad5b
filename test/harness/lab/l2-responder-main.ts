// A speaker-ish process for lab tests: runs the L2 engine inside a node namespace and takes JSON-line commands on
// stdin, answering one JSON line each on stdout:
//   {"id":1,"cmd":"interfaces","names":["eth0"]}     {"id":2,"cmd":"own","address":"203.0.113.10","interfaces":["eth0"]}
//   {"id":3,"cmd":"release","address":"203.0.113.10"} {"id":4,"cmd":"stats"}
//   {"id":5,"cmd":"offload"} → {status, addresses: {eth0: ["203.0.113.10"]}} (read back from the kernel's maps)
// argv: --filter requests|all   --schedule '{"repeatIntervalMs":1100,...}'   --watch (serve what interface discovery
// selects, following changes, instead of the "interfaces" command)   --arp-offload auto|on|off   --xdp-mode auto|native|generic
// --watch-backoff-ms N (first restart delay of a dead `ip monitor`)   --watch-settle-ms N (second re-scan after it)
//   {"id":6,"cmd":"status"} → {serving, skipped, monitorPid, restarts} (the watch's `ip monitor`)
import {createInterface} from 'node:readline'
import {L2Engine} from '../../../src/lib/l2/engine.js'
import {type InterfaceSelection, type InterfaceWatch, watchInterfaces} from '../../../src/lib/l2/interfaces.js'
import type {ArpOffloadSetting, XdpModeSetting} from '../../../src/lib/l2/offload.js'

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name)
  return i > 0 ? process.argv[i + 1] : undefined
}
const engine = new L2Engine({
  filter: arg('--filter') === 'all' ? 'all' : 'requests',
  schedule: arg('--schedule') ? JSON.parse(arg('--schedule')!) : undefined,
  onError: (iface, e) => process.stderr.write(`${iface}: ${e.message}\n`),
  arpOffload: (arg('--arp-offload') ?? 'auto') as ArpOffloadSetting,
  xdpMode: (arg('--xdp-mode') ?? 'auto') as XdpModeSetting,
})

let selection: InterfaceSelection | undefined
let watch: InterfaceWatch | undefined
if (process.argv.includes('--watch')) {
  const backoff = arg('--watch-backoff-ms')
  const settle = arg('--watch-settle-ms')
  watch = watchInterfaces((sel) => {
    selection = sel
    engine.setInterfaces(sel.selected.map((l) => l.name))
  }, {debounceMs: 20, onError: (e) => process.stderr.write(`watch: ${e.message}\n`),
    backoff: backoff ? {initialMs: Number(backoff)} : undefined, settleMs: settle ? Number(settle) : undefined})
}

const handlers: Record<string, (m: any) => unknown> = {
  status: () => ({serving: engine.interfaces(), skipped: selection?.skipped ?? [], monitorPid: watch?.monitorPid ?? null, restarts: watch?.restarts ?? 0}),
  interfaces: (m) => {
    engine.setInterfaces(m.names)
    return engine.interfaces()
  },
  own: (m) => engine.own(m.address, m.interfaces).text,
  release: (m) => engine.release(m.address),
  stats: () => engine.stats(),
  offload: () => ({status: engine.stats().offload,
    addresses: Object.fromEntries(engine.interfaces().map((i) => [i, engine.offloadedAddresses(i) ?? null]))}),
  exit: () => setImmediate(() => {
    engine.close()
    process.exit(0)
  }),
}

createInterface({input: process.stdin}).on('line', (line) => {
  let id: unknown
  try {
    const m = JSON.parse(line)
    id = m.id
    const h = handlers[m.cmd]
    if (!h) throw new Error(`unknown command ${m.cmd}`)
    process.stdout.write(JSON.stringify({id, ok: true, result: h(m), at: Date.now()}) + '\n')
  } catch (e) {
    process.stdout.write(JSON.stringify({id, ok: false, error: (e as Error).message}) + '\n')
  }
}).on('close', () => {
  engine.close()
  process.exit(0)
})
process.on('SIGTERM', () => {
  engine.close()
  process.exit(0)
})
process.stdout.write(JSON.stringify({ready: true, pid: process.pid}) + '\n')
