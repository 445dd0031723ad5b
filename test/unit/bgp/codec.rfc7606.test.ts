// One test per RFC 7606 case: the decoder's action, NOTIFICATION code/subcode, and what survives.
import {describe, expect, it} from 'vitest'
import {decode} from '../../../src/lib/bgp/codec.js'
import {BgpProtocolError} from '../../../src/lib/bgp/errors.js'
import {frame} from '../../../src/lib/bgp/header.js'
import type {CodecContext, UpdateMessage} from '../../../src/lib/bgp/types.js'
import {hex} from './hex.js'

const ORIGIN = '40 01 01 00'
const AS_PATH = '40 02 06 02 01 0000fc00'
const NEXT_HOP = '40 03 04 c6120002'
const NLRI = '18 cb0071' // 203.0.113.0/24

/** An UPDATE from annotated pieces: withdrawn routes, attributes, NLRI. */
function update(attrs: string, nlri = NLRI, withdrawn = ''): Buffer {
  const w = hex(withdrawn)
  const a = hex(attrs)
  const n = hex(nlri)
  const body = Buffer.concat([Buffer.from([w.length >> 8, w.length & 0xff]), w, Buffer.from([a.length >> 8, a.length & 0xff]), a, n])
  return frame(2, body)
}

function err(bytes: Buffer, ctx: CodecContext = {}): BgpProtocolError {
  const r = decode(bytes, ctx)
  expect(r).toBeInstanceOf(BgpProtocolError)
  return r as BgpProtocolError
}

const valid = `${ORIGIN} ${AS_PATH} ${NEXT_HOP}`

describe('RFC 7606 treat-as-withdraw', () => {
  const cases: [string, string, number][] = [
    ['ORIGIN length 2', `40 01 02 0000 ${AS_PATH} ${NEXT_HOP}`, 5],
    ['ORIGIN value 3', `40 01 01 03 ${AS_PATH} ${NEXT_HOP}`, 6],
    ['AS_PATH segment overruns', `${ORIGIN} 40 02 06 02 02 0000fc00 ${NEXT_HOP}`, 11],
    ['AS_PATH segment type 7', `${ORIGIN} 40 02 06 07 01 0000fc00 ${NEXT_HOP}`, 11],
    ['AS_PATH segment of 0 ASNs', `${ORIGIN} 40 02 02 02 00 ${NEXT_HOP}`, 11],
    ['NEXT_HOP length 5', `${ORIGIN} ${AS_PATH} 40 03 05 c612000200`, 5],
    ['NEXT_HOP 0.0.0.0', `${ORIGIN} ${AS_PATH} 40 03 04 00000000`, 8],
    ['NEXT_HOP multicast', `${ORIGIN} ${AS_PATH} 40 03 04 e0000001`, 8],
    ['MED length 3', `${valid} 80 04 03 000000`, 5],
    ['LOCAL_PREF length 2 (iBGP)', `${valid} 40 05 02 0064`, 5],
    ['COMMUNITIES length 6', `${valid} c0 08 06 fde80064 0001`, 9],
    ['COMMUNITIES length 0', `${valid} c0 08 00`, 9],
    ['LARGE_COMMUNITY length 8', `${valid} c0 20 08 0000fde8 00000001`, 9],
    ['ORIGIN flagged optional', `c0 01 01 00 ${AS_PATH} ${NEXT_HOP}`, 4],
    ['ORIGIN missing', `${AS_PATH} ${NEXT_HOP}`, 3],
    ['AS_PATH missing', `${ORIGIN} ${NEXT_HOP}`, 3],
    ['NEXT_HOP missing with IPv4 NLRI', `${ORIGIN} ${AS_PATH}`, 3],
    ['attribute length runs past the attributes', `${valid} c0 08 08 fde80064`, 5],
    ['truncated attribute header', `${valid} c0 08`, 1],
    ['ORIGINATOR_ID length 3', `${valid} 80 09 03 010203`, 5],
  ]
  for (const [name, attrs, subcode] of cases) {
    it(`${name} → 3/${subcode}, every prefix withdrawn`, () => {
      const e = err(update(attrs, NLRI, '20 cb0071ff'))
      expect([e.code, e.subcode, e.action]).toEqual([3, subcode, 'treat-as-withdraw'])
      expect(e.withdraw).toEqual(['203.0.113.255/32', '203.0.113.0/24'])
    })
  }
  it('withdraws the MP_REACH prefixes too', () => {
    const mp = '80 0e 1c 0002 01 10 20010db8000000000000000000000002 00 30 20010db8ffff'
    const e = err(update(`${mp} 40 01 01 09 ${AS_PATH}`, ''))
    expect(e.action).toBe('treat-as-withdraw')
    expect(e.withdraw).toEqual(['2001:db8:ffff::/48'])
  })
})

describe('RFC 7606 attribute-discard', () => {
  const cases: [string, string, CodecContext?][] = [
    ['LOCAL_PREF from an eBGP peer', `${valid} 40 05 04 00000064`, {ebgp: true}],
    ['ATOMIC_AGGREGATE length 1', `${valid} 40 06 01 00`],
    ['AGGREGATOR length 7', `${valid} c0 07 07 0000fc00 c61200`],
    ['AS4_PATH malformed from a 2-octet peer', `${ORIGIN} 40 02 04 02 01 5ba0 ${NEXT_HOP} c0 11 05 02 02 0000fc`, {fourOctetAs: false}],
    ['AS4_AGGREGATOR length 6', `${ORIGIN} 40 02 04 02 01 5ba0 ${NEXT_HOP} c0 12 06 0000fc00 c612`, {fourOctetAs: false}],
    ['a repeated COMMUNITIES', `${valid} c0 08 04 fde80064 c0 08 04 fde80065`],
  ]
  for (const [name, attrs, ctx] of cases) {
    it(`${name}: UPDATE kept, attribute dropped`, () => {
      const m = decode(update(attrs), ctx ?? {}) as UpdateMessage
      expect(m.type).toBe('update')
      expect(m.nlri).toEqual(['203.0.113.0/24'])
      expect(m.discarded?.length).toBe(1)
      expect(m.discarded![0].action).toBe('attribute-discard')
    })
  }
  it('the first of repeated COMMUNITIES is kept', () => {
    const m = decode(update(`${valid} c0 08 04 fde80064 c0 08 04 fde80065`)) as UpdateMessage
    expect(m.attributes.communities).toEqual([0xfde80064])
  })
  it('unknown optional attributes are kept, not errors', () => {
    const m = decode(update(`${valid} c0 63 02 abcd 80 64 00`)) as UpdateMessage
    expect(m.discarded).toBeUndefined()
    expect(m.attributes.unknown?.map((u) => u.typeCode)).toEqual([99, 100])
  })
})

describe('RFC 7606 session-reset', () => {
  const cases: [string, Buffer, number, number][] = [
    ['withdrawn routes length runs past the message', frame(2, hex('00ff 0000')), 3, 1],
    ['total attribute length runs past the message', frame(2, hex('0000 00ff 400101 00')), 3, 1],
    ['NLRI prefix length 33', update(valid, '21 cb007100 00'), 3, 10],
    ['NLRI prefix overruns the message', update(valid, '20 cb00'), 3, 10],
    ['withdrawn prefix length 40', update(valid, NLRI, '28 cb00710000'), 3, 10],
    ['MP_REACH next hop length 5 for IPv6', update(`80 0e 0b 0002 01 05 2001db8000 00 00 ${ORIGIN} ${AS_PATH}`, ''), 3, 9],
    ['MP_REACH next hop runs past the attribute', update(`80 0e 05 0002 01 10 00 00 ${ORIGIN} ${AS_PATH}`, ''), 3, 9],
    ['MP_REACH prefix malformed', update(`80 0e 17 0002 01 10 20010db8000000000000000000000002 00 81 00 ${ORIGIN} ${AS_PATH}`, ''), 3, 9],
    ['MP_UNREACH twice', update('80 0f 03 000201 80 0f 03 000201', ''), 3, 1],
    ['MP_UNREACH length 2', update('80 0f 02 0002', ''), 3, 9],
    ['unrecognized well-known attribute 40', update(`${valid} 40 28 01 00`), 3, 2],
  ]
  for (const [name, bytes, code, subcode] of cases) {
    it(`${name} → ${code}/${subcode}`, () => {
      const e = err(bytes)
      expect([e.code, e.subcode, e.action]).toEqual([code, subcode, 'session-reset'])
    })
  }
  it('a bad attribute carries itself as NOTIFICATION data', () => {
    const e = err(update('40 28 01 00', ''))
    expect(e.data.equals(hex('40 28 01 00'))).toBe(true)
  })
})
