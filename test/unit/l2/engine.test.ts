// The engine's wiring without a kernel: a fake addon records what would be sent and joined.
import {describe, expect, it} from 'vitest'
import {decodeArp, isArpDecodeError} from '../../../src/lib/l2/arp.js'
import type {Clock} from '../../../src/lib/clock.js'
import {L2Engine} from '../../../src/lib/l2/engine.js'
import {formatMAC} from '../../../src/lib/net/mac.js'
import {decodeNdp, isNdpDecodeError} from '../../../src/lib/l2/ndp.js'
import type {NativeModule} from '../../../src/lib/native/index.js'
import {ARP_REQUEST_FROM_ARPING, MAC_B, NS_FROM_NDISC6} from './fixtures.js'

class FakeSocket {
  static all: FakeSocket[] = []
  sent: Buffer[] = []
  groups = new Set<string>()
  closed = false
  constructor(readonly ifindex: number, readonly ethertype: number, readonly filter: unknown, readonly onFrames: (data: Buffer, ends: Uint32Array, types: Uint8Array) => void) {
    FakeSocket.all.push(this)
  }
  /** What the addon does: a batch of frames in one call. */
  deliver(...frames: Buffer[]): void {
    let end = 0
    this.onFrames(Buffer.concat(frames), Uint32Array.from(frames, (f) => (end += f.length)), new Uint8Array(frames.length))
  }
  send(f: Buffer): number {
    this.sent.push(f)
    return f.length
  }
  addMembership(m: Buffer): void {
    this.groups.add(formatMAC(m))
  }
  dropMembership(m: Buffer): void {
    this.groups.delete(formatMAC(m))
  }
  stats(): {packets: number; drops: number} {
    return {packets: 0, drops: 1}
  }
  close(): void {
    this.closed = true
  }
  ref(): void {}
  unref(): void {}
}

const fakeNative = (): NativeModule => {
  FakeSocket.all = []
  return {
    PacketSocket: FakeSocket,
    interfaceInfo: (name: string) => {
      if (name === 'nope') throw Object.assign(new Error('ioctl(SIOCGIFINDEX): No such device'), {code: 'ENODEV'})
      return {index: name === 'eth0' ? 2 : 3, mac: MAC_B, hwType: 1, mtu: 1500, flags: 0x1043}
    },
  } as unknown as NativeModule
}

const manualClock = (): Clock & {fire(): void} => {
  const timers: (() => void)[] = []
  return {now: () => 0, setTimeout: (fn) => timers.push(fn), clearTimeout: () => undefined, fire: () => timers.splice(0).forEach((f) => f())}
}

describe('L2Engine', () => {
  it('opens an ARP and an IPv6 socket per interface, answers through the receiving socket, and closes them', () => {
    const errors: string[] = []
    const e = new L2Engine({native: fakeNative(), clock: manualClock(), onError: (i, err) => errors.push(`${i}: ${err.message}`)})
    e.setInterfaces(['eth0', 'nope'])
    expect(e.interfaces()).toEqual(['eth0'])
    expect(errors).toEqual(['nope: ioctl(SIOCGIFINDEX): No such device'])
    const [arp, ip6] = FakeSocket.all
    expect([arp.ethertype, ip6.ethertype]).toEqual([0x0806, 0x86dd])
    e.own('198.18.30.2')
    e.own('2001:db8:30::2')
    arp.sent = []
    ip6.sent = []
    arp.deliver(ARP_REQUEST_FROM_ARPING, ARP_REQUEST_FROM_ARPING)
    ip6.deliver(NS_FROM_NDISC6)
    expect(arp.sent).toHaveLength(2)
    expect(ip6.sent).toHaveLength(1)
    e.setInterfaces([])
    expect(arp.closed && ip6.closed).toBe(true)
    expect(e.stats()).toMatchObject({answered: {arp: 2, ndp: 1}, kernelDrops: 2, interfaces: []})
  })

  it('announces on taking ownership, joins the solicited-node group, and stops both on release', () => {
    const clock = manualClock()
    const e = new L2Engine({native: fakeNative(), clock})
    e.setInterfaces(['eth0', 'eth1'])
    const [arp0, ip60, arp1, ip61] = FakeSocket.all
    e.own('203.0.113.10', ['eth1'])
    expect(arp0.sent).toHaveLength(0)
    const ops = arp1.sent.map((f) => {
      const a = decodeArp(f)
      return isArpDecodeError(a) ? -1 : a.op
    })
    expect(ops).toEqual([1, 2]) // gratuitous request and reply
    e.own('2001:db8:ffff::10')
    for (const s of [ip60, ip61]) {
      const na = decodeNdp(s.sent[0])
      expect(!isNdpDecodeError(na) && na.override && !na.solicited).toBe(true)
      expect([...s.groups]).toEqual(['33:33:ff:00:00:10'])
    }
    e.own('2001:db8:ffff:1::10') // same solicited-node group
    clock.fire() // the 1.1 s repeat
    expect(arp1.sent).toHaveLength(4)
    expect(e.release('2001:db8:ffff::10')).toBe(true)
    expect([...ip60.groups]).toEqual(['33:33:ff:00:00:10']) // still needed by 2001:db8:ffff:1::10
    e.release('2001:db8:ffff:1::10')
    expect(ip60.groups.size).toBe(0)
    e.release('203.0.113.10')
    const before = arp1.sent.length
    clock.fire()
    expect(arp1.sent.length).toBe(before)
    expect(e.release('203.0.113.10')).toBe(false)
    // A new interface joins the groups of addresses already owned.
    e.own('2001:db8:ffff::20')
    e.setInterfaces(['eth0', 'eth1', 'eth2'])
    expect([...FakeSocket.all[5].groups]).toEqual(['33:33:ff:00:00:20'])
    e.close()
    expect(FakeSocket.all.every((s) => s.closed)).toBe(true)
  })
})
