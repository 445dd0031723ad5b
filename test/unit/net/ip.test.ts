import {isIP} from 'node:net'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {
  compareIP, formatIP, ipBits, ipEquals, ipFromValue, maxIPValue, NetParseError, parseIP, tryParseIP,
} from '../../../src/lib/net/index.js'
import {anyIP, ip6Sparse, ipOf} from './arb.js'

describe('parseIP / formatIP: good input', () => {
  // [input, family, value (hex), canonical]
  const good: Array<[string, 4 | 6, string, string]> = [
    ['0.0.0.0', 4, '0', '0.0.0.0'],
    ['255.255.255.255', 4, 'ffffffff', '255.255.255.255'],
    ['192.168.1.10', 4, 'c0a8010a', '192.168.1.10'],
    ['10.0.0.1', 4, 'a000001', '10.0.0.1'],
    ['::', 6, '0', '::'],
    ['::1', 6, '1', '::1'],
    ['1::', 6, '10000000000000000000000000000', '1::'],
    ['2001:DB8::1', 6, '20010db8000000000000000000000001', '2001:db8::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', 6, '20010db8000000000000000000000001', '2001:db8::1'],
    ['::ffff:1.2.3.4', 6, 'ffff01020304', '::ffff:1.2.3.4'],
    ['::FFFF:10.0.0.1', 6, 'ffff0a000001', '::ffff:10.0.0.1'],
    ['::1.2.3.4', 6, '1020304', '::102:304'],
    ['64:ff9b::192.0.2.33', 6, '64ff9b0000000000000000c0000221', '64:ff9b::c000:221'],
    ['1:2:3:4:5:6:7::', 6, '10002000300040005000600070000', '1:2:3:4:5:6:7:0'],
    ['::2:3:4:5:6:7:8', 6, '2000300040005000600070008', '0:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:1.2.3.4', 6, '10002000300040005000601020304', '1:2:3:4:5:6:102:304'],
    ['fe80::', 6, 'fe800000000000000000000000000000', 'fe80::'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 6, 'ffffffffffffffffffffffffffffffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ]
  it.each(good)('%s', (s, family, hex, canonical) => {
    const ip = parseIP(s)
    expect(ip).toEqual({family, value: BigInt(`0x${hex}`)})
    expect(formatIP(ip)).toBe(canonical)
    expect(tryParseIP(s)).toEqual(ip)
  })
})

describe('formatIP follows RFC 5952', () => {
  const v6 = (...g: number[]): bigint => g.reduce((v, x) => (v << 16n) | BigInt(x), 0n)
  const cases: Array<[string, bigint, string]> = [
    ['§4.1 no leading zeros', v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), '2001:db8::1'],
    ['§4.2.1 shorten as much as possible', v6(0x2001, 0xdb8, 0, 0, 0, 0, 2, 1), '2001:db8::2:1'],
    ['§4.2.2 one zero group is not compressed', v6(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), '2001:db8:0:1:1:1:1:1'],
    ['§4.2.3 longest run wins', v6(0x2001, 0, 0, 1, 0, 0, 0, 1), '2001:0:0:1::1'],
    ['§4.2.3 first run wins a tie', v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), '2001:db8::1:0:0:1'],
    ['§4.3 lowercase', v6(0x2001, 0xdb8, 0xabcd, 0xef, 0, 0, 0, 0xaaaa), '2001:db8:abcd:ef::aaaa'],
    ['§5 IPv4-mapped in mixed notation', v6(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x280), '::ffff:192.0.2.128'],
    ['leading run', v6(0, 0, 0, 0, 0, 0, 0, 1), '::1'],
    ['trailing run', v6(1, 0, 0, 0, 0, 0, 0, 0), '1::'],
    ['all zero', 0n, '::'],
    ['two-group run at the end beats none', v6(1, 2, 3, 4, 5, 6, 0, 0), '1:2:3:4:5:6::'],
    ['run of 2 after a single zero', v6(1, 0, 2, 0, 0, 3, 4, 5), '1:0:2::3:4:5'],
    ['not mapped: ::fffe:…', v6(0, 0, 0, 0, 0, 0xfffe, 0x102, 0x304), '::fffe:102:304'],
    ['not mapped: 1::ffff:…', v6(1, 0, 0, 0, 0, 0xffff, 0x102, 0x304), '1::ffff:102:304'],
  ]
  it.each(cases)('%s', (_name, value, text) => {
    expect(formatIP({family: 6, value})).toBe(text)
    expect(parseIP(text)).toEqual({family: 6, value})
  })

  it('agrees with the WHATWG URL serializer (also RFC 5952 compression) except for mapped addresses', () => {
    fc.assert(fc.property(fc.oneof(ipOf(6), ip6Sparse()), (ip) => {
      fc.pre(ip.value >> 32n !== 0xffffn)
      expect(`[${formatIP(ip)}]`).toBe(new URL(`http://[${formatIP(ip)}]/`).hostname)
    }), {numRuns: 2000})
  })
})

describe('parseIP: bad input', () => {
  // [input, key phrase of the reason]
  const bad: Array<[string, string]> = [
    ['', 'is empty'],
    ['1.2.3.256', 'octet 4 ("256") is greater than 255'],
    ['1.2.3', 'has 3 octets'],
    ['1.2.3.4.5', 'has 5 octets'],
    ['01.2.3.4', 'leading zero'],
    ['1..3.4', 'octet 2 is empty'],
    ['1.2.3.a', 'octet 4 ("a") is not a decimal number'],
    ['1.2.3.-4', 'contains "-"'],
    ['.1.2.3', 'starts with "."'],
    ['1.2.3.4.', 'ends with "."'],
    ['1.2.3.4/32', 'contains "/"'],
    [' 1.2.3.4', 'contains U+0020'],
    ['fe80::1%eth0', 'zone id "%eth0"'],
    ['[::1]', 'brackets'],
    ['1::2::3', '"::" appears more than once'],
    [':::', 'contains ":::"'],
    ['12345::', 'more than 4 hex digits'],
    ['12g4::', 'is not hexadecimal'],
    ['1:2:3:4:5:6:7:8:9', 'has 9 groups'],
    ['1:2:3:4:5:6:7', 'has 7 groups'],
    ['1:2:3:4:5:6:7::8', 'at most 7'],
    [':1:2:3:4:5:6:7', 'starts with a single ":"'],
    ['1:2:3:4:5:6:7:', 'ends with a single ":"'],
    ['1.2.3.4::', 'embedded IPv4 "1.2.3.4" must be the last part'],
    ['::1.2.3.256', 'embedded IPv4 "1.2.3.256": octet 4'],
    ['1:2:3:4:5:6:7:1.2.3.4', 'has 9 groups'],
    ['host.example', 'host name'],
    ['42', 'bare number'],
    ['abc', 'not an IP address'],
  ]
  it.each(bad)('%j', (s, phrase) => {
    expect(tryParseIP(s)).toBeUndefined()
    let err: unknown
    try {
      parseIP(s)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(NetParseError)
    const e = err as NetParseError
    expect(e.token).toBe(s)
    expect(e.reason).toContain(phrase)
    expect(e.message.startsWith(JSON.stringify(s))).toBe(true)
  })

  it('gives a hint that fixes the obvious mistakes', () => {
    const hint = (s: string): string | undefined => (() => {
      try {
        parseIP(s)
      } catch (e) {
        return (e as NetParseError).hint
      }
    })()
    expect(hint('010.0.0.1')).toBe('write 10 (leading zeros could mean octal)')
    expect(hint('fe80::1%eth0')).toBe('write fe80::1')
    expect(hint('[2001:db8::1]')).toBe('write 2001:db8::1')
    expect(hint(':1:2:3:4:5:6:7')).toBe('write ::1:2:3:4:5:6:7')
    expect(hint('1:2:3:4:5:6:7::8')).toBe('write 1:2:3:4:5:6:7:8')
    expect(hint(':1::')).toBeUndefined() // ::1:: would be wrong too, so no hint
  })
})

describe('properties', () => {
  it('format∘parse round-trips every value of both families', () => {
    fc.assert(fc.property(anyIP(), (ip) => {
      expect(parseIP(formatIP(ip))).toEqual(ip)
    }), {numRuns: 3000})
  })

  it('canonical dotted quads are fixed points', () => {
    const quad = fc.tuple(...[0, 1, 2, 3].map(() => fc.integer({min: 0, max: 255}))).map((o) => o.join('.'))
    fc.assert(fc.property(quad, (s) => {
      expect(formatIP(parseIP(s))).toBe(s)
    }))
  })

  it('accepts every IPv6 text fast-check generates (all RFC 4291 forms) and is idempotent on it', () => {
    fc.assert(fc.property(fc.ipV6(), (s) => {
      const ip = parseIP(s)
      expect(ip.family).toBe(6)
      expect(formatIP(parseIP(formatIP(ip)))).toBe(formatIP(ip))
      expect(parseIP(s.toUpperCase())).toEqual(ip)
    }), {numRuns: 2000})
  })

  it('accepts exactly what node:net isIP accepts, for strings of address characters (no zone ids)', () => {
    const chars = fc.constantFrom(...'0123456789abcdefABCDEF.:'.split(''), '1', '2', '.', ':', '::', 'ffff:', '255')
    fc.assert(fc.property(fc.array(chars, {maxLength: 20}).map((a) => a.join('')), (s) => {
      expect(tryParseIP(s) !== undefined).toBe(isIP(s) !== 0)
    }), {numRuns: 5000})
    fc.assert(fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended()), (s) => {
      const ip = tryParseIP(s)
      expect(ip !== undefined).toBe(isIP(s) !== 0)
      if (ip) expect(ip.family).toBe(isIP(s))
    }), {numRuns: 2000})
  })

  it('compareIP orders by family, then value', () => {
    fc.assert(fc.property(anyIP(), anyIP(), (a, b) => {
      const c = compareIP(a, b)
      expect(Math.sign(c) + Math.sign(compareIP(b, a))).toBe(0)
      expect(c === 0).toBe(ipEquals(a, b))
      if (a.family !== b.family) expect(Math.sign(c)).toBe(a.family === 4 ? -1 : 1)
    }))
  })
})

describe('helpers', () => {
  it('ipBits and maxIPValue', () => {
    expect(ipBits(4)).toBe(32)
    expect(ipBits(6)).toBe(128)
    expect(maxIPValue(4)).toBe(0xffffffffn)
    expect(maxIPValue(6)).toBe(2n ** 128n - 1n)
  })

  it('ipFromValue and formatIP refuse values outside the family', () => {
    expect(ipFromValue(4, 1n)).toEqual({family: 4, value: 1n})
    expect(() => ipFromValue(4, 2n ** 32n)).toThrow(RangeError)
    expect(() => ipFromValue(6, -1n)).toThrow(RangeError)
    expect(() => formatIP({family: 4, value: 2n ** 32n})).toThrow(RangeError)
    expect(() => formatIP({family: 5 as 4, value: 0n})).toThrow(RangeError)
  })
})
