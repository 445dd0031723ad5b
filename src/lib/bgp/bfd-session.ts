// One BFD session, asynchronous mode (RFC 5880 6.8), single hop (RFC 5881): state machine, transmit timer with
// jitter, detection timer, poll sequence when the timers change. Clock and packet sending are injected.
import {EventEmitter} from 'node:events'
import {type Clock, systemClock, Timer} from '../clock.js'
import {BFD_STATE_NAMES, BfdDiag, type BfdDropReason, type BfdPacket, BfdState, type BfdStateValue, decodeBfd, encodeBfd} from './bfd.js'

export interface BfdOptions {
  /** Milliseconds. Defaults 300 / 300 / 3, as FRR's. */
  desiredMinTx?: number
  requiredMinRx?: number
  detectMult?: number
  /** Passive role (RFC 5880 6.1): send nothing until the peer has sent a packet. */
  passive?: boolean
  send(packet: Buffer): void
  clock?: Clock
  random?: () => number
  discriminator?: number
}

export interface BfdEvents {
  state: [{from: string; to: string; diag: number}]
  up: []
  down: [{diag: number}]
  drop: [BfdDropReason]
}

/** RFC 5880 6.8.3: at least one second between packets while not Up. */
const SLOW_MS = 1000

export class BfdSession extends EventEmitter<BfdEvents> {
  state: BfdStateValue = BfdState.DOWN
  diag = 0
  readonly drops = new Map<BfdDropReason, number>()
  private readonly o: Required<Omit<BfdOptions, 'clock' | 'random' | 'discriminator'>>
  private readonly clock: Clock
  private readonly random: () => number
  readonly localDiscr: number
  private remoteDiscr = 0
  private remoteMinRxMs = 1
  private remoteDesiredTxMs = 0
  private remoteDetectMult = 0
  private poll = false
  private running = false
  private readonly tx: Timer
  private readonly detect: Timer

  constructor(opts: BfdOptions) {
    super()
    this.o = {desiredMinTx: 300, requiredMinRx: 300, detectMult: 3, passive: false, ...opts}
    this.clock = opts.clock ?? systemClock
    this.random = opts.random ?? Math.random
    this.localDiscr = opts.discriminator ?? 1 + Math.floor(this.random() * 0xfffffffe)
    this.tx = new Timer(this.clock, () => this.transmit())
    this.detect = new Timer(this.clock, () => this.expire())
  }

  get stateName(): string {
    return BFD_STATE_NAMES[this.state]
  }

  start(): void {
    this.running = true
    this.transmit()
  }

  stop(): void {
    this.running = false
    this.tx.stop()
    this.detect.stop()
    if (this.state !== BfdState.ADMIN_DOWN) {
      this.setState(BfdState.ADMIN_DOWN, BfdDiag.ADMIN_DOWN)
      this.o.send(this.packet(false))
    }
  }

  /** Advertised Desired Min TX: the configured value once Up, slow before (6.8.3). */
  private get advertisedTxMs(): number {
    return this.state === BfdState.UP ? this.o.desiredMinTx : Math.max(SLOW_MS, this.o.desiredMinTx)
  }

  private packet(final: boolean): Buffer {
    return encodeBfd({
      diag: this.diag, state: this.state, poll: this.poll && !final, final, controlPlaneIndependent: false, authPresent: false,
      demand: false, multipoint: false, detectMult: this.o.detectMult, myDiscriminator: this.localDiscr,
      yourDiscriminator: this.remoteDiscr, desiredMinTxUs: this.advertisedTxMs * 1000, requiredMinRxUs: this.o.requiredMinRx * 1000,
      requiredMinEchoRxUs: 0,
    })
  }

  private transmit(): void {
    if (!this.running) return
    if (this.remoteMinRxMs > 0 && !(this.o.passive && this.remoteDiscr === 0)) this.o.send(this.packet(false))
    const interval = Math.max(this.advertisedTxMs, this.remoteMinRxMs)
    // 6.8.7: jitter to 75–100 % (75–90 % with a detect multiplier of 1).
    const f = 0.75 + (this.o.detectMult === 1 ? 0.15 : 0.25) * this.random()
    this.tx.start(interval * f)
  }

  /** A datagram arrived; `ttl` is the received TTL/hop limit (single hop requires 255, RFC 5881 5). */
  receive(data: Buffer, ttl: number): void {
    if (ttl !== 255) return this.drop('ttl')
    const p = decodeBfd(data)
    if (!(p as BfdPacket).version) return this.drop((p as {reason: BfdDropReason}).reason)
    this.onPacket(p as BfdPacket)
  }

  private drop(r: BfdDropReason): void {
    this.drops.set(r, (this.drops.get(r) ?? 0) + 1)
    this.emit('drop', r)
  }

  private onPacket(p: BfdPacket): void {
    if (p.yourDiscriminator !== 0 && p.yourDiscriminator !== this.localDiscr) return this.drop('your-discriminator')
    if (!this.running) return
    this.remoteDiscr = p.myDiscriminator
    const before = this.remoteMinRxMs
    this.remoteMinRxMs = p.requiredMinRxUs / 1000
    // The peer lowered its Required Min RX (a slow start ending, e.g. FRR's): a packet already scheduled at the old,
    // slower rate would arrive after its new detection time. Re-arm at the new rate (RFC 5880 6.8.7).
    const interval = Math.max(this.advertisedTxMs, this.remoteMinRxMs)
    if (this.remoteMinRxMs < before && this.running && (this.tx.remaining ?? 0) > interval) {
      this.tx.stop()
      this.tx.start(interval * (0.75 + 0.25 * this.random()))
    }
    this.remoteDesiredTxMs = p.desiredMinTxUs / 1000
    this.remoteDetectMult = p.detectMult
    if (p.final) this.poll = false
    if (p.state === BfdState.ADMIN_DOWN) {
      if (this.state !== BfdState.DOWN) this.setState(BfdState.DOWN, BfdDiag.NEIGHBOR_DOWN)
    } else if (this.state === BfdState.DOWN) {
      if (p.state === BfdState.DOWN) this.setState(BfdState.INIT, BfdDiag.NONE)
      else if (p.state === BfdState.INIT) this.setState(BfdState.UP, BfdDiag.NONE)
    } else if (this.state === BfdState.INIT) {
      if (p.state === BfdState.INIT || p.state === BfdState.UP) this.setState(BfdState.UP, BfdDiag.NONE)
    } else if (this.state === BfdState.UP && p.state === BfdState.DOWN) {
      this.setState(BfdState.DOWN, BfdDiag.NEIGHBOR_DOWN)
    }
    // 6.8.4: detection time = remote multiplier × max(our RequiredMinRx, their DesiredMinTx).
    if (this.state === BfdState.INIT || this.state === BfdState.UP) {
      this.detect.start(this.remoteDetectMult * Math.max(this.o.requiredMinRx, this.remoteDesiredTxMs))
    }
    if (p.poll) this.o.send(this.packet(true))
  }

  private expire(): void {
    if (this.state === BfdState.INIT || this.state === BfdState.UP) this.setState(BfdState.DOWN, BfdDiag.DETECTION_TIME_EXPIRED)
  }

  private setState(to: BfdStateValue, diag: number): void {
    const from = this.state
    if (from === to) return
    const wasUp = from === BfdState.UP
    this.state = to
    this.diag = diag
    if (to === BfdState.DOWN || to === BfdState.ADMIN_DOWN) {
      this.detect.stop()
      this.remoteDiscr = to === BfdState.DOWN && diag === BfdDiag.DETECTION_TIME_EXPIRED ? 0 : this.remoteDiscr
    }
    // The advertised TX changes at Up and when leaving it: a poll sequence announces it (6.8.3).
    if (to === BfdState.UP || wasUp) this.poll = true
    this.emit('state', {from: BFD_STATE_NAMES[from], to: BFD_STATE_NAMES[to], diag})
    if (to === BfdState.UP) this.emit('up')
    if (wasUp) this.emit('down', {diag})
    if (this.running) {
      this.tx.stop()
      this.transmit()
    }
  }
}
