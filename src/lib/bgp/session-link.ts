// One TCP connection of a BGP session: where it stands in the FSM (OpenSent → OpenConfirm → Established), its timers,
// and the reading of BGP messages off it. Reading is charged to the shared receive budget (schedule.ts): once a turn's
// budget is spent, chunks are parked and the socket paused, and decoding goes on in a later turn.
import {type Clock, Timer} from '../clock.js'
import {decode} from './codec.js'
import {BgpProtocolError} from './errors.js'
import {Framer} from './header.js'
import {encodeKeepalive} from './notification.js'
import type {Negotiated} from './open.js'
import type {ReceiveBudget} from './schedule.js'
import type {Conn} from './session-types.js'
import type {BgpMessage, CodecContext, OpenMessage} from './types.js'

/** What a link reports to its session. */
export interface LinkHandler {
  onHoldExpired(l: Link): void
  /** RFC 9687: how long data may stay queued without progress before the session ends. */
  sendHoldMs(l: Link): number
  onSendHoldExpired(l: Link, ms: number): void
  onMessage(l: Link, m: BgpMessage): void
  /** A message that decoded to an error (its RFC 7606 action says what to do). */
  onProtocolError(l: Link, e: BgpProtocolError): void
  /** The byte stream itself is broken (bad marker or length): nothing after it can be read. */
  onFramingError(l: Link, e: BgpProtocolError): void
}

export class Link {
  readonly framer = new Framer()
  state: 'OpenSent' | 'OpenConfirm' | 'Established' = 'OpenSent'
  remoteOpen?: OpenMessage
  negotiated?: Negotiated
  ctx: CodecContext = {}
  closed = false
  lastSent = 0
  eorSent = false
  pendingSince?: number
  lastPending = 0
  /** Chunks read while the receive budget of this turn was spent, decoded in a later turn (reading is paused). */
  private backlog?: Buffer[]
  readonly hold: Timer
  readonly keepalive: Timer
  readonly sendHold: Timer
  onSocketClosed!: () => void
  readonly socketClosed = new Promise<void>((resolve) => (this.onSocketClosed = resolve))

  constructor(readonly conn: Conn, readonly initiator: 'local' | 'remote', private readonly clock: Clock, private readonly budget: ReceiveBudget, private readonly h: LinkHandler) {
    this.hold = new Timer(clock, () => h.onHoldExpired(this))
    this.keepalive = new Timer(clock, () => this.onKeepaliveTimer())
    this.sendHold = new Timer(clock, () => this.onSendHoldCheck())
  }

  /** Write a message; once data stays queued, the send hold timer (RFC 9687) watches its progress. */
  send(data: Buffer): void {
    if (this.closed) return
    this.conn.write(data)
    this.lastSent = this.clock.now()
    if ((this.conn.writableLength ?? 0) > 0 && !this.sendHold.running) {
      this.pendingSince = this.lastSent
      this.lastPending = this.conn.writableLength ?? 0
      this.sendHold.start(this.h.sendHoldMs(this) / 8)
    }
  }

  /** A message from the peer: the hold timer starts again (with the negotiated hold time; 0 turns it off). */
  restartHold(): void {
    const h = this.negotiated?.holdTime
    if (h === undefined) return
    if (h === 0) this.hold.stop()
    else this.hold.start(h * 1000)
  }

  private onKeepaliveTimer(): void {
    const ms = (this.negotiated?.keepaliveTime ?? 0) * 1000
    if (this.closed || ms <= 0) return
    const since = this.clock.now() - this.lastSent
    // RFC 4271 4.4: an UPDATE sent also restarts the keepalive timer.
    if (since >= ms - 1) this.send(encodeKeepalive())
    this.keepalive.start(since >= ms - 1 ? ms : ms - since)
  }

  /** RFC 9687: data queued without progress for the send hold time ends the session. */
  private onSendHoldCheck(): void {
    if (this.closed) return
    const wl = this.conn.writableLength ?? 0
    const now = this.clock.now()
    const limit = this.h.sendHoldMs(this)
    if (wl === 0) {
      this.pendingSince = undefined
      return
    }
    if (this.pendingSince === undefined || wl < this.lastPending) {
      this.pendingSince = now
      this.lastPending = wl
    } else if (now - this.pendingSince >= limit) {
      this.h.onSendHoldExpired(this, limit)
      return
    }
    this.sendHold.start(limit / 8)
  }

  /** A chunk from the socket: decoded now, or parked (socket paused) when this turn's budget is spent. */
  receive(chunk: Buffer): void {
    if (this.closed) return
    if (this.backlog) {
      this.backlog.push(chunk)
      return
    }
    if (this.budget.exhausted) {
      this.backlog = [chunk]
      this.conn.pause?.()
      setImmediate(() => this.drainBacklog())
      return
    }
    this.budget.charge(() => this.onChunk(chunk))
  }

  private drainBacklog(): void {
    const backlog = this.backlog
    if (!backlog) return
    while (backlog.length > 0 && !this.budget.exhausted && !this.closed) {
      const chunk = backlog.shift()!
      this.budget.charge(() => this.onChunk(chunk))
    }
    if (backlog.length > 0 && !this.closed) {
      setImmediate(() => this.drainBacklog())
      return
    }
    this.backlog = undefined
    if (!this.closed) this.conn.resume?.()
  }

  private onChunk(chunk: Buffer): void {
    if (this.closed) return
    const {messages, error} = this.framer.push(chunk)
    for (const m of messages) {
      if (this.closed) return
      const r = decode(m, this.ctx)
      if (r instanceof BgpProtocolError) this.h.onProtocolError(this, r)
      else this.h.onMessage(this, r)
    }
    if (error && !this.closed) this.h.onFramingError(this, error)
  }
}
