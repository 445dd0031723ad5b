import {describe, expect, it} from 'vitest'
import {decodeBfd, encodeBfd, BfdDecodeError, type BfdPacket} from '../../../src/lib/bgp/bfd.js'
import {BfdSession} from '../../../src/lib/bgp/bfd-session.js'
import {FakeClock} from '../../support/fake-clock.js'
import {hex} from './hex.js'

const FRR_DOWN = hex(`
  20          # version 1, diag 0
  40          # state Down, no flags
  03          # detect multiplier 3
  18          # length 24
  00000001    # my discriminator
  00000000    # your discriminator
  000f4240    # desired min TX 1,000,000 us
  000493e0    # required min RX 300,000 us
  00000000    # required min echo RX
`)

function pairOf(clock: FakeClock, opts = {}) {
  const link = {up: true, ttl: 255}
  const a: BfdSession = new BfdSession({clock, send: (p) => link.up && queueMicrotask(() => b.receive(p, link.ttl)), random: () => 0.5, ...opts})
  const b: BfdSession = new BfdSession({clock, send: (p) => link.up && queueMicrotask(() => a.receive(p, link.ttl)), random: () => 0.5, ...opts})
  return {a, b, link}
}
const settle = async () => { for (let i = 0; i < 5; i++) await Promise.resolve() }

async function run(clock: FakeClock, ms: number) {
  for (let t = 0; t < ms; t += 10) {
    clock.advance(10)
    await settle()
  }
}

describe('BFD codec', () => {
  it('decodes an annotated packet and round-trips', () => {
    const p = decodeBfd(FRR_DOWN) as BfdPacket
    expect(p).toMatchObject({version: 1, state: 1, detectMult: 3, myDiscriminator: 1, desiredMinTxUs: 1_000_000, requiredMinRxUs: 300_000})
    expect(encodeBfd(p).equals(FRR_DOWN)).toBe(true)
  })
  it('rejects what RFC 5880 6.8.6 says to discard', () => {
    const bad = (f: (b: Buffer) => void) => {
      const b = Buffer.from(FRR_DOWN)
      f(b)
      return (decodeBfd(b) as BfdDecodeError).reason
    }
    expect(bad((b) => (b[0] = 0x40))).toBe('version')
    expect(bad((b) => (b[2] = 0))).toBe('detect-mult')
    expect(bad((b) => (b[1] |= 1))).toBe('multipoint')
    expect(bad((b) => b.writeUInt32BE(0, 4))).toBe('my-discriminator')
    expect(bad((b) => (b[1] = 0xc0))).toBe('your-discriminator')
    expect(bad((b) => (b[3] = 30))).toBe('length')
    expect((decodeBfd(FRR_DOWN.subarray(0, 20)) as BfdDecodeError).reason).toBe('short')
  })
})

describe('BFD session', () => {
  it('comes Up through Init, and goes Down within 3 × 300 ms after the link is cut', async () => {
    const clock = new FakeClock()
    const {a, b, link} = pairOf(clock)
    const states: string[] = []
    a.on('state', (s) => states.push(s.to))
    a.start()
    b.start()
    await run(clock, 3000)
    expect(a.stateName).toBe('Up')
    expect(b.stateName).toBe('Up')
    expect(states).toEqual(['Init', 'Up'])
    link.up = false
    const cut = clock.now()
    let downAt = 0
    a.on('down', () => (downAt = clock.now()))
    await run(clock, 1500)
    expect(a.stateName).toBe('Down')
    expect(a.diag).toBe(1)
    expect(downAt - cut).toBeLessThanOrEqual(900)
  })
  it('drops packets whose TTL is not 255 (RFC 5881 5), so the session never comes up', async () => {
    const clock = new FakeClock()
    const {a, b, link} = pairOf(clock)
    link.ttl = 254
    a.start()
    b.start()
    await run(clock, 3000)
    expect(a.stateName).toBe('Down')
    expect(a.drops.get('ttl')).toBeGreaterThan(0)
  })
  it('sends at the slow rate while Down and the fast rate once Up; answers a poll with final', async () => {
    const clock = new FakeClock()
    const sent: {t: number; p: BfdPacket}[] = []
    const ref: {peer?: BfdSession} = {}
    const a = new BfdSession({clock, random: () => 1, send: (p) => { sent.push({t: clock.now(), p: decodeBfd(p) as BfdPacket}); queueMicrotask(() => ref.peer?.receive(p, 255)) }})
    const peer = new BfdSession({clock, random: () => 1, send: (p) => queueMicrotask(() => a.receive(p, 255))})
    ref.peer = peer
    a.start()
    peer.start()
    await run(clock, 4000)
    const upAt = sent.findIndex((s) => s.p.state === 3)
    const gaps = sent.slice(upAt + 2, upAt + 6).map((s, i, arr) => (i ? s.t - arr[i - 1].t : 0)).slice(1)
    expect(sent[0].p.desiredMinTxUs).toBe(1_000_000)
    expect(gaps.every((g) => g <= 300)).toBe(true)
    expect(sent.some((s) => s.p.final)).toBe(true)
    expect(sent.some((s) => s.p.poll)).toBe(true)
  })
})
