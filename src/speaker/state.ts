// What a speaker knows about the cluster at one moment: the input of every pure decision it makes (layer-2 election,
// BGP routes). The informers fill it; the managers read it. Level-triggered: each pass gets the whole picture.
import type {
  BFDProfile,
  BGPAdvertisement,
  BGPPeer,
  Community,
  IPAddressPool,
  KubeObject,
  L2Advertisement,
  NodeObject,
  Service,
} from '../lib/api/types.js'

/** The parts of discovery.k8s.io/v1 EndpointSlice the speaker reads. */
export type EndpointSlice = KubeObject<undefined, undefined> & {
  addressType?: 'IPv4' | 'IPv6' | 'FQDN'
  endpoints?: Array<{
    addresses: string[]
    conditions?: {ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null}
    nodeName?: string
  }>
  ports?: Array<{name?: string; port?: number; protocol?: string}>
}

/** A Secret as the speaker reads it (data is base64, as the API serves it). */
export type SecretObject = KubeObject<undefined, undefined> & {type?: string; data?: Record<string, string>}

export interface SpeakerState {
  /** This speaker's node name. */
  node: string
  /** The namespace of the speaker and of the metallb.io objects. */
  namespace: string
  nodes: NodeObject[]
  /** Services of type LoadBalancer handled by this speaker (loadBalancerClass filter applied), with their ingress IPs. */
  services: Service[]
  /** EndpointSlices of those services (label kubernetes.io/service-name). */
  endpointSlices: EndpointSlice[]
  pools: IPAddressPool[]
  l2Advertisements: L2Advertisement[]
  bgpAdvertisements: BGPAdvertisement[]
  bgpPeers: BGPPeer[]
  communities: Community[]
  bfdProfiles: BFDProfile[]
  /** Secrets in the speaker's namespace that it needs (BGP passwords), by name. */
  secrets: ReadonlyMap<string, SecretObject>
  /** Names of the nodes whose speaker is alive, as membership sees it (see membership/types.ts). */
  live: ReadonlySet<string>
}

/** A problem with the configuration: reported in ConfigurationState `speaker-<node>`; the rest keeps working. */
export interface ConfigProblem {
  /** Stable code, e.g. `BFD_PROFILE_NOT_FOUND`. */
  code: string
  /** The object it is about, `Kind/name`. */
  object: string
  message: string
}
