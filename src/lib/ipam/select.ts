// Choosing pools and addresses: serviceAllocation matching and priority, MetalLB's dual-stack pool choice, sharing.
import {anySelectorMatches} from '../api/selectors.js'
import {formatIP, type Family, type IP} from '../net/index.js'
import type {LivePool} from './allocator.js'
import type {PoolDef} from './pools.js'
import type {Failure} from './reasons.js'
import {familyName, type ServiceRequest} from './request.js'

/** One address in use: by whom, under which sharing key, with which ports (parallel to holders). */
export interface Use {
  pool: number
  family: Family
  value: bigint
  sharing: string
  backend: string
  holders: string[]
  ports: string[][]
}

export const familyLabel = (fs: Family[]): string => fs.map(familyName).join('+')

const hasCriteria = (d: PoolDef): boolean => {
  const a = d.allocation
  return !!a && ((a.namespaces?.length ?? 0) > 0 || (a.namespaceSelectors?.length ?? 0) > 0 || (a.serviceSelectors?.length ?? 0) > 0)
}

/**
 * Whether a pool's serviceAllocation admits the service: the namespace is listed or matched by a namespace selector
 * (when either is given), and a service selector matches (when any is given). Also checked for explicit requests.
 */
export function admits(d: PoolDef, req: ServiceRequest): boolean {
  const a = d.allocation
  if (!a) return true
  const names = a.namespaces ?? []
  const nsSels = a.namespaceSelectors ?? []
  if ((names.length > 0 || nsSels.length > 0) && !names.includes(req.namespace) && !anySelectorMatches(nsSels, req.namespaceLabels)) return false
  if ((a.serviceSelectors?.length ?? 0) > 0 && !anySelectorMatches(a.serviceSelectors, req.labels)) return false
  return true
}

/**
 * Pools whose serviceAllocation selects the service, best first: a lower non-zero priority wins, 0 comes last, then by
 * name (MetalLB leaves ties unordered; a fixed order keeps results independent of event order).
 */
export function pinnedPools(pools: LivePool[], req: ServiceRequest): LivePool[] {
  return pools
    .filter((p) => p.def.autoAssign && hasCriteria(p.def) && admits(p.def, req))
    .sort((a, b) => {
      const pa = a.def.priority || Infinity
      const pb = b.def.priority || Infinity
      return pa !== pb ? pa - pb : a.def.name < b.def.name ? -1 : a.def.name > b.def.name ? 1 : 0
    })
}

/** Why the service may not join the holders of `use`, or undefined when it may (or holds it alone). */
export function sharingProblem(use: Use, req: ServiceRequest): Failure | undefined {
  const others = use.holders.filter((h) => h !== req.key)
  if (others.length === 0) return undefined
  const ip = formatIP({family: use.family, value: use.value})
  if (!req.sharingKey) return {reason: 'requestedIPInUse', ip, by: others}
  if (!use.sharing) return {reason: 'sharingRefused', ip, why: 'noSharingKey', with: others, detail: `${others.join(', ')} has no allow-shared-ip key`}
  if (use.sharing !== req.sharingKey) {
    return {reason: 'sharingRefused', ip, why: 'keyMismatch', with: others, detail: `sharing key "${req.sharingKey}" differs from "${use.sharing}"`}
  }
  if (use.backend !== req.backendKey) {
    const detail = req.backendKey || use.backend
      ? 'with externalTrafficPolicy Local, services sharing an address must both be Local and select the same pods'
      : 'backend mismatch'
    return {reason: 'sharingRefused', ip, why: 'backendMismatch', with: others, detail}
  }
  for (let i = 0; i < use.holders.length; i++) {
    if (use.holders[i] === req.key) continue
    const clash = use.ports[i].find((p) => req.ports.includes(p))
    if (clash) return {reason: 'sharingRefused', ip, why: 'portConflict', with: [use.holders[i]], detail: `port ${clash} is already used by ${use.holders[i]}`}
  }
  return undefined
}

interface Ctx {
  uses: Map<string, Use>
  shared: Map<string, Set<Use>>
}

/**
 * The lowest address of the family in the pool that the service may take: free, or already used by services it may
 * share with. MetalLB walks the pool in order and takes the first such address; taking the minimum of the lowest free
 * address and the lowest shareable one gives the same answer without the walk.
 */
export function pick(p: LivePool, f: Family, req: ServiceRequest, ctx: Ctx): bigint | undefined {
  let best = p.free[f].lowest()
  if (req.sharingKey) {
    for (const use of ctx.shared.get(req.sharingKey) ?? []) {
      if (use.pool !== p.index || use.family !== f || (best !== undefined && use.value >= best)) continue
      if (!sharingProblem(use, req)) best = use.value
    }
  }
  return best
}

/**
 * MetalLB's choice among pools (findBestPoolForService): the first pool that has every wanted family; for
 * PreferDualStack, failing that, the first pool with the preferred family, then the first with the other.
 */
export function bestPool(pools: LivePool[], req: ServiceRequest, ctx: Ctx): {pool?: LivePool; ips?: IP[]} {
  const [f0, f1] = req.families
  let first: {pool: LivePool; ips: IP[]} | undefined
  let second: {pool: LivePool; ips: IP[]} | undefined
  for (const p of pools) {
    const a = p.def.size[f0] > 0n ? pick(p, f0, req, ctx) : undefined
    if (f1 === undefined) {
      if (a !== undefined) return {pool: p, ips: [{family: f0, value: a}]}
      continue
    }
    const b = p.def.size[f1] > 0n ? pick(p, f1, req, ctx) : undefined
    if (a !== undefined && b !== undefined) return {pool: p, ips: [{family: f0, value: a}, {family: f1, value: b}]}
    if (req.policy !== 'PreferDualStack') continue
    if (a !== undefined) first ??= {pool: p, ips: [{family: f0, value: a}]}
    if (b !== undefined) second ??= {pool: p, ips: [{family: f1, value: b}]}
  }
  return first ?? second ?? {}
}
