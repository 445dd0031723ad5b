// The speaker's loop (ARCHITECTURE.md rule 4, STYLE.md §14): every pass builds SpeakerState from the informers and
// the membership view, elects layer-2 owners, hands the state to the BGP speaker, then lets status catch up. The wire
// never waits for the API server: with it away, caches and the last decision stay, gossip still drives failover.
import type {Logger} from 'pino'
import {Kinds, Labels} from '../lib/api/constants.js'
import type {KubeObject} from '../lib/api/types.js'
import {EventRecorder} from '../lib/kube/events.js'
import type {KubeApi} from '../lib/kube/rest.js'
import type {BgpLike} from './bgp-contract.js'
import {parseMemberSelector, speakerCandidates} from './candidates.js'
import {electL2, type L2Election} from './l2/election.js'
import type {L2Manager} from './l2/manager.js'
import type {Candidate, LivenessView, Membership} from './membership/types.js'
import type {SpeakerMetrics} from './metrics.js'
import type {ConfigProblem, SpeakerState} from './state.js'
import {cleaner, desiredBgpStatuses, desiredL2Statuses, desiredPeerSessions, PEER_SESSION_LABELS} from './status/desired.js'
import {StatusSync} from './status/sync.js'
import {World} from './world.js'

export interface SpeakerOptions {
  kube: KubeApi
  node: string
  namespace: string
  lbClass?: string
  memberSelector: string
  membership: Membership
  l2: L2Manager
  bgp?: BgpLike
  log: Logger
  metrics: SpeakerMetrics
  /** Status check and Secret re-read this often even when nothing changed, and a full re-decision every
   * FULL_PASS_EVERY of them (default 30 s: a full pass every 5 minutes). */
  resyncMs?: number
}

/** Problems with L2Advertisements the speaker can see on its own (the BGP speaker reports its own). */
export function l2Problems(state: SpeakerState): ConfigProblem[] {
  const pools = new Set(state.pools.map((p) => p.metadata.name))
  const out: ConfigProblem[] = []
  for (const ad of state.l2Advertisements) {
    for (const p of ad.spec?.ipAddressPools ?? []) {
      if (!pools.has(p)) out.push({code: 'POOL_NOT_FOUND', object: `L2Advertisement/${ad.metadata.name}`, message: `IPAddressPool ${p} does not exist`})
    }
  }
  return out
}

/** A full decision pass every this many resyncs. */
const FULL_PASS_EVERY = 10

/** Kinds the speaker writes: a change to them re-checks status, it does not re-decide. */
const STATUS_PLURALS: ReadonlySet<string> = new Set([Kinds.ServiceL2Status.plural, Kinds.ServiceBGPStatus.plural, Kinds.BGPPeerSession.plural])

export class Speaker {
  readonly world: World
  readonly status: StatusSync
  readonly events: EventRecorder
  private election: L2Election = {assignments: new Map(), notAnnounced: []}
  private problems: ConfigProblem[] = []
  private candidates = ''
  private scheduled = false
  private resync?: NodeJS.Timeout
  private stopped = false
  private started = false
  /** What this node announced in the last pass: `ns/name` → addresses (for nodeAssigned events). */
  private announcedL2 = new Map<string, Set<string>>()
  private announcedBgp = new Map<string, string>()
  private notAnnouncedSeen = new Map<string, string>()
  private readonly selector

  constructor(private readonly o: SpeakerOptions) {
    const sel = parseMemberSelector(o.memberSelector)
    if (sel instanceof Error) throw sel
    this.selector = sel
    this.world = new World({
      kube: o.kube, namespace: o.namespace, lbClass: o.lbClass, memberSelector: o.memberSelector,
      onChange: (what) => {
        if (what === 'bgppeers') void this.world.refreshSecrets()
        if (!STATUS_PLURALS.has(what)) this.schedule()
        else this.status.kick()
      },
      onError: (resource, err, phase) => {
        o.metrics.informerErrors.inc({resource, phase})
        o.log.warn({resource, phase, err: (err as Error)?.message}, 'list/watch failed; keeping the last view and recovering')
      },
    })
    this.events = new EventRecorder(o.kube, {component: 'lbctl-speaker', instance: o.node, onError: () => undefined})
    this.status = new StatusSync({
      kube: o.kube, namespace: o.namespace, node: o.node, log: o.log,
      live: () => this.view().alive,
      problems: () => this.currentProblems(),
      onWrite: (kind, result) => o.metrics.statusWrites.inc({kind, result}),
      kinds: [
        {ref: Kinds.ServiceL2Status, nodeLabel: Labels.node, desired: () => desiredL2Statuses(o.node, o.l2.ownedAddresses()), existing: () => [...this.world.l2Statuses.cache.values()]},
        {ref: Kinds.ServiceBGPStatus, nodeLabel: Labels.node, desired: () => desiredBgpStatuses(o.node, o.bgp?.announcedServices() ?? new Map()), existing: () => [...this.world.bgpStatuses.cache.values()]},
        {ref: Kinds.BGPPeerSession, nodeLabel: PEER_SESSION_LABELS.node, desired: () => desiredPeerSessions(o.node, o.bgp?.sessions() ?? []), existing: () => [...this.world.peerSessions.cache.values()]},
      ],
    })
    o.metrics.sources.bgp = () => o.bgp?.peerMetrics?.() ?? []
    o.metrics.sources.gossip = () => o.membership.stats?.()
    o.membership.on('change', (v) => {
      o.log.info({alive: [...v.alive].sort(), source: v.source, reason: v.reason}, 'membership changed')
      // Failover runs on this: decide now, not after a debounce.
      this.pass()
    })
  }

  /** Start informers and membership; the first decision is made once every informer has listed. */
  async start(): Promise<void> {
    this.world.start()
    await this.world.waitSynced()
    await this.world.refreshSecrets()
    if (this.stopped) return
    this.updateCandidates()
    await this.o.membership.start()
    this.started = true
    this.o.metrics.configLoaded.set(1)
    this.pass()
    let resyncs = 0
    this.resync = setInterval(() => {
      void this.world.refreshSecrets()
      // Every input reaches pass() through an event; the periodic full pass is a safety net. With thousands of
      // services it is an idle speaker's biggest single cost, so it runs every FULL_PASS_EVERY resyncs, and status is
      // checked against the informers every time.
      if (++resyncs % FULL_PASS_EVERY === 0) this.pass()
      else this.status.kick()
    }, this.o.resyncMs ?? 30_000)
    this.resync.unref?.()
  }

  get ready(): boolean {
    return this.started && !this.stopped
  }

  view(): LivenessView {
    return this.o.membership.view()
  }

  bgpSessions(): unknown[] {
    return this.o.bgp?.sessions() ?? []
  }

  bgpRoutes(): unknown[] {
    return this.o.bgp?.routes() ?? []
  }

  lastElection(): L2Election {
    return this.election
  }

  /** The BGP speaker's sessions or routes changed: status and metrics follow (no new decision is needed). */
  bgpChanged(): void {
    if (!this.started || this.stopped) return
    this.o.metrics.configStale.set(this.currentProblems().length > 0 ? 1 : 0)
    this.status.kick()
  }

  /** The last pass's configuration problems and those the running BGP sessions reveal now. */
  private currentProblems(): ConfigProblem[] {
    return [...this.problems, ...(this.o.bgp?.runtimeProblems?.() ?? [])]
  }

  /** Coalesce bursts of informer events into one pass. */
  schedule(): void {
    if (this.scheduled || this.stopped) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.pass()
    })
  }

  private updateCandidates(): void {
    const c: Candidate[] = speakerCandidates([...this.world.pods.cache.values()], this.selector)
    const text = JSON.stringify(c)
    if (text === this.candidates) return
    this.candidates = text
    this.o.membership.setCandidates(c)
  }

  /** One decision pass: synchronous from state to the engines. */
  pass(): void {
    if (!this.started || this.stopped) return
    this.updateCandidates()
    const v = this.view()
    const state = this.world.state(this.o.node, v.alive)
    this.election = electL2(state)
    this.o.l2.apply(this.election)
    const problems = l2Problems(state)
    if (this.o.bgp) {
      try {
        problems.push(...this.o.bgp.apply(state))
      } catch (e) {
        this.o.log.error({err: (e as Error).stack}, 'BGP apply failed')
      }
    }
    this.problems = problems
    this.o.metrics.passes.inc()
    this.o.metrics.configStale.set(this.currentProblems().length > 0 ? 1 : 0)
    this.o.metrics.membersAlive.set(v.alive.size)
    for (const s of ['gossip', 'api'] as const) this.o.metrics.membershipSource.set({source: s}, v.source === s ? 1 : 0)
    this.recordL2(state)
    this.recordBgp(state)
    this.status.kick()
  }

  private svcObject(state: SpeakerState, key: string): KubeObject | undefined {
    const [ns, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)]
    return state.services.find((s) => s.metadata.name === name && (s.metadata.namespace ?? 'default') === ns)
  }

  /** nodeAssigned when this node starts announcing; NotAnnounced from the cleaner only, so one speaker says it. */
  private recordL2(state: SpeakerState): void {
    const now = new Map<string, Set<string>>()
    const m = this.o.metrics
    m.announced.reset()
    for (const a of this.o.l2.ownedAddresses()) {
      for (const s of a.services) {
        const set = now.get(s) ?? new Set()
        set.add(a.address)
        now.set(s, set)
        m.announced.set({service: s, protocol: 'layer2', node: this.o.node, ip: a.address}, 1)
      }
    }
    for (const [s, ips] of now) {
      const before = this.announcedL2.get(s)
      if (before && [...ips].every((i) => before.has(i))) continue
      const svc = this.svcObject(state, s)
      if (svc) this.events.record({...svc, apiVersion: 'v1', kind: 'Service'}, 'Normal', 'nodeAssigned', `announcing from node "${this.o.node}" with protocol "layer2"`)
    }
    this.announcedL2 = now
    const counts = new Map<string, number>()
    const seen = new Map<string, string>()
    const speak = cleaner(state.live) === this.o.node
    for (const n of this.election.notAnnounced) {
      counts.set(n.reason, (counts.get(n.reason) ?? 0) + 1)
      if (n.reason === 'noAdvertisement') continue
      const k = `${n.service} ${n.address}`
      seen.set(k, n.reason)
      if (!speak || this.notAnnouncedSeen.get(k) === n.reason) continue
      const svc = this.svcObject(state, n.service)
      if (svc) this.events.record({...svc, apiVersion: 'v1', kind: 'Service'}, 'Warning', 'NotAnnounced', `${n.address} is not announced in layer 2: ${n.message}`)
    }
    this.notAnnouncedSeen = seen
    for (const r of ['noPool', 'noAdvertisement', 'noEndpoints', 'noCandidates', 'sharedNoCommonNode']) m.notAnnounced.set({reason: r}, counts.get(r) ?? 0)
  }

  private recordBgp(state: SpeakerState): void {
    if (!this.o.bgp) return
    const now = new Map<string, string>()
    for (const [s, peers] of this.o.bgp.announcedServices()) {
      const text = [...peers].sort().join(',')
      now.set(s, text)
      const svc = this.svcObject(state, s)
      if (svc && !this.announcedBgp.has(s)) this.events.record({...svc, apiVersion: 'v1', kind: 'Service'}, 'Normal', 'nodeAssigned', `announcing from node "${this.o.node}" with protocol "bgp"`)
      for (const ip of (svc as {status?: {loadBalancer?: {ingress?: Array<{ip?: string}>}}} | undefined)?.status?.loadBalancer?.ingress ?? []) {
        if (ip.ip) this.o.metrics.announced.set({service: s, protocol: 'bgp', node: this.o.node, ip: ip.ip}, 1)
      }
    }
    this.announcedBgp = now
  }

  /**
   * Stop. Graceful (SIGTERM): tell the other speakers this node leaves, so the next owner takes over at once, then
   * release every address and stop BGP.
   */
  async stop(graceful: boolean): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    clearInterval(this.resync)
    if (graceful && this.started) {
      try {
        await this.o.membership.leave()
      } catch (e) {
        this.o.log.warn({err: (e as Error).message}, 'membership leave failed')
      }
    }
    const released = this.o.l2.releaseAll()
    if (released.length > 0) this.o.log.info({addresses: released}, 'released layer-2 addresses')
    await this.o.bgp?.stop()
    this.status.stop()
    this.world.stop()
    await this.o.membership.stop()
  }
}
