// Inclusive address ranges over bigint, so IPv6 sizes are exact (a /64 holds 2^64 addresses).
import {formatIP, ipBits, maxIPValue, type Family, type IP} from './ip.js'

/** An inclusive range of addresses of one family: start ≤ end. */
export interface IPRange {
  family: Family
  start: bigint
  end: bigint
}

/** A CIDR prefix: a network address (host bits clear) and a prefix length. */
export interface Prefix {
  ip: IP
  length: number
}

const cmpBig = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0)

/** Total order on ranges: IPv4 first, then by start, then by end. */
export function compareRanges(a: IPRange, b: IPRange): number {
  return a.family - b.family || cmpBig(a.start, b.start) || cmpBig(a.end, b.end)
}

/** Number of addresses in the range, exactly. */
export function rangeSize(r: IPRange): bigint {
  return r.end - r.start + 1n
}

/** The range holding exactly one address. */
export function rangeOfIP(ip: IP): IPRange {
  return {family: ip.family, start: ip.value, end: ip.value}
}

/** The range a prefix covers; host bits of `ip` are ignored. Throws RangeError for a length outside 0..bits. */
export function prefixRange(ip: IP, length: number): IPRange {
  const bits = ipBits(ip.family)
  if (!Number.isInteger(length) || length < 0 || length > bits) {
    throw new RangeError(`prefix length ${length} is not valid for IPv${ip.family}`)
  }
  const host = (1n << BigInt(bits - length)) - 1n
  const start = ip.value & (maxIPValue(ip.family) ^ host)
  return {family: ip.family, start, end: start | host}
}

/** The prefix length when the range is exactly one CIDR block, else undefined. */
export function rangePrefixLength(r: IPRange): number | undefined {
  const size = rangeSize(r)
  if (size <= 0n || (size & (size - 1n)) !== 0n || (r.start & (size - 1n)) !== 0n) return undefined
  return ipBits(r.family) - (size.toString(2).length - 1)
}

/** `a.b.c.d/n` when the range is exactly one CIDR (a single address is /32 or /128), otherwise `start-end`. */
export function formatRange(r: IPRange): string {
  const len = rangePrefixLength(r)
  const start = formatIP({family: r.family, value: r.start})
  return len === undefined ? `${start}-${formatIP({family: r.family, value: r.end})}` : `${start}/${len}`
}

/** The fewest CIDR prefixes that together cover exactly the range, in address order. */
export function rangeToPrefixes(r: IPRange): Prefix[] {
  const bits = ipBits(r.family)
  const out: Prefix[] = []
  let s = r.start
  while (s <= r.end) {
    // Greedy is optimal: the largest block aligned at s that still fits (at most 2·bits blocks in all).
    let k = s === 0n ? bits : trailingZeros(s)
    const fit = (r.end - s + 1n).toString(2).length - 1
    if (fit < k) k = fit
    out.push({ip: {family: r.family, value: s}, length: bits - k})
    s += 1n << BigInt(k)
  }
  return out
}

/** The minimal CIDR cover of the range as strings, e.g. 10.0.0.1-10.0.0.6 → 10.0.0.1/32, 10.0.0.2/31, … */
export function rangeToCidrs(r: IPRange): string[] {
  return rangeToPrefixes(r).map((p) => `${formatIP(p.ip)}/${p.length}`)
}

function trailingZeros(v: bigint): number {
  let n = 0
  while ((v & 0xffffffffn) === 0n) {
    v >>= 32n
    n += 32
  }
  let w = Number(v & 0xffffffffn)
  while ((w & 1) === 0) {
    w >>>= 1
    n++
  }
  return n
}

/** Whether the address lies in the range (same family, start ≤ ip ≤ end). */
export function rangeContains(r: IPRange, ip: IP): boolean {
  return r.family === ip.family && r.start <= ip.value && ip.value <= r.end
}

/** Whether two ranges share at least one address. Ranges of different families never overlap. */
export function rangesOverlap(a: IPRange, b: IPRange): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end
}

/** The addresses two ranges have in common, or undefined. */
export function intersectRanges(a: IPRange, b: IPRange): IPRange | undefined {
  if (!rangesOverlap(a, b)) return undefined
  return {family: a.family, start: a.start > b.start ? a.start : b.start, end: a.end < b.end ? a.end : b.end}
}

/**
 * The same set of addresses as sorted, disjoint, non-adjacent ranges (IPv4 first). Overlapping and adjacent ranges
 * are merged. The input is not modified; the result holds new objects with only family/start/end.
 */
export function mergeRanges(rs: IPRange[]): IPRange[] {
  const sorted = [...rs].sort(compareRanges)
  const out: IPRange[] = []
  for (const r of sorted) {
    const last = out[out.length - 1]
    if (last && last.family === r.family && r.start <= last.end + 1n) {
      if (r.end > last.end) last.end = r.end
    } else {
      out.push({family: r.family, start: r.start, end: r.end})
    }
  }
  return out
}

/** The addresses in `a` but not in `b`, as merged ranges (see mergeRanges). */
export function subtractRanges(a: IPRange[], b: IPRange[]): IPRange[] {
  const A = mergeRanges(a)
  const B = mergeRanges(b)
  const out: IPRange[] = []
  let j = 0
  for (const r of A) {
    // Both lists are sorted and disjoint: skip the holes wholly before r, then cut the ones that overlap it.
    while (j < B.length && (B[j].family < r.family || (B[j].family === r.family && B[j].end < r.start))) j++
    let s = r.start
    for (let k = j; k < B.length && B[k].family === r.family && B[k].start <= r.end; k++) {
      if (B[k].start > s) out.push({family: r.family, start: s, end: B[k].start - 1n})
      if (B[k].end + 1n > s) s = B[k].end + 1n
    }
    if (s <= r.end) out.push({family: r.family, start: s, end: r.end})
  }
  return out
}

/**
 * Every pair of items whose ranges overlap. Sort by start, then sweep: each item is compared only with the items that
 * start inside it, and every such comparison is a hit, so the cost is O(n log n + k) for k pairs.
 * Within a pair the item that came first in the input comes first; pairs are in order of their first range's start.
 * `limit` bounds the pairs returned (and the work done): n copies of one range make n²/2 pairs, so callers that report
 * overlaps to a person ask for a few, not all.
 */
export function findOverlaps<T extends {range: IPRange}>(items: T[], limit = Infinity): Array<[T, T]> {
  const order = items.map((_, i) => i).sort((x, y) => compareRanges(items[x].range, items[y].range) || x - y)
  const out: Array<[T, T]> = []
  for (let a = 0; a < order.length; a++) {
    const ra = items[order[a]].range
    for (let b = a + 1; b < order.length; b++) {
      const rb = items[order[b]].range
      if (rb.family !== ra.family || rb.start > ra.end) break
      const [x, y] = order[a] < order[b] ? [order[a], order[b]] : [order[b], order[a]]
      out.push([items[x], items[y]])
      if (out.length >= limit) return out
    }
  }
  return out
}
