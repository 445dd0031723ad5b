// The BGP side of the speaker: reconciles the sessions and routes of this node to the SpeakerState it is given.
// A change touches only what it changes: a peer whose session settings differ is restarted (after its old session
// has sent Cease), a peer whose routes differ gets the UPDATEs for the difference, the others are left alone.
import type {Logger} from 'pino'
import type {BGPSessionStateStatus} from '../../lib/api/types.js'
import type {Clock} from '../../lib/clock.js'
import type {Route} from '../../lib/bgp/session.js'
import {familyName} from '../../lib/bgp/prefixes.js'
import type {BgpPeerMetrics} from '../bgp-contract.js'
import type {ConfigProblem, SpeakerState} from '../state.js'
import {PeerRunner, type RunnerDeps} from './peer-runner.js'
import {peerKey, type PeerPlan} from './peers.js'
import {planBgp} from './plan.js'
import {BgpProblem, problem} from './problems.js'
import type {RouteStatus} from './routes.js'

export interface BgpSpeakerOptions {
  node: string
  /** This host's addresses (router ID candidates); service addresses are filtered out by the planner. */
  nodeAddresses: () => string[]
  clock?: Clock
  log?: Logger
  /** Session state or routes changed: the daemon rewrites status. */
  onChange?: () => void
  /** For tests: how BFD is opened (default the engine's UDP transport). */
  openBfd?: RunnerDeps['openBfd']
}

/** MetalLB's `peer` label: the peer's address and port (`[v6]:port` for IPv6). */
export function metricPeer(p: Pick<PeerPlan, 'address' | 'port'>): string {
  return `${p.address.includes(':') ? `[${p.address}]` : p.address}:${p.port}`
}

export class BgpSpeaker {
  private readonly runners = new Map<string, {key: string; runner: PeerRunner}>()
  private readonly closing = new Set<Promise<void>>()
  private table: RouteStatus[] = []
  private announced = new Map<string, string[]>()
  private warned = new Set<string>()
  private readonly retiredUpdates = new Map<string, number>()
  private stopped = false
  private readonly deps: RunnerDeps

  constructor(private readonly opts: BgpSpeakerOptions) {
    this.deps = {node: opts.node, clock: opts.clock, log: opts.log, openBfd: opts.openBfd, onChange: () => opts.onChange?.()}
  }

  /**
   * Reconcile sessions and routes to `state`; idempotent. Returns the problems of the configuration itself (the rest
   * runs); those only the running sessions reveal change without a new state and come from runtimeProblems().
   */
  apply(state: SpeakerState): ConfigProblem[] {
    if (this.stopped) return []
    const plan = planBgp(state, this.opts.nodeAddresses())
    let changed = false
    const wanted = new Map(plan.peers.map((p) => [p.name, p]))
    for (const [name, {key, runner}] of [...this.runners]) {
      const p = wanted.get(name)
      if (p && peerKey(p) === key) continue
      this.runners.delete(name)
      this.retire(runner)
      changed = true
      const done = runner.stop(p ? 'lbctl speaker: session settings changed' : undefined)
      this.closing.add(done)
      void done.finally(() => this.closing.delete(done))
      if (p) this.add(p, plan.byPeer.get(name) ?? [], done)
    }
    for (const p of plan.peers) {
      if (this.runners.has(p.name)) this.runners.get(p.name)!.runner.setRoutes(plan.byPeer.get(p.name) ?? [])
      else {
        this.add(p, plan.byPeer.get(p.name) ?? [])
        changed = true
      }
    }
    for (const w of plan.warnings) if (!this.warned.has(w)) this.opts.log?.warn(w)
    this.warned = new Set(plan.warnings)
    const same = JSON.stringify([this.table, [...this.announced]]) === JSON.stringify([plan.table, [...plan.announced]])
    this.table = plan.table
    this.announced = plan.announced
    if (changed || !same) this.opts.onChange?.()
    return plan.problems
  }

  /** Keep a replaced session's UPDATE count, so the counter for that peer never goes down. */
  private retire(runner: PeerRunner): void {
    const peer = metricPeer(runner.plan)
    this.retiredUpdates.set(peer, (this.retiredUpdates.get(peer) ?? 0) + runner.updatesSent)
  }

  private add(p: PeerPlan, routes: Route[], after?: Promise<void>): void {
    const runner = new PeerRunner(p, this.deps)
    runner.setRoutes(routes)
    runner.start(after)
    this.runners.set(p.name, {key: peerKey(p), runner})
  }

  /** Problems only the running sessions reveal: a family the peer did not accept (its routes are not sent), BFD that could not start. */
  runtimeProblems(): ConfigProblem[] {
    const out: ConfigProblem[] = []
    for (const [name, {runner}] of this.runners) {
      if (runner.bfdProblem) {
        out.push(problem(BgpProblem.BFD_UNAVAILABLE, `BGPPeer/${name}`, `BFD (profile ${runner.plan.bfd?.profile}) could not start: ${runner.bfdProblem}; the session runs without it`))
      }
      for (const m of runner.missingFamilies()) {
        out.push(problem(BgpProblem.FAMILY_NOT_NEGOTIATED, `BGPPeer/${name}`,
          `the peer did not accept ${familyName(m.family)} unicast: ${m.routes} route(s) not sent; enable the family on the router (e.g. FRR "address-family ${familyName(m.family)} unicast / neighbor … activate")`))
      }
    }
    return out
  }

  sessions(): BGPSessionStateStatus[] {
    return [...this.runners.values()].map(({runner}) => runner.status())
  }

  /** MetalLB's per-session metric figures; the label is the peer's `address:port` as MetalLB writes it. Counts of a
   * peer whose session was replaced (settings changed) carry over, as MetalLB's counters do per peer address. */
  peerMetrics(): BgpPeerMetrics[] {
    const out = new Map<string, BgpPeerMetrics>()
    for (const {runner} of this.runners.values()) {
      const peer = metricPeer(runner.plan)
      const m = out.get(peer) ?? {peer, up: false, updates: this.retiredUpdates.get(peer) ?? 0, announced: 0, pending: 0}
      m.up ||= runner.session.state === 'Established'
      m.updates += runner.updatesSent
      m.announced += runner.session.routesAdvertised
      m.pending += runner.wantedPrefixes
      out.set(peer, m)
    }
    return [...out.values()]
  }

  routes(): RouteStatus[] {
    return this.table.map((r) => ({...r, peers: [...r.peers], communities: [...r.communities]}))
  }

  announcedServices(): Map<string, string[]> {
    return new Map([...this.announced].map(([k, v]) => [k, [...v]]))
  }

  /** Cease to every peer; resolves once every connection is closed. */
  async stop(): Promise<void> {
    this.stopped = true
    const all = [...this.runners.values()].map(({runner}) => runner.stop('lbctl speaker stopping'))
    this.runners.clear()
    await Promise.all([...all, ...this.closing])
  }
}
