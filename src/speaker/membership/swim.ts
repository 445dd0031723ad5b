// The SWIM failure detector and dissemination (Das, Gupta, Motivala 2002, with memberlist's refinements), as a pure
// state machine over node names: an injected clock drives it, `send` hands messages to the wire layer (wire.ts), and
// `receive` takes messages that were already authenticated and checked for replay.
//
// Beyond the paper: members the API lists but nobody has heard from yet are 'unknown' (not alive) until a message
// proves them; dead and unknown members keep getting one reconnect ping per interval that carries our verdict about
// them, so a member that was cut off refutes it as soon as the link heals and a partition ends with one view; and a
// node that has had no ack for the isolation timeout reports itself unhealthy (wire.ts then leaves itself out of the
// view), so a speaker that hears nobody never announces from a private view of the world.
import {type Clock, Timer} from '../../lib/clock.js'
import {type Body, type MemberState, MAX_DATAGRAM, type Update, updateSize} from './codec.js'
import {Dissemination} from './dissemination.js'
import {Relays} from './relay.js'
import {ProbeOrder, shuffle} from './probe-order.js'
import {supersedes} from './precedence.js'
import {type MembershipTimers, suspicionTimeoutMs} from './options.js'

export type LocalState = MemberState | 'unknown'

export interface MemberInfo {
  node: string
  state: LocalState
  incarnation: number
}

interface Member extends MemberInfo {
  suspicion?: Timer
}

export interface SwimDeps {
  clock: Clock
  /** Uniform in [0, 1): shuffles and the choice of indirect probers. */
  random: () => number
  /** Hand a message to the wire (which adds the envelope, our incarnation, the MAC). */
  send: (to: string, body: Body, updates: Update[]) => void
  /** Something that can change the view changed (a member's state, our health). */
  onChange: () => void
}

export interface SwimCounters {
  probes: number
  indirectProbes: number
  /** Timers that fired late (a stalled event loop) and were deferred so pending datagrams are read first. */
  lateTimers: number
  suspected: number
  declaredDead: number
  refuted: number
}

/** Bytes of a message that are not updates, at most (header, two names, body, MAC): the rest is piggyback budget. */
const OVERHEAD = 32 + 2 * 254 + 4 + 1 + 32

export class Swim {
  incarnation: number
  readonly counters: SwimCounters = {probes: 0, indirectProbes: 0, lateTimers: 0, suspected: 0, declaredDead: 0, refuted: 0}
  private readonly members = new Map<string, Member>()
  private readonly queue: Dissemination
  private readonly tick: Timer
  private readonly probeTimer: Timer
  private readonly order: ProbeOrder
  private reconnectAt = 0
  private probe?: {target: string; id: number; acked: boolean}
  private probeSeq = 0
  private readonly relays: Relays
  private lastAckAt = -Infinity
  private tickDue = 0
  /** Until then (a probe timeout after start) we wait for the join pings' answers before counting ourselves in. */
  private joinUntil = 0
  private readonly joinTimer: Timer
  private healthy = false
  private running = false
  private leaving = false

  constructor(readonly self: string, private readonly timers: MembershipTimers, private readonly deps: SwimDeps, incarnation: number) {
    this.incarnation = incarnation
    this.queue = new Dissemination(timers)
    this.order = new ProbeOrder(deps.random)
    this.relays = new Relays(deps.clock, timers.probeIntervalMs)
    this.tick = new Timer(deps.clock, () => this.onTick())
    this.probeTimer = new Timer(deps.clock, () => this.onProbeTimeout())
    // The end of the join period can change the view (membership.ts's two-speaker rule) even when health does not.
    this.joinTimer = new Timer(deps.clock, () => this.evaluate(true))
  }

  /** The other members (the API's candidates without ourselves). New ones start 'unknown' and get a ping at once. */
  setMembers(nodes: Iterable<string>): void {
    const want = new Set(nodes)
    want.delete(this.self)
    for (const [node, m] of this.members) {
      if (!want.has(node)) {
        m.suspicion?.stop()
        this.members.delete(node)
        this.queue.drop(node)
      }
    }
    for (const node of want) {
      if (this.members.has(node)) continue
      this.members.set(node, {node, state: 'unknown', incarnation: -1})
      if (this.running) this.ping(node)
    }
    this.queue.size = this.members.size + 1
    this.evaluate(true)
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.leaving = false
    this.queue.push({node: this.self, state: 'alive', incarnation: this.incarnation})
    for (const node of this.members.keys()) this.ping(node)
    // Counting ourselves in at the first ack while other answers are in flight would elect, for a moment, from a view
    // that lacks members everyone else sees.
    this.joinUntil = this.deps.clock.now() + this.timers.probeTimeoutMs
    this.joinTimer.start(this.timers.probeTimeoutMs)
    this.evaluate(true)
    this.startTick(this.timers.probeIntervalMs)
  }

  private startTick(ms: number): void {
    this.tickDue = this.deps.clock.now() + ms
    this.tick.start(ms)
  }

  /**
   * A timer that fires much later than due means our event loop stalled (GC, a big list from the API): the answers
   * that arrived meanwhile sit unread in the socket, and an event loop runs expired timers before it reads sockets.
   * Judging now would suspect members (or ourselves) for our own stall, so the decision is deferred by one turn of the
   * loop. (Lifeguard's "local health awareness" in its simplest form.)
   */
  private late(due: number): boolean {
    if (this.deps.clock.now() - due <= this.timers.probeTimeoutMs) return false
    this.counters.lateTimers++
    return true
  }

  stop(): void {
    this.running = false
    this.tick.stop()
    this.probeTimer.stop()
    this.joinTimer.stop()
    for (const m of this.members.values()) m.suspicion?.stop()
    this.relays.clear()
    this.probe = undefined
  }

  /** Graceful leave: tell every member we left (with a higher incarnation, so it overrides anything), then stop. */
  leave(): void {
    if (!this.running) return
    this.leaving = true
    this.incarnation++
    const left: Update = {node: this.self, state: 'left', incarnation: this.incarnation}
    for (const node of this.members.keys()) {
      // Twice: a lost leave would cost a full detection time.
      this.deps.send(node, {type: 'gossip'}, [left])
      this.deps.send(node, {type: 'gossip'}, [left])
    }
    this.stop()
  }

  /** Members (not ourselves) that count as alive: alive or suspect, as SWIM has it. */
  aliveMembers(): Set<string> {
    const s = new Set<string>()
    for (const m of this.members.values()) if (m.state === 'alive' || m.state === 'suspect') s.add(m.node)
    return s
  }

  /** Whether we take part: no other member to hear from, or an ack (a round trip) within the isolation timeout. */
  isHealthy(): boolean {
    return this.healthy
  }

  /** Still waiting, right after start, for the first answers from members nobody has heard yet. */
  isJoining(): boolean {
    return this.deps.clock.now() < this.joinUntil && [...this.members.values()].some((m) => m.state === 'unknown')
  }

  member(node: string): MemberInfo | undefined {
    const m = this.members.get(node)
    return m && {node: m.node, state: m.state, incarnation: m.incarnation}
  }

  memberList(): MemberInfo[] {
    return [...this.members.values()].map((m) => ({node: m.node, state: m.state, incarnation: m.incarnation}))
  }

  /** An authenticated, fresh message from `from` (a member). */
  receive(from: string, incarnation: number, body: Body, updates: Update[]): void {
    if (!this.running || !this.members.has(from)) return
    // Every message says its sender is alive at its incarnation (which refutes suspicion only once it was bumped).
    this.apply({node: from, state: 'alive', incarnation})
    for (const u of updates) this.apply(u)
    switch (body.type) {
      case 'ping':
        if (body.target === this.self) this.reply(from, {type: 'ack', probe: body.probe})
        break
      case 'ack':
        this.onAck(body.probe)
        break
      case 'ping-req':
        this.forward(from, body.probe, body.target)
        break
      case 'gossip':
        break
    }
  }

  private onTick(): void {
    if (this.late(this.tickDue)) return this.startTick(0)
    this.finishProbe()
    this.evaluate(false)
    if (!this.running) return
    this.startProbe()
    this.reconnect()
    this.pingSuspects()
    this.startTick(this.timers.probeIntervalMs)
  }

  private finishProbe(): void {
    const p = this.probe
    this.probe = undefined
    this.probeTimer.stop()
    if (!p || p.acked) return
    const m = this.members.get(p.target)
    if (m?.state === 'alive') this.suspect(m, m.incarnation)
  }

  private startProbe(): void {
    const target = this.nextTarget()
    if (!target) return
    this.counters.probes++
    this.probe = {target, id: this.nextId(), acked: false}
    this.deps.send(target, {type: 'ping', probe: this.probe.id, target}, this.piggyback(target))
    this.probeTimer.start(this.timers.probeTimeoutMs)
  }

  /** Round-robin over a shuffled list of the members that count as alive; reshuffled after each pass. */
  private nextTarget(): string | undefined {
    return this.order.next(() => this.aliveMembers(), (node) => {
      const m = this.members.get(node)
      return !!m && (m.state === 'alive' || m.state === 'suspect')
    })
  }

  /** One ping per interval to a dead or unknown member, round-robin: it carries our verdict, so it can refute. */
  private reconnect(): void {
    const out = [...this.members.values()].filter((m) => m.state === 'dead' || m.state === 'unknown').map((m) => m.node).sort()
    if (out.length === 0) return
    this.ping(out[this.reconnectAt++ % out.length])
  }

  /**
   * Every member we suspect gets a ping each interval carrying the suspicion, so its refutation reaches us directly
   * instead of depending on dissemination reaching us in time (with n members, gossip alone misses one of them now
   * and then under loss). Suspicions are rare, so this costs little.
   */
  private pingSuspects(): void {
    for (const m of this.members.values()) if (m.state === 'suspect') this.ping(m.node)
  }

  private ping(node: string): void {
    this.deps.send(node, {type: 'ping', probe: this.nextId(), target: node}, this.piggyback(node))
  }

  private onProbeTimeout(): void {
    const p = this.probe
    if (!p || p.acked) return
    const candidates = [...this.members.values()].filter((m) => m.node !== p.target && m.state === 'alive').map((m) => m.node)
    // A second direct ping (memberlist falls back to TCP here): on a lossy link it saves more probes than anything.
    this.deps.send(p.target, {type: 'ping', probe: p.id, target: p.target}, this.piggyback(p.target))
    for (const via of shuffle(candidates, this.deps.random).slice(0, this.timers.indirectChecks)) {
      this.counters.indirectProbes++
      this.deps.send(via, {type: 'ping-req', probe: p.id, target: p.target}, this.piggyback(via))
    }
  }

  private onAck(id: number): void {
    const f = this.relays.take(id)
    if (f) return this.reply(f.requester, {type: 'ack', probe: f.probe})
    // Any ack to a ping we sent (direct, reconnect, or relayed by an indirect prober) is a round trip.
    if (id <= this.probeSeq && id > this.probeSeq - 100_000) {
      this.lastAckAt = this.deps.clock.now()
      if (!this.healthy) this.evaluate(false)
    }
    if (this.probe && this.probe.id === id) {
      this.probe.acked = true
      // Answered: the timeout has nothing left to do, and an idle timer firing ten times a second is CPU for nothing.
      this.probeTimer.stop()
    }
  }

  private forward(requester: string, probe: number, target: string): void {
    if (!this.members.has(target) || target === requester) return
    const id = this.nextId()
    this.relays.add(id, requester, probe)
    this.deps.send(target, {type: 'ping', probe: id, target}, this.piggyback(target))
  }

  private reply(to: string, body: Body): void {
    this.deps.send(to, body, this.piggyback(to))
  }

  private nextId(): number {
    this.probeSeq = (this.probeSeq + 1) % 2 ** 32
    return this.probeSeq
  }

  /** Updates for a message to `to`: our verdict about `to` when it is not alive (so it can refute), then the queue. */
  private piggyback(to: string): Update[] {
    const out: Update[] = []
    let budget = MAX_DATAGRAM - OVERHEAD
    const m = this.members.get(to)
    if (m && (m.state === 'suspect' || m.state === 'dead')) {
      const u: Update = {node: m.node, state: m.state, incarnation: m.incarnation}
      out.push(u)
      budget -= updateSize(u)
    }
    for (const u of this.queue.take(this.timers.maxPiggyback - out.length, budget)) {
      if (u.node === to && out.length && out[0].node === to) continue
      out.push(u)
    }
    return out
  }

  private apply(u: Update): void {
    if (u.node === this.self) return this.applySelf(u)
    const m = this.members.get(u.node)
    if (!m) return
    if (!supersedes(m, u)) return
    if (u.state === 'suspect') return this.suspect(m, u.incarnation)
    const was = m.state
    m.suspicion?.stop()
    m.suspicion = undefined
    m.state = u.state
    m.incarnation = u.incarnation
    if (u.state === 'dead' && was !== 'dead') this.counters.declaredDead++
    this.queue.push(u)
    this.evaluate(true)
  }

  /** Someone says something about us: anything but "alive at an incarnation we have passed" is refuted. */
  private applySelf(u: Update): void {
    if (this.leaving) return
    if (u.state === 'alive' ? u.incarnation <= this.incarnation : u.incarnation < this.incarnation) return
    this.incarnation = u.incarnation + 1
    this.counters.refuted++
    this.queue.push({node: this.self, state: 'alive', incarnation: this.incarnation})
  }

  private suspect(m: Member, incarnation: number): void {
    m.suspicion?.stop()
    const was = m.state
    m.state = 'suspect'
    m.incarnation = incarnation
    this.counters.suspected++
    this.queue.push({node: m.node, state: 'suspect', incarnation})
    let due = 0
    const timer = new Timer(this.deps.clock, () => {
      if (m.suspicion !== timer || m.state !== 'suspect' || m.incarnation !== incarnation) return
      if (this.late(due)) {
        due = this.deps.clock.now()
        return timer.start(0)
      }
      m.suspicion = undefined
      m.state = 'dead'
      this.counters.declaredDead++
      this.queue.push({node: m.node, state: 'dead', incarnation})
      this.evaluate(true)
    })
    m.suspicion = timer
    const timeout = suspicionTimeoutMs(this.timers, this.members.size + 1)
    due = this.deps.clock.now() + timeout
    timer.start(timeout)
    if (this.running) this.ping(m.node)
    // unknown → suspect makes it count as alive (someone heard it at that incarnation).
    if (was === 'unknown') this.evaluate(true)
  }

  /** Recompute our health; tell the owner when it or (with `changed`) a member's state changed. */
  private evaluate(changed: boolean): void {
    const isolation = suspicionTimeoutMs(this.timers, this.members.size + 1)
    const now = this.deps.clock.now()
    const joining = this.isJoining()
    const healthy = this.running && (this.members.size === 0 || (now - this.lastAckAt <= isolation && !joining))
    if (healthy !== this.healthy) {
      this.healthy = healthy
      changed = true
    }
    if (changed) this.deps.onChange()
  }
}
