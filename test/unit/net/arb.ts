// fast-check arbitraries shared by the net tests.
import fc from 'fast-check'
import {maxIPValue, type Family, type IP} from '../../../src/lib/net/index.js'
import type {IPRange} from '../../../src/lib/net/index.js'

export const family = (): fc.Arbitrary<Family> => fc.constantFrom<Family>(4, 6)

export const ipOf = (f: Family): fc.Arbitrary<IP> => fc.bigInt(0n, maxIPValue(f)).map((value) => ({family: f, value}))

/** IPv6 values biased towards zero runs, so "::" placement is exercised (uniform values almost never have zeros). */
export const ip6Sparse = (): fc.Arbitrary<IP> =>
  fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({min: 0, max: 0xffff})), {minLength: 8, maxLength: 8})
    .map((gs) => ({family: 6 as const, value: gs.reduce((v, g) => (v << 16n) | BigInt(g), 0n)}))

export const anyIP = (): fc.Arbitrary<IP> => fc.oneof(ipOf(4), ipOf(6), ip6Sparse())

/** A range anywhere in the family's space. */
export const rangeOf = (f: Family): fc.Arbitrary<IPRange> =>
  fc.tuple(fc.bigInt(0n, maxIPValue(f)), fc.bigInt(0n, maxIPValue(f)))
    .map(([a, b]) => ({family: f, start: a < b ? a : b, end: a < b ? b : a}))

/**
 * A range inside a small window [0, span) of the family (offset to `base`), so random ranges collide often and the
 * covered set can be checked address by address.
 */
export const smallRange = (f: Family, span = 200, base = 0n): fc.Arbitrary<IPRange> =>
  fc.tuple(fc.integer({min: 0, max: span - 1}), fc.integer({min: 0, max: 40}))
    .map(([s, len]) => ({family: f, start: base + BigInt(s), end: base + BigInt(Math.min(span - 1, s + len))}))

/** Ranges of both families in small windows (IPv6 in the top of its space, to catch 128-bit arithmetic mistakes). */
export const smallRanges = (maxLength = 30): fc.Arbitrary<IPRange[]> =>
  fc.array(fc.oneof(smallRange(4), smallRange(6, 200, maxIPValue(6) - 199n)), {maxLength})

/** Whether a point lies in any range of the list (the set-membership oracle). */
export const covered = (rs: IPRange[], f: Family, v: bigint): boolean =>
  rs.some((r) => r.family === f && r.start <= v && v <= r.end)

/** The points where membership in a union of ranges can change: every start and end, and their neighbours. */
export function criticalPoints(...lists: IPRange[][]): Array<[Family, bigint]> {
  const out: Array<[Family, bigint]> = []
  for (const r of lists.flat()) {
    for (const v of [r.start - 1n, r.start, r.end, r.end + 1n]) {
      if (v >= 0n && v <= maxIPValue(r.family)) out.push([r.family, v])
    }
  }
  return out
}
