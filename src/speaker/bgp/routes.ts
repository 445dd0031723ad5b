// The routes this node announces to each of its peers, from IPAddressPools, BGPAdvertisements, Communities, Services
// and EndpointSlices, following MetalLB's rules (API-COMPAT.md). Pure: no I/O, no clock.
import {advertisesPool} from '../../lib/api/advertise.js'
import {Labels} from '../../lib/api/constants.js'
import {anySelectorMatches} from '../../lib/api/selectors.js'
import type {BGPAdvertisement, IPAddressPool, Service} from '../../lib/api/types.js'
import type {Route} from '../../lib/bgp/session.js'
import {type Family, formatIP, prefixRange, rangeContains, rangeToPrefixes, tryParseAddressList, tryParseIP, type IPRange} from '../../lib/net/index.js'
import type {ConfigProblem, SpeakerState} from '../state.js'
import {communityAliases, type ParsedCommunity, resolveCommunity} from './communities.js'
import {indexEndpoints} from '../endpoints.js'
import {endpointVerdict} from './endpoints.js'
import {isIbgp, nodeLabels, type PeerPlan} from './peers.js'
import {BgpProblem as P, problem} from './problems.js'

/** One announced prefix as the status reports it: the peers it goes to with the same attributes. */
export interface RouteStatus {
  prefix: string
  peers: string[]
  communities: string[]
  localPref?: number
}

export interface RoutePlan {
  /** peer name → the routes the session should carry. */
  byPeer: Map<string, Route[]>
  table: RouteStatus[]
  /** "ns/name" → the peers its addresses are announced to. */
  announced: Map<string, string[]>
  problems: ConfigProblem[]
  /** Honoured as MetalLB does but worth a log line (e.g. localPref toward an external peer is not sent). */
  warnings: string[]
}

interface CompiledAdv {
  adv: BGPAdvertisement
  pools: Set<string>
  peers: string[]
  communities: ParsedCommunity[]
  localPref?: number
  agg: Record<Family, number>
}

const svcKey = (s: Service): string => `${s.metadata.namespace ?? ''}/${s.metadata.name}`

/** Whether this node may announce at all (MetalLB: not NetworkUnavailable, not excluded from load balancers). */
export function nodeMayAnnounce(state: Pick<SpeakerState, 'node' | 'nodes'>): boolean {
  const n = state.nodes.find((x) => x.metadata.name === state.node)
  if (!n) return true
  if (n.metadata.labels?.[Labels.excludeFromLB] !== undefined) return false
  return !(n.status?.conditions ?? []).some((c) => c.type === 'NetworkUnavailable' && c.status === 'True')
}

function compileAdvertisements(state: RouteInput['state'], poolRanges: Map<string, IPRange[]>, peers: readonly PeerPlan[], problems: ConfigProblem[]): CompiledAdv[] {
  const labels = nodeLabels(state)
  const {aliases, duplicates} = communityAliases(state.communities)
  for (const d of duplicates) problems.push(problem(P.COMMUNITY_ALIAS_DUPLICATE, `Community/${d}`, `community alias ${JSON.stringify(d)} is defined more than once; the first definition is used`))
  const allPeers = new Set(state.bgpPeers.map((p) => p.metadata.name))
  const out: CompiledAdv[] = []
  for (const adv of [...state.bgpAdvertisements].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const obj = `BGPAdvertisement/${adv.metadata.name}`
    const s = adv.spec ?? {}
    const before = problems.length
    // MetalLB: no pools named and no pool selectors means every pool.
    const pools = new Set<string>()
    const named = s.ipAddressPools ?? []
    for (const n of named) {
      if (state.pools.some((p) => p.metadata.name === n)) pools.add(n)
      else problems.push(problem(P.POOL_NOT_FOUND, obj, `ipAddressPools names ${JSON.stringify(n)}, which does not exist`))
    }
    for (const p of state.pools) if (advertisesPool(s, p)) pools.add(p.metadata.name)
    for (const n of s.peers ?? []) if (!allPeers.has(n)) problems.push(problem(P.ADV_PEER_NOT_FOUND, obj, `peers names ${JSON.stringify(n)}, which is not a BGPPeer`))
    const communities: ParsedCommunity[] = []
    for (const c of s.communities ?? []) {
      const r = resolveCommunity(c, aliases)
      if (r.community) communities.push(r.community)
      else problems.push(problem(P.COMMUNITY, obj, r.error!))
    }
    if (s.localPref !== undefined && (!Number.isInteger(s.localPref) || s.localPref < 0 || s.localPref > 0xffffffff)) {
      problems.push(problem(P.LOCAL_PREF, obj, `localPref ${s.localPref} is not 0–4294967295`))
    }
    const agg: Record<Family, number> = {4: s.aggregationLength ?? 32, 6: s.aggregationLengthV6 ?? 128}
    if (!Number.isInteger(agg[4]) || agg[4] < 0 || agg[4] > 32) problems.push(problem(P.AGGREGATION, obj, `aggregationLength ${agg[4]} is not 0–32`))
    if (!Number.isInteger(agg[6]) || agg[6] < 0 || agg[6] > 128) problems.push(problem(P.AGGREGATION, obj, `aggregationLengthV6 ${agg[6]} is not 0–128`))
    // A community that cannot be resolved or a bad number would change what the router does with the route: this
    // advertisement is left out entirely rather than announced differently. A missing pool or peer only narrows it.
    if (problems.slice(before).some((p) => p.code !== P.POOL_NOT_FOUND && p.code !== P.ADV_PEER_NOT_FOUND)) continue
    // MetalLB: the aggregate must not cover more than the pool, i.e. no CIDR of the pool more specific than it.
    for (const name of [...pools]) {
      for (const r of poolRanges.get(name) ?? []) {
        const len = agg[r.family]
        const bad = rangeToPrefixes(r).find((p) => p.length > len)
        if (bad) {
          problems.push(problem(P.AGGREGATION, obj, `aggregation length ${len} is shorter than pool ${name}'s ${formatIP(bad.ip)}/${bad.length}: the aggregate would cover addresses outside the pool`))
          pools.delete(name)
          break
        }
      }
    }
    if (!(s.nodeSelectors ?? []).length || anySelectorMatches(s.nodeSelectors, labels)) {
      const targets = (s.peers ?? []).length ? peers.filter((p) => s.peers!.includes(p.name)).map((p) => p.name) : peers.map((p) => p.name)
      out.push({adv, pools, peers: targets, communities, localPref: s.localPref, agg})
    }
  }
  return out
}

function poolRangesOf(pools: readonly IPAddressPool[]): Map<string, IPRange[]> {
  const m = new Map<string, IPRange[]>()
  // An invalid pool is the controller's to report; it has no addresses here.
  for (const p of pools) m.set(p.metadata.name, tryParseAddressList(p.spec?.addresses ?? []).ranges)
  return m
}

export interface RouteInput {
  state: Pick<SpeakerState, 'node' | 'nodes' | 'services' | 'endpointSlices' | 'pools' | 'bgpAdvertisements' | 'bgpPeers' | 'communities'>
  peers: readonly PeerPlan[]
}

interface Acc {
  family: Family
  communities: Map<string, ParsedCommunity>
  localPref?: number
}

/** The routes per peer: one per (service address masked to the aggregation length), attributes merged per prefix. */
export function planRoutes({state, peers}: RouteInput): RoutePlan {
  const problems: ConfigProblem[] = []
  const warnings: string[] = []
  const poolRanges = poolRangesOf(state.pools)
  const advs = compileAdvertisements(state, poolRanges, peers, problems)
  const peerByName = new Map(peers.map((p) => [p.name, p]))
  const acc = new Map<string, Map<string, Acc>>() // peer → prefix → attributes
  const announced = new Map<string, Set<string>>()
  const may = nodeMayAnnounce(state)
  const endpoints = indexEndpoints(state.endpointSlices)
  for (const svc of may ? state.services : []) {
    const ips = (svc.status?.loadBalancer?.ingress ?? []).map((i) => (i.ip ? tryParseIP(i.ip) : undefined)).filter((x) => x !== undefined)
    if (!ips.length || endpointVerdict(svc, endpoints, state.node) !== 'ok') continue
    for (const ip of ips) {
      const pool = [...poolRanges].find(([, rs]) => rs.some((r) => rangeContains(r, ip)))?.[0]
      if (!pool) continue
      const family: Family = ip.family
      for (const a of advs) {
        if (!a.pools.has(pool)) continue
        if ((a.adv.spec?.serviceSelectors ?? []).length && !anySelectorMatches(a.adv.spec!.serviceSelectors, svc.metadata.labels)) continue
        const len = a.agg[family]
        const r = prefixRange(ip, len)
        const prefix = `${formatIP({family: ip.family, value: r.start})}/${len}`
        // An address of a family none of the advertisement's peers carries would be announced nowhere: say so. (With
        // an IPv4 and an IPv6 peer each family simply goes to the peer that carries it.)
        if (a.peers.length && !a.peers.some((n) => peerByName.get(n)!.families.includes(family))) {
          problems.push(problem(P.FAMILY_NOT_ENABLED, `BGPAdvertisement/${a.adv.metadata.name}`,
            `selects IPv${family} addresses (e.g. ${prefix} of ${svcKey(svc)}) but none of its peers on node ${state.node} carries IPv${family}: set dualStackAddressFamily on a peer or add a peer of that family`))
        }
        for (const peer of a.peers) {
          const plan = peerByName.get(peer)!
          if (!plan.families.includes(family)) continue
          let perPeer = acc.get(peer)
          if (!perPeer) acc.set(peer, (perPeer = new Map()))
          let e = perPeer.get(prefix)
          if (!e) perPeer.set(prefix, (e = {family, communities: new Map()}))
          for (const c of a.communities) e.communities.set(c.text, c)
          if (a.localPref !== undefined) {
            if (isIbgp(plan)) e.localPref = Math.max(e.localPref ?? 0, a.localPref)
            else warnings.push(`BGPAdvertisement/${a.adv.metadata.name}: localPref is not sent to external peer ${peer} (iBGP only, RFC 4271 5.1.5)`)
          }
          let set = announced.get(svcKey(svc))
          if (!set) announced.set(svcKey(svc), (set = new Set()))
          set.add(peer)
        }
      }
    }
  }
  const byPeer = new Map<string, Route[]>()
  const table = new Map<string, RouteStatus>()
  for (const p of peers) {
    const routes: Route[] = []
    for (const [prefix, e] of [...(acc.get(p.name) ?? [])].sort(([a], [b]) => a.localeCompare(b))) {
      const cs = [...e.communities.values()].sort((a, b) => a.text.localeCompare(b.text))
      const route: Route = {prefix}
      const std = cs.flatMap((c) => (c.kind === 'standard' ? [c.value] : []))
      const large = cs.flatMap((c) => (c.kind === 'large' ? [c.value] : []))
      if (std.length) route.communities = std
      if (large.length) route.largeCommunities = large
      if (e.localPref !== undefined) route.localPref = e.localPref
      routes.push(route)
      const texts = cs.map((c) => c.text)
      const key = JSON.stringify([prefix, texts, e.localPref])
      const t = table.get(key)
      if (t) t.peers.push(p.name)
      else table.set(key, {prefix, peers: [p.name], communities: texts, ...(e.localPref !== undefined ? {localPref: e.localPref} : {})})
    }
    byPeer.set(p.name, routes)
  }
  return {
    byPeer, table: [...table.values()], problems: dedupe(problems), warnings: [...new Set(warnings)],
    announced: new Map([...announced].map(([k, v]) => [k, [...v].sort()])),
  }
}

function dedupe(ps: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>()
  return ps.filter((p) => {
    const k = `${p.code}|${p.object}|${p.message}`
    if (seen.has(k)) return false
    seen.add(k)
    return true
  })
}
