import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {
  findOverlaps, formatRange, intersectRanges, maxIPValue, mergeRanges, overlapsWithin, parseAddressList, parseIP,
  prefixRange, rangeContains, rangeOfIP, rangePrefixLength, rangesOverlap, rangeSize, rangeToCidrs, rangeToPrefixes,
  subtractRanges, type IPRange,
} from '../../../src/lib/net/index.js'
import {covered, criticalPoints, rangeOf, smallRange, smallRanges} from './arb.js'

const v4 = (a: string, b = a): IPRange => ({family: 4, start: parseIP(a).value, end: parseIP(b).value})
const v6 = (a: string, b = a): IPRange => ({family: 6, start: parseIP(a).value, end: parseIP(b).value})
const cidr = (s: string): IPRange => {
  const [r] = parseAddressList(s)
  return {family: r.family, start: r.start, end: r.end}
}

describe('sizes are exact', () => {
  it.each([
    ['10.0.0.0/24', 256n],
    ['10.0.0.7/32', 1n],
    ['0.0.0.0/0', 2n ** 32n],
    ['2001:db8::/64', 2n ** 64n],
    ['2001:db8::/127', 2n],
    ['::/0', 2n ** 128n],
    ['10.0.0.1-10.0.0.10', 10n],
  ])('%s has %s addresses', (s, n) => {
    expect(rangeSize(cidr(s))).toBe(n)
  })
})

describe('formatRange and rangeToCidrs', () => {
  it.each([
    [v4('10.0.0.0', '10.0.0.255'), '10.0.0.0/24', ['10.0.0.0/24']],
    [v4('10.0.0.5'), '10.0.0.5/32', ['10.0.0.5/32']],
    [v6('2001:db8::1'), '2001:db8::1/128', ['2001:db8::1/128']],
    [v4('10.0.0.1', '10.0.0.6'), '10.0.0.1-10.0.0.6', ['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/32']],
    [v4('0.0.0.0', '255.255.255.255'), '0.0.0.0/0', ['0.0.0.0/0']],
    [v4('0.0.0.1', '255.255.255.255'), '0.0.0.1-255.255.255.255', null],
    [v6('::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), '::/0', ['::/0']],
    [v6('2001:db8::', '2001:db8::ffff:ffff:ffff:ffff'), '2001:db8::/64', ['2001:db8::/64']],
    [v6('2001:db8::1', '2001:db8::2'), '2001:db8::1-2001:db8::2', ['2001:db8::1/128', '2001:db8::2/128']],
  ] as Array<[IPRange, string, string[] | null]>)('%s', (r, text, cidrs) => {
    expect(formatRange(r)).toBe(text)
    if (cidrs) expect(rangeToCidrs(r)).toEqual(cidrs)
  })

  it('the worst case needs 2·bits−2 prefixes', () => {
    expect(rangeToCidrs(v4('0.0.0.1', '255.255.255.254'))).toHaveLength(62)
    expect(rangeToPrefixes({family: 6, start: 1n, end: maxIPValue(6) - 1n})).toHaveLength(254)
  })

  it('rangeToCidrs covers exactly the range, with the fewest prefixes', () => {
    fc.assert(fc.property(fc.oneof(rangeOf(4), rangeOf(6), smallRange(4), smallRange(6)), (r) => {
      const ps = rangeToPrefixes(r)
      const rs = rangeToCidrs(r).map(cidr) // each string parses: no host bits set
      expect(rs.map(formatRange)).toEqual(rangeToCidrs(r))
      expect(rs[0].start).toBe(r.start)
      expect(rs[rs.length - 1].end).toBe(r.end)
      for (let i = 1; i < rs.length; i++) expect(rs[i].start).toBe(rs[i - 1].end + 1n)
      expect(rs.reduce((n, x) => n + rangeSize(x), 0n)).toBe(rangeSize(r))
      // Minimal: no two neighbours of one length form a bigger aligned block.
      for (let i = 1; i < ps.length; i++) {
        if (ps[i].length === ps[i - 1].length) {
          expect(rangePrefixLength({family: r.family, start: rs[i - 1].start, end: rs[i].end})).toBeUndefined()
        }
      }
    }), {numRuns: 1000})
  })

  it('prefixRange and rangePrefixLength are inverse', () => {
    fc.assert(fc.property(rangeOf(6), fc.integer({min: 0, max: 128}), (r, len) => {
      const p = prefixRange({family: 6, value: r.start}, len)
      expect(rangePrefixLength(p)).toBe(len)
      expect(rangeContains(p, {family: 6, value: r.start})).toBe(true)
    }))
    expect(() => prefixRange({family: 4, value: 0n}, 33)).toThrow(RangeError)
  })
})

describe('containment and overlap', () => {
  it('rangeContains and rangesOverlap respect the family', () => {
    expect(rangeContains(v4('10.0.0.0', '10.0.0.9'), parseIP('10.0.0.9'))).toBe(true)
    expect(rangeContains(v4('10.0.0.0', '10.0.0.9'), parseIP('10.0.0.10'))).toBe(false)
    expect(rangeContains(v4('0.0.0.0', '0.0.0.9'), parseIP('::5'))).toBe(false)
    expect(rangesOverlap(v4('0.0.0.0', '0.0.0.9'), v6('::', '::9'))).toBe(false)
    expect(rangesOverlap(v4('10.0.0.0', '10.0.0.9'), v4('10.0.0.9', '10.0.0.20'))).toBe(true)
    expect(rangesOverlap(v4('10.0.0.0', '10.0.0.9'), v4('10.0.0.10', '10.0.0.20'))).toBe(false)
    expect(intersectRanges(v4('10.0.0.0', '10.0.0.9'), v4('10.0.0.5', '10.0.0.20'))).toEqual(v4('10.0.0.5', '10.0.0.9'))
    expect(rangeOfIP(parseIP('::1'))).toEqual(v6('::1'))
  })

  it('rangesOverlap agrees with an address-by-address check', () => {
    fc.assert(fc.property(smallRange(4, 60), smallRange(4, 60), (a, b) => {
      let shared = false
      for (let v = 0n; v < 60n; v++) shared ||= covered([a], 4, v) && covered([b], 4, v)
      expect(rangesOverlap(a, b)).toBe(shared)
      expect(intersectRanges(a, b) !== undefined).toBe(shared)
    }))
  })
})

describe('mergeRanges', () => {
  it('merges overlapping and adjacent ranges, per family, sorted', () => {
    expect(mergeRanges([v6('::5', '::9'), v4('10.0.0.10', '10.0.0.20'), v4('10.0.0.0', '10.0.0.9'), v6('::1', '::3')]))
      .toEqual([v4('10.0.0.0', '10.0.0.20'), v6('::1', '::3'), v6('::5', '::9')])
    expect(mergeRanges([v4('0.0.0.0', '255.255.255.255'), v4('1.2.3.4')])).toEqual([v4('0.0.0.0', '255.255.255.255')])
    expect(mergeRanges([])).toEqual([])
  })

  it('does not modify its input', () => {
    const input = [v4('10.0.0.0', '10.0.0.9'), v4('10.0.0.5', '10.0.0.20')]
    const copy = structuredClone(input)
    mergeRanges(input)
    expect(input).toEqual(copy)
  })

  it('preserves the covered set and its size; output is sorted, disjoint and non-adjacent', () => {
    fc.assert(fc.property(smallRanges(), (rs) => {
      const m = mergeRanges(rs)
      for (const [f, v] of criticalPoints(rs, m)) expect(covered(m, f, v)).toBe(covered(rs, f, v))
      for (let v = 0n; v < 200n; v++) expect(covered(m, 4, v)).toBe(covered(rs, 4, v))
      let n = 0n
      for (let v = 0n; v < 200n; v++) if (covered(rs, 4, v)) n++
      expect(m.filter((r) => r.family === 4).reduce((s, r) => s + rangeSize(r), 0n)).toBe(n)
      for (let i = 1; i < m.length; i++) {
        if (m[i].family === m[i - 1].family) expect(m[i].start > m[i - 1].end + 1n).toBe(true)
        else expect(m[i].family > m[i - 1].family).toBe(true)
      }
    }), {numRuns: 500})
  })
})

describe('subtractRanges', () => {
  it('cuts holes', () => {
    expect(subtractRanges([v4('10.0.0.0', '10.0.0.255')], [v4('10.0.0.10', '10.0.0.19'), v4('10.0.0.255')]))
      .toEqual([v4('10.0.0.0', '10.0.0.9'), v4('10.0.0.20', '10.0.0.254')])
    expect(subtractRanges([v4('10.0.0.0', '10.0.0.9')], [v6('::', '::ffff')])).toEqual([v4('10.0.0.0', '10.0.0.9')])
    expect(subtractRanges([v6('::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')], [v6('::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe')]))
      .toEqual([v6('::'), v6('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')])
    expect(subtractRanges([v4('1.0.0.0', '1.0.0.9')], [v4('0.0.0.0', '255.255.255.255')])).toEqual([])
    expect(subtractRanges([v4('1.0.0.0', '1.0.0.9')], [v4('1.0.0.0', '1.0.0.4')])).toEqual([v4('1.0.0.5', '1.0.0.9')])
  })

  it('a − b is in a and not in b; (a − b) ∪ b = a ∪ b', () => {
    fc.assert(fc.property(smallRanges(), smallRanges(), (a, b) => {
      const d = subtractRanges(a, b)
      for (const [f, v] of criticalPoints(a, b, d)) {
        expect(covered(d, f, v)).toBe(covered(a, f, v) && !covered(b, f, v))
      }
      expect(mergeRanges([...d, ...b])).toEqual(mergeRanges([...a, ...b]))
      expect(mergeRanges(d)).toEqual(d)
      for (const r of d) expect(r.start <= r.end).toBe(true)
    }), {numRuns: 500})
  })

  it('subtracting then adding back the intersection gives the original', () => {
    fc.assert(fc.property(smallRanges(), smallRanges(), (a, b) => {
      const inter = subtractRanges(a, subtractRanges(a, b))
      expect(mergeRanges([...subtractRanges(a, b), ...inter])).toEqual(mergeRanges(a))
    }), {numRuns: 300})
  })
})

describe('findOverlaps', () => {
  const pairwise = <T extends {range: IPRange}>(items: T[]): string[] => {
    const out: string[] = []
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) if (rangesOverlap(items[i].range, items[j].range)) out.push(`${i},${j}`)
    }
    return out.sort()
  }
  const keyed = (rs: IPRange[]): Array<{range: IPRange; i: number}> => rs.map((range, i) => ({range, i}))

  it('agrees with the O(n²) pairwise check, pairs in input order', () => {
    fc.assert(fc.property(smallRanges(40), (rs) => {
      const items = keyed(rs)
      const got = findOverlaps(items)
      for (const [x, y] of got) expect(x.i).toBeLessThan(y.i)
      expect(got.map(([x, y]) => `${x.i},${y.i}`).sort()).toEqual(pairwise(items))
    }), {numRuns: 500})
  })

  it('finds duplicates, nested ranges, and nothing across families', () => {
    const items = keyed([v4('10.0.0.0', '10.0.0.255'), v4('10.0.0.0', '10.0.0.255'), v4('10.0.0.7'), v6('::a00:0', '::a00:ff')])
    expect(findOverlaps(items).map(([x, y]) => [x.i, y.i])).toEqual([[0, 1], [0, 2], [1, 2]])
    expect(findOverlaps([])).toEqual([])
  })

  it('finds exactly the overlapping pairs among 1,000 ranges (what comparing every pair finds)', () => {
    const rs = fc.sample(smallRange(4, 1_000_000), {numRuns: 1000, seed: 42})
    const items = keyed(rs.map((r) => ({...r, end: r.start + (r.end - r.start) * 200n})))
    const got = findOverlaps(items).map(([x, y]) => `${Math.min(x.i, y.i)}-${Math.max(x.i, y.i)}`).sort()
    const want: string[] = []
    for (let i = 0; i < items.length; i++)
      for (let j = i + 1; j < items.length; j++)
        if (items[i].range.family === items[j].range.family && items[i].range.start <= items[j].range.end && items[j].range.start <= items[i].range.end) want.push(`${Math.min(items[i].i, items[j].i)}-${Math.max(items[i].i, items[j].i)}`)
    expect(got.length).toBeGreaterThan(0)
    expect(got).toEqual(want.sort())
  })

  it('overlapsWithin reports pairs readably', () => {
    const o = overlapsWithin(parseAddressList('10.0.0.0/24, 10.0.0.128 - 10.0.1.5, 192.168.0.1, 192.168.0.1/32'))
    expect(o.map((x) => x.message)).toEqual([
      '"10.0.0.0/24" overlaps "10.0.0.128 - 10.0.1.5" (10.0.0.128/25 in common)',
      '"192.168.0.1" and "192.168.0.1/32" are the same addresses (192.168.0.1/32)',
    ])
    expect(o[0].common).toEqual(v4('10.0.0.128', '10.0.0.255'))
    expect(overlapsWithin([v4('1.1.1.1', '1.1.1.9'), v4('1.1.1.9', '1.1.1.20')])[0].message)
      .toBe('"1.1.1.1-1.1.1.9" overlaps "1.1.1.9-1.1.1.20" (1.1.1.9/32 in common)')
  })
})
