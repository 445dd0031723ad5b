// One BGPPeer's session on this node: the engine's BgpSession with its transport (MD5, multihop TTL), BFD once the
// session is up, and the status the lbctl session kind (BGPPeerSession) reports.
import type {Logger} from 'pino'
import {rfc3339} from '../../lib/api/time.js'
import type {BGPSessionStateStatus} from '../../lib/api/types.js'
import {openBfd, type BfdLink} from '../../lib/bgp/bfd-transport.js'
import type {Clock} from '../../lib/clock.js'
import {notificationName} from '../../lib/bgp/errors.js'
import {describeNotification} from '../../lib/bgp/notification.js'
import {parsePrefix} from '../../lib/bgp/prefixes.js'
import type {Family} from '../../lib/net/ip.js'
import {BgpSession, type Route} from '../../lib/bgp/session.js'
import {tcpTransport} from '../../lib/bgp/transport.js'
import type {NotificationMessage} from '../../lib/bgp/types.js'
import type {PeerPlan} from './peers.js'

type LastError = NonNullable<BGPSessionStateStatus['lastError']>

export interface RunnerDeps {
  node: string
  clock?: Clock
  log?: Logger
  onChange: () => void
  /** Opens BFD toward the peer (the engine's single-hop transport by default). */
  openBfd?: typeof openBfd
}

export class PeerRunner {
  readonly session: BgpSession
  private bfd?: BfdLink
  private bfdError?: string
  private establishedSince?: string
  private lastError?: LastError
  private pendingSent?: NotificationMessage
  private routesKey = ''
  private routes: Route[] = []
  private stopping?: Promise<void>
  /** UPDATE messages sent on this peer's sessions (metallb_bgp_updates_total). */
  updatesSent = 0

  constructor(readonly plan: PeerPlan, private readonly deps: RunnerDeps) {
    const p = plan
    const connect = p.connectTime
    this.session = new BgpSession({
      localAsn: p.myAsn, peerAsn: p.peerAsn, routerId: p.routerId, holdTime: p.holdTime, keepaliveTime: p.keepaliveTime,
      connectRetryTime: connect ?? 1, connectRetryMax: connect ?? 30, families: p.families, clock: deps.clock,
      gracefulRestart: p.gracefulRestart ? {restartTime: 120, forwardingPreserved: true} : undefined,
      transport: tcpTransport({host: p.address, port: p.port, localAddress: p.sourceAddress, password: p.password, ttl: p.ebgpMultiHop ? 255 : undefined}),
    })
    const s = this.session
    const log = deps.log?.child({peer: p.name, peerAddress: p.address})
    s.on('state', ({from, to}) => {
      log?.debug({from, to}, 'BGP session state')
      deps.onChange()
    })
    s.on('established', (n) => {
      this.establishedSince = rfc3339(Date.now())
      log?.info({peerAsn: n.peerAsn, holdTime: n.holdTime, families: n.families}, 'BGP session established')
      this.startBfd()
      deps.onChange()
    })
    s.on('notification-sent', (m) => (this.pendingSent = m))
    s.on('connect-failed', (e) => this.setError({direction: 'local', message: `TCP connect to ${p.address} port ${p.port} failed: ${e.message}`}))
    s.on('down', (d) => {
      this.establishedSince = undefined
      if (d.reason !== 'stopped') {
        const sent = d.notification ? undefined : this.pendingSent
        if (d.notification) this.setError({direction: 'received', code: d.notification.code, subcode: d.notification.subcode, message: `peer sent NOTIFICATION ${describeNotification(d.notification)}`})
        else if (sent) {
          // A protocol error's message already starts with the NOTIFICATION's name (BgpProtocolError): say it once.
          const name = notificationName(sent.code, sent.subcode)
          this.setError({direction: 'sent', code: sent.code, subcode: sent.subcode, message: `sent NOTIFICATION ${d.message.startsWith(name) ? d.message : `${name}: ${d.message}`}`})
        } else this.setError({direction: 'local', message: d.message})
        log?.warn({reason: d.reason, error: this.lastError}, 'BGP session down')
      }
      this.pendingSent = undefined
      deps.onChange()
    })
    s.on('sent', (e) => {
      this.updatesSent += e.updates
      deps.onChange()
    })
  }

  private setError(e: Omit<LastError, 'time'>): void {
    this.lastError = {time: rfc3339(Date.now()), ...e}
  }

  private startBfd(): void {
    const b = this.plan.bfd
    if (!b || this.bfd) return
    const local = this.plan.sourceAddress ?? this.session.localAddress
    if (!local) return
    try {
      this.bfd = (this.deps.openBfd ?? openBfd)(local, this.plan.address, {
        desiredMinTx: b.transmitInterval, requiredMinRx: b.receiveInterval, detectMult: b.detectMultiplier, passive: b.passive, clock: this.deps.clock,
      })
      this.bfdError = undefined
    } catch (e) {
      this.bfdError = (e as Error).message
      this.setError({direction: 'local', message: `BFD could not start from ${local}: ${this.bfdError}`})
      this.deps.log?.error({peer: this.plan.name, err: this.bfdError}, 'BFD could not start')
      return
    }
    this.bfd.session.on('state', (st) => {
      this.deps.log?.info({peer: this.plan.name, from: st.from, to: st.to, diag: st.diag}, 'BFD state')
      this.deps.onChange()
    })
    // RFC 5882: BFD saw the path fail, the BGP session goes down at once (Cease 6/10, RFC 9384).
    this.bfd.session.on('down', () => this.session.bfdDown())
    this.bfd.session.start()
  }

  /** Start dialling, after `after` (the previous session of this peer, closing) when given. */
  start(after?: Promise<void>): void {
    if (!after) return this.session.start()
    void after.then(() => {
      if (!this.stopping) this.session.start()
    })
  }

  /** Declare the routes; unchanged lists are not handed to the session again. */
  setRoutes(routes: Route[]): void {
    const key = JSON.stringify(routes)
    if (key === this.routesKey) return
    this.routesKey = key
    this.routes = routes
    this.session.setRoutes(routes)
  }

  /** Prefixes this peer should be sent (MetalLB's "pending" prefixes: what is wanted, sent or not). */
  get wantedPrefixes(): number {
    return this.routes.length
  }

  /** Why BFD could not start (the native module missing, the port taken), while the session runs without it. */
  get bfdProblem(): string | undefined {
    return this.bfdError
  }

  /** Families of the wanted routes that the established session does not carry (the peer did not accept them). */
  missingFamilies(): {family: Family; routes: number}[] {
    const n = this.session.negotiated
    if (!n) return []
    const count = new Map<Family, number>()
    for (const r of this.routes) {
      const f = parsePrefix(r.prefix)?.family
      if (f && !n.families.includes(f)) count.set(f, (count.get(f) ?? 0) + 1)
    }
    return [...count].map(([family, routes]) => ({family, routes}))
  }

  /** Cease (administrative shutdown) and BFD AdminDown; resolves once the connection is closed. */
  stop(reason = 'lbctl speaker: peer removed from the configuration'): Promise<void> {
    this.stopping ??= (async () => {
      this.bfd?.close()
      this.bfd = undefined
      await this.session.stop({reason})
    })()
    return this.stopping
  }

  status(): BGPSessionStateStatus {
    const st: BGPSessionStateStatus = {
      node: this.deps.node, peer: this.plan.name, peerAddress: this.plan.address, state: this.session.state,
      prefixesAdvertised: this.session.routesAdvertised,
      bfdState: !this.plan.bfd ? 'Disabled' : this.bfd ? this.bfd.session.stateName as BGPSessionStateStatus['bfdState'] : 'Down',
    }
    if (this.establishedSince) st.establishedSince = this.establishedSince
    if (this.lastError) st.lastError = this.lastError
    return st
  }
}
