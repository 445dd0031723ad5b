// IPAddressPool objects compiled into what the allocator needs, and the cross-object checks that decide whether a
// configuration may be used (ARCHITECTURE.md: cross-object conflicts are reported in status, and the components keep
// running on the last valid configuration).
import type {IPAddressPool, ServiceAllocation} from '../api/types.js'
import {findOverlaps, formatRange, mergeRanges, tryParsePoolAddresses, type Family, type IPRange} from '../net/index.js'
import type {Interval} from './freeset.js'
import {poolSize, usableIntervals} from './ranges.js'

export interface PoolDef {
  name: string
  /** Merged, sorted ranges as written (before avoidBuggyIPs). */
  ranges: IPRange[]
  autoAssign: boolean
  avoidBuggyIPs: boolean
  /** Present when the pool has a serviceAllocation section. */
  allocation?: ServiceAllocation
  /** serviceAllocation.priority; 0 (or absent) is the lowest. */
  priority: number
  /** The addresses services may get, per family (without .0/.255 when avoidBuggyIPs). */
  usable: Record<Family, Interval[]>
  /** Exact number of usable addresses per family. */
  size: Record<Family, bigint>
}

/** A configuration problem, naming the objects involved (for ConfigurationState.errorSummary). */
export interface ConfigProblem {
  objects: string[]
  message: string
}

export interface CompiledConfig {
  pools: PoolDef[]
  problems: ConfigProblem[]
}

export function compilePool(pool: IPAddressPool): {pool?: PoolDef; problems: ConfigProblem[]} {
  const name = pool.metadata.name
  const obj = `IPAddressPool ${pool.metadata.namespace ? `${pool.metadata.namespace}/` : ''}${name}`
  const spec = pool.spec ?? {addresses: []}
  const {ranges, problems} = tryParsePoolAddresses(spec.addresses ?? [])
  if (problems.length > 0) {
    return {problems: [{objects: [obj], message: `${obj}: invalid addresses: ${problems.map((p) => p.message).join('; ')}`}]}
  }
  const out: ConfigProblem[] = []
  const within = findOverlaps(ranges.map((r) => ({range: r as IPRange})), 10)
  for (const [a, b] of within) {
    out.push({objects: [obj], message: `${obj}: ${formatRange(a.range)} overlaps ${formatRange(b.range)} in the same pool`})
  }
  const merged = mergeRanges(ranges)
  const avoid = spec.avoidBuggyIPs === true
  const usable: Record<Family, Interval[]> = {4: [], 6: []}
  for (const r of merged) usable[r.family].push(...usableIntervals(r, avoid))
  const size = poolSize(merged, avoid)
  const priority = spec.serviceAllocation?.priority ?? 0
  return {
    pool: {
      name, ranges: merged, autoAssign: spec.autoAssign !== false, avoidBuggyIPs: avoid,
      allocation: spec.serviceAllocation, priority: priority > 0 ? priority : 0, usable, size,
    },
    problems: out,
  }
}

/**
 * Compile every pool and check what no single object can: two pools sharing addresses. A configuration with problems
 * must not be used (the caller keeps the last valid one); `pools` still holds every pool that compiled.
 */
export function compilePools(objs: IPAddressPool[]): CompiledConfig {
  const pools: PoolDef[] = []
  const problems: ConfigProblem[] = []
  const sorted = [...objs].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))
  for (const o of sorted) {
    const c = compilePool(o)
    problems.push(...c.problems)
    if (c.pool) pools.push(c.pool)
  }
  const items = pools.flatMap((p) => p.ranges.map((range) => ({range, pool: p.name})))
  const seen = new Set<string>()
  for (const [a, b] of findOverlaps(items)) {
    if (a.pool === b.pool) continue
    const key = [a.pool, b.pool].sort().join('\u0000')
    if (seen.has(key)) continue
    seen.add(key)
    problems.push({
      objects: [`IPAddressPool ${a.pool}`, `IPAddressPool ${b.pool}`],
      message: `IPAddressPool ${a.pool} (${formatRange(a.range)}) overlaps IPAddressPool ${b.pool} (${formatRange(b.range)})`,
    })
  }
  return {pools, problems}
}

/** Whether two compiled configurations are the same (so an unchanged resync does not rebuild the allocator). */
export function sameConfig(a: PoolDef[], b: PoolDef[]): boolean {
  return a.length === b.length && JSON.stringify(a.map(fingerprint)) === JSON.stringify(b.map(fingerprint))
}

function fingerprint(p: PoolDef): unknown {
  return [p.name, p.ranges.map((r) => `${r.family}:${r.start}-${r.end}`), p.autoAssign, p.avoidBuggyIPs, p.allocation ?? null, p.priority]
}
