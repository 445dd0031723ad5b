// The speaker's Membership (types.ts): gossip when it can run, the API's view when it cannot, and in both cases a
// view that every speaker computes alike. The rule for this speaker itself: it counts itself alive only when its
// gossip works (a key, a bound port, round trips with the others); a speaker that cannot gossip while the others do
// would otherwise elect from a private view in which it is alive and the others cannot see it.
import {EventEmitter} from 'node:events'
import {isIP} from 'node:net'
import {type Clock, systemClock} from '../../lib/clock.js'
import {type KeyLoad, KeyFiles} from './keyfile.js'
import {type MembershipTimers, resolveTimers, suspicionTimeoutMs} from './options.js'
import {KeyRotation} from './rotation.js'
import {bindUdp, type Transport} from './transport.js'
import type {Candidate, LivenessView, Membership, MembershipEvents, MembershipStats} from './types.js'
import {WireMember} from './wire.js'

export const DEFAULT_MEMBERLIST_PORT = 7946

export interface GossipMembershipOptions {
  /** This speaker's node name. */
  node: string
  /** Address to bind, and at which the others reach this speaker (hostNetwork: the node's address). */
  bindAddress: string
  port?: number
  /** The Secret's `secretkey` as a file; without it gossip cannot run and the view is the API's. */
  keyFile?: string
  /** The Secret's `previoussecretkey` (accepted on receive during a rotation). */
  previousKeyFile?: string
  /** Key files are re-read this often besides on change events (default 2 s). */
  keyPollMs?: number
  /** After the key file changes: this long still sending with the old key, then this long still accepting it
   * (rotation.ts; default 3 min). */
  keyGraceMs?: number
  /** The two-speaker rule (default on): with exactly two candidates, a speaker that hears nobody still counts itself. */
  twoSpeakerRule?: boolean
  /** Told when the keys in effect change (a file change, or a rotation's phase ending). */
  onKeyPhase?: (phase: string) => void
  timers?: Partial<MembershipTimers>
  /** Messages whose timestamp is further than this from our wall clock are dropped as stale (default 60 s). */
  maxClockSkewMs?: number
  clock?: Clock
  wallClock?: () => number
  random?: () => number
  /** A failed bind is retried this often (default 5 s). */
  bindRetryMs?: number
  /** The datagram transport (default: UDP on bindAddress:port); tests pass an in-memory network's. */
  bind?: (address: string, port: number) => Promise<Transport>
}

export class GossipMembership extends EventEmitter<MembershipEvents> implements Membership {
  private readonly timers: MembershipTimers
  private readonly clock: Clock
  private candidates = new Map<string, string>()
  private keyFiles?: KeyFiles
  private keys: KeyLoad = {}
  private readonly rotation: KeyRotation
  private rotationTimer?: unknown
  private reportedPhase = 'steady'
  private transport?: Transport
  private bindProblem?: string
  private wire?: WireMember
  private started = false
  private retry?: unknown
  private stopped = false
  private last?: LivenessView

  constructor(private readonly o: GossipMembershipOptions) {
    super()
    this.timers = resolveTimers(o.timers)
    this.clock = o.clock ?? systemClock
    this.rotation = new KeyRotation(o.keyGraceMs)
  }

  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    this.keyFiles = new KeyFiles({current: this.o.keyFile, previous: this.o.previousKeyFile, pollMs: this.o.keyPollMs})
    this.keys = await this.keyFiles.start()
    this.rotation.update(this.keys.ring, this.clock.now())
    this.keyFiles.on('change', (k) => this.onKeys(k))
    await this.bind()
  }

  /** Bind the port; on failure say why, and try again every bindRetryMs (the port may be freed, e.g. by MetalLB). */
  private async bind(): Promise<void> {
    if (this.stopped) return
    const port = this.o.port ?? DEFAULT_MEMBERLIST_PORT
    try {
      this.transport = await (this.o.bind ?? bindUdp)(this.o.bindAddress, port)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e)
      this.bindProblem = `cannot bind UDP ${this.o.bindAddress}:${port} (${code}); the other speakers cannot hear this one, so it leaves itself out (free the port or set --memberlist-port)`
      this.retry = this.clock.setTimeout(() => void this.bind(), this.o.bindRetryMs ?? 5000)
      this.publish()
      return
    }
    if (this.stopped) return void this.transport.close()
    this.bindProblem = undefined
    this.wire = new WireMember({node: this.o.node, transport: this.transport, timers: this.timers, clock: this.clock,
      wallClock: this.o.wallClock ?? Date.now, random: this.o.random ?? Math.random, maxClockSkewMs: this.o.maxClockSkewMs,
      onChange: () => this.publish()})
    this.wire.keys = this.rotation.ring(this.clock.now())
    this.wire.setMembers(this.candidates)
    if (this.keys.ring) this.wire.swim.start()
    this.publish()
  }

  /** Re-read the key files now (they are also re-read on change and periodically). */
  async reloadKeys(): Promise<void> {
    await this.keyFiles?.reload()
  }

  private onKeys(k: KeyLoad): void {
    this.keys = k
    this.rotation.update(k.ring, this.clock.now())
    this.applyRing()
    if (this.wire && !this.stopped) {
      if (k.ring) this.wire.swim.start()
      else this.wire.swim.stop()
    }
    this.publish()
  }

  /** Hand the keys in effect now to the wire, and come back when a rotation's phase ends. */
  private applyRing(): void {
    if (this.stopped) return
    const now = this.clock.now()
    if (this.wire) this.wire.keys = this.rotation.ring(now)
    const phase = this.rotation.phase(now)
    // Reported on change only: a timer that fires a hair early finds the same phase and is simply set again.
    if (phase !== this.reportedPhase) this.o.onKeyPhase?.(phase)
    this.reportedPhase = phase
    if (this.rotationTimer !== undefined) this.clock.clearTimeout(this.rotationTimer)
    this.rotationTimer = undefined
    const next = this.rotation.nextChangeAt(now)
    if (next !== undefined) this.rotationTimer = this.clock.setTimeout(() => this.applyRing(), Math.max(0, next - now) + 1)
  }

  /** The one-step rotation's phase (rotation.ts): steady, announcing (sending the old key) or retiring. */
  keyPhase(): string {
    return this.rotation.phase(this.clock.now())
  }

  setCandidates(candidates: readonly Candidate[]): void {
    const m = new Map<string, string>()
    for (const c of candidates) {
      // Data from the API can be wrong: a candidate nobody can reach is no member.
      if (c.node && Buffer.byteLength(c.node) <= 253 && isIP(c.address)) m.set(c.node, c.address)
    }
    this.candidates = m
    this.wire?.setMembers(m)
    this.publish()
  }

  view(): LivenessView {
    const names = [...this.candidates.keys()]
    const self = this.o.node
    if (!this.started || this.stopped) return {alive: new Set(), source: 'api', reason: this.stopped ? 'membership stopped' : 'membership not started'}
    if (this.bindProblem) return {alive: new Set(names.filter((n) => n !== self)), source: 'api', reason: this.bindProblem}
    if (!this.keys.ring || !this.wire) {
      const reason = this.keys.problem ?? 'no memberlist key'
      if (this.wire?.sawForeignGossip) {
        return {alive: new Set(names.filter((n) => n !== self)), source: 'api',
          reason: `${reason}; other speakers gossip with a key this one lacks, so it leaves itself out`}
      }
      return {alive: new Set(names), source: 'api', reason}
    }
    const alive = new Set<string>()
    const gossip = this.wire.swim.aliveMembers()
    for (const n of names) if (gossip.has(n)) alive.add(n)
    if (!this.candidates.has(self)) return {alive, source: 'gossip', reason: 'this speaker is not among the candidates the API lists (its Pod is not Ready)'}
    if (this.wire.swim.isHealthy()) {
      alive.add(self)
      return {alive, source: 'gossip'}
    }
    // Two speakers: a partition between them cannot be told from the other's death, and leaving itself out would leave
    // nobody announcing. So each counts itself in (both announce during a split, as MetalLB's speakers do; one view,
    // one owner per address again as soon as they hear each other) — unless it is still joining, or datagrams from
    // someone were refused for their key lately (then its own gossip is what is broken, and it stays out).
    if (this.candidates.size === 2 && this.o.twoSpeakerRule !== false && !this.wire.swim.isJoining() &&
      this.clock.now() - this.wire.lastAuthDropAt > suspicionTimeoutMs(this.timers, 2)) {
      alive.add(self)
      return {alive, source: 'gossip', reason: 'two speakers and no round trip with the other: a partition cannot be told from its death, so this one announces (both may, until they hear each other again)'}
    }
    // Kinds only, no counts: the reason must stay the same while the situation does (each change is an event).
    const drops = Object.entries(this.wire.stats().dropped).filter(([, v]) => v > 0).map(([k]) => k)
    return {alive, source: 'gossip', reason: 'no round trip with another speaker lately, so this one leaves itself out until it has one' +
      (drops.length ? ` (received datagrams dropped as: ${drops.join(', ')})` : '')}
  }

  private publish(): void {
    const v = this.view()
    const key = (x: LivenessView): string => `${x.source}|${x.reason ?? ''}|${[...x.alive].sort().join(',')}`
    if (this.last && key(this.last) === key(v)) return
    this.last = v
    this.emit('change', v)
  }

  async leave(): Promise<void> {
    if (this.keys.ring && !this.stopped) this.wire?.swim.leave()
    await this.stop()
  }

  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.retry !== undefined) this.clock.clearTimeout(this.retry)
    if (this.rotationTimer !== undefined) this.clock.clearTimeout(this.rotationTimer)
    this.keyFiles?.stop()
    this.wire?.swim.stop()
    await this.transport?.close()
    this.publish()
  }

  stats(): MembershipStats {
    const w = this.wire?.stats()
    const members = {alive: 0, suspect: 0, dead: 0, left: 0, unknown: 0}
    for (const m of this.wire?.swim.memberList() ?? []) members[m.state]++
    const c = this.wire?.swim.counters
    return {
      source: this.view().source,
      healthy: this.view().alive.has(this.o.node),
      sent: w?.sent ?? 0, received: w?.received ?? 0, previousKey: w?.previousKey ?? 0, sendErrors: w?.sendErrors ?? 0,
      dropped: {...(w?.dropped ?? {})},
      members,
      probes: c?.probes ?? 0, indirectProbes: c?.indirectProbes ?? 0, lateTimers: c?.lateTimers ?? 0, suspected: c?.suspected ?? 0,
      declaredDead: c?.declaredDead ?? 0, refuted: c?.refuted ?? 0,
    }
  }

  /** Gossip's verdict about one member (tests, diagnostics). */
  memberState(node: string): {state: string; incarnation: number} | undefined {
    return this.wire?.swim.member(node)
  }

  get incarnation(): number | undefined {
    return this.wire?.swim.incarnation
  }
}
