// The RFC 4271 finite state machine for one peer, with connection collision handling (6.8), hold and keepalive
// timers, the send hold timer (RFC 9687), End-of-RIB and route refresh (RFC 4724, 2918, 7313). Time and sockets are
// injected (clock.ts, session-types.ts), so every branch runs in tests in milliseconds.
import {EventEmitter} from 'node:events'
import {type Clock, systemClock, Timer} from '../clock.js'
import {Link, type LinkHandler} from './session-link.js'
import {BgpProtocolError, CeaseSubcode, ErrorCode} from './errors.js'
import {describeNotification, encodeKeepalive, encodeNotification, shutdownMessage} from './notification.js'
import {buildOpen, capabilityCode, encodeOpen, type Negotiated, negotiate, refusedCapabilities} from './open.js'
import {familyOfAfi, parseIPv4} from './prefixes.js'
import type {Route, RouteSet} from './session-rib.js'
import {RouteSync} from './session-sync.js'
import type {Conn, DownEvent, SessionEvents, SessionOptions, SessionState, Transport} from './session-types.js'
import {MAX_EXTENDED_MESSAGE, type BgpMessage, type OpenMessage, type PathAttributes} from './types.js'
import {isEndOfRib} from './update.js'

export type {Route} from './session-rib.js'
import {fairDefer, receiveBudget, type ReceiveBudget} from './schedule.js'
export {prepareRoutes, prepareRoutesSync, RouteSet} from './session-rib.js'
export type {Conn, SessionOptions, SessionState, Transport} from './session-types.js'

/** RFC 4271 10: a large hold time while waiting for the peer's OPEN. */
const OPEN_HOLD_MS = 240_000
const CLOSE_GRACE_MS = 1000

export class BgpSession extends EventEmitter<SessionEvents> implements LinkHandler {
  state: SessionState = 'Idle'
  /** What the established session runs with. */
  negotiated?: Negotiated
  /** Routes received from the peer (prefix → attributes). */
  readonly adjRibIn = new Map<string, PathAttributes>()
  /** Consecutive failed attempts; drives the backoff. */
  failures = 0
  private readonly o: Required<Pick<SessionOptions, 'holdTime' | 'connectRetryTime' | 'connectRetryMax' | 'families' | 'autoRestart'>> & SessionOptions
  private readonly clock: Clock
  private readonly random: () => number
  private readonly links = new Set<Link>()
  private readonly routes: RouteSync
  private readonly retry: Timer
  private connectAbort?: AbortController
  private stopped = true
  private readonly budget: ReceiveBudget
  private closeWaiters: (() => void)[] = []
  /** Capability codes the peer refused with 2/7; the OPENs that follow leave them out (RFC 5492 3). */
  private readonly refused = new Set<number>()

  constructor(options: SessionOptions) {
    super()
    const hold = options.holdTime ?? 90
    if (!Number.isInteger(hold) || hold < 0 || hold > 65535 || hold === 1 || hold === 2) throw new RangeError(`hold time ${hold}: must be 0 or 3..65535 seconds`)
    if (!parseIPv4(options.routerId)) throw new RangeError(`router ID ${options.routerId} is not an IPv4 address`)
    this.o = {holdTime: hold, connectRetryTime: 5, connectRetryMax: 120, families: [4, 6], autoRestart: true, ...options}
    this.clock = options.clock ?? systemClock
    this.random = options.random ?? Math.random
    this.budget = options.receiveBudget ?? receiveBudget
    this.retry = new Timer(this.clock, () => this.onRetryTimer())
    const host = {
      emit: this.emit.bind(this) as BgpSession['emit'],
      established: () => [...this.links].find((x) => x.state === 'Established'),
      send: (l: Link, data: Buffer) => l.send(data),
    }
    this.routes = new RouteSync(host, {...this.o, ibgp: this.ibgp}, options.defer ?? fairDefer)
  }

  get ibgp(): boolean {
    return this.o.localAsn === this.o.peerAsn
  }

  /** The local address of the established connection (the next hop it announces; BFD's source). */
  get localAddress(): string | undefined {
    return [...this.links].find((l) => l.state === 'Established')?.conn.localAddress?.replace(/^::ffff:/, '')
  }

  /** Start (or restart) the session: dial, or wait for the peer when passive. */
  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.failures = 0
    if (this.o.passive) this.setState()
    else this.dial()
  }

  /**
   * Stop: Cease 6/2 with `reason` (RFC 9003) on every connection, or, with `graceful` and the graceful restart
   * capability, just close TCP so the peer keeps our routes for the restart time (RFC 4724).
   */
  async stop(opts: {reason?: string; graceful?: boolean} = {}): Promise<void> {
    this.stopped = true
    this.retry.stop()
    this.connectAbort?.abort()
    this.connectAbort = undefined
    // Wait for the sockets to close, so the NOTIFICATION is flushed before the caller exits.
    const links = [...this.links]
    const done = links.length === 0 ? Promise.resolve() : new Promise<void>((resolve) => {
      const t = this.clock.setTimeout(resolve, 2 * CLOSE_GRACE_MS)
      void Promise.all(links.map((l) => l.socketClosed)).then(() => {
        this.clock.clearTimeout(t)
        resolve()
      })
    })
    for (const l of [...this.links]) {
      if (opts.graceful && this.o.gracefulRestart) this.closeLink(l, {reason: 'stopped', message: 'stopped for a graceful restart'})
      else this.closeLink(l, {reason: 'stopped', message: `administrative shutdown${opts.reason ? `: ${opts.reason}` : ''}`}, shutdownMessage(opts.reason ?? ''))
    }
    this.setState()
    await done
  }

  /**
   * Declare the routes the peer should have; the session sends the difference. Pass a RouteSet from prepareRoutes()
   * for large tables: it is prepared without blocking the event loop and shared between sessions.
   */
  setRoutes(routes: readonly Route[] | RouteSet): void {
    this.routes.setRoutes(routes)
  }

  /** Resolves once everything set so far has been handed to the connection (or at once when not established). */
  synced(): Promise<void> {
    return this.routes.synced()
  }

  /** An incoming connection from this peer (the listener matched it by address). */
  accept(conn: Conn): void {
    if (this.stopped) {
      conn.destroy()
      return
    }
    const est = [...this.links].find((l) => l.state === 'Established')
    if (est) {
      if (est.negotiated?.peerGracefulRestart) {
        // RFC 4724 4.2: a new connection from a restarting peer replaces the old one.
        this.closeLink(est, {reason: 'connection-closed', message: 'peer reconnected (graceful restart)'})
      } else {
        conn.write(encodeNotification({code: ErrorCode.CEASE, subcode: CeaseSubcode.CONNECTION_COLLISION, data: Buffer.alloc(0)}))
        conn.end()
        return
      }
    }
    this.adopt(conn, 'remote')
  }

  /** BFD saw the path fail: take the session down at once (RFC 5882, Cease 6/10 per RFC 9384). */
  bfdDown(): void {
    for (const l of [...this.links]) {
      this.closeLink(l, {reason: 'bfd-down', message: 'BFD session went down'}, {code: ErrorCode.CEASE, subcode: CeaseSubcode.BFD_DOWN}, true)
    }
  }

  get routesAdvertised(): number {
    return this.routes.advertisedCount
  }

  // ---- connecting ----

  private retryDelayMs(): number {
    const base = Math.min(this.o.connectRetryTime * 2 ** Math.min(this.failures, 16), this.o.connectRetryMax)
    // RFC 4271 10: jitter by 0.75–1.0.
    return base * 1000 * (0.75 + 0.25 * this.random())
  }

  private dial(): void {
    if (this.stopped || this.o.passive || this.links.size > 0 || this.connectAbort) return
    const transport: Transport | undefined = this.o.transport
    if (!transport) throw new RangeError('an active session needs a transport')
    const abort = new AbortController()
    this.connectAbort = abort
    this.retry.start(this.retryDelayMs())
    this.setState()
    transport.connect(abort.signal).then(
      (conn) => {
        if (abort.signal.aborted || this.stopped) {
          conn.destroy()
          return
        }
        this.connectAbort = undefined
        this.retry.stop()
        this.adopt(conn, 'local')
      },
      (err: Error) => {
        if (this.connectAbort !== abort) return
        this.connectAbort = undefined
        this.failures++
        this.emit('connect-failed', err)
        this.setState()
      },
    )
  }

  private onRetryTimer(): void {
    if (this.connectAbort) {
      this.connectAbort.abort()
      this.connectAbort = undefined
      this.failures++
      this.emit('connect-failed', new Error('connect timed out'))
    }
    if (this.links.size === 0) {
      if (this.o.passive) this.setState()
      else this.dial()
    }
  }

  private adopt(conn: Conn, initiator: 'local' | 'remote'): void {
    const l = new Link(conn, initiator, this.clock, this.budget, this)
    this.links.add(l)
    conn.on('data', (chunk) => l.receive(chunk))
    conn.on('error', () => undefined)
    conn.on('close', () => {
      l.onSocketClosed()
      if (!l.closed) this.closeLink(l, {reason: 'connection-closed', message: 'the peer closed the TCP connection'})
      this.maybeResolveClose()
    })
    conn.on('drain', () => { l.pendingSince = undefined })
    const unmapped = (a?: string) => a?.replace(/^::ffff:/, '')
    this.emit('connected', {initiator, localAddress: unmapped(conn.localAddress), remoteAddress: unmapped(conn.remoteAddress)})
    const open = this.localOpen()
    l.send(encodeOpen(open))
    this.emit('open-sent', open)
    l.hold.start(OPEN_HOLD_MS)
    this.setState()
  }

  private localOpen(): OpenMessage {
    const g = this.o.gracefulRestart
    const open = buildOpen({
      asn: this.o.localAsn, routerId: this.o.routerId, holdTime: this.o.holdTime, families: this.o.families,
      gracefulRestart: g ? {restartTime: g.restartTime, restarting: g.restarting ?? false, forwardingPreserved: g.forwardingPreserved ?? true} : undefined,
      extendedMessage: this.o.extendedMessage, extendedNextHop: this.o.extendedNextHop,
    })
    return this.refused.size ? {...open, capabilities: open.capabilities.filter((c) => !this.refused.has(capabilityCode(c)))} : open
  }

  // ---- receiving ----

  /** The stream from the peer cannot be framed: report it and close with the NOTIFICATION it calls for. */
  onFramingError(l: Link, e: BgpProtocolError): void {
    this.emit('protocol-error', e)
    this.fail(l, e)
  }

  onProtocolError(l: Link, e: BgpProtocolError): void {
    this.emit('protocol-error', e)
    if (e.action === 'treat-as-withdraw' && l.state === 'Established') {
      for (const p of e.withdraw ?? []) this.adjRibIn.delete(p)
      l.restartHold()
      return
    }
    this.fail(l, e)
  }

  private fail(l: Link, e: BgpProtocolError): void {
    this.closeLink(l, {reason: 'notification-sent', message: e.message, error: e}, {code: e.code, subcode: e.subcode, data: e.data})
  }

  private fsmError(l: Link, what: string): void {
    const sub = l.state === 'OpenSent' ? 1 : l.state === 'OpenConfirm' ? 2 : 3
    this.fail(l, new BgpProtocolError(ErrorCode.FSM, sub, `${what} in ${l.state}`))
  }

  onMessage(l: Link, m: BgpMessage): void {
    if (m.type !== 'open' && m.type !== 'notification') l.restartHold()
    switch (m.type) {
      case 'notification':
        if (l.state === 'OpenSent' || l.state === 'OpenConfirm') {
          // RFC 5492 3: a peer that refuses capabilities we offered: connect again without them (usual backoff).
          const codes = refusedCapabilities(m, this.localOpen())
          for (const c of codes) this.refused.add(c)
          if (codes.length) this.emit('capabilities-dropped', codes)
        }
        this.emit('notification-received', m)
        this.closeLink(l, {reason: 'notification-received', message: `peer sent NOTIFICATION ${describeNotification(m)}`, notification: m})
        return
      case 'open': return this.onOpen(l, m)
      case 'keepalive':
        if (l.state === 'OpenSent') return this.fsmError(l, 'KEEPALIVE')
        if (l.state === 'OpenConfirm') this.onEstablished(l)
        return
      case 'update': {
        if (l.state !== 'Established') return this.fsmError(l, 'UPDATE')
        const eor = isEndOfRib(m)
        if (eor) {
          this.emit('end-of-rib-received', eor)
          return
        }
        for (const p of m.withdrawn) this.adjRibIn.delete(p)
        for (const p of m.attributes.mpUnreach?.withdrawn ?? []) this.adjRibIn.delete(p)
        for (const p of m.nlri) this.adjRibIn.set(p, m.attributes)
        for (const p of m.attributes.mpReach?.nlri ?? []) this.adjRibIn.set(p, m.attributes)
        for (const d of m.discarded ?? []) this.emit('protocol-error', d)
        this.emit('update-received', m)
        return
      }
      case 'route-refresh': {
        if (l.state !== 'Established') return this.fsmError(l, 'ROUTE-REFRESH')
        const family = familyOfAfi(m.afi, m.safi)
        this.emit('route-refresh-received', {family, subtype: m.subtype})
        // RFC 7313 5: only subtype 0 asks us for anything; BoRR/EoRR concern the peer's own routes.
        if (m.subtype !== 0 || !family || !l.negotiated?.families.includes(family)) return
        this.routes.refresh(l, family)
        return
      }
    }
  }

  private onOpen(l: Link, m: OpenMessage): void {
    if (l.state !== 'OpenSent') return this.fsmError(l, 'OPEN')
    this.emit('open-received', m)
    const n = negotiate(this.localOpen(), this.o.localAsn, m, this.o.peerAsn)
    if (n instanceof BgpProtocolError) return this.fail(l, n)
    if (this.o.keepaliveTime !== undefined && n.holdTime > 0) n.keepaliveTime = Math.max(1, Math.min(this.o.keepaliveTime, n.keepaliveTime))
    l.remoteOpen = m
    l.negotiated = n
    // RFC 4271 6.8: of two connections to the same peer, keep the one started by the higher BGP identifier.
    for (const o of [...this.links]) {
      if (o === l || o.closed) continue
      if (o.state === 'Established') return this.collision(l)
      if (!o.remoteOpen) continue
      const localHigher = parseIPv4(this.o.routerId)!.readUInt32BE(0) > parseIPv4(m.routerId)!.readUInt32BE(0)
      const loser = (localHigher ? [l, o].find((x) => x.initiator === 'remote') : [l, o].find((x) => x.initiator === 'local')) ?? o
      this.collision(loser)
      if (loser === l) return
    }
    l.ctx = {fourOctetAs: n.fourOctetAs, extendedMessage: n.extendedMessage, ebgp: !this.ibgp}
    if (n.extendedMessage) l.framer.maxLength = MAX_EXTENDED_MESSAGE
    l.state = 'OpenConfirm'
    l.send(encodeKeepalive())
    l.restartHold()
    if (n.keepaliveTime > 0) l.keepalive.start(n.keepaliveTime * 1000)
    this.setState()
  }

  private collision(l: Link): void {
    this.closeLink(l, {reason: 'collision', message: 'connection collision resolved against this connection'}, {code: ErrorCode.CEASE, subcode: CeaseSubcode.CONNECTION_COLLISION})
  }

  private onEstablished(l: Link): void {
    l.state = 'Established'
    for (const o of [...this.links]) if (o !== l) this.collision(o)
    this.failures = 0
    this.negotiated = l.negotiated
    this.routes.reset()
    this.adjRibIn.clear()
    this.setState()
    this.emit('established', l.negotiated!)
    this.routes.schedule()
  }

  // ---- timers (the link runs them: session-link.ts) ----

  /** @internal */
  onHoldExpired(l: Link): void {
    this.closeLink(l, {reason: 'hold-timer-expired', message: `no message from the peer for ${l.negotiated?.holdTime ?? OPEN_HOLD_MS / 1000} s (hold timer expired)`},
      {code: ErrorCode.HOLD_TIMER_EXPIRED, subcode: 0}, true)
  }

  /** @internal RFC 9687: how long data may stay queued without progress. */
  sendHoldMs(l: Link): number {
    return (this.o.sendHoldTime ?? Math.max(480, 2 * (l.negotiated?.holdTime ?? this.o.holdTime))) * 1000
  }

  /** @internal */
  onSendHoldExpired(l: Link, ms: number): void {
    this.closeLink(l, {reason: 'send-hold-timer-expired', message: `could not send to the peer for ${ms / 1000} s (send hold timer expired)`},
      {code: ErrorCode.SEND_HOLD_TIMER_EXPIRED, subcode: 0}, true)
  }

  // ---- closing ----

  /** Close one connection, first sending the NOTIFICATION that says why when there is one. */
  private closeLink(l: Link, down: DownEvent, notification?: {code: number; subcode: number; data?: Buffer}, immediately = false): void {
    if (l.closed) return
    if (notification) {
      const n = {type: 'notification' as const, code: notification.code, subcode: notification.subcode, data: notification.data ?? Buffer.alloc(0)}
      l.send(encodeNotification(n))
      this.emit('notification-sent', n)
    }
    l.closed = true
    l.hold.stop()
    l.keepalive.stop()
    l.sendHold.stop()
    if (immediately) l.conn.destroy()
    else {
      l.conn.end()
      this.clock.setTimeout(() => l.conn.destroy(), CLOSE_GRACE_MS)
    }
    this.links.delete(l)
    const wasUp = l.state === 'Established'
    if (this.links.size > 0 && !wasUp) {
      this.setState()
      return
    }
    if (wasUp) {
      this.negotiated = undefined
      this.adjRibIn.clear()
      this.routes.reset()
    }
    if (this.links.size === 0) {
      if (!this.stopped && !wasUp) this.failures++
      this.emit('down', down)
      if (!this.stopped && this.o.autoRestart) {
        // Backoff before trying again (RFC 4271 8.1.1 IdleHoldTimer / DampPeerOscillations).
        this.retry.start(this.retryDelayMs())
      } else if (!this.stopped) this.stopped = true
    }
    this.setState()
    this.maybeResolveClose()
  }

  private maybeResolveClose(): void {
    if (this.links.size === 0) for (const w of this.closeWaiters.splice(0)) w()
  }

  private setState(): void {
    const ls = [...this.links]
    const to: SessionState = ls.some((l) => l.state === 'Established') ? 'Established'
      : ls.some((l) => l.state === 'OpenConfirm') ? 'OpenConfirm'
        : ls.length ? 'OpenSent'
          : this.stopped ? 'Idle'
            : this.connectAbort ? 'Connect' : 'Active'
    if (to !== this.state) {
      const from = this.state
      this.state = to
      this.emit('state', {from, to})
    }
  }
}
