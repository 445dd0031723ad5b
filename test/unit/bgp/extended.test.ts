// RFC 8950 extended next hop and RFC 8654 extended messages: capability codec, negotiation, and what a session sends.
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {FakeClock} from '../../support/fake-clock.js'
import {decode, encode} from '../../../src/lib/bgp/codec.js'
import {BgpProtocolError} from '../../../src/lib/bgp/errors.js'
import {buildOpen, describeCapability, negotiate} from '../../../src/lib/bgp/open.js'
import {BgpSession, type SessionOptions} from '../../../src/lib/bgp/session.js'
import type {Transport} from '../../../src/lib/bgp/session-types.js'
import type {BgpMessage, OpenMessage, UpdateMessage} from '../../../src/lib/bgp/types.js'
import {type FakeConn, pair, settle} from './fake-net.js'
import {OPEN_EXTENDED, UPDATE_V4_NH6, UPDATE_V4_NH6_LL} from './fixtures.js'
import {hex, MARKER} from './hex.js'

describe('extended next hop capability (RFC 8950 3) and extended message (RFC 8654)', () => {
  it('decodes the annotated OPEN and encodes it back byte for byte', () => {
    const m = decode(OPEN_EXTENDED) as OpenMessage
    expect(m.capabilities).toEqual([
      {kind: 'multiprotocol', afi: 1, safi: 1}, {kind: 'multiprotocol', afi: 2, safi: 1},
      {kind: 'extended-next-hop', tuples: [{afi: 1, safi: 1, nextHopAfi: 2}]}, {kind: 'extended-message'},
    ])
    expect(encode(m).equals(OPEN_EXTENDED)).toBe(true)
    expect(describeCapability(m.capabilities[2])).toBe('extended next hop ipv4-unicast via ipv6')
  })

  it('several tuples, and an empty list, round-trip; a length that is not 6n is 2/0', () => {
    const tuples = [{afi: 1, safi: 1, nextHopAfi: 2}, {afi: 1, safi: 128, nextHopAfi: 2}, {afi: 1, safi: 2, nextHopAfi: 2}]
    for (const t of [tuples, []]) {
      const o: OpenMessage = {type: 'open', version: 4, asn: 64512, holdTime: 90, routerId: '198.18.0.2', capabilities: [{kind: 'extended-next-hop', tuples: t}]}
      expect(decode(encode(o))).toEqual(o)
    }
    const bad = hex(`${MARKER} 0024 01  04 fc00 005a c6120002  07  02 05  05 03 000100`)
    const e = decode(bad) as BgpProtocolError
    expect(e).toBeInstanceOf(BgpProtocolError)
    expect([e.code, e.subcode, e.message]).toEqual([2, 0, '2/0 OPEN Message Error: extended next hop capability length 3 is not a multiple of 6'])
  })

  it('buildOpen offers the IPv4-over-IPv6 tuple only when asked and when IPv4 unicast is a family', () => {
    const kinds = (o: OpenMessage) => o.capabilities.map((c) => c.kind)
    expect(kinds(buildOpen({asn: 64512, routerId: '198.18.0.2', holdTime: 90, families: [4, 6]}))).not.toContain('extended-next-hop')
    expect(buildOpen({asn: 64512, routerId: '198.18.0.2', holdTime: 90, families: [4, 6], extendedNextHop: true}).capabilities)
      .toContainEqual({kind: 'extended-next-hop', tuples: [{afi: 1, safi: 1, nextHopAfi: 2}]})
    expect(kinds(buildOpen({asn: 64512, routerId: '198.18.0.2', holdTime: 90, families: [6], extendedNextHop: true}))).not.toContain('extended-next-hop')
  })

  it('is negotiated only when both sides offer IPv4 unicast with an IPv6 next hop', () => {
    const open = (asn: number, id: string, ext: boolean, msg = false) => buildOpen({asn, routerId: id, holdTime: 90, families: [4, 6], extendedNextHop: ext, extendedMessage: msg})
    const n = (a: boolean, b: boolean) => negotiate(open(64512, '198.18.0.2', a), 64512, open(64513, '198.18.0.1', b), 64513)
    expect(n(true, true)).toMatchObject({extendedNextHop: true})
    expect(n(true, false)).toMatchObject({extendedNextHop: false})
    expect(n(false, true)).toMatchObject({extendedNextHop: false})
    // A peer offering only another NLRI family (VPN-IPv4, SAFI 128) with IPv6 next hops is not enough.
    const vpnOnly: OpenMessage = {...open(64513, '198.18.0.1', false), capabilities: [...open(64513, '198.18.0.1', false).capabilities, {kind: 'extended-next-hop', tuples: [{afi: 1, safi: 128, nextHopAfi: 2}]}]}
    expect(negotiate(open(64512, '198.18.0.2', true), 64512, vpnOnly, 64513)).toMatchObject({extendedNextHop: false})
    const m = (a: boolean, b: boolean) => negotiate(open(64512, '198.18.0.2', false, a), 64512, open(64513, '198.18.0.1', false, b), 64513)
    expect([m(true, true), m(true, false), m(false, true)].map((x) => (x as {extendedMessage: boolean}).extendedMessage)).toEqual([true, false, false])
  })
})

describe('IPv4 NLRI with an IPv6 next hop in MP_REACH_NLRI (RFC 8950 4)', () => {
  it('decodes the annotated 16-octet next hop UPDATE and encodes it back byte for byte', () => {
    const m = decode(UPDATE_V4_NH6) as UpdateMessage
    expect(m).toEqual({
      type: 'update', withdrawn: [], nlri: [],
      attributes: {mpReach: {afi: 1, safi: 1, nextHops: ['2001:db8:2::2'], nlri: ['203.0.113.0/24', '203.0.113.10/32']}, origin: 0, asPath: [{type: 'sequence', asns: [64512]}]},
    })
    expect(encode(m).equals(UPDATE_V4_NH6)).toBe(true)
  })
  it('decodes the 32-octet next hop (global + link-local) and encodes it back byte for byte', () => {
    const m = decode(UPDATE_V4_NH6_LL) as UpdateMessage
    expect(m.attributes.mpReach).toEqual({afi: 1, safi: 1, nextHops: ['2001:db8:2::1', 'fe80::1'], nlri: ['203.0.113.0/24']})
    expect(encode(m).equals(UPDATE_V4_NH6_LL)).toBe(true)
  })
  it('as FRR 8.4 sends them (captured in the lab, corpus/frr-*-ext-nh.hex): its OPEN offers the tuple, its UPDATE decodes', () => {
    const corpus = (f: string) => Buffer.from(readFileSync(new URL(`./corpus/${f}`, import.meta.url), 'utf8').replace(/\s+/g, ''), 'hex')
    const open = decode(corpus('frr-1-ext-nh.hex')) as OpenMessage
    expect(open.capabilities).toContainEqual({kind: 'extended-next-hop', tuples: [{afi: 1, safi: 1, nextHopAfi: 2}]})
    const u = decode(corpus('frr-2-ext-nh.hex'), {ebgp: true}) as UpdateMessage
    expect(u).toMatchObject({nlri: [], attributes: {mpReach: {afi: 1, safi: 1, nextHops: ['2001:db8:2::1'], nlri: ['203.0.113.80/32']}, asPath: [{type: 'sequence', asns: [64513, 64512]}]}})
    expect(u.attributes.nextHop).toBeUndefined()
  })
  it('a next hop of 8 octets for AFI 1 cannot locate the NLRI: session reset (RFC 7606 7.11)', () => {
    const bad = Buffer.from(UPDATE_V4_NH6)
    bad[29] = 8 // the next hop length octet (19 header + 2 + 2 + flags, type, length + AFI 2 + SAFI 1)
    expect(decode(bad)).toMatchObject({code: 3, action: 'session-reset'})
  })
})

/** A session over IPv6 (2001:db8:2::2 → 2001:db8:2::1) to a passive one, in memory. */
function v6Pair(aOpts: Partial<SessionOptions>, bOpts: Partial<SessionOptions>) {
  const clock = new FakeClock()
  const defer = (fn: () => void) => queueMicrotask(fn)
  const conns: {near?: FakeConn} = {}
  const b = new BgpSession({localAsn: 64513, peerAsn: 64512, routerId: '198.18.0.1', passive: true, clock, defer, random: () => 1, ...bOpts})
  const transport: Transport = {
    async connect() {
      const [near, far] = pair('2001:db8:2::2', '2001:db8:2::1')
      conns.near = near
      b.accept(far)
      return near
    },
  }
  const a = new BgpSession({localAsn: 64512, peerAsn: 64513, routerId: '198.18.0.2', clock, transport, defer, random: () => 1, ...aOpts})
  return {a, b, conns}
}

/** Every message `c` wrote, split at the length field and decoded with extended lengths allowed. */
function written(c: FakeConn): {length: number; m: BgpMessage}[] {
  const out: {length: number; m: BgpMessage}[] = []
  for (const w of c.written) {
    for (let off = 0; off < w.length;) {
      const len = w.readUInt16BE(off + 16)
      const m = decode(w.subarray(off, off + len), {extendedMessage: true})
      if (m instanceof BgpProtocolError) throw m
      out.push({length: len, m})
      off += len
    }
  }
  return out
}

describe('BgpSession over IPv6', () => {
  const routes = [{prefix: '203.0.113.10/32'}, {prefix: '2001:db8:ffff::10/128'}]

  it('with extended next hop on both sides: the IPv4 route goes in MP_REACH_NLRI AFI 1 with the IPv6 session address', async () => {
    const {a, b} = v6Pair({extendedNextHop: true}, {extendedNextHop: true})
    a.setRoutes(routes)
    b.start()
    a.start()
    await settle()
    expect(a.negotiated).toMatchObject({extendedNextHop: true, families: [4, 6]})
    expect(b.adjRibIn.get('203.0.113.10/32')).toMatchObject({mpReach: {afi: 1, safi: 1, nextHops: ['2001:db8:2::2'], nlri: ['203.0.113.10/32']}})
    expect(b.adjRibIn.get('203.0.113.10/32')?.nextHop).toBeUndefined()
    expect(b.adjRibIn.get('2001:db8:ffff::10/128')?.mpReach?.nextHops).toEqual(['2001:db8:2::2'])
    // Withdrawn in the withdrawn routes field, as any IPv4 unicast route.
    a.setRoutes([routes[1]])
    await settle()
    expect([...b.adjRibIn.keys()]).toEqual(['2001:db8:ffff::10/128'])
    await a.stop()
  })

  it('an explicit IPv4 next hop still goes in NEXT_HOP when extended next hop is negotiated', async () => {
    const {a, b} = v6Pair({extendedNextHop: true}, {extendedNextHop: true})
    a.setRoutes([{prefix: '203.0.113.10/32', nextHop: '198.18.0.2'}])
    b.start()
    a.start()
    await settle()
    expect(b.adjRibIn.get('203.0.113.10/32')).toMatchObject({nextHop: '198.18.0.2'})
    expect(b.adjRibIn.get('203.0.113.10/32')?.mpReach).toBeUndefined()
    await a.stop()
  })

  for (const [name, aExt, bExt] of [['the peer does not offer it', true, false], ['we do not offer it', false, true]] as const) {
    it(`when ${name}: today's behaviour, the IPv4 route is not sent (no-next-hop), the IPv6 one is`, async () => {
      const {a, b} = v6Pair({extendedNextHop: aExt}, {extendedNextHop: bExt})
      const skipped: string[] = []
      a.on('sent', (s) => skipped.push(...s.skipped.map((x) => `${x.prefix} ${x.reason}`)))
      a.setRoutes(routes)
      b.start()
      a.start()
      await settle()
      expect(a.negotiated?.extendedNextHop).toBe(false)
      expect([...b.adjRibIn.keys()]).toEqual(['2001:db8:ffff::10/128'])
      expect(skipped).toEqual(['203.0.113.10/32 no-next-hop'])
      await a.stop()
    })
  }
})

describe('BgpSession with extended messages', () => {
  // 3,000 /32s: 15,000 octets of NLRI, more than three 4096-octet UPDATEs hold.
  const table = Array.from({length: 3000}, (_, i) => ({prefix: `198.19.${i >> 8}.${i & 255}/32`}))
  const updates = (c: FakeConn) => written(c).filter((x) => x.m.type === 'update' && (x.m as UpdateMessage).nlri.length > 0)

  it('both sides: the table goes in one UPDATE over 4096 octets, and the peer decodes it', async () => {
    const {a, b, conns} = v6Pair({extendedMessage: true, nextHopIpv4: '198.18.0.2'}, {extendedMessage: true})
    a.setRoutes(table)
    b.start()
    a.start()
    await settle()
    expect(a.negotiated?.extendedMessage).toBe(true)
    const u = updates(conns.near!)
    expect(u.length).toBe(1)
    expect(u[0].length).toBeGreaterThan(4096)
    expect(b.adjRibIn.size).toBe(3000)
    await a.stop()
  })

  it('only one side: every UPDATE stays within 4096 octets', async () => {
    for (const [aExt, bExt] of [[true, false], [false, true]]) {
      const {a, b, conns} = v6Pair({extendedMessage: aExt, nextHopIpv4: '198.18.0.2'}, {extendedMessage: bExt})
      a.setRoutes(table)
      b.start()
      a.start()
      await settle()
      expect(a.negotiated?.extendedMessage).toBe(false)
      const u = updates(conns.near!)
      expect(u.length).toBeGreaterThan(3)
      for (const x of u) expect(x.length).toBeLessThanOrEqual(4096)
      expect(b.adjRibIn.size).toBe(3000)
      await a.stop()
    }
  })

  it('a message over 4096 octets without the capability is 1/2 Bad Message Length', async () => {
    const {a, b, conns} = v6Pair({nextHopIpv4: '198.18.0.2'}, {})
    const errors: BgpProtocolError[] = []
    b.on('protocol-error', (e) => errors.push(e))
    b.start()
    a.start()
    await settle()
    expect(b.state).toBe('Established')
    const big = encode({type: 'update', withdrawn: [], nlri: table.map((r) => r.prefix), attributes: {origin: 0, asPath: [], nextHop: '198.18.0.2'}})
    expect(big.length).toBeGreaterThan(4096)
    conns.near!.write(big)
    await settle()
    expect(errors[0]).toMatchObject({code: 1, subcode: 2})
    expect(b.state).not.toBe('Established')
    await a.stop()
  })
})
