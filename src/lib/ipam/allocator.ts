// The allocator: which service holds which address, and MetalLB's allocation order (API-COMPAT.md). Pure: no I/O, no
// clock. Free addresses live in interval sets and used ones in a hash map, so allocate, release and "is this free" cost
// the same for a /30 and for an IPv6 /64.
import {formatIP, type Family, type IP} from '../net/index.js'
import {FreeSet} from './freeset.js'
import type {PoolDef} from './pools.js'
import {RangeIndex} from './ranges.js'
import type {Failure} from './reasons.js'
import type {ServiceRequest} from './request.js'
import {admits, bestPool, familyLabel, pinnedPools, sharingProblem, type Use} from './select.js'

export interface Assignment {
  key: string
  pool: string
  ips: IP[]
  sharingKey: string
  backendKey: string
  ports: string[]
}

export type Outcome =
  | {ok: true; assignment: Assignment; kept: boolean; sharedWith: string[]; dropped?: Failure}
  | {ok: false; failure: Failure; dropped?: Failure}

export interface LivePool {
  def: PoolDef
  index: number
  free: Record<Family, FreeSet>
  used: Record<Family, number>
}

export interface PoolCounts {
  assigned: Record<Family, bigint>
  available: Record<Family, bigint>
  size: Record<Family, bigint>
}

export const ipKey = (f: Family, v: bigint): string => `${f}:${v}`
const sameIPs = (a: IP[], b: IP[]): boolean =>
  a.length === b.length && a.every((x) => b.some((y) => y.family === x.family && y.value === x.value))

export class Allocator {
  readonly pools: LivePool[]
  private readonly byName = new Map<string, LivePool>()
  private readonly spans = new RangeIndex<LivePool>()
  private readonly uses = new Map<string, Use>()
  private readonly held = new Map<string, Assignment>()
  /** sharing key → addresses in use under that key, to find a shareable address without scanning pools. */
  private readonly shared = new Map<string, Set<Use>>()
  /** Increases every time an address becomes free: pending services are worth retrying when it moved. */
  freedCount = 0

  /** `pools` must not overlap (compilePools reports overlaps; such a configuration is not used). */
  constructor(defs: PoolDef[]) {
    this.pools = defs.map((def, index) => ({
      def, index,
      free: {4: new FreeSet(def.usable[4]), 6: new FreeSet(def.usable[6])},
      used: {4: 0, 6: 0},
    }))
    for (const p of this.pools) {
      this.byName.set(p.def.name, p)
      for (const f of [4, 6] as const) for (const iv of p.def.usable[f]) this.spans.add(f, iv.start, iv.end, p)
    }
  }

  pool(name: string): LivePool | undefined {
    return this.byName.get(name)
  }

  /** The pool an address may be handed out from (avoidBuggyIPs respected), by binary search. */
  poolOf(ip: IP): LivePool | undefined {
    return this.spans.find(ip)
  }

  /** In a pool and held by nobody. */
  isFree(ip: IP): boolean {
    const p = this.poolOf(ip)
    return p !== undefined && p.free[ip.family].has(ip.value)
  }

  holdersOf(ip: IP): string[] {
    return [...(this.uses.get(ipKey(ip.family, ip.value))?.holders ?? [])]
  }

  assignment(key: string): Assignment | undefined {
    return this.held.get(key)
  }

  /** Number of services holding addresses. */
  get size(): number {
    return this.held.size
  }

  assignments(): IterableIterator<Assignment> {
    return this.held.values()
  }

  counts(name: string): PoolCounts | undefined {
    const p = this.byName.get(name)
    if (!p) return undefined
    const assigned = {4: BigInt(p.used[4]), 6: BigInt(p.used[6])}
    return {assigned, size: p.def.size, available: {4: p.free[4].size, 6: p.free[6].size}}
  }

  /** Give up everything the service holds. */
  release(key: string): void {
    const a = this.held.get(key)
    if (!a) return
    for (const ip of a.ips) this.detach(ip, key)
    this.held.delete(key)
  }

  /**
   * Keep the addresses a service holds when it may still hold them, without allocating anything (the first phase of a
   * pass, so that no holder's address goes to another service first). Returns the failure when it may not.
   */
  restore(req: ServiceRequest, held: IP[]): Failure | undefined {
    if (req.invalid) return req.invalid
    if (held.length === 0 || this.held.has(req.key)) return undefined
    if (req.requested.length > 0 && !sameIPs(held, req.requested)) return undefined
    const c = this.check(req, held)
    if (!c.ok) return c.failure
    this.commit(req, c.pool, held, true)
    return undefined
  }

  /**
   * Bring the service to a legal assignment: keep what it holds (its in-memory assignment, else `held` from its
   * status) when that is still allowed, otherwise allocate in MetalLB's order. Never takes an address from a holder.
   */
  ensure(req: ServiceRequest, held: IP[] = []): Outcome {
    if (req.invalid) {
      this.release(req.key)
      return {ok: false, failure: req.invalid}
    }
    const current = this.held.get(req.key)?.ips ?? held
    let dropped: Failure | undefined
    if (current.length > 0 && (req.requested.length === 0 || sameIPs(current, req.requested))) {
      const c = this.check(req, current)
      if (c.ok) {
        let ips = current
        const want = req.families.find((f) => !ips.some((ip) => ip.family === f))
        if (want !== undefined && req.policy === 'PreferDualStack' && req.requested.length === 0) {
          // PreferDualStack holding one family: add the other from the same pool when it has one (as MetalLB does).
          const v = bestPool([c.pool], {...req, families: [want], policy: 'SingleStack'}, this.ctx())
          if (v.ips) ips = [...ips, ...v.ips]
        }
        return this.commit(req, c.pool, ips, true)
      }
      dropped = c.failure
    }
    this.release(req.key)
    const r = this.allocateNew(req)
    return r.ok ? {...r, dropped} : {...r, dropped}
  }

  private allocateNew(req: ServiceRequest): Outcome {
    if (req.requested.length > 0) {
      const c = this.check(req, req.requested)
      return c.ok ? this.commit(req, c.pool, req.requested, false) : {ok: false, failure: c.failure}
    }
    const fam = familyLabel(req.families)
    if (req.pool) {
      const p = this.byName.get(req.pool)
      if (!p) return {ok: false, failure: {reason: 'poolNotFound', pool: req.pool}}
      if (!admits(p.def, req)) return {ok: false, failure: {reason: 'poolNotAllowed', pool: req.pool}}
      if (!req.families.some((f) => p.def.size[f] > 0n)) return {ok: false, failure: {reason: 'poolHasNoFamily', pool: req.pool, family: fam}}
      const r = bestPool([p], req, this.ctx())
      return r.ips ? this.commit(req, p, r.ips, false) : {ok: false, failure: {reason: 'poolExhausted', pools: [p.def.name], family: fam}}
    }
    const pinned = pinnedPools(this.pools, req)
    const auto = this.pools.filter((p) => p.def.autoAssign && !p.def.allocation)
    for (const group of [pinned, auto]) {
      const r = bestPool(group, req, this.ctx())
      if (r.ips && r.pool) return this.commit(req, r.pool, r.ips, false)
    }
    const candidates = [...pinned, ...auto].filter((p) => req.families.some((f) => p.def.size[f] > 0n))
    if (candidates.length === 0) return {ok: false, failure: {reason: 'noPoolMatches', family: fam}}
    return {ok: false, failure: {reason: 'poolExhausted', pools: candidates.map((p) => p.def.name), family: fam}}
  }

  /** Whether the service may hold exactly these addresses now (as MetalLB's Assign checks them). */
  private check(req: ServiceRequest, ips: IP[]): {ok: true; pool: LivePool} | {ok: false; failure: Failure} {
    const fams = ips.map((ip) => ip.family)
    const fits = fams.every((f) => req.families.includes(f)) && new Set(fams).size === fams.length &&
      (fams.length === req.families.length || (req.policy === 'PreferDualStack' && fams.length === 1))
    if (!fits) {
      const detail = `addresses ${ips.map(formatIP).join(', ')} do not fit ipFamilyPolicy ${req.policy} (${familyLabel(req.families)})`
      return {ok: false, failure: {reason: 'familyMismatch', detail}}
    }
    const pools = ips.map((ip) => this.poolOf(ip))
    const missing = pools.findIndex((p) => p === undefined)
    if (missing >= 0) return {ok: false, failure: {reason: 'requestedIPNotInAnyPool', ip: formatIP(ips[missing])}}
    const pool = pools[0]!
    if (pools.some((p) => p !== pool)) {
      return {ok: false, failure: {reason: 'requestedIPsInDifferentPools', ips: ips.map(formatIP), pools: pools.map((p) => p!.def.name)}}
    }
    if (req.pool && req.pool !== pool.def.name) {
      if (!this.byName.has(req.pool)) return {ok: false, failure: {reason: 'poolNotFound', pool: req.pool}}
      return {ok: false, failure: {reason: 'requestedIPNotInPool', ip: formatIP(ips[0]), pool: req.pool, actualPool: pool.def.name}}
    }
    if (!admits(pool.def, req)) return {ok: false, failure: {reason: 'poolNotAllowed', pool: pool.def.name}}
    for (const ip of ips) {
      const use = this.uses.get(ipKey(ip.family, ip.value))
      const problem = use && sharingProblem(use, req)
      if (problem) return {ok: false, failure: problem}
    }
    return {ok: true, pool}
  }

  private ctx(): {uses: Map<string, Use>; shared: Map<string, Set<Use>>} {
    return {uses: this.uses, shared: this.shared}
  }

  private commit(req: ServiceRequest, pool: LivePool, ips: IP[], kept: boolean): Outcome {
    const old = this.held.get(req.key)
    for (const ip of old?.ips ?? []) if (!ips.some((x) => x.family === ip.family && x.value === ip.value)) this.detach(ip, req.key)
    const sharedWith = new Set<string>()
    for (const ip of ips) for (const h of this.attach(ip, pool, req)) if (h !== req.key) sharedWith.add(h)
    const assignment: Assignment = {key: req.key, pool: pool.def.name, ips, sharingKey: req.sharingKey, backendKey: req.backendKey, ports: req.ports}
    this.held.set(req.key, assignment)
    return {ok: true, assignment, kept, sharedWith: [...sharedWith].sort()}
  }

  private attach(ip: IP, pool: LivePool, req: ServiceRequest): string[] {
    const k = ipKey(ip.family, ip.value)
    let use = this.uses.get(k)
    if (!use) {
      use = {pool: pool.index, family: ip.family, value: ip.value, sharing: '', backend: '', holders: [], ports: []}
      this.uses.set(k, use)
      pool.free[ip.family].remove(ip.value)
      pool.used[ip.family]++
    }
    const i = use.holders.indexOf(req.key)
    if (i >= 0) use.ports[i] = req.ports
    else {
      use.holders.push(req.key)
      use.ports.push(req.ports)
    }
    if (use.holders.length === 1) this.rekey(use, req.sharingKey, req.backendKey)
    return use.holders
  }

  private detach(ip: IP, key: string): void {
    const k = ipKey(ip.family, ip.value)
    const use = this.uses.get(k)
    if (!use) return
    const i = use.holders.indexOf(key)
    if (i < 0) return
    use.holders.splice(i, 1)
    use.ports.splice(i, 1)
    if (use.holders.length > 0) return
    this.rekey(use, '', '')
    this.uses.delete(k)
    const pool = this.pools[use.pool]
    pool.free[ip.family].add(ip.value)
    pool.used[ip.family]--
    this.freedCount++
  }

  /** Set the sharing and backend keys of an address, keeping the sharing-key index right. */
  private rekey(use: Use, sharing: string, backend: string): void {
    if (use.sharing) {
      const set = this.shared.get(use.sharing)
      set?.delete(use)
      if (set?.size === 0) this.shared.delete(use.sharing)
    }
    use.sharing = sharing
    use.backend = backend
    if (sharing) {
      let set = this.shared.get(sharing)
      if (!set) this.shared.set(sharing, (set = new Set()))
      set.add(use)
    }
  }
}
