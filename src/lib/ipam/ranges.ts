// What a pool's ranges hold, in one place for the allocator and for the CLI's counts (src/lib/pool/usage.ts): the
// addresses avoidBuggyIPs leaves out, the exact usable size, and which pool an address belongs to. Pure.
import {type Family, type IP, type IPRange, rangeSize} from '../net/index.js'
import type {Interval} from './freeset.js'

/** Number of addresses ending in .0 or .255 in an IPv4 range — MetalLB's avoidBuggyIPs skips them. */
export function buggyCount(r: IPRange): bigint {
  if (r.family !== 4) return 0n
  // count of x in [start, end] with x ≡ k (mod 256), for k = 0 and 255
  const countMod = (k: bigint): bigint => {
    const upTo = (n: bigint): bigint => (n < k ? 0n : (n - k) / 256n + 1n)
    return upTo(r.end) - (r.start === 0n ? 0n : upTo(r.start - 1n))
  }
  return countMod(0n) + countMod(255n)
}

/** The usable part of a range: IPv4 addresses ending in .0 or .255 removed when `avoid` (MetalLB's avoidBuggyIPs). */
export function usableIntervals(r: IPRange, avoid: boolean): Interval[] {
  if (!avoid || r.family !== 4) return [{start: r.start, end: r.end}]
  const out: Interval[] = []
  // One piece per /24 touched: [x.1, x.254] clipped to the range. A /8 gives 65,536 pieces, which is still small.
  for (let block = r.start >> 8n; block <= r.end >> 8n; block++) {
    const lo = (block << 8n) + 1n
    const hi = (block << 8n) + 254n
    const s = r.start > lo ? r.start : lo
    const e = r.end < hi ? r.end : hi
    if (s <= e) out.push({start: s, end: e})
  }
  return out
}

/**
 * Exact number of addresses services may get from merged (non-overlapping) ranges, per family: every address, less
 * the .0 and .255 ones when `avoidBuggyIPs`. Counted without walking the ranges, so an IPv6 /64 is 2^64.
 */
export function poolSize(ranges: readonly IPRange[], avoidBuggyIPs: boolean): Record<Family, bigint> {
  const size: Record<Family, bigint> = {4: 0n, 6: 0n}
  for (const r of ranges) size[r.family] += rangeSize(r) - (avoidBuggyIPs ? buggyCount(r) : 0n)
  return size
}

interface Span<T> {
  start: bigint
  end: bigint
  value: T
}

/**
 * Which pool an address lies in: spans sorted per family once, then a binary search per address — O((P + S) log P)
 * for P spans and S lookups, exact for IPv6. Spans may be whole ranges (what a pool contains) or usable intervals
 * (what it may hand out). Spans may overlap (pools written by other tools can): the answer is then the containing span
 * that starts last, and an address inside any span is never reported outside all of them.
 */
export class RangeIndex<T> {
  private readonly spans: Record<Family, Span<T>[]> = {4: [], 6: []}
  /** maxEnd[f][i]: the largest end among spans[f][0..i], to step back past overlapping spans. */
  private readonly maxEnd: Record<Family, bigint[]> = {4: [], 6: []}
  private sorted = true

  add(family: Family, start: bigint, end: bigint, value: T): this {
    this.spans[family].push({start, end, value})
    this.sorted = false
    return this
  }

  find(ip: IP): T | undefined {
    if (!this.sorted) this.sort()
    const s = this.spans[ip.family]
    const maxEnd = this.maxEnd[ip.family]
    const v = ip.value
    // The last span starting at or before v, then back while an earlier span could still reach v.
    let lo = 0
    let hi = s.length - 1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (s[mid].start <= v) lo = mid + 1
      else hi = mid - 1
    }
    for (let i = hi; i >= 0 && maxEnd[i] >= v; i--) if (s[i].end >= v) return s[i].value
    return undefined
  }

  private sort(): void {
    for (const f of [4, 6] as const) {
      const s = this.spans[f].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))
      let max = -1n
      this.maxEnd[f] = s.map((x) => (max = x.end > max ? x.end : max))
    }
    this.sorted = true
  }
}
