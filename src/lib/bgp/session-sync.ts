// Sending the session's routes: the difference between what the peer should have and what it was sent, a chunk per
// event-loop turn, then End-of-RIB after the first table (RFC 4724) and End-of-RR after a refresh (RFC 7313).
import type {EventEmitter} from 'node:events'
import type {Family} from '../net/ip.js'
import {FAMILY_AFI, SAFI} from './prefixes.js'
import {encodeRouteRefresh} from './notification.js'
import type {Link} from './session-link.js'
import {AdjRibOut, type RibContext, type Route, type RouteSet} from './session-rib.js'
import type {SessionEvents, SessionOptions} from './session-types.js'
import {MAX_EXTENDED_MESSAGE, MAX_MESSAGE} from './types.js'
import {endOfRib} from './update.js'


/** What the sender needs from its session. */
export interface SyncHost extends Pick<EventEmitter<SessionEvents>, 'emit'> {
  /** The established connection, if there is one. */
  established(): Link | undefined
  send(l: Link, data: Buffer): void
}

export class RouteSync {
  private readonly rib = new AdjRibOut()
  private scheduled = false
  private waiters: (() => void)[] = []
  /** Families a ROUTE-REFRESH asked for whose End-of-RR is due once the table is sent. */
  private readonly refreshing = new Set<Family>()

  constructor(
    private readonly host: SyncHost,
    private readonly o: Pick<SessionOptions, 'localAsn' | 'nextHopIpv4' | 'nextHopIpv6' | 'syncChunk'> & {ibgp: boolean},
    private readonly defer: (fn: () => void) => void,
  ) {}

  get advertisedCount(): number {
    return this.rib.advertisedCount
  }

  setRoutes(routes: readonly Route[] | RouteSet): void {
    this.rib.setRoutes(routes)
    this.schedule()
  }

  /** Resolves once everything set so far has been handed to the connection (or at once when none is scheduled). */
  synced(): Promise<void> {
    if (!this.scheduled) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push(resolve))
  }

  /** A new connection, or none: nothing was sent on it yet. */
  reset(): void {
    this.rib.reset()
    this.refreshing.clear()
  }

  /** ROUTE-REFRESH for `family` (RFC 2918, 7313): the whole table again, framed by BoRR/EoRR when enhanced. */
  refresh(l: Link, family: Family): void {
    this.rib.resend(family)
    if (l.negotiated?.enhancedRouteRefresh) this.host.send(l, encodeRouteRefresh({afi: FAMILY_AFI[family], safi: SAFI.UNICAST, subtype: 1}))
    this.run(l, family)
  }

  schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    this.defer(() => {
      this.scheduled = false
      const l = this.host.established()
      if (l) this.run(l)
      // run() schedules itself again while a large table is still being sent; wait for the last part.
      if (!this.scheduled) for (const w of this.waiters.splice(0)) w()
    })
  }

  private context(l: Link): RibContext {
    const local = l.conn.localAddress?.replace(/^::ffff:/, '')
    const isV6 = !!local && local.includes(':')
    return {
      ibgp: this.o.ibgp, localAsn: this.o.localAsn, families: l.negotiated?.families ?? [],
      nextHopIpv4: this.o.nextHopIpv4 ?? (local && !isV6 ? local : undefined),
      nextHopIpv6: this.o.nextHopIpv6 ?? (isV6 && !local!.startsWith('fe80') ? local : undefined),
      extendedNextHop: l.negotiated?.extendedNextHop,
      codec: l.ctx, maxLength: l.ctx.extendedMessage ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE,
    }
  }

  /**
   * Send the difference, at most `syncChunk` prefixes per event-loop turn; once all is sent: End-of-RIB after the first
   * table, End-of-RR (RFC 7313) after a refresh of `refreshed`.
   */
  private run(l: Link, refreshed?: Family): void {
    if (refreshed) this.refreshing.add(refreshed)
    const d = this.rib.diff(this.context(l), this.o.syncChunk ?? 20_000)
    const batch = 64
    for (let i = 0; i < d.messages.length; i += batch) this.host.send(l, Buffer.concat(d.messages.slice(i, i + batch)))
    if (d.messages.length || (d.skipped.length && !d.more)) {
      this.host.emit('sent', {announced: d.announced, withdrawn: d.withdrawn, updates: d.messages.length, skipped: d.more ? [] : d.skipped})
    }
    if (d.more) {
      this.schedule()
      return
    }
    if (!l.eorSent) {
      l.eorSent = true
      for (const f of l.negotiated?.families ?? []) {
        this.host.send(l, endOfRib(f))
        this.host.emit('end-of-rib-sent', f)
      }
    }
    for (const f of this.refreshing) {
      if (l.negotiated?.enhancedRouteRefresh) this.host.send(l, encodeRouteRefresh({afi: FAMILY_AFI[f], safi: SAFI.UNICAST, subtype: 2}))
    }
    this.refreshing.clear()
  }
}
