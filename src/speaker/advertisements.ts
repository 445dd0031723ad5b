// Which pool a service address comes from, and which advertisements apply to it: the rules layer 2 and BGP share
// (API-COMPAT.md: pools by name or selector, service selectors, node selectors). Pure.
import {anySelectorMatches} from '../lib/api/selectors.js'
import type {IPAddressPool, LabelSelector, NodeObject, Service} from '../lib/api/types.js'
import {type IPRange, rangeContains, tryParseAddressList, tryParseIP, formatIP} from '../lib/net/index.js'

/** What L2Advertisement and BGPAdvertisement have in common. */
export interface AdvertisementSelectors {
  ipAddressPools?: string[]
  ipAddressPoolSelectors?: LabelSelector[]
  serviceSelectors?: LabelSelector[]
  nodeSelectors?: LabelSelector[]
}

export interface PoolIndex {
  /** The pool whose addresses contain `address` (the first by name when pools overlap, which the controller reports). */
  poolOf(address: string): IPAddressPool | undefined
  /** Whether `address` lies inside any pool. */
  contains(address: string): boolean
}

export function poolIndex(pools: readonly IPAddressPool[]): PoolIndex {
  const compiled: Array<{pool: IPAddressPool; ranges: IPRange[]}> = [...pools]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((pool) => ({pool, ranges: tryParseAddressList(pool.spec?.addresses ?? []).ranges}))
  const poolOf = (address: string): IPAddressPool | undefined => {
    const ip = tryParseIP(address)
    if (!ip) return undefined
    return compiled.find((c) => c.ranges.some((r) => rangeContains(r, ip)))?.pool
  }
  return {poolOf, contains: (a) => poolOf(a) !== undefined}
}

/** The advertisement names this pool (by name or selector), or names no pool at all (then it covers every pool). */
export function advertisesPool(ad: AdvertisementSelectors, pool: IPAddressPool): boolean {
  const names = ad.ipAddressPools ?? []
  const sels = ad.ipAddressPoolSelectors ?? []
  if (names.length === 0 && sels.length === 0) return true
  return names.includes(pool.metadata.name) || anySelectorMatches(sels, pool.metadata.labels)
}

/** No serviceSelectors: every service; else any selector matching the service's labels. */
export function advertisesService(ad: AdvertisementSelectors, svc: Service): boolean {
  const sels = ad.serviceSelectors ?? []
  return sels.length === 0 || anySelectorMatches(sels, svc.metadata.labels)
}

/** No nodeSelectors: every node; else any selector matching the node's labels. */
export function advertisesFromNode(ad: AdvertisementSelectors, node: NodeObject): boolean {
  const sels = ad.nodeSelectors ?? []
  return sels.length === 0 || anySelectorMatches(sels, node.metadata.labels)
}


/** The service's ingress IPs in canonical text (so `2001:db8::1` and `2001:DB8:0::1` are one address). */
export function ingressAddresses(svc: Service): string[] {
  const out: string[] = []
  for (const i of svc.status?.loadBalancer?.ingress ?? []) {
    const ip = i.ip ? tryParseIP(i.ip) : undefined
    if (ip) out.push(formatIP(ip))
  }
  return [...new Set(out)]
}
