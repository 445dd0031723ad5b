// The ARP/NDP offload's bookkeeping without a kernel: a fake XdpArp records attach modes and map contents, so the rules
// (which mode per driver, what 'auto'/'on'/'off' do on failure, maps equal to owned IPv4 and IPv6 addresses per
// interface, removal before release, detach when a removal fails) are checked exhaustively.
import {describe, expect, it} from 'vitest'
import {L2Engine} from '../../../src/lib/l2/engine.js'
import {ArpOffload, chooseXdpMode} from '../../../src/lib/l2/offload.js'
import {ipBytes, ipFromBytes} from '../../../src/lib/l2/responder.js'
import {formatIP, parseIP} from '../../../src/lib/net/ip.js'
import type {InterfaceInfo, NativeModule, XdpMode, XdpStats} from '../../../src/lib/native/index.js'
import {MAC_B} from './fixtures.js'

class FakeXdp {
  static all: FakeXdp[] = []
  static failAttach: Error | undefined
  static failDelete = false
  map = new Set<string>()
  mode: XdpMode | null = null
  closed = false
  log: string[] = []
  readonly progId = 7
  constructor(readonly mac: Buffer) {
    FakeXdp.all.push(this)
  }
  attach(ifindex: number, mode: 'auto' | XdpMode): XdpMode {
    if (FakeXdp.failAttach) throw FakeXdp.failAttach
    this.mode = mode === 'auto' ? 'native' : mode
    return this.mode
  }
  detach(): void {
    this.mode = null
  }
  set(a: Buffer, present: boolean): void {
    if (!present && FakeXdp.failDelete) throw new Error('bpf(BPF_MAP_DELETE_ELEM): Bad file descriptor')
    if (a.length !== 4 && a.length !== 16) throw new TypeError('address must be a 4-byte (IPv4) or 16-byte (IPv6) Buffer')
    const text = formatIP(ipFromBytes(a))
    this.log.push(`${present ? '+' : '-'}${text}`)
    if (present) this.map.add(text)
    else this.map.delete(text)
  }
  addresses(): Buffer[] {
    return [...this.map].map((s) => ipBytes(parseIP(s)))
  }
  stats(): XdpStats {
    return {answered: 5, passed: 2, ndpAnswered: 3, ndpPassed: 1}
  }
  testRun(): never {
    throw new Error('not in the fake')
  }
  close(): void {
    this.closed = true
    this.mode = null
  }
}

class FakeSocket {
  constructor(readonly ifindex: number) {}
  send(f: Buffer): number {
    return f.length
  }
  addMembership(): void {}
  dropMembership(): void {}
  stats(): {packets: number; drops: number} {
    return {packets: 0, drops: 0}
  }
  close(): void {}
  ref(): void {}
  unref(): void {}
}

const info = (name: string, driver = 'mlx5_core'): InterfaceInfo => ({index: name === 'eth0' ? 2 : 3, mac: MAC_B, hwType: 1, mtu: 1500, flags: 0x1043, driver})
const fake = (withXdp = true): NativeModule => {
  FakeXdp.all = []
  FakeXdp.failAttach = undefined
  FakeXdp.failDelete = false
  return {PacketSocket: FakeSocket, interfaceInfo: (n: string) => info(n, 'veth'), ...(withXdp ? {XdpArp: FakeXdp} : {})} as unknown as NativeModule
}
const noTimers = {now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined}

describe('chooseXdpMode', () => {
  it('driver mode first, except on veth (XDP_TX there needs the peer set up); an explicit mode wins', () => {
    expect(chooseXdpMode('mlx5_core')).toBe('auto')
    expect(chooseXdpMode('')).toBe('auto')
    expect(chooseXdpMode('veth')).toBe('generic')
    expect(chooseXdpMode('veth', 'native')).toBe('native')
    expect(chooseXdpMode('ixgbe', 'generic')).toBe('generic')
  })
})

describe('ArpOffload', () => {
  it('auto: a failure to load leaves the interface to user space, with the reason', () => {
    const o = new ArpOffload(fake(false), 'auto')
    o.open('eth0', info('eth0'))
    expect(o.active('eth0')).toBe(false)
    expect(o.status().interfaces.eth0).toEqual({state: 'user-space', reason: expect.stringMatching(/built without XDP support/)})
    const p = new ArpOffload(fake(), 'auto')
    FakeXdp.failAttach = Object.assign(new Error('bpf(BPF_PROG_LOAD): Operation not permitted'), {code: 'EPERM'})
    p.open('eth0', info('eth0'))
    expect(p.status().interfaces.eth0).toEqual({state: 'user-space', reason: 'bpf(BPF_PROG_LOAD): Operation not permitted'})
    expect(FakeXdp.all[0].closed).toBe(true)
  })

  it('on: a failure is XDP_UNAVAILABLE (exit 5) naming the interface and the cause', () => {
    const o = new ArpOffload(fake(), 'on')
    FakeXdp.failAttach = Object.assign(new Error('bpf(BPF_LINK_CREATE): Operation not permitted'), {code: 'EPERM'})
    expect(() => o.open('eth0', info('eth0'))).toThrow(expect.objectContaining({code: 'XDP_UNAVAILABLE', category: 'missing',
      message: 'ARP offload on eth0: bpf(BPF_LINK_CREATE): Operation not permitted', hint: expect.stringMatching(/CAP_BPF/)}))
  })

  it('off: nothing is loaded; bad settings are refused', () => {
    const o = new ArpOffload(fake(), 'off')
    o.open('eth0', info('eth0'))
    expect(FakeXdp.all).toHaveLength(0)
    expect(o.status()).toEqual({setting: 'off', interfaces: {eth0: {state: 'user-space', reason: 'arpOffload is off'}}, answered: 0, passed: 0,
      ndpAnswered: 0, ndpPassed: 0, mapErrors: 0})
    expect(() => new ArpOffload(fake(), 'yes' as 'on')).toThrow(/arpOffload must be one of auto, on, off/)
    expect(() => new ArpOffload(fake(), 'auto', 'turbo' as 'native')).toThrow(/xdpMode must be one of/)
  })

  it('a removal that fails detaches the program, so the kernel cannot answer for a released address', () => {
    const errors: string[] = []
    const o = new ArpOffload(fake(), 'auto', 'auto', (i, e) => errors.push(`${i}: ${e.message}`))
    o.open('eth0', info('eth0'))
    o.set('eth0', Buffer.from([203, 0, 113, 10]), true)
    FakeXdp.failDelete = true
    o.set('eth0', Buffer.from([203, 0, 113, 10]), false)
    expect(FakeXdp.all[0].closed).toBe(true)
    expect(o.active('eth0')).toBe(false)
    const s = o.status()
    expect(s.interfaces.eth0).toEqual({state: 'user-space', reason: expect.stringMatching(/^detached: removing an address from the map failed/)})
    expect(s).toMatchObject({mapErrors: 1, answered: 5, passed: 2, ndpAnswered: 3, ndpPassed: 1}) // the closed program's counts are kept
    expect(errors).toEqual(['eth0: bpf(BPF_MAP_DELETE_ELEM): Bad file descriptor'])
  })
})

describe('L2Engine with the ARP offload', () => {
  it('keeps every interface\'s maps equal to the owned addresses announced there, removing before releasing', () => {
    const e = new L2Engine({native: fake(), clock: noTimers})
    e.own('203.0.113.10')
    e.setInterfaces(['eth0', 'eth1']) // opened after owning: filled on attach
    const [x0, x1] = FakeXdp.all
    expect([x0.mode, x1.mode]).toEqual(['generic', 'generic']) // interfaceInfo says veth
    expect([...x0.map]).toEqual(['203.0.113.10'])
    e.own('2001:db8:ffff::10') // IPv6 too: its own map in the kernel
    e.own('203.0.113.20', ['eth1'])
    e.own('2001:db8:ffff::20', ['eth0'])
    expect([[...x0.map].sort(), [...x1.map].sort()]).toEqual([['2001:db8:ffff::10', '2001:db8:ffff::20', '203.0.113.10'],
      ['2001:db8:ffff::10', '203.0.113.10', '203.0.113.20']])
    e.own('203.0.113.10', ['eth1']) // re-owned with a narrower limit: out of eth0's map
    // IPv6 release: out of the map while the responder still owns it, as for IPv4 below.
    const stillOwned6: boolean[] = []
    const set0 = x0.set.bind(x0)
    x0.set = (a: Buffer, p: boolean): void => {
      stillOwned6.push(e.responder.lookup(formatIP(ipFromBytes(a))) !== undefined)
      set0(a, p)
    }
    e.release('2001:db8:ffff::20')
    e.release('2001:db8:ffff::10')
    expect(stillOwned6).toEqual([true, true])
    expect([...x0.map]).toEqual([])
    // Release: out of the map while the responder still owns it (the kernel stops first).
    const r = e.responder
    const owned: boolean[] = []
    const set = x1.set.bind(x1)
    x1.set = (a: Buffer, p: boolean): void => {
      owned.push(r.lookup('203.0.113.20') !== undefined)
      set(a, p)
    }
    e.release('203.0.113.20')
    expect(owned).toEqual([true])
    expect([...x1.map]).toEqual(['203.0.113.10'])
    expect(e.stats().offload).toMatchObject({setting: 'auto', answered: 10, passed: 4, ndpAnswered: 6, ndpPassed: 2,
      interfaces: {eth0: {state: 'xdp', mode: 'generic', addresses: 0}, eth1: {state: 'xdp', mode: 'generic', addresses: 1}}})
    expect(e.offloadedAddresses('eth1')).toEqual(['203.0.113.10'])
    e.setInterfaces(['eth1'])
    expect(x0.closed).toBe(true)
    expect(e.stats().offload.answered).toBe(10) // eth0's counts survive its program
    e.close()
    expect(x1.closed).toBe(true)
    expect(e.stats().offload.interfaces).toEqual({})
  })

  it('arpOffload "on" that cannot load refuses the interface, leaving no socket behind', () => {
    const native = fake()
    FakeXdp.failAttach = new Error('bpf(BPF_LINK_CREATE): Device or resource busy')
    const e = new L2Engine({native, clock: noTimers, arpOffload: 'on'})
    expect(() => e.setInterfaces(['eth0'])).toThrow(/ARP offload on eth0: bpf\(BPF_LINK_CREATE\): Device or resource busy/)
    expect(e.interfaces()).toEqual([])
  })
})
