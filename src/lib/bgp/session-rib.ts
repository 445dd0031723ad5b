// Adj-RIB-Out: the routes we want the peer to have, what it has been sent, and the UPDATEs that close the gap,
// packing every prefix that shares attributes into as few UPDATEs as fit.
import type {Family} from '../net/ip.js'
import {canonicalPrefix, formatPrefix, nlriOf, parseIP, parsePrefix, AFI, SAFI} from './prefixes.js'
import type {CodecContext, LargeCommunity, PathAttributes} from './types.js'
import {packAnnouncements, packWithdrawals} from './update.js'

/** One route to announce. Attributes left out get the defaults of RFC 4271 (ORIGIN IGP, LOCAL_PREF 100 in iBGP). */
export interface Route {
  prefix: string
  /** Next hop; default: the session's local address of the route's family. */
  nextHop?: string
  origin?: 0 | 1 | 2
  med?: number
  /** iBGP only; ignored toward external peers (RFC 4271 5.1.5). */
  localPref?: number
  communities?: number[]
  largeCommunities?: LargeCommunity[]
  /** Extra ASNs after our own (eBGP) or alone (iBGP). */
  asPathPrepend?: number[]
}

/** Why a route was not sent: counted and reported by the session. */
export type SkipReason = 'family-not-negotiated' | 'no-next-hop'

export interface RibContext {
  ibgp: boolean
  localAsn: number
  families: Family[]
  nextHopIpv4?: string
  nextHopIpv6?: string
  /** RFC 8950 negotiated: an IPv4 route without an IPv4 next hop goes in MP_REACH_NLRI with the IPv6 one. */
  extendedNextHop?: boolean
  codec: CodecContext
  maxLength: number
}

interface Entry {
  route: Route
  prefix: string
  family: Family
  key: string
  nlri: Buffer
}

/** Check routes before anything is applied; returns the problems in words (empty when all are good). */
export function validateRoutes(routes: readonly Route[]): string[] {
  const problems: string[] = []
  const seen = new Set<string>()
  const u32 = (n: unknown) => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff
  routes.forEach((r, i) => {
    const p = canonicalPrefix(r.prefix)
    if (!p) problems.push(`route ${i}: ${JSON.stringify(r.prefix)} is not a prefix with zero host bits`)
    else if (seen.has(p)) problems.push(`route ${i}: ${p} listed twice`)
    else seen.add(p)
    if (r.nextHop !== undefined && !parseIP(r.nextHop)) problems.push(`route ${i}: next hop ${JSON.stringify(r.nextHop)} is not an address`)
    for (const [k, v] of [['med', r.med], ['localPref', r.localPref]] as const) if (v !== undefined && !u32(v)) problems.push(`route ${i}: ${k} ${v} is not a 32-bit unsigned integer`)
    if (r.communities?.some((c) => !u32(c))) problems.push(`route ${i}: a community is not a 32-bit value`)
    if (r.largeCommunities?.some((l) => l.length !== 3 || !l.every(u32))) problems.push(`route ${i}: a large community is not three 32-bit values`)
    if (r.asPathPrepend?.some((a) => !u32(a))) problems.push(`route ${i}: an AS to prepend is not a 32-bit value`)
  })
  return problems
}

function keyOf(r: Route, family: Family): string {
  return `${family}|${r.nextHop ?? ''}|${r.origin ?? 0}|${r.med ?? ''}|${r.localPref ?? ''}|${r.communities?.join(',') ?? ''}|${r.largeCommunities?.map((l) => l.join(':')).join(',') ?? ''}|${r.asPathPrepend?.join(',') ?? ''}`
}

export interface RibDiff {
  /** UPDATE messages, withdrawals first. */
  messages: Buffer[]
  /** How many prefixes these messages announce and withdraw. */
  announced: number
  withdrawn: number
  skipped: {prefix: string; reason: SkipReason}[]
  /** True when `limit` cut the diff short: call diff() again for the rest. */
  more: boolean
}

/** A validated, parsed route table, immutable; one can be shared by many sessions (memory is per table, not per peer). */
export class RouteSet {
  /** @internal */
  constructor(readonly entries: ReadonlyMap<string, Entry>) {}

  get size(): number {
    return this.entries.size
  }
}

function addRoute(next: Map<string, Entry>, r: Route): boolean {
  const p = parsePrefix(r.prefix)
  if (!p) return false
  // A valid IPv4 prefix with an explicit length is already canonical.
  const prefix = p.family === 4 && r.prefix.includes('/') ? r.prefix : formatPrefix(p.family, p.bytes, p.len)
  if (next.has(prefix)) return false
  const plain = r.nextHop === undefined && r.med === undefined && r.localPref === undefined && !r.communities?.length && !r.largeCommunities?.length && !r.asPathPrepend?.length && r.origin === undefined
  next.set(prefix, {route: r, prefix, family: p.family, key: plain ? String(p.family) : keyOf(r, p.family), nlri: nlriOf(p)})
  return plain || validateRoutes([r]).length === 0
}

/** Validate and parse routes in one pass. Throws a RangeError listing every problem when any is bad. */
export function prepareRoutesSync(routes: readonly Route[]): RouteSet {
  const next = new Map<string, Entry>()
  for (const r of routes) if (!addRoute(next, r)) throw new RangeError(validateRoutes(routes).join('; '))
  return new RouteSet(next)
}

/**
 * The same, yielding to the event loop every `chunk` routes, so a table of 100,000 never stalls it for long.
 * Nothing is applied anywhere until the caller hands the result to setRoutes().
 */
export async function prepareRoutes(routes: readonly Route[], chunk = 5000): Promise<RouteSet> {
  const next = new Map<string, Entry>()
  for (let i = 0; i < routes.length; i++) {
    if (!addRoute(next, routes[i])) throw new RangeError(validateRoutes(routes).join('; '))
    if (i % chunk === chunk - 1) await new Promise((r) => setImmediate(r))
  }
  return new RouteSet(next)
}

/** The work a diff found, consumed a part at a time; dropped when the wanted routes or the peer's state change. */
interface Plan {
  withdraw: Entry[]
  groups: Entry[][]
  skipped: RibDiff['skipped']
  /** Next withdrawal, next group, next entry within it. */
  w: number
  g: number
  e: number
}

export class AdjRibOut {
  private desired: ReadonlyMap<string, Entry> = new Map<string, Entry>()
  /** prefix → the entry last sent for it (its attribute key, and its encoded NLRI for the withdrawal). */
  private advertised = new Map<string, Entry>()
  private plan: Plan | undefined

  /**
   * Replace the wanted routes: a list (validated and prepared here, synchronously) or a RouteSet prepared once
   * with prepareRoutes() and shared by every session that announces the same table.
   */
  setRoutes(routes: readonly Route[] | RouteSet): void {
    this.desired = (routes instanceof RouteSet ? routes : prepareRoutesSync(routes)).entries
    this.plan = undefined
  }

  get size(): number {
    return this.desired.size
  }

  get advertisedCount(): number {
    return this.advertised.size
  }

  /** Forget what was sent (a new session starts from nothing). */
  reset(): void {
    this.advertised.clear()
    this.plan = undefined
  }

  /** Mark a family as not sent, so the next diff re-sends all of it (route refresh). */
  resend(family: Family): void {
    for (const [p, e] of this.advertised) if (e.family === family) this.advertised.delete(p)
    this.plan = undefined
  }

  private makePlan(ctx: RibContext): Plan {
    const plan: Plan = {withdraw: [], groups: [], skipped: [], w: 0, g: 0, e: 0}
    if (this.desired.size === 0) plan.withdraw = [...this.advertised.values()]
    else for (const [p, e] of this.advertised) if (!this.desired.has(p)) plan.withdraw.push(e)
    const groups = new Map<string, Entry[]>()
    for (const e of this.desired.values()) {
      if (this.advertised.get(e.prefix)?.key === e.key) continue
      if (!ctx.families.includes(e.family)) {
        plan.skipped.push({prefix: e.prefix, reason: 'family-not-negotiated'})
        continue
      }
      let g = groups.get(e.key)
      if (!g) groups.set(e.key, (g = []))
      g.push(e)
    }
    plan.groups = [...groups.values()]
    return plan
  }

  /**
   * Compute the UPDATEs that take the peer from what it was sent to what is wanted, and record them as sent. At most
   * `limit` prefixes are encoded per call, so a caller can spread a large table over several event-loop turns; the
   * work found is kept between calls (until the wanted routes change), and `more` says whether any is left.
   */
  diff(ctx: RibContext, limit = Number.POSITIVE_INFINITY): RibDiff {
    const out: RibDiff = {messages: [], announced: 0, withdrawn: 0, skipped: [], more: false}
    const plan = (this.plan ??= this.makePlan(ctx))
    let budget = limit
    const withdraw: Record<Family, Buffer[]> = {4: [], 6: []}
    // Withdrawing everything that was sent (a speaker giving up all its addresses) clears the map in one go.
    const all = plan.w === 0 && plan.withdraw.length === this.advertised.size && plan.withdraw.length <= budget
    for (; plan.w < plan.withdraw.length && budget > 0; plan.w++, budget--) {
      const e = plan.withdraw[plan.w]
      withdraw[e.family].push(e.nlri)
      out.withdrawn++
      if (!all) this.advertised.delete(e.prefix)
    }
    if (all) this.advertised.clear()
    for (const f of [4, 6] as const) if (withdraw[f].length) out.messages.push(...packWithdrawals(f, withdraw[f], ctx.codec, ctx.maxLength))
    for (; plan.g < plan.groups.length && budget > 0; plan.g++, plan.e = 0) {
      const g = plan.groups[plan.g]
      const attrs = attributesFor(g[0], ctx)
      if (!attrs) {
        for (const e of g) plan.skipped.push({prefix: e.prefix, reason: 'no-next-hop'})
        continue
      }
      const part = g.slice(plan.e, plan.e + budget)
      budget -= part.length
      out.messages.push(...packAnnouncements(part[0].family, part.map((e) => e.nlri), attrs, ctx.codec, ctx.maxLength))
      for (const e of part) {
        this.advertised.set(e.prefix, e)
        out.announced++
      }
      if (plan.e + part.length < g.length) {
        plan.e += part.length
        break
      }
    }
    out.more = plan.w < plan.withdraw.length || plan.g < plan.groups.length
    if (!out.more) {
      out.skipped = plan.skipped
      this.plan = undefined
    }
    return out
  }
}

function attributesFor(e: Entry, ctx: RibContext): PathAttributes | undefined {
  const r = e.route
  const path = ctx.ibgp ? [...(r.asPathPrepend ?? [])] : [ctx.localAsn, ...(r.asPathPrepend ?? [])]
  const a: PathAttributes = {origin: r.origin ?? 0, asPath: path.length ? [{type: 'sequence', asns: path}] : []}
  if (e.family === 4) {
    const nh = r.nextHop ?? ctx.nextHopIpv4
    if (nh && !nh.includes(':') && parseIP(nh)) a.nextHop = nh
    else if (ctx.extendedNextHop) {
      // RFC 8950 4: IPv4 NLRI with an IPv6 next hop travel in MP_REACH_NLRI (AFI 1, SAFI 1).
      const nh6 = r.nextHop ?? ctx.nextHopIpv6
      if (!nh6 || !nh6.includes(':')) return undefined
      a.mpReach = {afi: AFI.IPV4, safi: SAFI.UNICAST, nextHops: [nh6], nlri: []}
    } else return undefined
  } else {
    // RFC 4760: IPv6 over an IPv4-only session gets the IPv4-mapped address, as FRR does.
    const nh = r.nextHop ?? ctx.nextHopIpv6 ?? (ctx.nextHopIpv4 ? `::ffff:${ctx.nextHopIpv4}` : undefined)
    if (!nh || !nh.includes(':')) return undefined
    a.mpReach = {afi: AFI.IPV6, safi: SAFI.UNICAST, nextHops: [nh], nlri: []}
  }
  if (r.med !== undefined) a.med = r.med
  if (ctx.ibgp) a.localPref = r.localPref ?? 100
  if (r.communities?.length) a.communities = r.communities
  if (r.largeCommunities?.length) a.largeCommunities = r.largeCommunities
  return a
}
