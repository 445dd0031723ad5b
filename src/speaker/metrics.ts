// The speaker's Prometheus metrics: MetalLB's names (API-COMPAT.md) where MetalLB has the metric, lbctl_speaker_* for
// membership and the rest. Every not-announced reason is a label value from the start.
import {collectDefaultMetrics, Counter, Gauge, Registry} from 'prom-client'
import {L2_NOT_ANNOUNCED} from './l2/election.js'

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

  constructor() {
    const r = [this.registry]
    const g = <L extends string>(name: string, help: string, labelNames: L[] = []): Gauge<L> => new Gauge<L>({name, help, labelNames, registers: r})
    const c = <L extends string>(name: string, help: string, labelNames: L[] = []): Counter<L> => new Counter<L>({name, help, labelNames, registers: r})
    this.announced = g('metallb_speaker_announced', 'Services being announced from this node (1 per service, protocol and IP)', ['service', 'protocol', 'node', 'ip'])
    this.l2Requests = c('metallb_layer2_requests_received', 'ARP requests and neighbor solicitations received for owned addresses', ['ip'])
    this.l2Responses = c('metallb_layer2_responses_sent', 'ARP replies and neighbor advertisements sent for owned addresses', ['ip'])
    this.l2Gratuitous = g('metallb_layer2_gratuitous_sent', 'Gratuitous ARP / unsolicited NA rounds sent (all addresses)')
    this.configLoaded = g('metallb_k8s_client_config_loaded_bool', '1 once the configuration was read from the API server')
    this.configStale = g('metallb_k8s_client_config_stale_bool', '1 while the last configuration has problems (see ConfigurationState)')
    this.bgpSessionUp = g('metallb_bgp_session_up', 'BGP session state (1 = Established)', ['peer'])
    this.bgpAnnouncedPrefixes = g('metallb_bgp_announced_prefixes_total', 'Prefixes advertised to the peer', ['peer'])
    this.membersAlive = g('lbctl_speaker_members_alive', 'Speakers counted alive for elections')
    this.membershipSource = g('lbctl_speaker_membership_source', '1 for the source of the liveness view in use (gossip or api)', ['source'])
    this.notAnnounced = g('lbctl_speaker_l2_not_announced', 'Service addresses not announced in layer 2, by reason', ['reason'])
    this.passes = c('lbctl_speaker_passes_total', 'Decision passes run')
    this.statusWrites = c('lbctl_speaker_status_writes_total', 'Status object writes', ['kind', 'result'])
    this.informerErrors = c('lbctl_speaker_informer_errors_total', 'List/watch failures recovered from', ['resource', 'phase'])
    for (const reason of L2_NOT_ANNOUNCED) this.notAnnounced.set({reason}, 0)
    for (const source of ['gossip', 'api']) this.membershipSource.set({source}, 0)
    collectDefaultMetrics({register: this.registry})
  }
}
