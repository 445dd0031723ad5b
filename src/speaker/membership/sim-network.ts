// An in-memory datagram network on an injected clock, for tests and benchmarks in virtual time: per-link loss and
// delay, nodes down, partitions, and a tap that sees (and can copy) every datagram.
import type {Clock} from '../../lib/clock.js'
import type {Transport} from './transport.js'

export interface SimNetworkOptions {
  /** One-way delay in ms (default 0.2, a LAN). */
  delayMs?: number
  /** Probability that any datagram is lost (default 0). */
  loss?: number
  /** Uniform in [0, 1) (default Math.random); pass a seeded one for reproducible runs. */
  random?: () => number
}

export class SimNetwork {
  /** Datagrams sent, per source address. */
  readonly sent = new Map<string, number>()
  delayMs: number
  loss: number
  private readonly endpoints = new Map<string, SimEndpoint>()
  private readonly down = new Set<string>()
  private groups?: Map<string, number>
  private readonly linkLoss = new Map<string, number>()
  private readonly random: () => number
  tap?: (from: string, to: string, buf: Buffer) => void

  constructor(private readonly clock: Clock, opts: SimNetworkOptions = {}) {
    this.delayMs = opts.delayMs ?? 0.2
    this.loss = opts.loss ?? 0
    this.random = opts.random ?? Math.random
  }

  endpoint(address: string): Transport {
    if (this.endpoints.has(address)) throw new Error(`address ${address} already bound`)
    const e = new SimEndpoint(address, this)
    this.endpoints.set(address, e)
    return e
  }

  /** Take a node off the network (link down / killed) or put it back. */
  setDown(address: string, down: boolean): void {
    if (down) this.down.add(address)
    else this.down.delete(address)
  }

  /** Only addresses in the same group reach each other; heal() ends it. */
  partition(...groups: string[][]): void {
    this.groups = new Map()
    groups.forEach((g, i) => g.forEach((a) => this.groups!.set(a, i)))
  }

  heal(): void {
    this.groups = undefined
  }

  /** Loss on one direction of one link (1 = cut). */
  setLinkLoss(from: string, to: string, loss: number): void {
    this.linkLoss.set(`${from}>${to}`, loss)
  }

  /** Deliver a datagram as if `from` sent it (replays, forgeries, garbage). */
  inject(from: string, to: string, buf: Buffer): void {
    this.endpoints.get(to)?.deliver(Buffer.from(buf), from)
  }

  transmit(from: string, to: string, buf: Buffer): void {
    this.sent.set(from, (this.sent.get(from) ?? 0) + 1)
    this.tap?.(from, to, buf)
    if (this.down.has(from) || this.down.has(to)) return
    if (this.groups && this.groups.get(from) !== this.groups.get(to)) return
    const loss = this.linkLoss.get(`${from}>${to}`) ?? this.loss
    if (loss > 0 && this.random() < loss) return
    const copy = Buffer.from(buf)
    this.clock.setTimeout(() => {
      if (!this.down.has(to)) this.endpoints.get(to)?.deliver(copy, from)
    }, this.delayMs)
  }

  release(address: string): void {
    this.endpoints.delete(address)
  }
}

class SimEndpoint implements Transport {
  readonly sendErrors = 0
  private handler?: (buf: Buffer, from: string) => void
  private closed = false

  constructor(readonly address: string, private readonly net: SimNetwork) {}

  send(address: string, buf: Buffer): void {
    if (!this.closed) this.net.transmit(this.address, address, buf)
  }

  onMessage(handler: (buf: Buffer, from: string) => void): void {
    this.handler = handler
  }

  deliver(buf: Buffer, from: string): void {
    if (!this.closed) this.handler?.(buf, from)
  }

  async close(): Promise<void> {
    this.closed = true
    this.net.release(this.address)
  }
}

/** A small seeded PRNG (mulberry32) for reproducible simulations. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}
