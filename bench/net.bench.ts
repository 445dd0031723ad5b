// src/lib/net: overlap detection and address-list parsing at the scale of a large cluster's pools.
import {performance} from 'node:perf_hooks'
import {findOverlaps, formatIP, parseAddressList, type IPRange} from '../src/lib/net/index.js'
import {median, type Bench, type BenchReport} from './lib.js'

const RUNS = 25
const N = 1000

/** mulberry32: a seeded PRNG, so every run measures the same input. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** N ranges, 3 in 4 IPv4 in 10.0.0.0/8 (sizes up to 4096, so some overlap), the rest IPv6 /112s and smaller. */
function randomRanges(rand: () => number): Array<{range: IPRange}> {
  const out: Array<{range: IPRange}> = []
  for (let i = 0; i < N; i++) {
    if (rand() < 0.75) {
      const start = 0x0a000000n + BigInt(Math.floor(rand() * 2 ** 24))
      out.push({range: {family: 4, start, end: start + BigInt(Math.floor(rand() * 4096))}})
    } else {
      const start = (0x20010db8n << 96n) + (BigInt(Math.floor(rand() * 2 ** 20)) << 16n)
      out.push({range: {family: 6, start, end: start + BigInt(Math.floor(rand() * 65536))}})
    }
  }
  return out
}

/** A 1,000-item list in every syntax: CIDRs, ranges (some with spaces), bare addresses, IPv6. */
function randomList(rand: () => number): string {
  const items: string[] = []
  for (let i = 0; i < N; i++) {
    const v = 0x0a000000n + (BigInt(Math.floor(rand() * 2 ** 16)) << 8n)
    const a = formatIP({family: 4, value: v})
    switch (i % 5) {
      case 0: items.push(`${a}/24`); break
      case 1: items.push(`${a} - ${formatIP({family: 4, value: v + 99n})}`); break
      case 2: items.push(a); break
      case 3: items.push(`2001:db8:${(i * 7).toString(16)}::/64`); break
      default: items.push(`2001:db8::${i.toString(16)}-2001:db8::${(i + 40).toString(16)}`)
    }
  }
  return items.join(', ')
}

function time(fn: () => unknown): number[] {
  fn() // warm-up: JIT and first-use allocation are not what we measure
  const xs: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now()
    fn()
    xs.push(performance.now() - t0)
  }
  return xs
}

export const bench: Bench = {
  id: 'net',
  title: 'Address math (src/lib/net)',
  async run(): Promise<BenchReport> {
    const rand = rng(20240601)
    const ranges = randomRanges(rand)
    const list = randomList(rand)
    let pairs = 0
    const overlapMs = median(time(() => (pairs = findOverlaps(ranges).length)))
    let parsed = 0
    const parseMs = median(time(() => (parsed = parseAddressList(list).length)))
    return {
      id: 'net',
      title: 'Address math (src/lib/net)',
      method: `In-process, seeded random input (mulberry32), one warm-up run then the median of ${RUNS} runs timed with ` +
        'performance.now(). findOverlaps: 1,000 ranges (75% IPv4 in 10.0.0.0/8 of up to 4,096 addresses, 25% IPv6 ' +
        'in 2001:db8::/32). parseAddressList: one comma-separated string of 1,000 items (CIDR, range with spaces, bare ' +
        'address, IPv6 CIDR and range). No reference implementation applies: MetalLB validates pools in Go inside ' +
        'its webhook, which cannot be run in-process for a like-for-like number.',
      rows: [
        {metric: `findOverlaps, 1,000 random ranges (${pairs} overlapping pairs)`, value: round(overlapMs), unit: 'ms',
          target: '≤ 20 ms', met: overlapMs <= 20},
        {metric: `parseAddressList, 1,000-item list (${parsed} ranges)`, value: round(parseMs), unit: 'ms'},
      ],
    }
  },
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000
