// Runs one BgpSession inside a lab namespace. Config as JSON in argv[2]; commands as JSON lines on stdin
// ({"routes": [...]}, {"stop": "reason"}, {"graceful": true}); events as JSON lines on stdout with a time in ms.
import {createInterface} from 'node:readline'
import {BgpSession, prepareRoutes, type Route} from '../../../src/lib/bgp/session.js'
import {tcpTransport} from '../../../src/lib/bgp/transport.js'
import {monitorEventLoopDelay, PerformanceObserver} from 'node:perf_hooks'
import {benchPrefixes} from '../../harness/lab/bench-prefixes.js'


const cfg = JSON.parse(process.argv[2]) as {
  peer: string; port?: number; peerAsn: number; myAsn: number; routerId: string; holdTime?: number; source?: string; password?: string
  connectRetryTime?: number; routes?: Route[]; gracefulRestart?: boolean; generate?: number
  /** More sessions to the same peer from these extra local addresses (the memory benchmark's 4 peers). */
  extraSources?: string[]
}
const t0 = performance.now()
const out = (ev: string, data: unknown = {}) => process.stdout.write(JSON.stringify({t: Math.round((performance.now() - t0) * 10) / 10, ev, ...(data as object)}) + '\n')
const s = new BgpSession({
  localAsn: cfg.myAsn, peerAsn: cfg.peerAsn, routerId: cfg.routerId, holdTime: cfg.holdTime ?? 90, connectRetryTime: cfg.connectRetryTime ?? 1,
  gracefulRestart: cfg.gracefulRestart ? {restartTime: 120} : undefined,
  transport: tcpTransport({host: cfg.peer, port: cfg.port, localAddress: cfg.source, password: cfg.password}),
})
const h = monitorEventLoopDelay({resolution: 5})
s.on('state', (x) => out('state', x))
s.on('established', (n) => { h.reset(); h.enable(); maxGap = 0; out('established', {holdTime: n.holdTime, families: n.families}) })
s.on('down', (d) => out('down', {reason: d.reason, message: d.message}))
s.on('notification-sent', (n) => out('notification-sent', {code: n.code, subcode: n.subcode}))
s.on('notification-received', (n) => out('notification-received', {code: n.code, subcode: n.subcode}))
s.on('connect-failed', (e) => out('connect-failed', {message: e.message}))
s.on('sent', (x) => out('sent', {announced: x.announced, withdrawn: x.withdrawn, updates: x.updates}))
s.on('end-of-rib-sent', (f) => { out('eor-sent', {family: f, loopDelayMaxMs: h.max / 1e6, rssMB: process.memoryUsage().rss / 2 ** 20}) })
s.on('route-refresh-received', (r) => out('route-refresh', r))
s.on('protocol-error', (e) => out('protocol-error', {action: e.action, code: e.code, subcode: e.subcode}))
let routes = cfg.routes ?? []
if (cfg.generate) routes = benchPrefixes(cfg.generate).map((prefix) => ({prefix}))
// Event-loop stalls, measured directly: the largest gap between 1 ms ticks (monitorEventLoopDelay misses the first).
let lastTick = performance.now()
let maxGap = 0
/** When the largest gap ended, on the monotonic clock in µs: the timestamps of a --cpu-prof profile, to find what ran. */
let gapEndUs = 0
setInterval(() => {
  const now = performance.now()
  if (now - lastTick - 1 > maxGap) {
    maxGap = now - lastTick - 1
    gapEndUs = Number(process.hrtime.bigint() / 1000n)
  }
  lastTick = now
}, 1).unref()
// The longest garbage-collection pause, so a stall can be told apart from our own work.
let gcMaxMs = 0
new PerformanceObserver((list) => { for (const e of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, e.duration) }).observe({entryTypes: ['gc']})
process.on('SIGTERM', () => process.exit(0))
const tSet = performance.now()
// One prepared table, shared by every session (prepareRoutes yields to the event loop every 5,000 routes).
const table = await prepareRoutes(routes)
out('routes-set', {count: routes.length, ms: performance.now() - tSet, maxGapMs: maxGap})
s.setRoutes(table)
s.start()
const extra = (cfg.extraSources ?? []).map((src, i) => {
  const x = new BgpSession({
    localAsn: cfg.myAsn, peerAsn: cfg.peerAsn, routerId: src, holdTime: cfg.holdTime ?? 90, connectRetryTime: cfg.connectRetryTime ?? 1,
    transport: tcpTransport({host: cfg.peer, port: cfg.port, localAddress: src}),
  })
  x.on('end-of-rib-sent', (f) => out('eor-sent', {session: i + 1, family: f, rssMB: process.memoryUsage().rss / 2 ** 20}))
  x.setRoutes(table)
  x.start()
  return x
})
out('started')
createInterface({input: process.stdin}).on('line', async (line) => {
  const c = JSON.parse(line) as {routes?: Route[]; restore?: boolean; stop?: string; graceful?: boolean; stats?: boolean}
  if (c.restore) { h.reset(); s.setRoutes(table); await s.synced(); out('synced', {loopDelayMaxMs: h.max / 1e6}) }
  if (c.routes) { const t0 = performance.now(); h.reset(); s.setRoutes(c.routes); await s.synced(); out('synced', {loopDelayMaxMs: h.max / 1e6, ms: performance.now() - t0}) }
  if (c.stats) out('stats', {rssMB: process.memoryUsage().rss / 2 ** 20, heapMB: process.memoryUsage().heapUsed / 2 ** 20, loopDelayMaxMs: Math.max(h.max / 1e6, maxGap), gcMaxMs, gapEndUs})
  if (c.stop !== undefined || c.graceful) {
    await Promise.all([s.stop(c.graceful ? {graceful: true} : {reason: c.stop}), ...extra.map((x) => x.stop({reason: c.stop}))])
    out('stopped')
    process.exit(0)
  }
})
