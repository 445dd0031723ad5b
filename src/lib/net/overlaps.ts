// Readable overlap reports for one list of ranges (a pool's addresses, or every pool's). Detection is findOverlaps.
import {quote} from './errors.js'
import {findOverlaps, formatRange, intersectRanges, type IPRange} from './range.js'

/** Two ranges of one list that share addresses. */
export interface RangeOverlap<T extends IPRange = IPRange> {
  a: T
  b: T
  /** The addresses they have in common. */
  common: IPRange
  /** E.g. `"10.0.0.0/24" overlaps "10.0.0.128-10.0.1.5" (10.0.0.128/25 in common)`. */
  message: string
}

/**
 * Every pair of ranges in the list that overlap, including duplicates, with a message naming both as written
 * (their `token` when they have one, else their canonical form). Order as findOverlaps; at most `limit` pairs.
 */
export function overlapsWithin<T extends IPRange & {token?: string}>(ranges: T[], limit = Infinity): Array<RangeOverlap<T>> {
  const items = ranges.map((r) => ({range: r}))
  return findOverlaps(items, limit).map(([x, y]) => {
    const common = intersectRanges(x.range, y.range)!
    const name = (r: T): string => quote(r.token ?? formatRange(r))
    const same = x.range.start === y.range.start && x.range.end === y.range.end
    const message = same
      ? `${name(x.range)} and ${name(y.range)} are the same addresses (${formatRange(common)})`
      : `${name(x.range)} overlaps ${name(y.range)} (${formatRange(common)} in common)`
    return {a: x.range, b: y.range, common, message}
  })
}
