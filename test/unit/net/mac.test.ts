import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {formatMAC, NetParseError, parseMAC} from '../../../src/lib/net/index.js'

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
})
