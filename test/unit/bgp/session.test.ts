import {describe, expect, it} from 'vitest'
import {FakeClock} from '../../support/fake-clock.js'
import {decode, encode} from '../../../src/lib/bgp/codec.js'
import {BgpProtocolError} from '../../../src/lib/bgp/errors.js'
import {frame} from '../../../src/lib/bgp/header.js'
import {shutdownReason} from '../../../src/lib/bgp/notification.js'
import {buildOpen} from '../../../src/lib/bgp/open.js'
import {ReceiveBudget} from '../../../src/lib/bgp/schedule.js'
import {BgpSession, type SessionOptions} from '../../../src/lib/bgp/session.js'
import type {BgpMessage, NotificationMessage, UpdateMessage} from '../../../src/lib/bgp/types.js'
import {fakeTransport, FakeConn, pair, settle} from './fake-net.js'
import {hex} from './hex.js'

const defer = (fn: () => void) => queueMicrotask(fn)

/** Two engines joined in memory: `a` dials, `b` listens. */
function twoSessions(aOpts: Partial<SessionOptions> = {}, bOpts: Partial<SessionOptions> = {}) {
  const clock = new FakeClock()
  const conns: {a?: FakeConn; b?: FakeConn} = {}
  const b = new BgpSession({localAsn: 64513, peerAsn: 64512, routerId: '198.18.0.1', passive: true, clock, defer, random: () => 1, ...bOpts})
  const transport = fakeTransport((far) => {
    conns.b = far
    b.accept(far)
  })
  transport.clockNow = () => clock.now()
  const a = new BgpSession({localAsn: 64512, peerAsn: 64513, routerId: '198.18.0.2', clock, transport, defer, random: () => 1, ...aOpts})
  return {a, b, clock, transport, conns}
}

/** What one side wrote, decoded. */
function sent(c: FakeConn | undefined): BgpMessage[] {
  const out: BgpMessage[] = []
  for (const w of c?.written ?? []) {
    let off = 0
    while (off < w.length) {
      const len = w.readUInt16BE(off + 16)
      const m = decode(w.subarray(off, off + len))
      if (!(m instanceof BgpProtocolError)) out.push(m)
      off += len
    }
  }
  return out
}

describe('BgpSession', () => {
  it('establishes, sends routes with End-of-RIB, withdraws on change, ends with Cease and a reason', async () => {
    const {a, b, conns} = twoSessions()
    const states: string[] = []
    a.on('state', (s) => states.push(s.to))
    const eors: number[] = []
    b.on('end-of-rib-received', (f) => eors.push(f))
    a.setRoutes([{prefix: '203.0.113.1/32', communities: [0xfde80001]}, {prefix: '2001:db8:ffff::1/128', largeCommunities: [[64512, 1, 2]]}])
    b.start()
    a.start()
    await settle()
    expect(a.state).toBe('Established')
    expect(b.state).toBe('Established')
    expect(states).toEqual(['Connect', 'OpenSent', 'OpenConfirm', 'Established'])
    expect(eors.sort()).toEqual([4, 6])
    expect(b.adjRibIn.get('203.0.113.1/32')).toMatchObject({origin: 0, asPath: [{type: 'sequence', asns: [64512]}], nextHop: '198.18.0.2', communities: [0xfde80001]})
    expect(b.adjRibIn.get('2001:db8:ffff::1/128')?.mpReach?.nextHops).toEqual(['::ffff:c612:2'])
    a.setRoutes([{prefix: '203.0.113.2/32'}])
    await settle()
    expect([...b.adjRibIn.keys()]).toEqual(['203.0.113.2/32'])
    const got = new Promise<NotificationMessage>((r) => b.on('notification-received', r))
    await a.stop({reason: 'maintenance'})
    const n = await got
    expect([n.code, n.subcode, shutdownReason(n)]).toEqual([6, 2, 'maintenance'])
    expect(a.state).toBe('Idle')
    expect(conns.a).toBeUndefined()
  })

  it('keepalives at hold/3; the hold timer expires with 4/0 when the peer freezes, then reconnects with backoff', async () => {
    const {a, b, clock, conns, transport} = twoSessions({holdTime: 9, connectRetryTime: 2}, {holdTime: 9})
    b.start()
    a.start()
    await settle()
    expect(a.negotiated).toMatchObject({holdTime: 9, keepaliveTime: 3})
    const aConn = conns.b!.peer!
    const before = aConn.written.length
    clock.advance(3000)
    await settle()
    expect(sent(aConn).slice(-1)[0]).toEqual({type: 'keepalive'})
    expect(aConn.written.length).toBe(before + 1)
    // Freeze the peer: nothing reaches a any more.
    conns.b!.frozen = true
    const down = new Promise((r) => a.on('down', r))
    for (let t = 0; t < 9; t++) {
      clock.advance(1000)
      await settle(2)
    }
    expect(await down).toMatchObject({reason: 'hold-timer-expired'})
    expect(sent(aConn).slice(-1)[0]).toMatchObject({type: 'notification', code: 4, subcode: 0})
    // Backoff: the next attempt waits, then b answers again.
    const attempts = transport.attempts.length
    clock.advance(1900)
    await settle()
    expect(transport.attempts.length).toBe(attempts)
    clock.advance(100)
    await settle()
    expect(transport.attempts.length).toBe(attempts + 1)
    await settle()
    expect(a.state).toBe('Established')
  })

  it('connect retry doubles with every failure, up to the maximum', async () => {
    const clock = new FakeClock()
    const times: number[] = []
    const a = new BgpSession({
      localAsn: 64512, peerAsn: 64513, routerId: '198.18.0.2', clock, defer, random: () => 1, connectRetryTime: 1, connectRetryMax: 8,
      transport: {connect: async () => { times.push(clock.now()); throw new Error('ECONNREFUSED') }},
    })
    a.start()
    for (let i = 0; i < 40; i++) {
      clock.advance(1000)
      await settle(2)
    }
    const gaps = times.slice(1).map((t, i) => t - times[i])
    expect(gaps.slice(0, 5)).toEqual([1000, 2000, 4000, 8000, 8000])
    expect(a.state).toBe('Active')
    await a.stop()
  })

  it('rejects hold time 1 or 2 with 2/6; refuses a wrong peer AS with 2/2', async () => {
    for (const [open, code] of [[buildOpen({asn: 64513, routerId: '198.18.0.1', holdTime: 2, families: [4]}), [2, 6]],
      [buildOpen({asn: 64999, routerId: '198.18.0.1', holdTime: 90, families: [4]}), [2, 2]]] as const) {
      const {a, transport} = twoSessions()
      let far: FakeConn | undefined
      ;(transport as {connect: unknown}).connect = async () => {
        const [n, f] = pair()
        far = f
        return n
      }
      const down = new Promise((r) => a.on('down', r))
      a.start()
      await settle()
      far!.write(encode(open))
      await settle()
      expect(await down).toMatchObject({reason: 'notification-sent'})
      expect(sent(far!.peer).find((m) => m.type === 'notification')).toMatchObject({code: code[0], subcode: code[1]})
      await a.stop()
    }
    expect(() => new BgpSession({localAsn: 1, peerAsn: 2, routerId: '1.1.1.1', holdTime: 2})).toThrow(/hold time/)
  })

  it('packs prefixes with equal attributes into few UPDATEs', async () => {
    const {a, b, conns} = twoSessions()
    const routes = Array.from({length: 5000}, (_, i) => ({prefix: `198.19.${i >> 8}.${i & 255}/32`, communities: [i % 2]}))
    a.setRoutes(routes)
    b.start()
    a.start()
    await settle()
    expect(b.adjRibIn.size).toBe(5000)
    const updates = sent(conns.b!.peer).filter((m) => m.type === 'update') as UpdateMessage[]
    // Two attribute sets, ~800 /32 per 4096-octet UPDATE, plus 2 End-of-RIB.
    expect(updates.length).toBeLessThanOrEqual(2 * Math.ceil(2500 / 800) + 2 + 2)
    await a.stop()
  })

  it('sends a large table in parts of syncChunk prefixes, one part per turn, with End-of-RIB and withdrawals after the last', async () => {
    const turns: (() => void)[] = []
    const {a, b, conns} = twoSessions({defer: (fn) => turns.push(fn), syncChunk: 1000})
    const routes = Array.from({length: 4500}, (_, i) => ({prefix: `198.19.${i >> 8}.${i & 255}/32`, communities: [i % 3]}))
    a.setRoutes(routes)
    b.start()
    a.start()
    await settle()
    expect(a.state).toBe('Established')
    const eors: number[] = []
    b.on('end-of-rib-received', (f) => eors.push(f))
    const sizes: number[] = []
    while (turns.length) {
      turns.shift()!()
      await settle()
      sizes.push(b.adjRibIn.size)
      if (b.adjRibIn.size < 4500) expect(eors).toEqual([])
    }
    expect(sizes).toEqual([1000, 2000, 3000, 4000, 4500])
    expect(eors.sort()).toEqual([4, 6])
    const waited = a.synced()
    a.setRoutes(routes.slice(0, 1200))
    let n = 0
    while (turns.length) {
      turns.shift()!()
      n++
      await settle()
    }
    await waited
    expect(n).toBe(4)
    expect(b.adjRibIn.size).toBe(1200)
    const updates = sent(conns.b!.peer).filter((m) => m.type === 'update') as UpdateMessage[]
    expect(updates.every((u) => u.withdrawn.length <= 1000)).toBe(true)
    await a.stop()
  })

  it('answers ROUTE-REFRESH by re-sending the table between BoRR and EoRR', async () => {
    const {a, b, conns} = twoSessions()
    a.setRoutes([{prefix: '203.0.113.0/24'}])
    b.start()
    a.start()
    await settle()
    const aConn = conns.b!.peer!
    const n = aConn.written.length
    conns.b!.write(encode({type: 'route-refresh', afi: 1, safi: 1, subtype: 0}))
    await settle()
    const after = sent({written: aConn.written.slice(n)} as FakeConn)
    expect(after.map((m) => m.type)).toEqual(['route-refresh', 'update', 'route-refresh'])
    expect(after[0]).toMatchObject({subtype: 1})
    expect((after[1] as UpdateMessage).nlri).toEqual(['203.0.113.0/24'])
    expect(after[2]).toMatchObject({subtype: 2})
    await a.stop()
  })

  it('a capability the peer refuses with 2/7 Unsupported Capability is left out of the next OPEN (RFC 5492 3)', async () => {
    const clock = new FakeClock()
    const fars: FakeConn[] = []
    const a = new BgpSession({
      localAsn: 64512, peerAsn: 64513, routerId: '198.18.0.2', clock, defer, random: () => 1, connectRetryTime: 2, extendedMessage: true,
      transport: {connect: async () => {
        const [near, far] = pair()
        fars.push(far)
        return near
      }},
    })
    const dropped: number[][] = []
    a.on('capabilities-dropped', (c) => dropped.push(c))
    a.start()
    await settle()
    const kinds = (c: FakeConn): string[] => (sent(c.peer)[0] as any).capabilities.map((x: any) => x.kind)
    expect(kinds(fars[0])).toContain('extended-message')
    // The peer answers: capability 6 (extended message, empty value) unsupported, capability 73 (FQDN, which we never
    // offered: nothing to drop), and a truncated tuple to ignore.
    fars[0].write(frame(3, Buffer.from([2, 7, 6, 0, 73, 1, 0, 64, 9])))
    await settle()
    expect(dropped).toEqual([[6]])
    // Reconnects after the connect-retry backoff (2 s doubled per failure).
    clock.advance(10_000)
    await settle()
    const later = fars.slice(1).filter((f) => sent(f.peer).length > 0)
    expect(later.length).toBeGreaterThanOrEqual(1)
    for (const f of later) expect(kinds(f)).toEqual(kinds(fars[0]).filter((k: string) => k !== 'extended-message'))
    await a.stop()
  })

  it('resolves a connection collision: one connection survives, the other gets 6/7', async () => {
    const clock = new FakeClock()
    const sessions: Record<string, BgpSession> = {}
    const mk = (me: string, asn: number, peerAsn: number, id: string, other: string) => new BgpSession({
      localAsn: asn, peerAsn, routerId: id, clock, defer, random: () => 1,
      transport: {connect: async () => {
        const [near, far] = pair()
        sessions[other].accept(far)
        return near
      }},
    })
    sessions.x = mk('x', 64512, 64513, '198.18.0.2', 'y')
    sessions.y = mk('y', 64513, 64512, '198.18.0.1', 'x')
    const ceases: number[] = []
    for (const s of Object.values(sessions)) s.on('notification-sent', (n) => ceases.push(n.subcode))
    sessions.x.start()
    sessions.y.start()
    await settle()
    expect(sessions.x.state).toBe('Established')
    expect(sessions.y.state).toBe('Established')
    expect(ceases).toContain(7)
    await sessions.x.stop()
    await sessions.y.stop()
  })

  it('treat-as-withdraw keeps the session and drops the routes; a framing error sends the NOTIFICATION', async () => {
    const {a, b, conns} = twoSessions()
    b.setRoutes([{prefix: '203.0.113.9/32'}])
    b.start()
    a.start()
    await settle()
    expect(a.adjRibIn.has('203.0.113.9/32')).toBe(true)
    const errors: BgpProtocolError[] = []
    a.on('protocol-error', (e) => errors.push(e))
    // ORIGIN value 7 → treat-as-withdraw for 203.0.113.9/32.
    const bad = hex('0000 0014 40010107 400206020100 00fc01 400304c6120001 20cb007109')
    conns.b!.write(frame(2, bad))
    await settle()
    expect(errors[0]).toMatchObject({action: 'treat-as-withdraw', code: 3, subcode: 6})
    expect(a.adjRibIn.has('203.0.113.9/32')).toBe(false)
    expect(a.state).toBe('Established')
    conns.b!.write(Buffer.alloc(19, 0))
    await settle()
    expect(sent(conns.b!.peer).slice(-1)[0]).toMatchObject({type: 'notification', code: 1, subcode: 1})
    await a.stop()
  })

  it('past the receive budget of a turn, parks what it reads and pauses the socket, then decodes it in order in later turns', async () => {
    let t = 0
    const budget = new ReceiveBudget(10, () => (t += 3)) // every chunk "takes" 3 ms: three per turn
    const {a, b, conns} = twoSessions({receiveBudget: budget})
    b.start()
    a.start()
    await settle()
    expect(a.state).toBe('Established')
    const aConn = conns.b!.peer! as FakeConn & {pause?: () => void; resume?: () => void}
    const calls: string[] = []
    aConn.pause = () => calls.push('pause')
    aConn.resume = () => calls.push('resume')
    const prefixes = Array.from({length: 12}, (_, i) => `203.0.113.${i}/32`)
    const order: string[] = []
    a.on('update-received', (m) => order.push(...m.nlri))
    for (const p of prefixes) {
      conns.b!.write(encode({type: 'update', withdrawn: [], attributes: {origin: 0, asPath: [{type: 'sequence', asns: [64513]}], nextHop: '198.18.0.1'}, nlri: [p]}))
    }
    await Promise.resolve() // the fake socket delivers in microtasks, all before the next turn
    expect(order.length).toBeLessThan(12)
    expect(calls).toContain('pause')
    await settle()
    expect(order).toEqual(prefixes)
    expect(calls.filter((c) => c === 'pause').length).toBe(calls.filter((c) => c === 'resume').length)
    expect(a.state).toBe('Established')
    await a.stop()
  })

  it('send hold timer (RFC 9687): no progress sending for the send hold time ends the session with 8/0', async () => {
    const {a, b, clock, conns} = twoSessions({holdTime: 0, sendHoldTime: 8}, {holdTime: 0})
    b.start()
    a.start()
    await settle()
    const aConn = conns.b!.peer!
    aConn.writableLength = 5000
    a.setRoutes([{prefix: '203.0.113.0/24'}])
    await settle()
    const down = new Promise((r) => a.on('down', r))
    for (let i = 0; i < 10; i++) {
      clock.advance(1000)
      await settle(2)
    }
    expect(await down).toMatchObject({reason: 'send-hold-timer-expired'})
    expect(sent(aConn).slice(-1)[0]).toMatchObject({type: 'notification', code: 8})
  })

  it('graceful restart: capability sent; a graceful stop closes TCP without NOTIFICATION; BFD down is immediate', async () => {
    const {a, b, conns} = twoSessions({gracefulRestart: {restartTime: 120}}, {})
    b.start()
    a.start()
    await settle()
    expect(b.negotiated?.peerGracefulRestart).toMatchObject({restartTime: 120, families: [{afi: 1, safi: 1, forwardingPreserved: true}, {afi: 2, safi: 1, forwardingPreserved: true}]})
    const aConn = conns.b!.peer!
    await a.stop({graceful: true})
    expect(sent(aConn).some((m) => m.type === 'notification')).toBe(false)
    const t = twoSessions()
    t.b.start()
    t.a.start()
    await settle()
    const downs: string[] = []
    t.a.on('down', (d) => downs.push(d.reason))
    t.a.bfdDown()
    expect(downs).toEqual(['bfd-down'])
    expect(t.conns.b!.peer!.destroyed).toBe(true)
    await t.a.stop()
  })

  it('4-octet ASN toward a 2-octet-only peer: AS_TRANS in OPEN and AS4_PATH in UPDATEs', async () => {
    const {a, transport} = twoSessions({localAsn: 4200000001})
    let far: FakeConn | undefined
    ;(transport as {connect: unknown}).connect = async () => {
      const [n, f] = pair()
      far = f
      return n
    }
    a.setRoutes([{prefix: '203.0.113.0/24'}])
    a.start()
    await settle()
    const open = sent(far!.peer)[0]
    expect(open).toMatchObject({type: 'open', asn: 23456})
    // An old peer: no capabilities at all.
    far!.write(encode({type: 'open', version: 4, asn: 64513, holdTime: 90, routerId: '198.18.0.1', capabilities: []}))
    far!.write(encode({type: 'keepalive'}))
    await settle()
    expect(a.state).toBe('Established')
    const upd = far!.peer!.written.find((w) => w[18] === 2 && w.length > 23)!
    const asPath = decode(upd, {fourOctetAs: false}) as UpdateMessage
    expect(asPath.attributes.asPath).toEqual([{type: 'sequence', asns: [4200000001]}])
    expect(upd.includes(Buffer.from([0x40, 2, 4, 2, 1, 0x5b, 0xa0]))).toBe(true)
    await a.stop()
  })
})

describe('RouteSet', () => {
  it('one prepared table serves two sessions; bad input is rejected and nothing changes', async () => {
    const {prepareRoutes} = await import('../../../src/lib/bgp/session.js')
    const set = await prepareRoutes(Array.from({length: 12000}, (_, i) => ({prefix: `198.19.${i >> 8}.${i & 255}/32`})), 1000)
    expect(set.size).toBe(12000)
    const one = twoSessions()
    const two = twoSessions()
    for (const t of [one, two]) {
      t.a.setRoutes(set)
      t.b.start()
      t.a.start()
    }
    await settle()
    expect(one.b.adjRibIn.size).toBe(12000)
    expect(two.b.adjRibIn.size).toBe(12000)
    await expect(prepareRoutes([{prefix: '203.0.113.0/24'}, {prefix: '203.0.113.1/24'}])).rejects.toThrow(/zero host bits/)
    expect(() => one.a.setRoutes([{prefix: '203.0.113.0/24'}, {prefix: '203.0.113.0/24'}])).toThrow(/listed twice/)
    await settle()
    expect(one.b.adjRibIn.size).toBe(12000)
    await one.a.stop()
    await two.a.stop()
  })
})
