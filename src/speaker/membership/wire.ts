// One member on the wire: the SWIM state machine (swim.ts) behind the envelope, the MAC and the replay guard. Every
// datagram that is not an authentic, fresh message from a member is dropped with a named reason and counted.
import {randomBytes} from 'node:crypto'
import type {Clock} from '../../lib/clock.js'
import {inRing, type KeyRing, openWith, ReplayGuard, seal} from './auth.js'
import {type Body, checkFraming, decodeMessage, encodeMessage, MembershipDecodeError, type Update} from './codec.js'
import type {MembershipTimers} from './options.js'
import {Swim} from './swim.js'
import type {Transport} from './transport.js'

/** Why a received datagram was dropped. */
export type DropReason =
  | 'malformed' // not a message of this protocol, or truncated / inconsistent
  | 'version' // our magic, another protocol version
  | 'auth' // the MAC matches neither the current nor the previous key
  | 'no-key' // this node has no key, so it cannot check anything
  | 'replay' // a sequence number already seen or left behind, or an old boot of the sender
  | 'stale' // timestamp too far from our clock
  | 'unknown-sender' // authentic, but the sender is not a candidate the API lists
  | 'self' // our own message came back

export const DROP_REASONS: readonly DropReason[] = ['malformed', 'version', 'auth', 'no-key', 'replay', 'stale', 'unknown-sender', 'self']

export interface WireStats {
  sent: number
  received: number
  /** Accepted messages whose MAC matched the previous key (a rotation in progress somewhere). */
  previousKey: number
  sendErrors: number
  dropped: Record<DropReason, number>
}

export interface WireOptions {
  node: string
  transport: Transport
  timers: MembershipTimers
  clock: Clock
  /** Wall clock in ms since the epoch (message timestamps; the first incarnation). */
  wallClock: () => number
  random: () => number
  /** Replay guard: timestamps further than this from our clock are dropped (default 60 s). */
  maxClockSkewMs?: number
  onChange: () => void
}

export class WireMember {
  readonly swim: Swim
  readonly bootId = randomBytes(8).toString('hex')
  keys?: KeyRing
  private readonly stats_: WireStats = {sent: 0, received: 0, previousKey: 0, sendErrors: 0, dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>}
  private readonly replay: ReplayGuard
  private readonly addresses = new Map<string, string>()
  /**
   * Per member, the key its last accepted message was sealed with. We send to a member with that key while it is still
   * in our ring: during a rotation a member that already sends the new key (one restarted with only the new Secret
   * mounted, or one further in its rotation) is answered in the key it can read, instead of in ours for a whole grace
   * period. Only our own keys are ever chosen, and only after a message passed the MAC and the replay guard.
   */
  private readonly peerKeys = new Map<string, Buffer>()
  private seq = 0
  /** A datagram with our framing arrived while we had no key: others gossip, and we cannot. */
  sawForeignGossip = false

  constructor(private readonly o: WireOptions) {
    this.replay = new ReplayGuard({maxSkewMs: o.maxClockSkewMs})
    // Incarnations start at the boot's wall-clock ms, so a restarted member outranks whatever was said about its
    // previous life (memberlist needs a rejoin dance for this).
    this.swim = new Swim(o.node, o.timers, {clock: o.clock, random: o.random, send: (to, body, updates) => this.send(to, body, updates), onChange: o.onChange},
      Math.floor(o.wallClock()))
    o.transport.onMessage((buf, from) => this.receive(buf, from))
  }

  /** node → address of every candidate (ourselves included or not). */
  setMembers(addresses: ReadonlyMap<string, string>): void {
    this.addresses.clear()
    for (const [n, a] of addresses) if (n !== this.o.node) this.addresses.set(n, a)
    for (const n of [...this.peerKeys.keys()]) if (!this.addresses.has(n)) this.peerKeys.delete(n)
    this.swim.setMembers(this.addresses.keys())
  }

  stats(): WireStats {
    return {...this.stats_, sendErrors: this.o.transport.sendErrors, dropped: {...this.stats_.dropped}}
  }

  /** When a datagram was last refused for its MAC (clock ms): someone gossips here with a key we do not accept. */
  lastAuthDropAt = -Infinity

  private drop(reason: DropReason): void {
    this.stats_.dropped[reason]++
    if (reason === 'auth') this.lastAuthDropAt = this.o.clock.now()
  }

  private send(to: string, body: Body, updates: Update[]): void {
    const keys = this.keys
    const address = this.addresses.get(to)
    if (!keys || !address) return
    this.seq = (this.seq + 1) % 2 ** 32
    const buf = encodeMessage({bootId: this.bootId, seq: this.seq, timestamp: Math.floor(this.o.wallClock()), sender: this.o.node,
      incarnation: this.swim.incarnation, body, updates})
    this.stats_.sent++
    const theirs = this.peerKeys.get(to)
    this.o.transport.send(address, seal(buf, theirs && inRing(theirs, keys) ? theirs : keys.current))
  }

  receive(buf: Buffer, _from: string): void {
    try {
      checkFraming(buf)
    } catch (e) {
      return this.drop(e instanceof MembershipDecodeError && e.reason === 'version' ? 'version' : 'malformed')
    }
    const keys = this.keys
    if (!keys) {
      this.drop('no-key')
      if (!this.sawForeignGossip) {
        this.sawForeignGossip = true
        this.o.onChange()
      }
      return
    }
    const opened = openWith(buf, keys)
    if (!opened) return this.drop('auth')
    let m
    try {
      m = decodeMessage(buf)
    } catch (e) {
      if (e instanceof MembershipDecodeError) return this.drop('malformed')
      throw e
    }
    if (m.sender === this.o.node) return this.drop('self')
    if (!this.addresses.has(m.sender)) return this.drop('unknown-sender')
    const verdict = this.replay.accept(m.sender, m.bootId, m.seq, m.timestamp, this.o.wallClock())
    if (verdict !== 'ok') return this.drop(verdict)
    this.stats_.received++
    if (opened.which === 'previous') this.stats_.previousKey++
    this.peerKeys.set(m.sender, opened.key)
    this.swim.receive(m.sender, m.incarnation, m.body, m.updates)
  }
}
