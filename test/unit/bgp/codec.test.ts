import {describe, expect, it} from 'vitest'
import {decode, encode} from '../../../src/lib/bgp/codec.js'
import {BgpProtocolError} from '../../../src/lib/bgp/errors.js'
import {Framer} from '../../../src/lib/bgp/header.js'
import {describeNotification, shutdownNotification, shutdownReason} from '../../../src/lib/bgp/notification.js'
import {buildOpen, negotiate} from '../../../src/lib/bgp/open.js'
import fc from 'fast-check'
import {canonicalPrefix, formatIPv6, parseIPv4, parseIPv4Slow, parseIPv6} from '../../../src/lib/bgp/prefixes.js'
import type {BgpMessage, CodecContext, NotificationMessage, OpenMessage, UpdateMessage} from '../../../src/lib/bgp/types.js'
import {endOfRib, isEndOfRib, packAnnouncements, packWithdrawals} from '../../../src/lib/bgp/update.js'
import {encodeNlri} from '../../../src/lib/bgp/prefixes.js'

function roundTrip(m: BgpMessage, ctx: CodecContext = {}): BgpMessage {
  const bytes = encode(m, ctx)
  const back = decode(bytes, ctx)
  if (back instanceof BgpProtocolError) throw back
  expect(encode(back, ctx).equals(bytes)).toBe(true)
  return back
}

describe('round trips', () => {
  it('OPEN with every capability', () => {
    const open: OpenMessage = {
      type: 'open', version: 4, asn: 23456, holdTime: 90, routerId: '198.18.0.2',
      capabilities: [
        {kind: 'multiprotocol', afi: 1, safi: 1}, {kind: 'multiprotocol', afi: 2, safi: 1}, {kind: 'route-refresh'},
        {kind: 'enhanced-route-refresh'}, {kind: 'four-octet-as', asn: 4200000001}, {kind: 'extended-message'},
        {kind: 'graceful-restart', restarting: true, notification: false, restartTime: 120, families: [{afi: 1, safi: 1, forwardingPreserved: true}]},
        {kind: 'unknown', code: 73, value: Buffer.from('host')},
      ],
    }
    expect(roundTrip(open)).toEqual(open)
  })
  it('UPDATE IPv4 with all attributes', () => {
    const m: UpdateMessage = {
      type: 'update', withdrawn: ['203.0.113.128/25'], nlri: ['203.0.113.1/32', '203.0.113.0/24', '0.0.0.0/0'],
      attributes: {
        origin: 0, asPath: [{type: 'sequence', asns: [64512, 4200000001]}, {type: 'set', asns: [1, 2]}], nextHop: '198.18.0.2',
        med: 5, localPref: 200, atomicAggregate: true, aggregator: {asn: 4200000001, address: '198.18.0.9'},
        communities: [0xfde80001, 0xffffff01], largeCommunities: [[4200000001, 1, 2]],
        unknown: [{typeCode: 99, flags: 0xc0, value: Buffer.from([1, 2, 3])}],
      },
    }
    expect(roundTrip(m)).toEqual(m)
  })
  it('UPDATE IPv6 with a 32-byte next hop (global + link-local) and MP_UNREACH', () => {
    const m: UpdateMessage = {
      type: 'update', withdrawn: [], nlri: [],
      attributes: {
        mpReach: {afi: 2, safi: 1, nextHops: ['2001:db8::2', 'fe80::1'], nlri: ['2001:db8:ffff::/48', '2001:db8:ffff::1/128']},
        origin: 2, asPath: [],
      },
    }
    expect(roundTrip(m)).toEqual(m)
    const u: UpdateMessage = {type: 'update', withdrawn: [], nlri: [], attributes: {mpUnreach: {afi: 2, safi: 1, withdrawn: ['2001:db8:ffff:1::/64']}}}
    expect(roundTrip(u)).toEqual(u)
  })
  it('NOTIFICATION, KEEPALIVE, ROUTE-REFRESH', () => {
    const n: NotificationMessage = {type: 'notification', code: 2, subcode: 2, data: Buffer.from([0xfc, 0])}
    expect(roundTrip(n)).toEqual(n)
    expect(roundTrip({type: 'keepalive'})).toEqual({type: 'keepalive'})
    for (const subtype of [0, 1, 2]) expect(roundTrip({type: 'route-refresh', afi: 2, safi: 1, subtype})).toEqual({type: 'route-refresh', afi: 2, safi: 1, subtype})
  })
  it('attribute longer than 255 octets uses extended length', () => {
    const communities = Array.from({length: 100}, (_, i) => 0xfde80000 + i)
    const m: UpdateMessage = {type: 'update', withdrawn: [], nlri: ['203.0.113.0/24'], attributes: {origin: 0, asPath: [], nextHop: '198.18.0.2', communities}}
    const bytes = encode(m)
    const flagsAt = bytes.indexOf(Buffer.from([0xd0, 8]))
    expect(flagsAt).toBeGreaterThan(0)
    expect(bytes.readUInt16BE(flagsAt + 2)).toBe(400)
    expect(roundTrip(m)).toEqual(m)
  })
})

describe('4-octet AS toward 2-octet peers (RFC 6793)', () => {
  const ctx = {fourOctetAs: false}
  it('maps big ASNs to AS_TRANS and carries AS4_PATH, and merges back', () => {
    const m: UpdateMessage = {
      type: 'update', withdrawn: [], nlri: ['203.0.113.0/24'],
      attributes: {origin: 0, asPath: [{type: 'sequence', asns: [64512, 4200000001]}], nextHop: '198.18.0.2', aggregator: {asn: 4200000001, address: '198.18.0.1'}},
    }
    const bytes = encode(m, ctx)
    // AS_PATH 2-octet: 02 02 fc00 5ba0 (AS_TRANS), and an AS4_PATH (type 17) present.
    expect(bytes.includes(Buffer.from('40020602 02fc005ba0'.replace(/ /g, ''), 'hex'))).toBe(true)
    expect(bytes.includes(Buffer.from([0xc0, 17]))).toBe(true)
    expect(bytes.includes(Buffer.from([0xc0, 18]))).toBe(true)
    const back = decode(bytes, ctx) as UpdateMessage
    expect(back.attributes.asPath).toEqual(m.attributes.asPath)
    expect(back.attributes.aggregator).toEqual(m.attributes.aggregator)
  })
  it('a 4-octet speaker ignores AS4_PATH', () => {
    const m = decode(Buffer.concat([encode({type: 'update', withdrawn: [], nlri: [], attributes: {}})]), {}) as UpdateMessage
    expect(m.type).toBe('update')
  })
  it('buildOpen puts AS_TRANS in the 2-octet field', () => {
    const o = buildOpen({asn: 4200000001, routerId: '1.2.3.4', holdTime: 90, families: [4]})
    expect(o.asn).toBe(23456)
    expect(o.capabilities).toContainEqual({kind: 'four-octet-as', asn: 4200000001})
  })
})

describe('negotiate', () => {
  const local = buildOpen({asn: 64512, routerId: '198.18.0.2', holdTime: 90, families: [4, 6]})
  const peer = (o: Partial<OpenMessage>): OpenMessage => ({...buildOpen({asn: 64513, routerId: '198.18.0.1', holdTime: 30, families: [4]}), ...o})
  it('takes the smaller hold time, keepalive a third, common families', () => {
    const n = negotiate(local, 64512, peer({}), 64513)
    expect(n).toMatchObject({holdTime: 30, keepaliveTime: 10, families: [4], peerAsn: 64513, fourOctetAs: true, routeRefresh: true})
  })
  it('rejects hold time 1 and 2 with 2/6, accepts 0 and 3', () => {
    for (const h of [1, 2]) expect(negotiate(local, 64512, peer({holdTime: h}), 64513)).toMatchObject({code: 2, subcode: 6})
    expect(negotiate(local, 64512, peer({holdTime: 0}), 64513)).toMatchObject({holdTime: 0, keepaliveTime: 0})
    expect(negotiate(local, 64512, peer({holdTime: 3}), 64513)).toMatchObject({holdTime: 3, keepaliveTime: 1})
  })
  it('wrong peer AS is 2/2 with the AS as data; zero or duplicate router ID is 2/3', () => {
    const e = negotiate(local, 64512, peer({}), 64999) as BgpProtocolError
    expect([e.code, e.subcode, e.data.readUInt32BE(0)]).toEqual([2, 2, 64513])
    expect(negotiate(local, 64512, peer({routerId: '0.0.0.0'}), 64513)).toMatchObject({code: 2, subcode: 3})
    const ibgp = buildOpen({asn: 64512, routerId: '198.18.0.2', holdTime: 90, families: [4]})
    expect(negotiate(local, 64512, ibgp, 64512)).toMatchObject({code: 2, subcode: 3})
  })
  it('`external` takes any AS but ours; our own AS is 2/2 with the AS as data', () => {
    expect(negotiate(local, 64512, peer({}), 'external')).toMatchObject({peerAsn: 64513})
    const same = buildOpen({asn: 64512, routerId: '198.18.0.1', holdTime: 30, families: [4]})
    const e = negotiate(local, 64512, same, 'external') as BgpProtocolError
    expect([e.code, e.subcode, e.data.readUInt32BE(0), e.message]).toEqual([2, 2, 64512, '2/2 Bad Peer AS: peer is AS 64512, ours: an external peer was expected'])
  })
  it('no multiprotocol capability means IPv4 unicast only', () => {
    expect(negotiate(local, 64512, peer({capabilities: []}), 64513)).toMatchObject({families: [4], fourOctetAs: false})
  })
})

describe('End-of-RIB, packing', () => {
  it('End-of-RIB for IPv4 and IPv6', () => {
    expect(endOfRib(4).length).toBe(23)
    for (const f of [4, 6] as const) expect(isEndOfRib(decode(endOfRib(f)) as UpdateMessage)).toBe(f)
  })
  it('packs 10,000 /32s into UPDATEs under 4096 octets that carry every prefix once', () => {
    const prefixes = Array.from({length: 10000}, (_, i) => `198.19.${i >> 8}.${i & 255}/32`)
    const msgs = packAnnouncements(4, prefixes.map(encodeNlri), {origin: 0, asPath: [], nextHop: '198.18.0.2'}, {}, 4096)
    expect(msgs.length).toBeLessThan(15)
    const got: string[] = []
    for (const m of msgs) {
      expect(m.length).toBeLessThanOrEqual(4096)
      got.push(...(decode(m) as UpdateMessage).nlri)
    }
    expect(got).toEqual(prefixes)
    const v6 = Array.from({length: 3000}, (_, i) => `2001:db8:ffff::${i.toString(16)}/128`)
    const m6 = packAnnouncements(6, v6.map(encodeNlri), {mpReach: {afi: 2, safi: 1, nextHops: ['2001:db8::2'], nlri: []}, origin: 0, asPath: []}, {}, 4096)
    const got6 = m6.flatMap((m) => {
      expect(m.length).toBeLessThanOrEqual(4096)
      return (decode(m) as UpdateMessage).attributes.mpReach!.nlri
    })
    expect(got6).toEqual(v6.map((p) => canonicalPrefix(p)))
    for (const f of [4, 6] as const) {
      const ps = f === 4 ? prefixes : v6
      const w = packWithdrawals(f, ps.map(encodeNlri), {}, 4096)
      const back = w.flatMap((m) => {
        expect(m.length).toBeLessThanOrEqual(4096)
        const u = decode(m) as UpdateMessage
        return f === 4 ? u.withdrawn : u.attributes.mpUnreach!.withdrawn
      })
      expect(back.length).toBe(ps.length)
    }
  })
})

describe('framing', () => {
  it('reassembles messages split at every byte boundary', () => {
    const stream = Buffer.concat([encode({type: 'keepalive'}), endOfRib(6), encode({type: 'route-refresh', afi: 1, safi: 1, subtype: 0})])
    for (let cut = 1; cut < stream.length; cut++) {
      const f = new Framer()
      const a = f.push(stream.subarray(0, cut))
      const b = f.push(stream.subarray(cut))
      expect([...a.messages, ...b.messages].map((m) => (decode(m) as BgpMessage).type)).toEqual(['keepalive', 'update', 'route-refresh'])
    }
    const f = new Framer()
    const all = [...stream].flatMap((byte) => f.push(Buffer.from([byte])).messages)
    expect(all.length).toBe(3)
  })
  it('bad marker 1/1, bad length 1/2 with the length as data, bad type 1/3 with the type', () => {
    const k = encode({type: 'keepalive'})
    const badMarker = Buffer.from(k)
    badMarker[3] = 0
    expect(new Framer().push(badMarker).error).toMatchObject({code: 1, subcode: 1})
    const long = Buffer.from(k)
    long.writeUInt16BE(5000, 16)
    const e = new Framer().push(long).error!
    expect([e.code, e.subcode, e.data.readUInt16BE(0)]).toEqual([1, 2, 5000])
    const t = Buffer.from(k)
    t[18] = 9
    expect(new Framer().push(t).error).toMatchObject({code: 1, subcode: 3, data: Buffer.from([9])})
    const f = new Framer()
    f.push(t)
    expect(f.push(k).error).toBeDefined()
  })
})

describe('notifications', () => {
  it('shutdown communication (RFC 9003) round trip and truncation at 255 octets', () => {
    const m = decode(shutdownNotification('maintenance — back at 10:00')) as NotificationMessage
    expect(shutdownReason(m)).toBe('maintenance — back at 10:00')
    expect(describeNotification(m)).toBe('6/2 Cease: Administrative Shutdown ("maintenance — back at 10:00")')
    const long = decode(shutdownNotification('é'.repeat(200))) as NotificationMessage
    expect(long.data[0]).toBeLessThanOrEqual(255)
    expect(shutdownReason(long)).toBe('é'.repeat(127))
  })
  it('ROUTE-REFRESH with a wrong length is 7/1 with the message as data', () => {
    const rr = encode({type: 'route-refresh', afi: 1, safi: 1, subtype: 0})
    const bad = Buffer.concat([rr, Buffer.from([0])])
    bad.writeUInt16BE(24, 16)
    const e = decode(bad) as BgpProtocolError
    expect([e.code, e.subcode, e.data.length]).toEqual([7, 1, 24])
  })
})

describe('addresses', () => {
  it('the fast IPv4 parser agrees with the reference parser on any input', () => {
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.string({maxLength: 16}), fc.stringMatching(/^[0-9.]{0,16}$/)), (s) => {
      const a = parseIPv4(s)
      const b = parseIPv4Slow(s)
      expect(a === null ? null : [...a]).toEqual(b === null ? null : [...b])
    }), {numRuns: 20000})
  })
  it('formats IPv6 as RFC 5952', () => {
    for (const [i, o] of [['2001:0db8:0:0:0:0:0:1', '2001:db8::1'], ['::', '::'], ['1:0:0:2:0:0:0:3', '1:0:0:2::3'], ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], ['::ffff:198.18.0.1', '::ffff:c612:1']]) {
      expect(formatIPv6(parseIPv6(i)!)).toBe(o)
    }
    expect(canonicalPrefix('203.0.113.1/24')).toBeNull()
    expect(canonicalPrefix('2001:DB8:FFFF::/48')).toBe('2001:db8:ffff::/48')
  })
})
