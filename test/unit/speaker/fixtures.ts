// Small builders for SpeakerState in speaker unit tests.
import type {IPAddressPool, L2Advertisement, L2AdvertisementSpec, NodeObject, Service} from '../../../src/lib/api/types.js'
import type {EndpointSlice, SpeakerState} from '../../../src/speaker/state.js'

export const node = (name: string, labels: Record<string, string> = {}, conditions: Array<{type: string; status: string}> = []): NodeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: {name, labels}, status: {conditions: [{type: 'Ready', status: 'True'}, ...conditions]},
})

export const pool = (name: string, addresses: string[], labels: Record<string, string> = {}): IPAddressPool => ({
  apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name, namespace: 'metallb-system', labels}, spec: {addresses},
})

export const l2ad = (name: string, spec: L2AdvertisementSpec = {}): L2Advertisement => ({
  apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: {name, namespace: 'metallb-system'}, spec,
})

export const svc = (name: string, ips: string[], opts: {ns?: string; local?: boolean; labels?: Record<string, string>} = {}): Service => ({
  apiVersion: 'v1', kind: 'Service',
  metadata: {name, namespace: opts.ns ?? 'default', labels: opts.labels ?? {}},
  spec: {type: 'LoadBalancer', externalTrafficPolicy: opts.local ? 'Local' : 'Cluster', ports: [{port: 80}]},
  status: {loadBalancer: {ingress: ips.map((ip) => ({ip}))}},
})

/** One slice for a service with one endpoint per entry `node` (ready unless `!node`). */
export const slice = (service: string, nodes: string[], ns = 'default'): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
  metadata: {name: `${service}-abc`, namespace: ns, labels: {'kubernetes.io/service-name': service}},
  addressType: 'IPv4',
  endpoints: nodes.map((n, i) => ({addresses: [`10.0.0.${i + 1}`], nodeName: n.replace(/^!/, ''), conditions: {ready: !n.startsWith('!')}})),
})

export function state(over: Partial<SpeakerState> = {}): SpeakerState {
  const nodes = over.nodes ?? [node('n1'), node('n2'), node('n3')]
  return {
    node: 'n1', namespace: 'metallb-system', nodes, services: [], endpointSlices: [],
    pools: [pool('default', ['203.0.113.0/24', '2001:db8:ffff::/48'])], l2Advertisements: [l2ad('all')],
    bgpAdvertisements: [], bgpPeers: [], communities: [], bfdProfiles: [], secrets: new Map(),
    live: new Set(nodes.map((n) => n.metadata.name)),
    ...over,
  }
}
