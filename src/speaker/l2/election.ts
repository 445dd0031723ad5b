// The layer-2 election (API-COMPAT.md): for every service address, the one node that answers ARP/NDP for it.
// Pure and computed from SpeakerState alone, so every speaker holding the same view elects the same owner.
import {createHash} from 'node:crypto'
import {Labels} from '../../lib/api/constants.js'
import {selectorMatches} from '../../lib/api/selectors.js'
import type {L2Advertisement, NodeObject, Service} from '../../lib/api/types.js'
import {serviceKey} from '../../lib/ipam/request.js'
import {advertisesFromNode, advertisesPool, advertisesService, ingressAddresses, poolIndex} from '../advertisements.js'
import {indexEndpoints, isLocalPolicy, NO_ENDPOINTS} from '../endpoints.js'
import type {SpeakerState} from '../state.js'

/** Why an address of a service is not announced in layer 2. Each is counted and reported on the service. */
export const L2_NOT_ANNOUNCED = [
  /** The address lies in no IPAddressPool. */
  'noPool',
  /** No L2Advertisement covers the address's pool and the service (it may be BGP only: not an error). */
  'noAdvertisement',
  /** No ready endpoint anywhere. */
  'noEndpoints',
  /** No node is both a candidate and (externalTrafficPolicy Local) running a ready endpoint. */
  'noCandidates',
  /** Services sharing the address have no candidate node in common. */
  'sharedNoCommonNode',
] as const
export type L2NotAnnouncedReason = (typeof L2_NOT_ANNOUNCED)[number]

export interface L2Assignment {
  address: string
  owner: string
  /** Interfaces the owner announces on; undefined = every interface not excluded. */
  interfaces?: string[]
  /** `ns/name` of every service using the address, sorted. */
  services: string[]
}

export interface L2NotAnnounced {
  service: string
  address: string
  reason: L2NotAnnouncedReason
  message: string
}

export interface L2Election {
  /** By address (canonical text). */
  assignments: Map<string, L2Assignment>
  notAnnounced: L2NotAnnounced[]
}

/** A node that may announce at all: a live speaker, no NetworkUnavailable, not excluded from load balancers. */
export function eligibleNodes(state: Pick<SpeakerState, 'nodes' | 'live'>): Map<string, NodeObject> {
  const out = new Map<string, NodeObject>()
  for (const n of state.nodes) {
    const name = n.metadata.name
    if (!state.live.has(name)) continue
    if (n.metadata.labels && Labels.excludeFromLB in n.metadata.labels) continue
    if ((n.status?.conditions ?? []).some((c) => c.type === 'NetworkUnavailable' && c.status === 'True')) continue
    out.set(name, n)
  }
  return out
}

/** MetalLB's order key: a hash of node name and address, so services sharing an address rank nodes the same way. */
export const electionHash = (node: string, address: string): string => createHash('sha256').update(`${node}#${address}`).digest('hex')

/** Sum of the weights of a node's matching preferences, the highest over the advertisements that select it. */
function preferenceWeight(ads: readonly L2Advertisement[], node: NodeObject): number {
  let best = 0
  for (const ad of ads) {
    if (!advertisesFromNode(ad.spec ?? {}, node)) continue
    let w = 0
    for (const p of ad.spec?.preferredNodeSelectors ?? []) if (selectorMatches(p.preference, node.metadata.labels)) w += p.weight
    best = Math.max(best, w)
  }
  return best
}

interface Claim {
  svc: Service
  key: string
  ads: L2Advertisement[]
  /** Candidate node names for this service and address. */
  candidates: Set<string>
}

export function electL2(state: SpeakerState): L2Election {
  const pools = poolIndex(state.pools)
  const eligible = eligibleNodes(state)
  const endpoints = indexEndpoints(state.endpointSlices)
  const notAnnounced: L2NotAnnounced[] = []
  const claims = new Map<string, Claim[]>()

  for (const svc of state.services) {
    const key = serviceKey(svc)
    const eps = endpoints.get(key) ?? NO_ENDPOINTS
    for (const address of ingressAddresses(svc)) {
      const miss = (reason: L2NotAnnouncedReason, message: string): void => void notAnnounced.push({service: key, address, reason, message})
      const pool = pools.poolOf(address)
      if (!pool) {
        miss('noPool', `${address} is in no IPAddressPool`)
        continue
      }
      const ads = state.l2Advertisements.filter((a) => advertisesPool(a.spec ?? {}, pool) && advertisesService(a.spec ?? {}, svc))
      if (ads.length === 0) {
        miss('noAdvertisement', `no L2Advertisement covers pool ${pool.metadata.name} and this service`)
        continue
      }
      if (!eps.anyReady) {
        miss('noEndpoints', 'the service has no ready endpoint')
        continue
      }
      const candidates = new Set<string>()
      for (const [name, node] of eligible) {
        if (!ads.some((a) => advertisesFromNode(a.spec ?? {}, node))) continue
        if (isLocalPolicy(svc) && !eps.readyNodes.has(name)) continue
        candidates.add(name)
      }
      if (candidates.size === 0) {
        miss('noCandidates', isLocalPolicy(svc)
          ? 'no live speaker on a node selected by an L2Advertisement runs a ready endpoint (externalTrafficPolicy Local)'
          : 'no live speaker on a node selected by an L2Advertisement')
        continue
      }
      const list = claims.get(address) ?? []
      list.push({svc, key, ads, candidates})
      claims.set(address, list)
    }
  }

  const assignments = new Map<string, L2Assignment>()
  for (const [address, list] of claims) {
    // Services sharing an address must elect one node: only nodes every one of them may use.
    const common = [...list[0].candidates].filter((n) => list.every((c) => c.candidates.has(n)))
    if (common.length === 0) {
      for (const c of list) {
        notAnnounced.push({service: c.key, address, reason: 'sharedNoCommonNode',
          message: `the services sharing ${address} (${list.map((x) => x.key).sort().join(', ')}) have no candidate node in common`})
      }
      continue
    }
    const ads = list.flatMap((c) => c.ads)
    const ranked = common
      .map((name) => ({name, weight: preferenceWeight(ads, eligible.get(name)!), hash: electionHash(name, address)}))
      .sort((a, b) => b.weight - a.weight || (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0) || (a.name < b.name ? -1 : 1))
    const owner = ranked[0].name
    const ownerNode = eligible.get(owner)!
    const ownerAds = ads.filter((a) => advertisesFromNode(a.spec ?? {}, ownerNode))
    // Any advertisement without interfaces means every interface; otherwise the union of the named ones.
    const interfaces = ownerAds.some((a) => (a.spec?.interfaces ?? []).length === 0)
      ? undefined
      : [...new Set(ownerAds.flatMap((a) => a.spec?.interfaces ?? []))].sort()
    assignments.set(address, {address, owner, interfaces, services: [...new Set(list.map((c) => c.key))].sort()})
  }
  return {assignments, notAnnounced}
}
