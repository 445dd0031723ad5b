import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {buggyCount, poolSize, RangeIndex, usableIntervals} from '../../../src/lib/ipam/ranges.js'
import {mergeRanges, type IPRange} from '../../../src/lib/net/index.js'
import {covered, criticalPoints, smallRange, smallRanges} from '../net/arb.js'

describe('buggyCount', () => {
  it('matches a brute-force count of .0 and .255 addresses', () => {
    fc.assert(fc.property(fc.integer({min: 0, max: 2 ** 32 - 1}), fc.integer({min: 0, max: 3000}), (start, len) => {
      const end = Math.min(2 ** 32 - 1, start + len)
      let n = 0
      for (let x = start; x <= end; x++) if (x % 256 === 0 || x % 256 === 255) n++
      expect(buggyCount({family: 4, start: BigInt(start), end: BigInt(end)})).toBe(BigInt(n))
    }), {numRuns: 200})
  })
  it('is zero for IPv6', () => expect(buggyCount({family: 6, start: 0n, end: 1000n})).toBe(0n))
})

describe('poolSize', () => {
  it('is what the usable intervals hold, with and without avoidBuggyIPs', () => {
    const v4 = fc.tuple(fc.integer({min: 0, max: 2 ** 32 - 1}), fc.integer({min: 0, max: 2000}))
      .map(([s, len]): IPRange => ({family: 4, start: BigInt(s), end: BigInt(Math.min(2 ** 32 - 1, s + len))}))
    fc.assert(fc.property(fc.array(fc.oneof(v4, smallRange(6)), {maxLength: 6}), fc.boolean(), (raw, avoid) => {
      const ranges = mergeRanges(raw)
      const want = {4: 0n, 6: 0n}
      for (const r of ranges) for (const iv of usableIntervals(r, avoid)) want[r.family] += iv.end - iv.start + 1n
      expect(poolSize(ranges, avoid)).toEqual(want)
    }), {numRuns: 300})
  })

  it('counts an IPv6 /64 exactly', () => {
    expect(poolSize([{family: 6, start: 0n, end: 2n ** 64n - 1n}], true)).toEqual({4: 0n, 6: 2n ** 64n})
  })
})

describe('RangeIndex', () => {
  it('finds a containing span for every address a linear scan finds, overlapping spans included', () => {
    fc.assert(fc.property(smallRanges(12), (spans) => {
      const index = new RangeIndex<number>()
      spans.forEach((r, i) => index.add(r.family, r.start, r.end, i))
      for (const [family, value] of criticalPoints(spans)) {
        const hit = index.find({family, value})
        if (!covered(spans, family, value)) expect(hit).toBeUndefined()
        else {
          expect(hit).toBeDefined()
          const r = spans[hit!]
          expect(r.family === family && r.start <= value && value <= r.end).toBe(true)
        }
      }
    }), {numRuns: 500})
  })

  it('answers by family: an IPv4 value never matches an IPv6 span', () => {
    const index = new RangeIndex<string>().add(6, 0n, 100n, 'v6')
    expect(index.find({family: 4, value: 5n})).toBeUndefined()
    expect(index.find({family: 6, value: 5n})).toBe('v6')
  })
})
