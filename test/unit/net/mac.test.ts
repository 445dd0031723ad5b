import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {BROADCAST_MAC, formatMAC, isMulticastMAC, macEquals, NetParseError, parseMAC, tryParseMAC, ZERO_MAC} from '../../../src/lib/net/index.js'

describe('parseMAC / formatMAC', () => {
  it.each([
    ['aa:bb:cc:dd:ee:ff', 'aa:bb:cc:dd:ee:ff'],
    ['AA-BB-CC-DD-EE-FF', 'aa:bb:cc:dd:ee:ff'],
    ['aabb.ccdd.eeff', 'aa:bb:cc:dd:ee:ff'],
    ['0:1:2:3:4:5', '00:01:02:03:04:05'],
    ['00:00:00:00:00:00', '00:00:00:00:00:00'],
  ])('%s → %s', (s, text) => {
    const mac = parseMAC(s)
    expect(mac).toHaveLength(6)
    expect(formatMAC(mac)).toBe(text)
  })

  it.each([
    ['', 'is empty'],
    ['aabbccddeeff', 'no ":" or "-"'],
    ['aa:bb:cc:dd:ee', 'has 5 bytes'],
    ['aa:bb:cc:dd:ee:ff:00', 'has 7 bytes'],
    ['aa:bb:cc:dd:ee:fg', 'byte "fg" is not one or two hex digits'],
    ['aa:bb:cc:dd:ee:fff', 'byte "fff"'],
    ['aa:bb:cc-dd:ee:ff', 'mixed separators'],
  ])('rejects %j (%s)', (s, phrase) => {
    expect(() => parseMAC(s)).toThrow(NetParseError)
    expect(() => parseMAC(s)).toThrow(phrase)
  })

  it('round-trips every 6-byte value', () => {
    fc.assert(fc.property(fc.uint8Array({minLength: 6, maxLength: 6}), (b) => {
      expect([...parseMAC(formatMAC(b))]).toEqual([...b])
      expect(formatMAC(parseMAC(formatMAC(b).toUpperCase().replace(/:/g, '-')))).toBe(formatMAC(b))
    }))
  })

  it('formatMAC refuses other lengths', () => {
    expect(() => formatMAC(Buffer.alloc(5))).toThrow(RangeError)
  })

  it('tryParseMAC gives undefined instead of an error', () => {
    expect(tryParseMAC('02-00-5e-10-00-01')).toEqual(Buffer.from('02005e100001', 'hex'))
    expect(tryParseMAC('02:00:5e:10:00')).toBeUndefined()
    expect(tryParseMAC('')).toBeUndefined()
  })

  it('formats 6 bytes at an offset inside a frame, and refuses too few', () => {
    const frame = Buffer.from('ffffffffffff02005e100001', 'hex')
    expect(formatMAC(frame, 6)).toBe('02:00:5e:10:00:01')
    expect(() => formatMAC(frame, 7)).toThrow(RangeError)
  })

  it('tests the group bit and compares in place', () => {
    expect(isMulticastMAC(BROADCAST_MAC)).toBe(true)
    expect(isMulticastMAC(ZERO_MAC)).toBe(false)
    expect(isMulticastMAC(parseMAC('33:33:ff:00:00:02'))).toBe(true)
    const frame = Buffer.from('ffffffffffff02005e100001', 'hex')
    expect(macEquals(frame, 6, parseMAC('02:00:5e:10:00:01'))).toBe(true)
    expect(macEquals(frame, 0, parseMAC('02:00:5e:10:00:01'))).toBe(false)
  })
})
