// Which pool a service address comes from, and which advertisements apply to it: the rules layer 2 and BGP share
// (API-COMPAT.md: pools by name or selector, service selectors, node selectors). Pure.
import type {IPAddressPool, Service} from '../lib/api/types.js'
import {type IPRange, rangeContains, tryParsePoolAddresses, tryParseIP, formatIP} from '../lib/net/index.js'

export {type AdvertisementSelectors, advertisesFromNode, advertisesPool, advertisesService} from '../lib/api/advertise.js'

export interface PoolIndex {
  /** The pool whose addresses contain `address` (the first by name when pools overlap, which the controller reports). */
  poolOf(address: string): IPAddressPool | undefined
  /** Whether `address` lies inside any pool. */
  contains(address: string): boolean
}

export function poolIndex(pools: readonly IPAddressPool[]): PoolIndex {
  const compiled: Array<{pool: IPAddressPool; ranges: IPRange[]}> = [...pools]
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((pool) => ({pool, ranges: tryParsePoolAddresses(pool.spec?.addresses ?? []).ranges}))
  const poolOf = (address: string): IPAddressPool | undefined => {
    const ip = tryParseIP(address)
    if (!ip) return undefined
    return compiled.find((c) => c.ranges.some((r) => rangeContains(r, ip)))?.pool
  }
  return {poolOf, contains: (a) => poolOf(a) !== undefined}
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
