// The session's injected I/O and its public options and events.
import type {Clock} from '../clock.js'
import type {BgpProtocolError} from './errors.js'
import type {Negotiated} from './open.js'
import type {ReceiveBudget} from './schedule.js'
import type {Family} from '../net/ip.js'
import type {SkipReason} from './session-rib.js'
import type {NotificationMessage, OpenMessage, UpdateMessage} from './types.js'

/** A connected byte stream; net.Socket fits. */
export interface Conn {
  write(data: Uint8Array): boolean
  end(): void
  destroy(): void
  on(event: 'data', listener: (chunk: Buffer) => void): unknown
  on(event: 'close', listener: () => void): unknown
  on(event: 'error', listener: (err: Error) => void): unknown
  on(event: 'drain', listener: () => void): unknown
  readonly localAddress?: string
  readonly remoteAddress?: string
  /** Bytes queued but not yet handed to the kernel (RFC 9687 send hold timer). */
  readonly writableLength?: number
  /** Stop and restart reading (a net.Socket's pause/resume): the session pauses a peer that sends faster than it decodes. */
  pause?(): unknown
  resume?(): unknown
}

/** Opens the outgoing TCP connection; rejects on failure; aborts when the signal fires. */
export interface Transport {
  connect(signal: AbortSignal): Promise<Conn>
}

export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established'

export interface SessionOptions {
  localAsn: number
  /** The peer's AS, or 'external': any AS but ours (MetalLB's dynamicASN: external). */
  peerAsn: number | 'external'
  routerId: string
  /** Seconds; 0 or ≥ 3. Default 90. */
  holdTime?: number
  /** Seconds between KEEPALIVEs; default a third of the negotiated hold time, and never more than that (as FRR). */
  keepaliveTime?: number
  /** Seconds before the first connect retry; doubles per failure up to connectRetryMax. Default 5 / 120. */
  connectRetryTime?: number
  connectRetryMax?: number
  /** Seconds the send hold timer allows without progress (RFC 9687); default max(480, 2 × hold time). */
  sendHoldTime?: number
  /** Time allowed for decoding received data per event-loop turn, shared by sessions (default: one per process, 10 ms). */
  receiveBudget?: ReceiveBudget
  /** Prefixes encoded per event-loop turn when sending a table (default 20,000), so a large table never stalls the loop. */
  syncChunk?: number
  /** Wait for the peer to connect; never dial. */
  passive?: boolean
  families?: Family[]
  /** Advertise the graceful restart capability; on stop without shutdown, close without NOTIFICATION. */
  gracefulRestart?: {restartTime: number; restarting?: boolean; forwardingPreserved?: boolean}
  /**
   * Offer the extended next hop capability for IPv4 unicast with IPv6 next hops (RFC 8950). When the peer offers it
   * too, IPv4 routes with no IPv4 next hop (an IPv6-only session) are sent with the IPv6 one; routes it sends that way
   * are accepted either way.
   */
  extendedNextHop?: boolean
  /** Offer the extended message capability (RFC 8654): messages up to 65,535 octets once both sides offer it. */
  extendedMessage?: boolean
  /** Next hops; default the local address of the TCP connection. */
  nextHopIpv4?: string
  nextHopIpv6?: string
  /** Restart after the session goes down. Default true. */
  autoRestart?: boolean
  clock?: Clock
  transport?: Transport
  random?: () => number
  /** Run a continuation later (between send chunks). Default setImmediate. */
  defer?: (fn: () => void) => void
}

export interface DownEvent {
  /** Stable reason code: hold-timer-expired, send-hold-timer-expired, notification-received, notification-sent, connection-closed, bfd-down, stopped, fsm-error. */
  reason: string
  message: string
  notification?: NotificationMessage
  error?: BgpProtocolError
}

export interface SessionEvents {
  state: [{from: SessionState; to: SessionState}]
  /** A TCP connection to the peer is up (dialled or accepted), before our OPEN goes out on it. */
  connected: [{initiator: 'local' | 'remote'; localAddress?: string; remoteAddress?: string}]
  'connect-failed': [Error]
  'open-sent': [OpenMessage]
  'open-received': [OpenMessage]
  established: [Negotiated]
  'notification-received': [NotificationMessage]
  /** The peer refused capabilities with NOTIFICATION 2/7 (RFC 5492 3): their codes, left out of the next OPENs. */
  'capabilities-dropped': [number[]]
  'notification-sent': [NotificationMessage]
  'protocol-error': [BgpProtocolError]
  'update-received': [UpdateMessage]
  sent: [{announced: number; withdrawn: number; updates: number; skipped: {prefix: string; reason: SkipReason}[]}]
  'end-of-rib-sent': [Family]
  'end-of-rib-received': [Family]
  'route-refresh-received': [{family: Family | undefined; subtype: number}]
  down: [DownEvent]
}
