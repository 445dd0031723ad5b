// Hand-built SpeakerState for the BGP planner and manager tests.
import type {BFDProfile, BGPAdvertisement, BGPPeer, BGPPeerSpec, BGPAdvertisementSpec, Community, IPAddressPool, NodeObject, Service} from '../../../../src/lib/api/types.js'
import type {EndpointSlice, SecretObject, SpeakerState} from '../../../../src/speaker/state.js'

export const NS = 'metallb-system'
const meta = (name: string, labels?: Record<string, string>) => ({name, namespace: NS, ...(labels ? {labels} : {})})

export const node = (name: string, ip: string, labels: Record<string, string> = {}): NodeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: {name, labels: {'kubernetes.io/hostname': name, ...labels}},
  status: {addresses: [{type: 'InternalIP', address: ip}], conditions: [{type: 'Ready', status: 'True'}]},
})
export const pool = (name: string, addresses: string[], labels?: Record<string, string>): IPAddressPool => ({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: meta(name, labels), spec: {addresses}})
export const peer = (name: string, spec: Partial<BGPPeerSpec>): BGPPeer => ({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: meta(name), spec: {myASN: 64512, peerASN: 64512, peerAddress: '198.18.0.1', ...spec}})
export const adv = (name: string, spec: BGPAdvertisementSpec = {}): BGPAdvertisement => ({apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: meta(name), spec})
export const community = (name: string, entries: Record<string, string>): Community => ({apiVersion: 'metallb.io/v1beta1', kind: 'Community', metadata: meta(name), spec: {communities: Object.entries(entries).map(([n, value]) => ({name: n, value}))}})
export const bfd = (name: string, spec: BFDProfile['spec'] = {}): BFDProfile => ({apiVersion: 'metallb.io/v1beta1', kind: 'BFDProfile', metadata: meta(name), spec})
export const secret = (name: string, password: string, type = 'kubernetes.io/basic-auth'): SecretObject => ({apiVersion: 'v1', kind: 'Secret', metadata: meta(name), type, data: {password: Buffer.from(password).toString('base64')}})

export function service(name: string, ips: string[], o: {local?: boolean; labels?: Record<string, string>; namespace?: string} = {}): Service {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: o.namespace ?? 'default', ...(o.labels ? {labels: o.labels} : {})},
    spec: {type: 'LoadBalancer', externalTrafficPolicy: o.local ? 'Local' : 'Cluster'},
    status: {loadBalancer: {ingress: ips.map((ip) => ({ip}))}},
  }
}

/** One slice with a ready endpoint on each named node. */
export function slice(svc: string, nodes: string[], o: {namespace?: string; ready?: boolean} = {}): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: {name: `${svc}-abc`, namespace: o.namespace ?? 'default', labels: {'kubernetes.io/service-name': svc}},
    addressType: 'IPv4', endpoints: nodes.map((n, i) => ({addresses: [`10.244.${i}.10`], nodeName: n, conditions: {ready: o.ready ?? true}})),
  }
}

export function state(o: Partial<SpeakerState> = {}): SpeakerState {
  return {
    node: 'n1', namespace: NS, nodes: [node('n1', '198.18.0.11'), node('n2', '198.18.0.12')], services: [], endpointSlices: [], pools: [pool('default', ['203.0.113.0/24', '2001:db8:ffff::/48'])],
    l2Advertisements: [], bgpAdvertisements: [adv('all')], bgpPeers: [peer('r', {})], communities: [], bfdProfiles: [], secrets: new Map(), live: new Set(['n1', 'n2']), ...o,
  }
}
