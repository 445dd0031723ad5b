// The speaker's Prometheus metrics: MetalLB's names (API-COMPAT.md) where MetalLB has the metric, lbctl_speaker_* for
// membership and the rest. Every not-announced reason is a label value from the start.
import {Counter, Gauge, Registry} from 'prom-client'
import {collectProcessMetrics} from '../lib/daemon/metrics.js'
import type {BgpPeerMetrics} from './bgp-contract.js'
import {L2_NOT_ANNOUNCED} from './l2/election.js'
import type {MembershipStats} from './membership/types.js'

export class SpeakerMetrics {
  readonly registry = new Registry()
  readonly announced: Gauge<'service' | 'protocol' | 'node' | 'ip'>
  readonly l2Requests: Counter<'ip'>
  readonly l2Responses: Counter<'ip'>
  readonly l2Gratuitous: Gauge
  readonly configLoaded: Gauge
  readonly configStale: Gauge
  readonly bgpSessionUp: Gauge<'peer'>
  readonly bgpAnnouncedPrefixes: Gauge<'peer'>
  readonly membersAlive: Gauge
  readonly membershipSource: Gauge<'source'>
  readonly notAnnounced: Gauge<'reason'>
  readonly passes: Counter
  readonly statusWrites: Counter<'kind' | 'result'>
  readonly informerErrors: Counter<'resource' | 'phase'>

  /** Read at scrape time (prom-client collect): no timer keeps them fresh, and an idle speaker does no work for them. */
  readonly sources: {
    bgp: () => BgpPeerMetrics[]
    gratuitous: () => number
    gossip: () => MembershipStats | undefined
  } = {bgp: () => [], gratuitous: () => 0, gossip: () => undefined}
  readonly bgpUpdates: Counter<'peer'>
  readonly bgpPendingPrefixes: Gauge<'peer'>
  readonly gossipDatagrams: Counter<'direction'>
  readonly gossipDropped: Counter<'reason'>
  readonly gossipPreviousKey: Counter
  readonly membershipEvents: Counter<'event'>

  constructor() {
    const r = [this.registry]
    const g = <L extends string>(name: string, help: string, labelNames: L[] = [], collect?: (m: Gauge<L>) => void): Gauge<L> =>
      new Gauge<L>({name, help, labelNames, registers: r, ...(collect ? {collect(this: Gauge<L>) { collect(this) }} : {})})
    const c = <L extends string>(name: string, help: string, labelNames: L[] = [], collect?: (m: Counter<L>) => void): Counter<L> =>
      new Counter<L>({name, help, labelNames, registers: r, ...(collect ? {collect(this: Counter<L>) { collect(this) }} : {})})
    const bgp = (): BgpPeerMetrics[] => this.sources.bgp()
    // A counter read from a running total: reset, then the total (prom-client has no set() on counters).
    const total = <L extends string>(m: Counter<L>, values: Array<[Partial<Record<L, string>>, number]>): void => {
      m.reset()
      for (const [labels, v] of values) m.inc(labels, v)
    }
    const gauge = <L extends string>(m: Gauge<L>, values: Array<[Partial<Record<L, string>>, number]>): void => {
      m.reset()
      for (const [labels, v] of values) m.set(labels, v)
    }
    this.announced = g('metallb_speaker_announced', 'Services being announced from this node (1 per service, protocol and IP)', ['service', 'protocol', 'node', 'ip'])
    this.l2Requests = c('metallb_layer2_requests_received', 'ARP requests and neighbor solicitations received for owned addresses', ['ip'])
    this.l2Responses = c('metallb_layer2_responses_sent', 'ARP replies and neighbor advertisements sent for owned addresses', ['ip'])
    this.l2Gratuitous = g('metallb_layer2_gratuitous_sent', 'Gratuitous ARP / unsolicited NA rounds sent (all addresses)', [], (m) => m.set(this.sources.gratuitous()))
    this.configLoaded = g('metallb_k8s_client_config_loaded_bool', '1 once the configuration was read from the API server')
    this.configStale = g('metallb_k8s_client_config_stale_bool', '1 while the last configuration has problems (see ConfigurationState)')
    // MetalLB's BGP metrics, names, help and the `peer` label (address:port) as its native BGP speaker has them.
    this.bgpSessionUp = g('metallb_bgp_session_up', 'BGP session state (1 is up, 0 is down)', ['peer'], (m) => gauge(m, bgp().map((p) => [{peer: p.peer}, p.up ? 1 : 0])))
    this.bgpUpdates = c('metallb_bgp_updates_total', 'Number of BGP UPDATE messages sent', ['peer'], (m) => total(m, bgp().map((p) => [{peer: p.peer}, p.updates])))
    this.bgpAnnouncedPrefixes = g('metallb_bgp_announced_prefixes_total', 'Number of prefixes currently being advertised on the BGP session', ['peer'],
      (m) => gauge(m, bgp().map((p) => [{peer: p.peer}, p.announced])))
    this.bgpPendingPrefixes = g('metallb_bgp_pending_prefixes_total', 'Number of prefixes that should be advertised on the BGP session', ['peer'],
      (m) => gauge(m, bgp().map((p) => [{peer: p.peer}, p.pending])))
    const gossip = (): MembershipStats | undefined => this.sources.gossip()
    this.gossipDatagrams = c('lbctl_speaker_gossip_datagrams_total', 'Gossip datagrams sent, and received and accepted (authenticated, fresh)', ['direction'], (m) => {
      const s = gossip()
      total(m, s ? [[{direction: 'sent'}, s.sent], [{direction: 'received'}, s.received]] : [])
    })
    this.gossipDropped = c('lbctl_speaker_gossip_dropped_total', 'Gossip datagrams dropped, by reason (auth: no key matched; replay; stale; …)', ['reason'],
      (m) => total(m, Object.entries(gossip()?.dropped ?? {}).map(([reason, v]) => [{reason}, v])))
    this.gossipPreviousKey = c('lbctl_speaker_gossip_previous_key_total', 'Accepted gossip datagrams authenticated by a previous key (a rotation in progress)', [],
      (m) => total(m, [[{}, gossip()?.previousKey ?? 0]]))
    this.membershipEvents = c('lbctl_speaker_membership_events_total', 'Membership protocol events: probes, indirect probes, suspicions, members declared dead, suspicions of this speaker refuted, timers that fired late because the event loop stalled', ['event'],
      (m) => {
        const s = gossip()
        total(m, s ? [[{event: 'probe'}, s.probes], [{event: 'indirect_probe'}, s.indirectProbes], [{event: 'suspected'}, s.suspected],
          [{event: 'declared_dead'}, s.declaredDead], [{event: 'refuted'}, s.refuted], [{event: 'late_timer'}, s.lateTimers]] : [])
      })
    this.membersAlive = g('lbctl_speaker_members_alive', 'Speakers counted alive for elections')
    this.membershipSource = g('lbctl_speaker_membership_source', '1 for the source of the liveness view in use (gossip or api)', ['source'])
    this.notAnnounced = g('lbctl_speaker_l2_not_announced', 'Service addresses not announced in layer 2, by reason', ['reason'])
    this.passes = c('lbctl_speaker_passes_total', 'Decision passes run')
    this.statusWrites = c('lbctl_speaker_status_writes_total', 'Status object writes', ['kind', 'result'])
    this.informerErrors = c('lbctl_speaker_informer_errors_total', 'List/watch failures recovered from', ['resource', 'phase'])
    for (const reason of L2_NOT_ANNOUNCED) this.notAnnounced.set({reason}, 0)
    for (const source of ['gossip', 'api']) this.membershipSource.set({source}, 0)
    collectProcessMetrics(this.registry)
  }
}
