import type {ChildProcess} from 'node:child_process'
import {EventEmitter} from 'node:events'
import {PassThrough} from 'node:stream'
import {describe, expect, it} from 'vitest'
import {FakeClock} from '../../support/fake-clock.js'
import {parseIpAddrJson, selectInterfaces, watchInterfaces} from '../../../src/lib/l2/interfaces.js'

// Trimmed `ip -j -d addr show` output from a node: loopback, a NIC, a bridge and its member, a down NIC,
// kube-ipvs0 (NOARP dummy), a CNI veth, a wireguard tunnel.
const link = (ifindex: number, ifname: string, extra: Record<string, unknown> = {}) => ({
  ifindex, ifname, flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], operstate: 'UP', link_type: 'ether',
  address: `02:00:00:00:00:${ifindex.toString(16).padStart(2, '0')}`, addr_info: [], ...extra,
})
const JSON_OUT = JSON.stringify([
  link(1, 'lo', {flags: ['LOOPBACK', 'UP', 'LOWER_UP'], link_type: 'loopback', operstate: 'UNKNOWN',
    addr_info: [{family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host'}]}),
  link(2, 'eth0', {addr_info: [{family: 'inet', local: '198.18.30.1', prefixlen: 24, scope: 'global'},
    {family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link'}]}),
  link(3, 'br0', {linkinfo: {info_kind: 'bridge'}}),
  link(4, 'eth1', {master: 'br0', linkinfo: {info_slave_kind: 'bridge'}}),
  link(5, 'eth2', {flags: ['BROADCAST', 'MULTICAST'], operstate: 'DOWN'}),
  link(6, 'kube-ipvs0', {flags: ['BROADCAST', 'NOARP'], operstate: 'DOWN', linkinfo: {info_kind: 'dummy'}}),
  link(7, 'cali12345', {linkinfo: {info_kind: 'veth'}}),
  link(8, 'wg0', {flags: ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP'], link_type: 'none', operstate: 'UNKNOWN'}),
  link(9, 'bond0', {flags: ['BROADCAST', 'MULTICAST', 'MASTER', 'UP', 'LOWER_UP'], linkinfo: {info_kind: 'bond'}}),
])

describe('interface selection', () => {
  const links = parseIpAddrJson(JSON_OUT)

  it('parses ip -j output, addresses included', () => {
    expect(links.find((l) => l.name === 'eth0')!.addresses).toEqual([
      {family: 4, address: '198.18.30.1', prefixLength: 24, scope: 'global'},
      {family: 6, address: 'fe80::1', prefixLength: 64, scope: 'link'},
    ])
    expect(links.find((l) => l.name === 'eth1')!.master).toBe('br0')
  })

  it('keeps NICs, bridges and bonds; skips the rest with a reason, like MetalLB', () => {
    const s = selectInterfaces(links)
    expect(s.selected.map((l) => l.name)).toEqual(['eth0', 'br0', 'bond0'])
    expect(Object.fromEntries(s.skipped.map((x) => [x.name, x.reason]))).toEqual({
      lo: 'loopback', eth1: 'member', eth2: 'down', 'kube-ipvs0': 'excluded', cali12345: 'excluded', wg0: 'noarp',
    })
  })

  it('an explicit list wins over the exclude list, but not over down/NOARP', () => {
    const s = selectInterfaces(links, {interfaces: ['cali12345', 'eth2', 'wg0']})
    expect(s.selected.map((l) => l.name)).toEqual(['cali12345'])
    expect(s.skipped.filter((x) => x.reason !== 'notListed')).toEqual([{name: 'eth2', reason: 'down'}, {name: 'wg0', reason: 'noarp'}])
  })

  it('takes a custom exclude list with globs', () => {
    expect(selectInterfaces(links, {exclude: ['eth*', 'b*']}).selected.map((l) => l.name)).toEqual(['cali12345'])
  })
})


/** A stand-in for `ip monitor`: emits a line when told, dies when told. */
class FakeMonitor extends EventEmitter {
  static all: FakeMonitor[] = []
  readonly stdout = new PassThrough()
  readonly pid = 1000 + FakeMonitor.all.length
  killed = false
  constructor() {
    super()
    FakeMonitor.all.push(this)
  }
  event(): void {
    this.stdout.write('2: eth0: <BROADCAST,MULTICAST,UP> mtu 1500\n')
  }
  die(code = 1): void {
    this.emit('exit', code, null)
  }
  kill(): boolean {
    this.killed = true
    this.emit('exit', null, 'SIGTERM')
    return true
  }
}

describe('watchInterfaces', () => {
  const flush = async (): Promise<void> => {
    for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
  }
  const setup = () => {
    FakeMonitor.all = []
    const clock = new FakeClock()
    let links = [link(2, 'eth0')]
    let scans = 0
    const ip = async (): Promise<string> => {
      scans++
      return JSON.stringify(links)
    }
    const seen: string[][] = []
    const errors: string[] = []
    const w = watchInterfaces((sel) => seen.push(sel.selected.map((l) => l.name)), {
      ip, clock, debounceMs: 20, monitor: () => new FakeMonitor() as unknown as ChildProcess,
      backoff: {initialMs: 100, maxMs: 800, stableMs: 5000}, settleMs: 1000, onError: (e) => errors.push(e.message),
    })
    return {clock, w, seen, errors, scans: () => scans, setLinks: (l: typeof links) => {
      links = l
    }}
  }

  it('re-scans after every monitor event (debounced)', async () => {
    const {clock, w, seen, setLinks} = setup()
    await flush()
    expect(seen).toEqual([['eth0']])
    setLinks([link(2, 'eth0'), link(3, 'eth1')])
    FakeMonitor.all[0].event()
    FakeMonitor.all[0].event()
    await flush()
    clock.advance(20)
    await flush()
    expect(seen).toEqual([['eth0'], ['eth0', 'eth1']])
    w.close()
  })

  it('restarts a dead `ip monitor` with backoff and re-scans, so changes made while it was down are not lost', async () => {
    const {clock, w, seen, errors, scans, setLinks} = setup()
    await flush()
    expect(w.monitorPid).toBe(1000)
    FakeMonitor.all[0].die()
    expect(w.monitorPid).toBeUndefined()
    expect(errors).toEqual(['ip monitor exited (code 1); restarting it in 100 ms'])
    // A change while the monitor is down: no event will ever report it.
    setLinks([link(2, 'eth0'), link(3, 'eth1')])
    const before = scans()
    clock.advance(99)
    await flush()
    expect(FakeMonitor.all).toHaveLength(1)
    expect(scans()).toBe(before)
    clock.advance(1)
    await flush()
    expect(FakeMonitor.all).toHaveLength(2)
    expect([w.monitorPid, w.restarts]).toEqual([1001, 1])
    expect(scans()).toBe(before + 1) // the full re-scan
    expect(seen.at(-1)).toEqual(['eth0', 'eth1'])
    clock.advance(1000)
    await flush()
    expect(scans()).toBe(before + 2) // and once more after settleMs
    // The new monitor's events are followed.
    setLinks([link(2, 'eth0')])
    FakeMonitor.all[1].event()
    await flush()
    clock.advance(20)
    await flush()
    expect(seen.at(-1)).toEqual(['eth0'])
    w.close()
    expect(FakeMonitor.all[1].killed).toBe(true)
  })

  it('backs off 100, 200, 400, 800, 800 ms while it keeps dying, and starts over after a stable run', async () => {
    const {clock, w, errors} = setup()
    await flush()
    const delays: number[] = []
    for (let i = 0; i < 5; i++) {
      FakeMonitor.all.at(-1)!.die()
      const d = Number(/in (\d+) ms/.exec(errors.at(-1)!)![1])
      delays.push(d)
      clock.advance(d)
      await flush()
    }
    expect(delays).toEqual([100, 200, 400, 800, 800])
    expect(w.restarts).toBe(5)
    clock.advance(5000)
    FakeMonitor.all.at(-1)!.die()
    expect(errors.at(-1)).toMatch(/in 100 ms$/)
    // Closed while a restart is pending: nothing restarts, no timer is left.
    w.close()
    clock.advance(10_000)
    await flush()
    expect(FakeMonitor.all).toHaveLength(6)
    expect(clock.pending()).toBe(0)
  })

  it('a monitor that cannot be started (spawn error) is retried the same way', async () => {
    const {clock, w, errors} = setup()
    await flush()
    FakeMonitor.all[0].emit('error', new Error('spawn ip ENOENT'))
    FakeMonitor.all[0].die(-2) // an exit after the error is the same death, not a second one
    expect(errors).toEqual(['ip monitor failed: spawn ip ENOENT; restarting it in 100 ms'])
    clock.advance(100)
    await flush()
    expect(w.restarts).toBe(1)
    w.close()
  })
})
