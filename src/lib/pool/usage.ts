import type {IPAddressPool, L2Advertisement, BGPAdvertisement, Service} from '../api/types.js'
import {advertisesPool} from '../api/advertise.js'
import {type Family, formatRange, type IPRange, mergeRanges, rangeSize, tryParseIP, tryParsePoolAddresses} from '../net/index.js'

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

/** Number of addresses ending in .0 or .255 in an IPv4 range — MetalLB's avoidBuggyIPs skips them. */
export function buggyCount(r: IPRange): bigint {
  if (r.family !== 4) return 0n
  // count of x in [start, end] with x ≡ k (mod 256), for k = 0 and 255
  const countMod = (k: bigint): bigint => {
    const upTo = (n: bigint): bigint => (n < k ? 0n : (n - k) / 256n + 1n)
    return upTo(r.end) - (r.start === 0n ? 0n : upTo(r.start - 1n))
  }
  return countMod(0n) + countMod(255n)
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

interface Interval {
  start: bigint
  end: bigint
  pool: number
}

/**
 * Which pool each service address belongs to, by binary search over all pools' ranges (sorted per family):
 * O((P + S) log P) for P ranges and S addresses, exact for IPv6 /64 pools. Counts come from
 * `status.loadBalancer.ingress`, so they are right for upstream MetalLB too.
 */
export function computeUsage(pools: IPAddressPool[], services: Service[]): Map<string, PoolUsage> {
  const parsed = pools.map(poolRanges)
  const index: Record<Family, Interval[]> = {4: [], 6: []}
  const out = new Map<string, PoolUsage>()
  parsed.forEach((p, i) => {
    const avoid = pools[i].spec?.avoidBuggyIPs === true
    const size = {4: 0n, 6: 0n}
    for (const r of p.ranges) {
      size[r.family] += rangeSize(r) - (avoid ? buggyCount(r) : 0n)
      index[r.family].push({start: r.start, end: r.end, pool: i})
    }
    out.set(p.name, {size, inUse: {4: 0n, 6: 0n}, holders: []})
  })
  for (const f of [4, 6] as const) index[f].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))

  const seen = new Set<string>()
  for (const svc of services) {
    const byPool = new Map<number, string[]>()
    for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
      if (!ing.ip) continue
      const ip = tryParseIP(ing.ip)
      if (!ip) continue
      const pool = lookup(index[ip.family], ip.value)
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

function lookup(sorted: Interval[], v: bigint): number | undefined {
  let lo = 0
  let hi = sorted.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const iv = sorted[mid]
    if (v < iv.start) hi = mid - 1
    else if (v > iv.end) lo = mid + 1
    else return iv.pool
  }
  return undefined
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
  const ranges = pools.flatMap((p) => poolRanges(p).ranges)
  const out: Holder[] = []
  for (const svc of services) {
    const ips = (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i?.ip ? [i.ip] : [])).filter((ip) => {
      const a = tryParseIP(ip)
      return a !== undefined && !ranges.some((r) => r.family === a.family && r.start <= a.value && a.value <= r.end)
    })
    if (ips.length) out.push({namespace: svc.metadata.namespace ?? 'default', name: svc.metadata.name, ips})
  }
  return out
}
