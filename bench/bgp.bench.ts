// The BGP engine announcing N /32 routes to a real FRR, next to FRR, BIRD 2 and GoBGP senders doing the same to the
// same receiver in the same run (method: shared/reference-measurements/bgp-announce).
import {type ChildProcess} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {bundleEntry} from '../test/harness/lab/bundle.js'
import {Frr} from '../test/harness/lab/frr.js'
import {Lab, type LabNode} from '../test/harness/lab/index.js'
import {median, type Bench, type BenchReport, type BenchRow} from './lib.js'
import {benchPrefixes} from '../test/harness/lab/bench-prefixes.js'

const RX = '198.18.0.1'
const TX = '198.18.0.2'
const EXTRA = ['198.18.0.3', '198.18.0.4', '198.18.0.5']
const POLL_MS = 5
const debug = (m: string) => process.env.LBCTL_BENCH_DEBUG && process.stderr.write(`[bgp bench] ${m}\n`)
const SIZES = (process.env.LBCTL_BGP_BENCH_SIZES ?? '10000,100000').split(',').map(Number)
/** Repetitions per sender: 5 at 10,000 routes (the times are a few ms, so polling jitter matters), 3 above. */
const repsFor = (n: number) => Number(process.env.LBCTL_BGP_BENCH_REPS ?? (n <= 10_000 ? 5 : 3))
const SENDERS = (process.env.LBCTL_BGP_BENCH_SENDERS ?? 'lbctl,FRR,BIRD,GoBGP').split(',')
const MEMORY = process.env.LBCTL_BGP_BENCH_MEMORY !== '0'


/** FRR's vty protocol on its unix socket: command + NUL, answer ends in three NULs and a status byte. */
export class Vty {
  private sock: net.Socket
  private buf = Buffer.alloc(0)
  private waiter?: (s: string) => void
  private constructor(path: string) {
    this.sock = net.connect({path})
    this.sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d])
      const n = this.buf.length
      if (n >= 4 && this.buf[n - 4] === 0 && this.buf[n - 3] === 0 && this.buf[n - 2] === 0) {
        const s = this.buf.subarray(0, n - 4).toString()
        this.buf = Buffer.alloc(0)
        this.waiter?.(s)
      }
    })
  }

  static async open(path: string): Promise<Vty> {
    const v = new Vty(path)
    await new Promise((r, j) => v.sock.once('connect', r).once('error', j))
    return v
  }

  cmd(c: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiter = resolve
      this.sock.write(c + '\0')
    })
  }

  close(): void {
    this.sock.destroy()
  }
}

interface Summary {
  state?: string
  pfxRcd: number
  ribCount: number
}
async function summary(v: Vty, peer = TX): Promise<Summary> {
  const j = JSON.parse(await v.cmd('show bgp ipv4 unicast summary json'))
  const p = j.peers?.[peer] ?? {}
  return {state: p.state, pfxRcd: p.pfxRcd ?? 0, ribCount: j.ribCount ?? 0}
}
async function waitFor(v: Vty, pred: (s: Summary) => boolean, timeoutMs: number, peer = TX): Promise<number | undefined> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    const s = await summary(v, peer)
    if (pred(s)) return performance.now()
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
  return undefined
}

/** Wall-clock time (ms since epoch) of the first log line containing `pat`, from FRR's microsecond timestamps. */
function logTime(log: string, pat: string): number | undefined {
  for (const line of log.split('\n')) {
    if (!line.includes(pat)) continue
    const m = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)\.(\d+)/.exec(line)
    // FRR writes local time.
    if (m) return new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]).getTime() + Number(`0.${m[7]}`) * 1000
  }
  return undefined
}

interface Sender {
  name: string
  start(n: number): Promise<void>
  up(): Promise<void>
  withdraw(): Promise<void>
  readvertise(): Promise<void>
  drop(): Promise<void>
  stop(): Promise<void>
  /** Called once the receiver holds all routes (lbctl reports its event-loop delay since Established). */
  afterFull?(): Promise<void>
  loopDelayMs?: number
  setRoutesMs?: number
  prepareStallMs?: number
}

/** LBCTL_BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") for the engine processes, to profile them. */
const nodeArgs = () => (process.env.LBCTL_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)

function lbctlSender(tx: LabNode): Sender {
  let child: ChildProcess | undefined
  let events: any[] = []
  // Woken by each event line as it arrives (no polling delay added to lbctl's times).
  let wake: (() => void) | undefined
  const wait = async (pred: (e: any) => boolean) => {
    while (!events.some(pred)) await new Promise<void>((r) => (wake = r))
    return events.find(pred)
  }
  let n = 0
  const s: Sender = {
    name: 'lbctl',
    async start(count) { n = count },
    async up() {
      const file = await bundleEntry('test/lab/bgp/engine-main.ts')
      events = []
      child = tx.spawn(process.execPath, [...nodeArgs(), file, JSON.stringify({peer: RX, peerAsn: 65001, myAsn: 65002, routerId: TX, source: TX, generate: n, holdTime: 90})])
      createInterface({input: child.stdout!}).on('line', (l) => {
        events.push(JSON.parse(l))
        wake?.()
      })
      child.stderr!.resume()
      const rs = await wait((x) => x.ev === 'routes-set')
      s.setRoutesMs = rs.ms
      s.prepareStallMs = rs.maxGapMs
      await wait((x) => x.ev === 'eor-sent')
    },
    async afterFull() {
      child!.stdin!.write('{"stats":true}\n')
      s.loopDelayMs = (await wait((x) => x.ev === 'stats')).loopDelayMaxMs
    },
    async withdraw() { events = []; const t0 = performance.now(); child!.stdin!.write('{"routes":[]}\n'); const e = await wait((x) => x.ev === 'synced'); debug(`withdraw: synced in the engine after ${e.ms.toFixed(2)} ms, seen by the bench after ${(performance.now() - t0).toFixed(2)} ms`) },
    async readvertise() { events = []; child!.stdin!.write('{"restore":true}\n'); await wait((x) => x.ev === 'synced') },
    async drop() { child!.stdin!.write('{"stop":"bench"}\n'); await new Promise((r) => child!.once('exit', r)) },
    async stop() { if (child && child.exitCode === null) child.kill() },
  }
  return s
}

function frrSender(tx: LabNode, _dir: string): Sender {
  let f: Frr | undefined
  let v: Vty | undefined
  const c = async (...cmds: string[]) => { for (const x of cmds) await v!.cmd(x) }
  return {
    name: 'FRR',
    async start(n) {
      const conf = ['route-map DENYALL deny 10', '!', 'router bgp 65002', ` bgp router-id ${TX}`, ' no bgp ebgp-requires-policy', ' no bgp network import-check',
        ` neighbor ${RX} remote-as 65001`, ` neighbor ${RX} timers connect 1`, ` neighbor ${RX} shutdown`, ' address-family ipv4 unicast',
        ...benchPrefixes(n).map((p) => `  network ${p}`), ' exit-address-family', ''].join('\n')
      f = await Frr.start(tx, conf)
      v = await Vty.open(join(f.dir, 'bgpd.vty'))
      while ((JSON.parse(await v.cmd('show bgp ipv4 unicast summary json')).tableVersion ?? 0) < n) await new Promise((r) => setTimeout(r, 200))
      await c('enable', 'configure terminal', 'router bgp 65002', 'address-family ipv4 unicast')
    },
    async up() { await c('exit-address-family', `no neighbor ${RX} shutdown`, 'address-family ipv4 unicast') },
    async withdraw() { await c(`neighbor ${RX} route-map DENYALL out`) },
    async readvertise() { await c(`no neighbor ${RX} route-map DENYALL out`) },
    async drop() { await c('exit-address-family', `neighbor ${RX} shutdown`, 'address-family ipv4 unicast') },
    async stop() { v?.close(); await f?.stop() },
  }
}

function birdSender(tx: LabNode, dir: string): Sender {
  const ctl = join(dir, 'bird.ctl')
  const birdc = (...a: string[]) => tx.exec('birdc', ['-s', ctl, ...a])
  let pid = 0
  return {
    name: 'BIRD',
    async start(n) {
      writeFileSync(join(dir, 'bird.conf'), [`router id ${TX};`, 'protocol device {}', 'protocol static s1 {', ' ipv4;', ...benchPrefixes(n).map((p) => ` route ${p} blackhole;`), '}',
        'protocol bgp b1 {', ' disabled;', ` local ${TX} as 65002;`, ` neighbor ${RX} as 65001;`, ' ipv4 { import none; export all; next hop self; };', '}', ''].join('\n'))
      await tx.exec('bird', ['-c', join(dir, 'bird.conf'), '-s', ctl, '-P', join(dir, 'bird.pid')], {check: true})
      while (!(await birdc('show', 'route', 'count')).stdout.includes(`${n} of ${n} routes`)) await new Promise((r) => setTimeout(r, 200))
      pid = Number(readFileSync(join(dir, 'bird.pid'), 'utf8'))
    },
    async up() { await birdc('enable', 'b1') },
    async withdraw() { await birdc('disable', 's1') },
    async readvertise() { await birdc('enable', 's1') },
    async drop() { await birdc('disable', 'b1') },
    async stop() { try { process.kill(pid, 'SIGTERM') } catch { /* gone */ } ; while (pid && existsSync(`/proc/${pid}`)) await new Promise((r) => setTimeout(r, 50)) },
  }
}

/** MRT TABLE_DUMP_V2 (RFC 6396) of the routes, as gen.py writes it (padded: `gobgp mrt inject` drops the tail). */
function mrt(ps: string[]): Buffer {
  const rec = (sub: number, body: Buffer) => {
    const h = Buffer.alloc(12)
    h.writeUInt16BE(13, 4)
    h.writeUInt16BE(sub, 6)
    h.writeUInt32BE(body.length, 8)
    return Buffer.concat([h, body])
  }
  const ip = (s: string) => Buffer.from(s.split('.').map(Number))
  const peerIdx = Buffer.concat([ip(TX), Buffer.from([0, 0, 0, 1, 2]), ip(TX), ip(TX), Buffer.from([0, 0, 0xfd, 0xea])])
  const attrs = Buffer.concat([Buffer.from([0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4]), ip(TX)])
  const out = [rec(1, peerIdx)]
  ;[...ps, ...ps.slice(0, 5000)].forEach((p, seq) => {
    const [a, l] = p.split('/')
    const len = Number(l)
    const pb = ip(a).subarray(0, (len + 7) >> 3)
    const head = Buffer.alloc(5)
    head.writeUInt32BE(seq)
    head[4] = len
    const entry = Buffer.alloc(8)
    entry.writeUInt16BE(attrs.length, 6)
    out.push(rec(2, Buffer.concat([head, pb, Buffer.from([0, 1]), entry, attrs])))
  })
  return Buffer.concat(out)
}

function gobgpSender(tx: LabNode, dir: string): Sender {
  let child: ChildProcess | undefined
  const port = String(50200 + (process.pid % 300))
  const g = (...a: string[]) => tx.exec('gobgp', ['-p', port, ...a])
  const file = join(dir, 'routes.mrt')
  return {
    name: 'GoBGP',
    async start(n) {
      writeFileSync(join(dir, 'gobgp.toml'), `[global.config]\n  as = 65002\n  router-id = "${TX}"\n  local-address-list = ["${TX}"]\n`)
      writeFileSync(file, mrt(benchPrefixes(n)))
      await tx.exec('ip', ['link', 'set', 'lo', 'up'])
      debug('gobgpd starting')
      child = tx.spawn('gobgpd', ['-f', join(dir, 'gobgp.toml'), '--api-hosts', `127.0.0.1:${port}`, '--pprof-disable', '-p', '-l', 'warn'])
      // Drain its output: a full pipe would block gobgpd.
      child.stdout!.resume()
      child.stderr!.resume()
      while ((await g('global')).exitCode !== 0) await new Promise((r) => setTimeout(r, 200))
      debug('gobgpd up; injecting')
      const inj = await g('mrt', 'inject', 'global', file)
      debug(`inject: ${inj.exitCode} ${inj.stderr}`)
      if (inj.exitCode !== 0) throw new Error(`gobgp mrt inject: ${inj.stderr}`)
      const deadline = Date.now() + 20_000
      while (!(await g('global', 'rib', 'summary', '-a', 'ipv4')).stdout.includes(`Destination: ${n},`)) {
        if (Date.now() > deadline) throw new Error(`gobgp holds ${(await g('global', 'rib', 'summary', '-a', 'ipv4')).stdout.trim()} after mrt inject, expected ${n}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    },
    async up() { await g('neighbor', 'add', RX, 'as', '65001') },
    async withdraw() { await g('global', 'rib', '-a', 'ipv4', 'del', 'all') },
    async readvertise() { await g('mrt', 'inject', 'global', file) },
    async drop() { await g('neighbor', 'del', RX) },
    async stop() { if (child && child.exitCode === null) { child.kill('SIGTERM'); await new Promise((r) => child!.once('exit', r)) } },
  }
}

interface Rep {
  full?: number
  withdraw?: number
  drop?: number
  loopDelayMs?: number
  setRoutesMs?: number
  prepareStallMs?: number
}

async function rep(rx: LabNode, tx: Sender, n: number): Promise<Rep> {
  const conf = ['router bgp 65001', ` bgp router-id ${RX}`, ' no bgp ebgp-requires-policy', ' bgp log-neighbor-changes', ` neighbor ${TX} remote-as 65002`, ` neighbor ${TX} timers connect 1`, ''].join('\n')
  const f = await Frr.start(rx, conf)
  const v = await Vty.open(join(f.dir, 'bgpd.vty'))
  const r: Rep = {}
  try {
    await summary(v)
    const upCall = tx.up()
    const tFull = await waitFor(v, (s) => s.pfxRcd >= n, 300_000)
    await upCall
    await tx.afterFull?.()
    const tUp = logTime(f.log(), `neighbor ${TX}`)
    // FRR logs in local wall-clock time; convert our monotonic end to wall clock.
    if (tFull && tUp) r.full = (Date.now() - (performance.now() - tFull)) - tUp
    r.loopDelayMs = tx.loopDelayMs
    r.setRoutesMs = tx.setRoutesMs
    r.prepareStallMs = tx.prepareStallMs
    // Let the receiver finish digesting the table (best path, zebra) before timing the withdrawal, as before the drop:
    // a sender that delivered its table in 35 ms would otherwise be timed against FRR's leftover work.
    await new Promise((res) => setTimeout(res, 500))
    let t = performance.now()
    await tx.withdraw()
    const tW = await waitFor(v, (s) => s.pfxRcd === 0, 300_000)
    if (tW) r.withdraw = tW - t
    await tx.readvertise()
    await waitFor(v, (s) => s.pfxRcd >= n, 300_000)
    await new Promise((res) => setTimeout(res, 500))
    t = performance.now()
    await tx.drop()
    const tD = await waitFor(v, (s) => s.ribCount === 0, 300_000)
    if (tD) r.drop = tD - t
  } finally {
    v.close()
    await f.stop()
  }
  return r
}

async function memory(rx: LabNode, tx: LabNode, n: number): Promise<{rssMB: number; heapMB: number; loopDelayMs: number; gcMaxMs: number; frrRssMB: number}> {
  const peers = [TX, ...EXTRA]
  const conf = ['router bgp 65001', ` bgp router-id ${RX}`, ' no bgp ebgp-requires-policy', ...peers.flatMap((p) => [` neighbor ${p} remote-as 65002`, ` neighbor ${p} timers connect 1`]), ''].join('\n')
  const f = await Frr.start(rx, conf)
  const v = await Vty.open(join(f.dir, 'bgpd.vty'))
  const file = await bundleEntry('test/lab/bgp/engine-main.ts')
  const child = tx.spawn(process.execPath, [...nodeArgs(), file, JSON.stringify({peer: RX, peerAsn: 65001, myAsn: 65002, routerId: TX, source: TX, generate: n, extraSources: EXTRA})])
  const events: any[] = []
  createInterface({input: child.stdout!}).on('line', (l) => events.push(JSON.parse(l)))
  try {
    for (const p of peers) await waitFor(v, (s) => s.pfxRcd >= n, 600_000, p)
    await new Promise((r) => setTimeout(r, 1000))
    child.stdin!.write('{"stats":true}\n')
    while (!events.some((e) => e.ev === 'stats')) await new Promise((r) => setTimeout(r, 10))
    const st = events.find((e) => e.ev === 'stats')
    debug(`stats ${JSON.stringify(st)}`)
    const frrRss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${f.pids.get('bgpd')}/status`, 'utf8'))?.[1] ?? 0) / 1024
    return {rssMB: st.rssMB, heapMB: st.heapMB, loopDelayMs: st.loopDelayMaxMs, gcMaxMs: st.gcMaxMs, frrRssMB: frrRss}
  } finally {
    child.kill()
    v.close()
    await f.stop()
  }
}

export const bench: Bench = {
  id: 'bgp',
  title: 'BGP engine: announce, withdraw and drop N routes into FRR, against FRR, BIRD 2 and GoBGP',
  needs: ['root', 'bgpd', 'vtysh', 'bird', 'birdc', 'gobgpd', 'gobgp'],
  async run(): Promise<BenchReport> {
    debug('lab')
    const lab = await Lab.create('bgb')
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-bgpbench-'))
    const rows: BenchRow[] = []
    const notes: string[] = []
    try {
      const rx = await lab.addNode('rx')
      const tx = await lab.addNode('tx')
      await lab.link(rx, tx, {aIp: `${RX}/24`, bIp: `${TX}/24`, aIfname: 'eth0', bIfname: 'eth0'})
      for (const a of EXTRA) await tx.addAddress(`${a}/24`, 'eth0')
      for (const n of SIZES) {
        const res: Record<string, Rep[]> = {}
        for (const mk of [lbctlSender, frrSender, birdSender, gobgpSender]) {
          const s = mk(tx, dir)
          if (!SENDERS.includes(s.name)) continue
          res[s.name] = []
          await s.start(n)
          try {
            for (let i = 0; i < repsFor(n); i++) {
              res[s.name].push(await rep(rx, s, n))
              if (s.name === 'FRR' || s.name === 'BIRD') await s.readvertise()
              if (s.name === 'lbctl') await s.stop()
              if (s.name === 'GoBGP' || s.name === 'lbctl') await new Promise((r) => setTimeout(r, 200))
            }
          } finally {
            await s.stop()
          }
          process.stderr.write(`  ${s.name} ${n}: ${JSON.stringify(res[s.name])}\n`)
        }
        const k = n.toLocaleString('en-US')
        for (const [metric, key] of [['Established → FRR holds all', 'full'], ['withdraw all → FRR holds none', 'withdraw'], ['session drop → FRR RIB empty', 'drop']] as const) {
          const med = (name: string) => {
            const xs = (res[name] ?? []).map((x) => x[key]).filter((x): x is number => x !== undefined)
            return xs.length ? median(xs) / 1000 : NaN
          }
          const refs = ['FRR', 'BIRD', 'GoBGP'].map((name) => ({name, value: med(name)})).filter((x) => !Number.isNaN(x.value))
          const best = refs.sort((a, b) => a.value - b.value)[0]
          const value = med('lbctl')
          rows.push({metric: `${metric}, ${k} /32`, value, unit: 's', reference: best, ratio: best ? value / best.value : undefined,
            target: '≤ 1.0× fastest reference', met: best ? value <= best.value : undefined})
          notes.push(`${metric}, ${k}: ${['lbctl', 'FRR', 'BIRD', 'GoBGP'].map((x) => `${x} ${med(x).toFixed(3)} s`).join(', ')}`)
        }
        const delays = (res.lbctl ?? []).map((x) => x.loopDelayMs).filter((x): x is number => x !== undefined)
        if (delays.length) rows.push({metric: `event-loop stall, Established → FRR holds all ${k} (max)`, value: Math.max(...delays), unit: 'ms', target: '< 50 ms', met: Math.max(...delays) < 50})
        const sets = (res.lbctl ?? []).map((x) => x.setRoutesMs).filter((x): x is number => x !== undefined)
        const stalls = (res.lbctl ?? []).map((x) => x.prepareStallMs).filter((x): x is number => x !== undefined)
        if (sets.length) rows.push({metric: `prepareRoutes(${k} routes), wall time (median)`, value: median(sets), unit: 'ms'})
        if (stalls.length) rows.push({metric: `event-loop stall while preparing ${k} routes (max)`, value: Math.max(...stalls), unit: 'ms', target: '< 50 ms', met: Math.max(...stalls) < 50})
      }
      const big = Math.max(...SIZES)
      const m = MEMORY ? await memory(rx, tx, big) : undefined
      if (m) rows.push({metric: `engine RSS holding ${big.toLocaleString('en-US')} routes to 4 peers`, value: m.rssMB, unit: 'MB',
        reference: {name: `receiving FRR bgpd (4 × ${big.toLocaleString('en-US')} paths)`, value: m.frrRssMB}, ratio: m.rssMB / m.frrRssMB, target: 'for scale only'})
      if (m) notes.push(`Memory run: one prepared route table shared by 4 sessions; heap ${m.heapMB.toFixed(1)} MB; largest event-loop stall ${m.loopDelayMs.toFixed(1)} ms from Established until FRR held all routes of all 4 (longest GC pause ${m.gcMaxMs.toFixed(1)} ms).`)
    } finally {
      await lab.destroy()
      rmSync(dir, {recursive: true, force: true})
    }
    return {
      id: 'bgp', title: this.title,
      method: `Two namespaces joined by a veth (receiver FRR bgpd AS 65001 at ${RX}, sender AS 65002 at ${TX}), as in shared/reference-measurements/bgp-announce: ` +
        'each sender loads the N routes first with its session down, then brings it up; a client on the receiver\'s vty socket polls ' +
        '`show bgp ipv4 unicast summary json` every 5 ms. Start = the receiver\'s neighbor-Up log line (µs timestamps), end = pfxRcd ≥ N. ' +
        'Withdraw (started 500 ms after the receiver holds all, so it has finished digesting the table) = deny-all route-map (FRR) / static protocol disabled (BIRD) / `gobgp global rib del all` / setRoutes([]) (lbctl), until pfxRcd = 0. ' +
        'Drop (again 500 ms after the table is back) = Cease from the sender until the receiver\'s RIB is empty. Fresh receiver per repetition; ' +
        `median of ${repsFor(10_000)} repetitions per sender at 10,000 routes and ${repsFor(100_000)} at 100,000; prefixes as gen.py. lbctl = the engine (BgpSession) in a Node process inside the sender namespace.`,
      rows, notes,
    }
  },
}
