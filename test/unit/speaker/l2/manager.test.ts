// The L2 manager drives the real L2Engine (over a fake addon: no kernel) from election results.
import {describe, expect, it} from 'vitest'
import {decodeArp, isArpDecodeError} from '../../../../src/lib/l2/arp.js'
import {L2Engine} from '../../../../src/lib/l2/engine.js'
import type {Link} from '../../../../src/lib/l2/interfaces.js'
import type {NativeModule} from '../../../../src/lib/native/index.js'
import type {L2Assignment, L2Election} from '../../../../src/speaker/l2/election.js'
import {L2Manager} from '../../../../src/speaker/l2/manager.js'

class Sock {
  static all: Sock[] = []
  sent: Buffer[] = []
  closed = false
  constructor(readonly ifindex: number, readonly ethertype: number) {
    Sock.all.push(this)
  }
  send(f: Buffer): number {
    this.sent.push(f)
    return f.length
  }
  addMembership(): void {}
  dropMembership(): void {}
  stats(): {packets: number; drops: number} {
    return {packets: 0, drops: 0}
  }
  close(): void {
    this.closed = true
  }
  ref(): void {}
  unref(): void {}
}
const IDX: Record<string, number> = {eth0: 2, eth1: 3, eth2: 4}
const native = {PacketSocket: Sock, interfaceInfo: (name: string) => ({index: IDX[name], mac: Buffer.from([2, 0, 0, 0, 0, IDX[name]]), hwType: 1, mtu: 1500, flags: 0x1043})} as unknown as NativeModule
const noTimers = {now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined}

const link = (name: string, extra: Partial<Link> = {}): Link =>
  ({index: IDX[name] ?? 1, name, mac: '02:00:00:00:00:01', flags: ['BROADCAST', 'MULTICAST', 'UP'], operState: 'UP', linkType: 'ether', addresses: [], ...extra})
const LINKS = [link('lo', {flags: ['LOOPBACK', 'UP'], linkType: 'loopback'}), link('eth0'), link('eth1'), link('veth9')]
const elect = (...a: L2Assignment[]): L2Election => ({assignments: new Map(a.map((x) => [x.address, x])), notAnnounced: []})
const garps = (s: Sock): number => s.sent.filter((f) => !isArpDecodeError(decodeArp(f))).length

function setup() {
  Sock.all = []
  const engine = new L2Engine({native, clock: noTimers, arpOffload: 'off'})
  const changes: Array<[string[], string[]]> = []
  const m = new L2Manager({node: 'n1', engine, onChange: (g, l) => changes.push([g, l])})
  m.setLinks(LINKS)
  return {engine, m, changes}
}

describe('L2Manager', () => {
  it('owns what this node won on every eligible interface, with the gratuitous burst, and releases what it lost', () => {
    const {engine, m, changes} = setup()
    expect(engine.interfaces()).toEqual(['eth0', 'eth1'])
    m.apply(elect({address: '203.0.113.10', owner: 'n1', services: ['default/a']}, {address: '203.0.113.11', owner: 'n2', services: ['default/b']}))
    expect(engine.responder.lookup('203.0.113.10')).toBeDefined()
    expect(engine.responder.lookup('203.0.113.11')).toBeUndefined()
    expect(m.ownedAddresses()).toEqual([{address: '203.0.113.10', interfaces: ['eth0', 'eth1'], services: ['default/a']}])
    const arpSocks = Sock.all.filter((s) => s.ethertype === 0x0806)
    expect(arpSocks.map(garps)).toEqual([2, 2])
    m.apply(elect({address: '203.0.113.10', owner: 'n2', services: ['default/a']}))
    expect(engine.responder.lookup('203.0.113.10')).toBeUndefined()
    expect(m.ownedAddresses()).toEqual([])
    expect(changes).toEqual([[['203.0.113.10'], []], [[], ['203.0.113.10']]])
  })

  it('announces only on the advertisement’s interfaces (which bypass the exclude list) and follows link changes', () => {
    const {engine, m} = setup()
    m.apply(elect({address: '203.0.113.10', owner: 'n1', interfaces: ['eth1', 'veth9', 'missing'], services: ['default/a']}))
    expect(engine.interfaces()).toEqual(['eth0', 'eth1', 'veth9'])
    expect([...engine.responder.lookup('203.0.113.10')!.interfaces!].sort()).toEqual(['eth1', 'veth9'])
    // eth1 goes down: the address stays owned on what is left.
    m.setLinks([LINKS[0], link('eth0'), link('eth1', {flags: ['BROADCAST'], operState: 'DOWN'}), link('veth9')])
    expect([...engine.responder.lookup('203.0.113.10')!.interfaces!]).toEqual(['veth9'])
    expect(engine.interfaces()).toEqual(['eth0', 'veth9'])
  })

  it('releaseAll gives everything up and later elections do not take it back', () => {
    const {engine, m} = setup()
    const e = elect({address: '203.0.113.10', owner: 'n1', services: ['default/a']}, {address: '2001:db8:ffff::1', owner: 'n1', services: ['default/a']})
    m.apply(e)
    expect(m.releaseAll().sort()).toEqual(['2001:db8:ffff::1', '203.0.113.10'])
    m.apply(e)
    expect(engine.responder.ownedAddresses()).toHaveLength(0)
  })
})
