// Issue 13 membership benchmarks: detection time after a hard kill over real UDP (default and tuned timers), gossip
// packets per node per second against the number of members (simulated, virtual time), and false failovers over 10
// simulated minutes with 5 % loss on every link.
import {type ChildProcess, spawn} from 'node:child_process'
import {createSocket} from 'node:dgram'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {FakeClock} from '../test/support/fake-clock.js'
import {GossipMembership} from '../src/speaker/membership/membership.js'
import {DEFAULT_TIMERS, FAST_TIMERS, type MembershipTimers, suspicionTimeoutMs} from '../src/speaker/membership/options.js'
import {seededRandom, SimNetwork} from '../src/speaker/membership/sim-network.js'
import {bundleEntry} from '../test/harness/lab/bundle.js'
import {cleanupStale, Lab, labPrerequisites} from '../test/harness/lab/index.js'
import {type Bench, type BenchReport, type BenchRow, median, percentile} from './lib.js'

const KILLS = 12
const LAB_REPS = 8
const SIZES = [3, 10, 25, 50]
const RATE_SECONDS = 60
const LOSS_MINUTES = 10
const LOSS = 0.05
// ../shared/reference-measurements/l2-failover, SIGKILL + link down → first ARP reply from the backup (median).
const VRRP2 = 2.69
const VRRP3 = 0.32

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function freePort(address: string): Promise<number> {
  const s = createSocket('udp4')
  await new Promise<void>((r) => s.bind(0, address, () => r()))
  const port = s.address().port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

async function until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = performance.now() + timeoutMs
  while (performance.now() < end) {
    if (pred()) return true
    await sleep(5)
  }
  return pred()
}

/**
 * Two members in this process and one in a child on loopback (127.0.0.x); SIGKILL the child and time until both
 * in-process views drop it (their 'change' events, so no polling loop competes for the CPU).
 */
async function detection(timers: MembershipTimers, keyFile: string): Promise<number[]> {
  const main = await bundleEntry('test/unit/speaker/membership/member-main.ts')
  const out: number[] = []
  for (let i = 0; i < KILLS; i++) {
    const base = 30 + (i % 8) * 4
    const addrs = ['n1', 'n2', 'n3'].map((n, j) => ({node: n, address: `127.0.0.${base + j}`}))
    const port = await freePort(addrs[0].address)
    const members = await Promise.all(addrs.slice(0, 2).map(async (c) => {
      const m = new GossipMembership({node: c.node, bindAddress: c.address, port, keyFile, timers})
      m.setCandidates(addrs)
      await m.start()
      return m
    }))
    const child: ChildProcess = spawn(process.execPath, [main, JSON.stringify({node: 'n3', bindAddress: addrs[2].address, port, keyFile, candidates: addrs, timers})],
      {stdio: ['pipe', 'pipe', 'inherit']})
    createInterface({input: child.stdout!}).on('line', () => undefined)
    const all = (want: string): boolean => members.every((m) => [...m.view().alive].sort().join() === want)
    if (!await until(() => all('n1,n2,n3'), 10_000)) throw new Error('members did not converge')
    // Kill at a random point of the probe cycle; each survivor's drop is stamped by its own 'change' event.
    await sleep(500 + Math.random() * timers.probeIntervalMs * 3)
    const dropped = members.map((m) => new Promise<number>((resolve) => {
      const on = (v: {alive: ReadonlySet<string>}): void => {
        if (v.alive.has('n3')) return
        m.off('change', on)
        resolve(performance.now())
      }
      m.on('change', on)
    }))
    const t0 = performance.now()
    child.kill('SIGKILL')
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the kill was not detected within 10 s')), 10_000)
    })
    const seen = await Promise.race([Promise.all(dropped), timeout]).finally(() => clearTimeout(timer))
    out.push(Math.max(...seen) - t0)
    for (const m of members) await m.stop()
  }
  return out
}

/**
 * The lab: three namespaces on a bridge, one member process in each (real kernel, veth, bridge). The link of member c
 * goes down; the time until both a's and b's views (stamped by the processes as they change) drop it. Then link up,
 * wait for one view again, repeat.
 */
async function labDetection(timers: MembershipTimers, keyFile: string, reps: number): Promise<number[]> {
  const prefix = 'mbrb'
  cleanupStale(prefix)
  const lab = await Lab.create(prefix)
  try {
    const lan = await lab.addBridge('lan')
    const addr: Record<string, string> = {a: '198.18.41.1', b: '198.18.41.2', c: '198.18.41.3'}
    const candidates = Object.entries(addr).map(([node, address]) => ({node, address}))
    const main = await bundleEntry('test/unit/speaker/membership/member-main.ts')
    const views = new Map<string, Array<{t: number; alive: string}>>()
    const nodes = new Map<string, Awaited<ReturnType<Lab['addNode']>>>()
    for (const n of Object.keys(addr)) {
      const node = await lab.addNode(n, {bridge: lan, ipv4: `${addr[n]}/24`})
      nodes.set(n, node)
      views.set(n, [])
      const p = node.spawn(process.execPath, [main, JSON.stringify({node: n, bindAddress: addr[n], port: 7946, keyFile, candidates, timers})])
      createInterface({input: p.stdout!}).on('line', (line) => {
        const e = JSON.parse(line) as {event: string; t: number; alive?: string[]}
        if (e.event === 'view') views.get(n)!.push({t: e.t, alive: e.alive!.join()})
      })
    }
    const current = (n: string): string | undefined => views.get(n)!.at(-1)?.alive
    const out: number[] = []
    for (let i = 0; i < reps; i++) {
      if (!await until(() => ['a', 'b', 'c'].every((n) => current(n) === 'a,b,c'), 15_000)) throw new Error('lab members did not converge')
      await sleep(300 + Math.random() * timers.probeIntervalMs * 3)
      const t0 = Date.now()
      await nodes.get('c')!.setLink('eth0', 'down')
      if (!await until(() => current('a') === 'a,b' && current('b') === 'a,b', 10_000)) throw new Error('link down not detected within 10 s')
      const seen = ['a', 'b'].map((n) => views.get(n)!.find((v) => v.t >= t0 && v.alive === 'a,b')!.t)
      out.push(Math.max(...seen) - t0)
      await nodes.get('c')!.setLink('eth0', 'up')
    }
    return out
  } finally {
    await lab.destroy()
  }
}

interface SimResult {
  packetsPerNodePerSecond: number
  bytesPerPacket: number
  falseFailovers: number
  suspicions: number
  refutations: number
}

/** n members on an in-memory network in virtual time; counts packets and every view that lost a live member. */
async function simulate(n: number, seconds: number, loss: number, timers: MembershipTimers, keyFile: string, seed: number): Promise<SimResult> {
  const clock = new FakeClock()
  const random = seededRandom(seed)
  const net = new SimNetwork(clock, {loss, random})
  let bytes = 0
  net.tap = (_f, _t, buf) => void (bytes += buf.length)
  const names = Array.from({length: n}, (_, i) => `node-${i}`)
  const candidates = names.map((node, i) => ({node, address: `10.1.${i >> 8}.${(i & 255) + 1}`}))
  let settled = false
  let falseFailovers = 0
  const members: GossipMembership[] = []
  for (const c of candidates) {
    const m = new GossipMembership({node: c.node, bindAddress: c.address, keyFile, timers, clock, random, wallClock: () => 1_780_000_000_000 + clock.now(),
      bind: async (a) => net.endpoint(a), keyPollMs: 3_600_000})
    m.on('change', (v) => {
      if (settled && v.alive.size < n) falseFailovers++
    })
    m.setCandidates(candidates)
    members.push(m)
  }
  for (const m of members) await m.start()
  for (let t = 0; t < 5000 && !members.every((m) => m.view().alive.size === n); t += 10) clock.advance(10)
  if (!members.every((m) => m.view().alive.size === n)) throw new Error(`${n} members did not converge`)
  settled = true
  net.sent.clear()
  bytes = 0
  const before = members.map((m) => m.stats())
  clock.advance(seconds * 1000)
  const sent = [...net.sent.values()].reduce((a, b) => a + b, 0)
  const after = members.map((m) => m.stats())
  settled = false
  for (const m of members) await m.stop()
  const sum = (f: (s: ReturnType<GossipMembership['stats']>) => number): number => after.reduce((a, s, i) => a + f(s) - f(before[i]), 0)
  return {packetsPerNodePerSecond: sent / n / seconds, bytesPerPacket: sent ? bytes / sent : 0, falseFailovers,
    suspicions: sum((s) => s.suspected), refutations: sum((s) => s.refuted)}
}

export const bench: Bench = {
  id: 'membership',
  title: 'Speaker membership: failure detection, gossip load, false failovers',
  async run(): Promise<BenchReport> {
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-ml-bench-'))
    const keyFile = join(dir, 'secretkey')
    writeFileSync(keyFile, 'YmVuY2htYXJrLWtleQ==\n')
    try {
      const rows: BenchRow[] = []
      for (const [name, timers, target, refName, refValue] of [
        ['default timers', DEFAULT_TIMERS, '≤ 1.0 s', 'keepalived VRRPv2 (1 s adverts)', VRRP2],
        ['tuned timers', FAST_TIMERS, '≤ 0.25 s', 'keepalived VRRPv3 (0.1 s adverts)', VRRP3],
      ] as const) {
        const d = await detection(timers, keyFile)
        const med = median(d) / 1000
        rows.push({metric: `hard kill → both survivors' views drop it, ${name} (${timers.probeIntervalMs}/${timers.probeTimeoutMs} ms, suspicion ${suspicionTimeoutMs(timers, 3)} ms), median of ${d.length}`,
          value: med, unit: 's', reference: {name: refName, value: refValue}, ratio: med / refValue, target, met: med <= (target === '≤ 1.0 s' ? 1.0 : 0.25)})
        rows.push({metric: `same, p90 (${name})`, value: percentile(d, 90) / 1000, unit: 's'})
        rows.push({metric: `same, max (${name})`, value: Math.max(...d) / 1000, unit: 's'})
      }
      const lab = labPrerequisites()
      const notes: string[] = []
      if (lab.ok) {
        for (const [name, timers] of [['default timers', DEFAULT_TIMERS], ['tuned timers', FAST_TIMERS]] as const) {
          const d = await labDetection(timers, keyFile, LAB_REPS)
          rows.push({metric: `lab: member's link down → both others' views drop it, ${name}, median of ${d.length} (max ${(Math.max(...d) / 1000).toFixed(3)} s)`,
            value: median(d) / 1000, unit: 's'})
        }
      } else {
        notes.push(`Lab rows not measured: ${lab.missing.join(', ')}.`)
      }
      const rates: string[] = []
      let first: number | undefined
      const firstRate = (x: number): number => (first ??= x)
      for (const n of SIZES) {
        const r = await simulate(n, RATE_SECONDS, 0, DEFAULT_TIMERS, keyFile, n)
        rates.push(`${n}: ${r.packetsPerNodePerSecond.toFixed(1)}`)
        rows.push({metric: `gossip packets sent per node per second, ${n} members (default timers, no loss; ${r.bytesPerPacket.toFixed(0)} B per datagram)`,
          value: r.packetsPerNodePerSecond, unit: 'pkt/s', target: 'does not grow with n', met: r.packetsPerNodePerSecond <= 1.05 * firstRate(r.packetsPerNodePerSecond)})
      }
      for (const [name, timers] of [['default', DEFAULT_TIMERS], ['tuned', FAST_TIMERS]] as const) {
        for (const n of [3, 10]) {
          const r = await simulate(n, LOSS_MINUTES * 60, LOSS, timers, keyFile, 1000 + n)
          rows.push({metric: `false failovers in ${LOSS_MINUTES} simulated minutes, ${n} members, ${LOSS * 100} % loss on every link, ${name} timers (suspicions ${r.suspicions}, refuted ${r.refutations})`,
            value: r.falseFailovers, unit: 'view losses', target: name === 'default' ? '0' : undefined, met: name === 'default' ? r.falseFailovers === 0 : undefined})
        }
      }
      return {
        id: 'membership',
        title: this.title,
        method: `Detection: real UDP on loopback (127.0.0.x, HMAC-SHA256 on every datagram), two members in the benchmark process and a third in a child process; the child is SIGKILLed at a random point of the probe cycle and the time until both survivors' views no longer contain it is taken (each survivor's 'change' event stamps its drop; the later of the two counts), ${KILLS} kills per setting. This is the membership part of a failover only: the speaker's layer-2 takeover adds its election and gratuitous ARP (bench/speaker.bench.ts measures that end to end against keepalived in the lab); the keepalived figures are from ../shared/reference-measurements/l2-failover (SIGKILL + link down → first ARP reply of the backup), quoted, not re-run here. Load: n members on an in-memory network in virtual time (the real protocol code, codec and HMAC included), ${RATE_SECONDS} simulated seconds after convergence, datagrams sent / n / s (curve ${rates.join(', ')}). Lab: three network namespaces on a bridge, one member process in each; the third member's link is set down (\`ip link set eth0 down\` in its namespace) at a random point of the probe cycle, and the change times the other two processes stamp on their view changes give the detection time, ${LAB_REPS} times per setting. False failovers: 3 and 10 members, ${LOSS * 100} % independent loss on every datagram, ${LOSS_MINUTES} simulated minutes; a false failover is any view change on any member that leaves out a live member.`,
        rows,
        notes,
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  },
}
