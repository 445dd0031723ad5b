// The informers a speaker keeps, and the SpeakerState they add up to. Caches survive the API server being away (the
// informer keeps its cache until a successful list replaces it), so decisions go on from the last known world.
import {Kinds} from '../lib/api/constants.js'
import type {BFDProfile, BGPAdvertisement, BGPPeer, Community, IPAddressPool, KubeObject, L2Advertisement, NodeObject, Service} from '../lib/api/types.js'
import {servedBy} from '../lib/ipam/request.js'
import {Informer} from '../lib/kube/informer.js'
import type {KubeApi} from '../lib/kube/rest.js'
import type {PodObject} from './candidates.js'
import {CoreKinds} from './kinds.js'
import type {EndpointSlice, SecretObject, SpeakerState} from './state.js'

export interface WorldOptions {
  kube: KubeApi
  namespace: string
  lbClass?: string
  /** Label selector of speaker Pods (`k=v,…`). */
  memberSelector: string
  onChange: (what: string) => void
  onError: (resource: string, err: unknown, phase: 'list' | 'watch') => void
}

const slimService = (s: Service): Service => ({
  apiVersion: 'v1', kind: 'Service',
  metadata: {name: s.metadata.name, namespace: s.metadata.namespace, uid: s.metadata.uid, resourceVersion: s.metadata.resourceVersion, labels: s.metadata.labels},
  spec: {type: s.spec?.type, loadBalancerClass: s.spec?.loadBalancerClass, externalTrafficPolicy: s.spec?.externalTrafficPolicy, ports: s.spec?.ports},
  status: s.status?.loadBalancer ? {loadBalancer: s.status.loadBalancer} : undefined,
})
const slimSlice = (s: EndpointSlice): EndpointSlice => ({
  apiVersion: s.apiVersion, kind: s.kind, addressType: s.addressType,
  metadata: {name: s.metadata.name, namespace: s.metadata.namespace, resourceVersion: s.metadata.resourceVersion, labels: s.metadata.labels},
  endpoints: s.endpoints?.map((e) => ({addresses: e.addresses, conditions: e.conditions, nodeName: e.nodeName})),
})
const slimNode = (n: NodeObject): NodeObject => ({
  apiVersion: 'v1', kind: 'Node',
  metadata: {name: n.metadata.name, resourceVersion: n.metadata.resourceVersion, labels: n.metadata.labels},
  status: {addresses: n.status?.addresses, conditions: n.status?.conditions?.map((c) => ({type: c.type, status: c.status}))},
})

export class World {
  readonly services: Informer<Service>
  readonly slices: Informer<EndpointSlice>
  readonly nodes: Informer<NodeObject>
  readonly pools: Informer<IPAddressPool>
  readonly l2Ads: Informer<L2Advertisement>
  readonly bgpAds: Informer<BGPAdvertisement>
  readonly peers: Informer<BGPPeer>
  readonly communities: Informer<Community>
  readonly bfdProfiles: Informer<BFDProfile>
  readonly pods: Informer<PodObject>
  readonly l2Statuses: Informer<KubeObject>
  readonly bgpStatuses: Informer<KubeObject>
  readonly peerSessions: Informer<KubeObject>
  /** Only the Secrets BGPPeers name (passwordSecret), read by name: the speaker never lists Secrets. */
  readonly secrets = new Map<string, SecretObject>()
  private readonly all: Array<Informer<any>>

  constructor(private readonly o: WorldOptions) {
    const mk = <T extends KubeObject>(ref: {apiVersion: string; kind: string; plural: string}, opts: {namespace?: string; labelSelector?: string; transform?: (x: any) => any} = {}): Informer<T> =>
      new Informer<T>(o.kube, ref, {...opts, onError: (err, phase) => o.onError(ref.plural, err, phase)}).on(() => o.onChange(ref.plural))
    const ns = {namespace: o.namespace}
    this.services = mk(Kinds.Service, {transform: slimService})
    this.slices = mk(CoreKinds.EndpointSlice, {transform: slimSlice})
    this.nodes = mk(Kinds.Node, {transform: slimNode})
    this.pools = mk(Kinds.IPAddressPool, ns)
    this.l2Ads = mk(Kinds.L2Advertisement, ns)
    this.bgpAds = mk(Kinds.BGPAdvertisement, ns)
    this.peers = mk(Kinds.BGPPeer, ns)
    this.communities = mk(Kinds.Community, ns)
    this.bfdProfiles = mk(Kinds.BFDProfile, ns)
    this.pods = mk(CoreKinds.Pod, {...ns, labelSelector: o.memberSelector})
    this.l2Statuses = mk(Kinds.ServiceL2Status, ns)
    this.bgpStatuses = mk(Kinds.ServiceBGPStatus, ns)
    this.peerSessions = mk(Kinds.BGPPeerSession, ns)
    this.all = [this.peerSessions, this.services, this.slices, this.nodes, this.pools, this.l2Ads, this.bgpAds, this.peers, this.communities, this.bfdProfiles, this.pods, this.l2Statuses, this.bgpStatuses]
  }

  start(): void {
    for (const i of this.all) void i.run()
  }

  get synced(): boolean {
    return this.all.every((i) => i.synced)
  }

  async waitSynced(): Promise<void> {
    await Promise.all(this.all.map((i) => i.waitSynced()))
  }

  stop(): void {
    for (const i of this.all) i.stop()
  }

  /** Fetch the Secrets the BGPPeers name (in our namespace); a failed read keeps the last copy. */
  async refreshSecrets(): Promise<void> {
    const names = new Set<string>()
    for (const p of this.peers.cache.values()) {
      const s = p.spec?.passwordSecret
      if (s?.name && (!s.namespace || s.namespace === this.o.namespace)) names.add(s.name)
    }
    for (const n of [...this.secrets.keys()]) if (!names.has(n)) this.secrets.delete(n)
    let changed = false
    await Promise.all([...names].map(async (n) => {
      try {
        const s = await this.o.kube.get<SecretObject>(CoreKinds.Secret, n, this.o.namespace)
        const before = JSON.stringify(this.secrets.get(n)?.data ?? null)
        if (s) this.secrets.set(n, {apiVersion: 'v1', kind: 'Secret', metadata: {name: n, namespace: this.o.namespace}, type: s.type, data: s.data})
        else this.secrets.delete(n)
        if (JSON.stringify(this.secrets.get(n)?.data ?? null) !== before) changed = true
      } catch (err) {
        this.o.onError('secrets', err, 'list')
      }
    }))
    if (changed) this.o.onChange('secrets')
  }

  /** The whole picture for one pass. */
  state(node: string, live: ReadonlySet<string>): SpeakerState {
    const vals = <T>(i: Informer<T & KubeObject>): T[] => [...i.cache.values()]
    return {
      node, namespace: this.o.namespace, live,
      nodes: vals(this.nodes),
      services: vals(this.services).filter((s) => servedBy(s, this.o.lbClass) === true),
      endpointSlices: vals(this.slices),
      pools: vals(this.pools), l2Advertisements: vals(this.l2Ads), bgpAdvertisements: vals(this.bgpAds), bgpPeers: vals(this.peers),
      communities: vals(this.communities), bfdProfiles: vals(this.bfdProfiles), secrets: new Map(this.secrets),
    }
  }
}
