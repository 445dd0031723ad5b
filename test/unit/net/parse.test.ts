import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {
  AddressListError, formatRange, NetParseError, parseAddressList, parseRange, rangeSize, tryParseAddressList,
} from '../../../src/lib/net/index.js'
import {rangeOf} from './arb.js'

/** The problems parseAddressList reports for the input (fails the test when it does not throw). */
function problems(input: string | string[]): NetParseError[] {
  try {
    parseAddressList(input)
  } catch (e) {
    expect(e).toBeInstanceOf(AddressListError)
    return (e as AddressListError).problems
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`)
}

describe('parseAddressList: good items', () => {
  // [item, kind, canonical, size]
  const good: Array<[string, 'cidr' | 'range' | 'single', string, bigint]> = [
    ['192.168.10.0/24', 'cidr', '192.168.10.0/24', 256n],
    ['10.0.0.0/8', 'cidr', '10.0.0.0/8', 2n ** 24n],
    ['0.0.0.0/0', 'cidr', '0.0.0.0/0', 2n ** 32n],
    ['192.168.9.1/32', 'cidr', '192.168.9.1/32', 1n],
    ['192.168.9.1-192.168.9.5', 'range', '192.168.9.1-192.168.9.5', 5n],
    ['192.168.9.1 - 192.168.9.5', 'range', '192.168.9.1-192.168.9.5', 5n],
    ['192.168.9.0-192.168.9.255', 'range', '192.168.9.0/24', 256n],
    ['192.168.9.7-192.168.9.7', 'range', '192.168.9.7/32', 1n],
    ['192.168.9.7', 'single', '192.168.9.7/32', 1n],
    ['fc00:f853:0ccd:e799::/124', 'cidr', 'fc00:f853:ccd:e799::/124', 16n],
    ['2001:db8::/64', 'cidr', '2001:db8::/64', 2n ** 64n],
    ['::/0', 'cidr', '::/0', 2n ** 128n],
    ['2001:DB8::1-2001:db8::ff', 'range', '2001:db8::1-2001:db8::ff', 255n],
    ['2001:db8::1 - 2001:db8::1', 'range', '2001:db8::1/128', 1n],
    ['2001:db8::10', 'single', '2001:db8::10/128', 1n],
    ['::ffff:10.0.0.0/120', 'cidr', '::ffff:10.0.0.0/120', 256n],
    ['::ffff:10.0.0.1', 'single', '::ffff:10.0.0.1/128', 1n],
    ['2001:db8::/128', 'cidr', '2001:db8::/128', 1n],
    ['1.2.3.4/32', 'cidr', '1.2.3.4/32', 1n],
    ['1.2.3.4 -1.2.3.5', 'range', '1.2.3.4/31', 2n],
    ['1.2.3.5- 1.2.3.6', 'range', '1.2.3.5-1.2.3.6', 2n],
  ]
  it.each(good)('%j → %s %s', (item, kind, canonical, size) => {
    const [r, ...rest] = parseAddressList(item)
    expect(rest).toEqual([])
    expect(r.token).toBe(item)
    expect(r.kind).toBe(kind)
    expect(r.canonical).toBe(canonical)
    expect(r.canonical).toBe(formatRange(r))
    expect(rangeSize(r)).toBe(size)
    expect(parseRange(item)).toEqual(r)
  })

  it('splits on commas and/or whitespace, and each array element may be a list', () => {
    const rs = parseAddressList(['10.0.0.0/24,10.0.1.0/24 , 10.0.2.1 - 10.0.2.9\n2001:db8::/64', '1.1.1.1 1.1.1.2'])
      .map((r) => r.canonical)
    expect(rs).toEqual(['10.0.0.0/24', '10.0.1.0/24', '10.0.2.1-10.0.2.9', '2001:db8::/64', '1.1.1.1/32', '1.1.1.2/32'])
  })

  it('an all-blank string is an empty list', () => {
    expect(parseAddressList('')).toEqual([])
    expect(parseAddressList(' \n\t')).toEqual([])
    expect(parseAddressList([])).toEqual([])
  })
})

describe('parseAddressList: bad items name the token and say what is wrong', () => {
  // [input, offending token, key phrase of the message, expected hint (substring) or null]
  const bad: Array<[string, string, string, string | null]> = [
    // empty items
    ['1.2.3.4,,1.2.3.5', '', 'empty item between "1.2.3.4" and "1.2.3.5"', 'remove one comma'],
    ['1.2.3.4,', '', 'empty item after "1.2.3.4" (trailing comma)', 'remove the trailing comma'],
    [',1.2.3.4', '', 'leading comma', 'remove the leading comma'],
    [',', '', 'only commas', null],
    // ranges
    ['1.2.3.9-1.2.3.4', '1.2.3.9-1.2.3.4', 'start 1.2.3.9 is after end 1.2.3.4: write 1.2.3.4-1.2.3.9', 'write 1.2.3.4-1.2.3.9'],
    ['2001:db8::9 - 2001:db8::1', '2001:db8::9 - 2001:db8::1', 'start 2001:db8::9 is after end 2001:db8::1', 'write 2001:db8::1-2001:db8::9'],
    ['1.2.3.4-2001:db8::1', '1.2.3.4-2001:db8::1', 'mixes IPv4 start 1.2.3.4 with IPv6 end 2001:db8::1', null],
    ['::1-1.2.3.4', '::1-1.2.3.4', 'mixes IPv6 start', null],
    ['1.2.3.0-1.2.3.0/24', '1.2.3.0-1.2.3.0/24', 'range end 1.2.3.0/24 is a CIDR', 'not both'],
    ['1.2.3.0/24-1.2.3.9', '1.2.3.0/24-1.2.3.9', 'range start 1.2.3.0/24 is a CIDR', 'not both'],
    ['1.2.3.4-', '1.2.3.4-', 'range has no end address', 'write the last address after the "-", or 1.2.3.4 alone'],
    ['1.2.3.4 -', '1.2.3.4 -', 'range has no end address', null],
    ['-1.2.3.4', '-1.2.3.4', 'range has no start address', null],
    ['1.2.3.4-1.2.3.5-1.2.3.6', '1.2.3.4-1.2.3.5-1.2.3.6', 'has 2 "-"', null],
    ['1.2.3.4-1.2.3.256', '1.2.3.4-1.2.3.256', 'end "1.2.3.256": octet 4 ("256") is greater than 255', null],
    ['1.2.3-1.2.3.9', '1.2.3-1.2.3.9', 'start "1.2.3": has 3 octets', null],
    // octets
    ['1.2.3.256', '1.2.3.256', 'octet 4 ("256") is greater than 255', null],
    ['300.1.1.1', '300.1.1.1', 'octet 1 ("300") is greater than 255', null],
    ['1..3.4', '1..3.4', 'octet 2 is empty', null],
    ['1.2.3.a', '1.2.3.a', 'octet 4 ("a") is not a decimal number', null],
    ['010.1.1.1', '010.1.1.1', 'octet 1 ("010") has a leading zero', 'write 10'],
    ['1.2.3.00', '1.2.3.00', 'octet 4 ("00") has a leading zero', 'write 0'],
    ['1.2.3', '1.2.3', 'has 3 octets; an IPv4 address has exactly 4', null],
    ['1.2.3.4.5', '1.2.3.4.5', 'has 5 octets', null],
    ['1.2.3.4.', '1.2.3.4.', 'ends with "."', null],
    // prefix lengths
    ['1.2.3.0/', '1.2.3.0/', 'prefix length is missing', 'write 1.2.3.0/32'],
    ['1.2.3.0/x', '1.2.3.0/x', 'prefix length "x" is not a number', null],
    ['1.2.3.0/2a', '1.2.3.0/2a', 'prefix length "2a" is not a number', null],
    ['1.2.3.0/33', '1.2.3.0/33', 'prefix length /33 is too long for IPv4 (at most /32)', null],
    ['2001:db8::/129', '2001:db8::/129', 'prefix length /129 is too long for IPv6 (at most /128)', null],
    ['1.2.3.0/-8', '1.2.3.0/-8', 'negative prefix length', null],
    ['1.2.3.0/024', '1.2.3.0/024', 'prefix length "024" has a leading zero', 'write 1.2.3.0/24'],
    ['1.2.3.0/24/25', '1.2.3.0/24/25', 'has 2 "/"', null],
    ['/24', '/24', 'has no address before "/"', null],
    ['192.168.1.5/24', '192.168.1.5/24',
      '192.168.1.5/24 has host bits set: did you mean 192.168.1.0/24 (or 192.168.1.5/32 for one address)?', '192.168.1.0/24'],
    ['2001:db8::1/64', '2001:db8::1/64', 'has host bits set: did you mean 2001:db8::/64 (or 2001:db8::1/128', null],
    ['300.0.0.0/8', '300.0.0.0/8', 'address "300.0.0.0": octet 1 ("300") is greater than 255', null],
    // IPv6
    ['2001:db8::1::/64', '2001:db8::1::/64', '"::" appears more than once', null],
    ['1::2::3', '1::2::3', '"::" appears more than once', null],
    ['1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8:9', 'has 9 groups; an IPv6 address has 8', null],
    ['1:2:3:4:5:6:7', '1:2:3:4:5:6:7', 'has 7 groups', 'use "::"'],
    ['1:2:3:4:5:6:7::8', '1:2:3:4:5:6:7::8', 'with "::" at most 7 are allowed', null],
    ['2001:db8::12345', '2001:db8::12345', 'group "12345" has more than 4 hex digits', null],
    ['2001:db8::12g4', '2001:db8::12g4', 'group "12g4" is not hexadecimal', null],
    ['2001:db8:::1', '2001:db8:::1', 'contains ":::"', null],
    [':1::', ':1::', 'starts with a single ":"', null],
    ['fe80::1%eth0', 'fe80::1%eth0', 'zone id "%eth0" is not allowed', 'write fe80::1'],
    ['fe80::%2/64', 'fe80::%2/64', 'zone id "%2"', 'write fe80::/64'],
    ['[2001:db8::1]', '[2001:db8::1]', 'has brackets', 'write 2001:db8::1'],
    ['1.2.3.4::', '1.2.3.4::', 'embedded IPv4 "1.2.3.4" must be the last part', null],
    // garbage
    ['1.2.3.4;1.2.3.5', '1.2.3.4;1.2.3.5', 'contains ";"', 'separate items with commas'],
    ['lb.example.com', 'lb.example.com', 'looks like a host name', 'not resolved'],
    ['1.2.3.4\u200b', '1.2.3.4\u200b', 'contains U+200B', null],
    ['1.2.3.4_5', '1.2.3.4_5', 'contains "_"', null],
    ['abc', 'abc', 'is not an IP address', null],
    ['24', '24', 'is a bare number', null],
  ]

  it('has enough rows', () => {
    expect(bad.length).toBeGreaterThanOrEqual(40)
  })

  it.each(bad)('%j', (input, token, phrase, hint) => {
    const ps = problems(input)
    const p = ps.find((x) => x.token === token)
    expect(p, ps.map((x) => x.message).join('\n')).toBeDefined()
    expect(p!.message).toContain(phrase)
    expect(p!.message.startsWith(`${JSON.stringify(token)}: `)).toBe(true)
    if (hint !== null) expect(p!.hint).toContain(hint)
  })
})

describe('AddressListError', () => {
  it('lists every problem, in order, one per line, with item indexes', () => {
    const input = ['10.0.0.0/24, 1.2.3.256,, 10.0.0.5/24', '1.2.3.9-1.2.3.4 fe80::1%eth0', '']
    let err: AddressListError | undefined
    try {
      parseAddressList(input)
    } catch (e) {
      err = e as AddressListError
    }
    expect(err).toBeInstanceOf(AddressListError)
    expect(err!.code).toBe('INVALID_ADDRESS_LIST')
    expect(err!.problems.map((p) => [p.index, p.token])).toEqual([
      [1, '1.2.3.256'], [2, ''], [3, '10.0.0.5/24'], [4, '1.2.3.9-1.2.3.4'], [5, 'fe80::1%eth0'], [6, ''],
    ])
    expect(err!.message.split('\n')).toEqual(err!.problems.map((p) => p.message))
    expect(err!.problems[5].reason).toBe('element 2 is empty')
  })

  it('tryParseAddressList returns the problems instead', () => {
    expect(tryParseAddressList('1.2.3.4, x').problems).toHaveLength(1)
    expect(tryParseAddressList('1.2.3.4').ranges).toHaveLength(1)
  })

  it('non-string array elements are problems, not crashes', () => {
    expect(problems([42 as unknown as string, null as unknown as string]).map((p) => p.reason))
      .toEqual(['element 0 is a number, not a string', 'element 1 is a null, not a string'])
  })
})

describe('properties and fuzzing', () => {
  it('canonical forms parse back to the same range', () => {
    fc.assert(fc.property(fc.oneof(rangeOf(4), rangeOf(6)), (r) => {
      const [p] = parseAddressList(formatRange(r))
      expect([p.family, p.start, p.end]).toEqual([r.family, r.start, r.end])
    }), {numRuns: 1000})
  })

  it('random strings only ever produce ranges or an AddressListError', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefx.:/-,% \n[]'.split(''), '::', '255', '/24', ' - ', '1.2.3.4')
    const inputs = fc.oneof(
      fc.string(),
      fc.string({unit: 'binary'}),
      fc.array(alphabet, {maxLength: 30}).map((a) => a.join('')),
      fc.array(fc.array(alphabet, {maxLength: 12}).map((a) => a.join('')), {maxLength: 4}),
    )
    fc.assert(fc.property(inputs, (input) => {
      try {
        for (const r of parseAddressList(input)) {
          expect(r.start <= r.end).toBe(true)
          expect(parseAddressList(r.canonical)[0].canonical).toBe(r.canonical)
        }
      } catch (e) {
        expect(e).toBeInstanceOf(AddressListError)
        const problems = (e as AddressListError).problems
        expect(problems.length).toBeGreaterThan(0)
        for (const p of problems) expect(p.message.startsWith(JSON.stringify(p.token))).toBe(true)
      }
    }), {numRuns: 5000})
  })
})
