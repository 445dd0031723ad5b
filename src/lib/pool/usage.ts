import type {IPAddressPool, L2Advertisement, BGPAdvertisement, Service} from '../api/types.js'
import {advertisesPool} from '../api/advertise.js'
import {poolSize, RangeIndex} from '../ipam/ranges.js'
import {formatRange, type IPRange, mergeRanges, tryParseIP, tryParsePoolAddresses} from '../net/index.js'

/**
 * A pool's addresses as merged ranges, with exact sizes. Every entry that can be read counts; entries that cannot
 * (written by another tool) are kept aside in `invalid`, never taken to mean "no addresses".
 */
export interface PoolRanges {
  name: string
  ranges: IPRange[]
  invalid: string[]
}

export function poolRanges(pool: IPAddressPool): PoolRanges {
  const {ranges, problems} = tryParsePoolAddresses(pool.spec?.addresses ?? [])
  return {name: pool.metadata.name, ranges: mergeRanges(ranges), invalid: problems.map((p) => p.token)}
}

/**
 * A pool's addresses as lbctl shows them: adjacent and overlapping entries merged into one range or CIDR (formatRange),
 * sorted, IPv4 first; an entry nothing merges with stays as written. Unreadable entries follow as they are. The stored
 * spec is left as the user wrote it.
 */
export function displayAddresses(pool: IPAddressPool): string[] {
  const {ranges, problems} = tryParsePoolAddresses(pool.spec?.addresses ?? [])
  const shown = mergeRanges(ranges).map((m) => {
    const parts = ranges.filter((r) => r.family === m.family && r.start >= m.start && r.end <= m.end)
    return parts.length === 1 ? parts[0].token : formatRange(m)
  })
  return [...shown, ...problems.map((p) => p.token)]
}

export interface Holder {
  namespace: string
  name: string
  ips: string[]
}

export interface PoolUsage {
  /** Usable addresses per family (avoidBuggyIPs taken into account). */
  size: {4: bigint; 6: bigint}
  /** Distinct addresses held by services (a shared address counts once). */
  inUse: {4: bigint; 6: bigint}
  holders: Holder[]
}

/**
 * Which pool each service address belongs to (src/lib/ipam RangeIndex over all pools' ranges), and each pool's usable
 * size as the allocator counts it (ipam poolSize). Counts come from `status.loadBalancer.ingress`, so they are right
 * for upstream MetalLB too.
 */
export function computeUsage(pools: IPAddressPool[], services: Service[]): Map<string, PoolUsage> {
  const parsed = pools.map(poolRanges)
  const index = new RangeIndex<number>()
  const out = new Map<string, PoolUsage>()
  parsed.forEach((p, i) => {
    for (const r of p.ranges) index.add(r.family, r.start, r.end, i)
    out.set(p.name, {size: poolSize(p.ranges, pools[i].spec?.avoidBuggyIPs === true), inUse: {4: 0n, 6: 0n}, holders: []})
  })

  const seen = new Set<string>()
  for (const svc of services) {
    const byPool = new Map<number, string[]>()
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
      if (!ing.ip) continue
      const ip = tryParseIP(ing.ip)
      if (!ip) continue
      const pool = index.find(ip)
      if (pool === undefined) continue
      const list = byPool.get(pool) ?? []
      list.push(ing.ip)
      byPool.set(pool, list)
      const key = `${pool}|${ip.family}|${ip.value}`
      if (!seen.has(key)) {
        seen.add(key)
        out.get(parsed[pool].name)!.inUse[ip.family] += 1n
      }
    }
    for (const [pool, ips] of byPool) {
      out.get(parsed[pool].name)!.holders.push({namespace: svc.metadata.namespace ?? 'default', name: svc.metadata.name, ips})
    }
  }
  return out
}

/** Advertisements that select a pool: by name, by label selector, or (no pool selection at all) every pool. */
export function advertisementsFor(pool: IPAddressPool, l2: L2Advertisement[], bgp: BGPAdvertisement[]): string[] {
  const selects = (spec: L2Advertisement['spec'] | BGPAdvertisement['spec']): boolean => advertisesPool(spec, pool)
  return [
    ...l2.filter((a) => selects(a.spec)).map((a) => `L2Advertisement/${a.metadata.name}`),
    ...bgp.filter((a) => selects(a.spec)).map((a) => `BGPAdvertisement/${a.metadata.name}`),
  ]
}

/** Services' addresses that lie in no readable range of any pool: they may be in an entry nobody can read. */
export function addressesOutsidePools(pools: IPAddressPool[], services: Service[]): Holder[] {
  const index = new RangeIndex<true>()
  for (const p of pools) for (const r of poolRanges(p).ranges) index.add(r.family, r.start, r.end, true)
  const out: Holder[] = []
  for (const svc of services) {
    const ips = (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i?.ip ? [i.ip] : [])).filter((ip) => {
      const a = tryParseIP(ip)
      return a !== undefined && !index.find(a)
    })
    if (ips.length) out.push({namespace: svc.metadata.namespace ?? 'default', name: svc.metadata.name, ips})
  }
  return out
}
