// Issue 5: a fuzz run of ≥ 1,000,000 frames never throws. FUZZ_ITERATIONS sets the count (CI may run a shorter pass).
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {decodeArp, garpReplyFrame, garpRequestFrame} from '../../../src/lib/l2/arp.js'
import {decodeNdp, icmpv6Checksum, nsFrame, unsolicitedNaFrame} from '../../../src/lib/l2/ndp.js'
import {DROP_REASONS, Responder} from '../../../src/lib/l2/responder.js'
import {ARP_REPLY_FROM_KERNEL, ARP_REQUEST_FROM_ARPING, hex, MAC_A, MAC_B, NA_FROM_KERNEL, NS_FROM_NDISC6} from './fixtures.js'

const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 1_000_000)
const V6 = hex('20010db8003000000000000000000002')
const SEEDS = [ARP_REQUEST_FROM_ARPING, ARP_REPLY_FROM_KERNEL, NS_FROM_NDISC6, NA_FROM_KERNEL,
  garpRequestFrame(Buffer.from([198, 18, 30, 2]), MAC_A), garpReplyFrame(Buffer.from([198, 18, 30, 2]), MAC_A),
  nsFrame(MAC_A, Buffer.alloc(16), V6), unsolicitedNaFrame(V6, MAC_A)]
const OUTCOMES = new Set<string>(['answered', ...DROP_REASONS])

/** xorshift32: fast and reproducible (the seed is printed on failure). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    return (x >>> 0) / 4294967296
  }
}

function mutate(r: () => number): Buffer {
  const seed = SEEDS[Math.floor(r() * SEEDS.length)]
  const kind = r()
  let f: Buffer
  if (kind < 0.1) {
    f = Buffer.alloc(Math.floor(r() * 128))
    for (let i = 0; i < f.length; i++) f[i] = Math.floor(r() * 256)
    return f
  }
  f = Buffer.from(seed)
  const flips = 1 + Math.floor(r() * 4)
  for (let i = 0; i < flips; i++) f[Math.floor(r() * f.length)] = Math.floor(r() * 256)
  if (kind < 0.3) f = f.subarray(0, Math.floor(r() * f.length))
  else if (kind < 0.4) f = Buffer.concat([f, Buffer.alloc(Math.floor(r() * 40), Math.floor(r() * 256))])
  // Half of the IPv6 mutants get a valid checksum, so the fuzzer gets past the checksum into option parsing.
  if (kind > 0.7 && f.length >= 58 && f.readUInt16BE(12) === 0x86dd) {
    const end = Math.min(f.length, 54 + f.readUInt16BE(18))
    f.writeUInt16BE(icmpv6Checksum(f.subarray(22, 38), f.subarray(38, 54), f.subarray(54, end)), 56)
  }
  return f
}

describe('L2 fuzz', () => {
  it(`${ITERATIONS.toLocaleString('en')} mutated and random frames: never throws, every outcome is a known reason`, () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() & 0x7fffffff)
    const r = rng(seed)
    const resp = new Responder()
    resp.own('198.18.30.2')
    resp.own('2001:db8:30::2', ['eth0'])
    const ifaces = [{name: 'eth0', mac: MAC_B}, {name: 'eth1', mac: MAC_A}]
    const seen = new Set<string>()
    for (let i = 0; i < ITERATIONS; i++) {
      const f = mutate(r)
      let out: string
      try {
        const x = resp.handle(f, ifaces[i & 1])
        out = 'answer' in x ? 'answered' : x.drop
      } catch (e) {
        throw new Error(`seed ${seed}, iteration ${i}, frame ${f.toString('hex')}: ${(e as Error).message}`)
      }
      if (!OUTCOMES.has(out)) throw new Error(`unknown outcome ${out} (seed ${seed})`)
      seen.add(out)
    }
    const s = resp.stats()
    const total = s.answered.arp + s.answered.ndp + Object.values(s.dropped).reduce((a, b) => a + b, 0)
    expect(total).toBe(ITERATIONS)
    // The mutants reach deep: most outcomes, not just "malformed".
    if (ITERATIONS >= 100_000) expect(seen.size).toBeGreaterThanOrEqual(9)
  }, 600_000)

  it('decoders return values, never throw, for any bytes (fast-check, shrinking)', () => {
    fc.assert(fc.property(fc.uint8Array({maxLength: 200}), fc.nat(100), (bytes, off) => {
      const b = Buffer.from(bytes)
      decodeArp(b, Math.min(off, 14))
      decodeNdp(b, Math.min(off, 14))
      const x = new Responder().handle(b, {name: 'eth0', mac: MAC_B})
      return 'answer' in x || OUTCOMES.has(x.drop)
    }), {numRuns: 20_000})
  })
})
