import {Kinds, Labels} from '../api/constants.js'
import type {BGPAdvertisement, IPAddressPool, L2Advertisement, NodeObject, Service} from '../api/types.js'
import {badInput, conflict, missing} from '../errors.js'
import type {Kube} from '../kube/client.js'
import {isConflict, namespaceMissing} from '../kube/errors.js'
import {validObjectName} from '../api/selectors.js'
import {formatRange, subtractRanges, type IPRange} from '../net/index.js'
import {checkOverlapWithPools, checkPoolName, nodeAddressWarnings, parseAddresses, planPool, type PoolPlan, refuseDataLoss, refuseUnreadableLoss, specForm} from './plan.js'
import {advertisementsFor, computeUsage, displayAddresses, type Holder, poolRanges} from './usage.js'

export type AdvertiseMode = 'l2' | 'bgp' | 'none'

export interface PoolSummary {
  name: string
  namespace: string
  /** For display: adjacent and overlapping entries merged (displayAddresses). */
  addresses: string[]
  /** spec.addresses as stored (as the user or another tool wrote it). */
  addressesAsStored: string[]
  size: bigint
  inUse: bigint
  free: bigint
  ipv4: {size: bigint; inUse: bigint}
  ipv6: {size: bigint; inUse: bigint}
  autoAssign: boolean
  avoidBuggyIPs: boolean
  priority?: number
  advertisedBy: string[]
  /** Entries of `addresses` that cannot be read (written by another tool); not counted in size. */
  unreadable: string[]
}

export interface PoolDetail extends PoolSummary {
  serviceAllocation?: unknown
  services: Holder[]
}

export interface PoolChangeResult {
  pool: string
  namespace: string
  action: 'created' | 'updated' | 'unchanged' | 'deleted' | 'absent'
  dryRun: boolean
  added: string[]
  removed: string[]
  /** Settings changed, e.g. "avoidBuggyIPs: true → false". */
  changed: string[]
  /** Services that held addresses taken away (only non-empty with --force). */
  affectedServices: Holder[]
  advertisement?: {kind: 'L2Advertisement' | 'BGPAdvertisement'; name: string; action: 'created' | 'deleted' | 'would-create' | 'would-delete'}
  warnings: string[]
}

interface ClusterState {
  pools: IPAddressPool[]
  l2: L2Advertisement[]
  bgp: BGPAdvertisement[]
  services: Service[]
  nodes: NodeObject[]
}

/** Read everything pool commands need, in parallel. Fails with MISSING when the metallb.io CRDs are absent. */
async function readState(kube: Kube, namespace: string, opts: {nodes?: boolean} = {}): Promise<ClusterState> {
  if (!(await kube.serves(Kinds.IPAddressPool))) {
    throw missing(
      'CRDS_MISSING',
      `the cluster behind context "${kube.context}" (${kube.server}) has no IPAddressPool kind: the metallb.io CRDs are not installed`,
      'Install the load balancer first: `lbctl install --mode l2` (or install MetalLB).',
    )
  }
  const [pools, l2, bgp, services, nodes] = await Promise.all([
    kube.list<IPAddressPool>(Kinds.IPAddressPool, {namespace}),
    kube.list<L2Advertisement>(Kinds.L2Advertisement, {namespace}),
    kube.list<BGPAdvertisement>(Kinds.BGPAdvertisement, {namespace}),
    kube.list<Service>(Kinds.Service),
    opts.nodes ? kube.list<NodeObject>(Kinds.Node).catch(() => ({items: [] as NodeObject[], resourceVersion: ''})) : Promise.resolve({items: [] as NodeObject[], resourceVersion: ''}),
  ])
  // Listing a namespace that does not exist answers with an empty list: say so before anything reads "no pools".
  if (pools.items.length === 0 && l2.items.length === 0 && bgp.items.length === 0) await requireNamespace(kube, namespace)
  return {pools: pools.items, l2: l2.items, bgp: bgp.items, services: services.items, nodes: nodes.items}
}

async function requireNamespace(kube: Kube, namespace: string): Promise<void> {
  let exists = true
  try {
    exists = (await kube.get(Kinds.Namespace, namespace)) !== undefined
  } catch {
    // Not allowed to read namespaces (RBAC): a write will still say it with the server's answer.
  }
  if (!exists) throw namespaceMissing(namespace)
}

function summarize(pool: IPAddressPool, state: ClusterState, usage: ReturnType<typeof computeUsage>): PoolSummary {
  const u = usage.get(pool.metadata.name)!
  const size = u.size[4] + u.size[6]
  const inUse = u.inUse[4] + u.inUse[6]
  return {
    name: pool.metadata.name,
    namespace: pool.metadata.namespace ?? '',
    addresses: displayAddresses(pool),
    addressesAsStored: pool.spec?.addresses ?? [],
    size,
    inUse,
    free: size > inUse ? size - inUse : 0n,
    ipv4: {size: u.size[4], inUse: u.inUse[4]},
    ipv6: {size: u.size[6], inUse: u.inUse[6]},
    autoAssign: pool.spec?.autoAssign ?? true,
    avoidBuggyIPs: pool.spec?.avoidBuggyIPs ?? false,
    priority: pool.spec?.serviceAllocation?.priority,
    advertisedBy: advertisementsFor(pool, state.l2, state.bgp),
    unreadable: poolRanges(pool).invalid,
  }
}

export async function listPools(kube: Kube, namespace: string): Promise<PoolSummary[]> {
  const state = await readState(kube, namespace)
  const usage = computeUsage(state.pools, state.services)
  return state.pools.map((p) => summarize(p, state, usage)).sort((a, b) => a.name.localeCompare(b.name))
}

/** The names of the pools in the namespace, sorted (shell completion). */
export async function poolNames(kube: Kube, namespace: string): Promise<string[]> {
  const pools = await kube.list<IPAddressPool>(Kinds.IPAddressPool, {namespace})
  return pools.items.map((p) => p.metadata.name).sort()
}

export async function showPool(kube: Kube, namespace: string, name: string): Promise<PoolDetail> {
  checkPoolName(name)
  const state = await readState(kube, namespace)
  const pool = state.pools.find((p) => p.metadata.name === name)
  if (!pool) throw notFound(name, namespace, state.pools)
  const usage = computeUsage(state.pools, state.services)
  const holders = [...usage.get(name)!.holders].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))
  return {...summarize(pool, state, usage), serviceAllocation: pool.spec?.serviceAllocation, services: holders}
}

function notFound(name: string, namespace: string, pools: IPAddressPool[]): Error {
  const names = pools.map((p) => p.metadata.name)
  return badInput('POOL_NOT_FOUND', `there is no pool "${name}" in namespace ${namespace}`, names.length ? `Pools here: ${names.join(', ')} (\`lbctl pool list\`).` : 'Create one with `lbctl pool set ADDRESSES --name NAME`.')
}

export interface SetPoolInput {
  name: string
  addresses: string[]
  autoAssign?: boolean
  avoidBuggyIPs?: boolean
  /** Undefined: the installed mode (ConfigMap lbctl-install), else the kind of the advertisements that exist. */
  advertise?: AdvertiseMode
  force: boolean
  dryRun: boolean
  /** 'set' replaces the pool's addresses; 'add' adds to them. */
  mode: 'set' | 'add'
}

/**
 * `pool set` / `pool add`: validate everything, then write the pool and (if nothing advertises it) an advertisement.
 * Writes are conditional (create fails if someone created the pool meanwhile; updates carry the resourceVersion read),
 * so a concurrent writer is never overwritten silently: `add` re-reads and tries again, `set` fails with CONFLICT.
 */
export async function changePool(kube: Kube, namespace: string, input: SetPoolInput): Promise<PoolChangeResult> {
  checkPoolName(input.name)
  const parsed = parseAddresses(input.addresses)
  for (let attempt = 1; ; attempt++) {
    try {
      return await changePoolOnce(kube, namespace, input, parsed)
    } catch (err) {
      if (input.mode === 'add' && attempt < 3 && isRaceLost(err)) continue
      throw err
    }
  }
}

const isRaceLost = (err: unknown): boolean => (err as {code?: string}).code === 'CONFLICT' || isConflict(err)

async function changePoolOnce(kube: Kube, namespace: string, input: SetPoolInput, parsed: ReturnType<typeof parseAddresses>): Promise<PoolChangeResult> {
  const state = await readState(kube, namespace, {nodes: true})
  const existing = state.pools.find((p) => p.metadata.name === input.name)
  let addresses = parsed.map(specForm)
  if (input.mode === 'add' && existing) {
    // Ranges already wholly in the pool are no-ops (so `add` is idempotent); partly-in ones are ambiguous: refuse.
    const have = poolRanges(existing).ranges
    const fresh = parsed.filter((r) => subtractRanges([r], have).length > 0)
    const partial = fresh.find((r) => have.some((h) => overlaps(h, r)))
    if (partial) {
      throw badInput('OVERLAP_IN_POOL', `${partial.token} overlaps addresses pool "${input.name}" already has`, `Add only the new part: ${subtractRanges([partial], have).map(formatRange).join(', ')}.`)
    }
    addresses = [...(existing.spec?.addresses ?? []), ...fresh.map(specForm)]
  }
  checkOverlapWithPools(input.name, parsed, state.pools)
  const plan = planPool({
    name: input.name, namespace, existing, addresses, autoAssign: input.autoAssign, avoidBuggyIPs: input.avoidBuggyIPs,
    services: state.services, pools: state.pools, force: input.force,
  })
  const warnings = nodeAddressWarnings(parsed, state.nodes)
  const advertise = input.advertise ?? (await defaultAdvertise(kube, namespace, state, warnings))
  const advertisement = planAdvertisement(plan, state, advertise, namespace)
  if (advertise === 'bgp' || advertisement?.kind === Kinds.BGPAdvertisement.kind) warnings.push(...await bgpPeerWarnings(kube, namespace, input.name))
  const result: PoolChangeResult = {
    pool: input.name, namespace, action: plan.action === 'create' ? 'created' : plan.action === 'update' ? 'updated' : 'unchanged',
    dryRun: input.dryRun === true, added: plan.added, removed: plan.removed, changed: plan.changed, affectedServices: plan.affected, warnings,
  }
  if (advertisement) result.advertisement = {kind: advertisement.kind as 'L2Advertisement', name: advertisement.metadata.name, action: input.dryRun ? 'would-create' : 'created'}
  if (input.dryRun) return result
  if (plan.action === 'unchanged') {
    if (advertisement) await kube.create(advertisement)
    return result
  }
  const written = plan.action === 'create' ? await kube.create(plan.manifest) : await kube.apply(plan.manifest)
  const undo = async (): Promise<void> => {
    if (plan.action === 'create') await kube.delete(Kinds.IPAddressPool, input.name, namespace)
    else await kube.apply({...plan.manifest, metadata: {...plan.manifest.metadata, resourceVersion: written.metadata?.resourceVersion}, spec: existing!.spec})
  }
  await refuseConcurrentOverlap(kube, namespace, input.name, written, parsed, undo)
  if (advertisement) {
    try {
      await kube.create(advertisement)
    } catch (err) {
      await undo().catch(() => undefined)
      throw err
    }
  }
  return result
}

/**
 * The advertisement kind a new pool gets when --advertise is not given: the mode `lbctl install` recorded; on a
 * cluster without that record (upstream MetalLB), the kind of the advertisements that exist (l2 when none or both).
 */
async function defaultAdvertise(kube: Kube, namespace: string, state: ClusterState, warnings: string[]): Promise<AdvertiseMode> {
  const record = await kube.get<{metadata?: {name?: string}; data?: {mode?: string}}>(Kinds.ConfigMap, 'lbctl-install', namespace)
  const mode = record?.data?.mode
  if (mode === 'l2' || mode === 'bgp') return mode
  if (state.bgp.length > 0 && state.l2.length === 0) return 'bgp'
  if (state.bgp.length > 0 && state.l2.length > 0) warnings.push('both L2Advertisements and BGPAdvertisements exist and no install mode is recorded: a new pool is advertised over layer 2 (choose with --advertise)')
  return 'l2'
}

/**
 * Two writers can each check for overlaps, see none, and then both write overlapping pools. After writing, read the
 * pools again: when one that was not there (or not overlapping) before now overlaps ours, the later write of the two
 * (the higher resourceVersion) is undone and fails, so at most one writer reports success.
 */
async function refuseConcurrentOverlap(kube: Kube, namespace: string, name: string, written: IPAddressPool, ranges: IPRange[], undo: () => Promise<void>): Promise<void> {
  const now = (await kube.list<IPAddressPool>(Kinds.IPAddressPool, {namespace})).items
  const ours = BigInt(/^\d+$/.test(written.metadata?.resourceVersion ?? '') ? written.metadata.resourceVersion! : '0')
  for (const p of now) {
    if (p.metadata.name === name) continue
    const clash = poolRanges(p).ranges.find((t) => ranges.some((r) => overlaps(r, t)))
    if (!clash) continue
    const rv = p.metadata.resourceVersion ?? ''
    const theirsIsLater = /^\d+$/.test(rv) && ours > 0n && BigInt(rv) > ours
    if (theirsIsLater) continue
    await undo().catch(() => undefined)
    throw conflict(
      'CONCURRENT_OVERLAP',
      `pool "${p.metadata.name}" was written at the same time and overlaps the addresses given (${formatRange(clash)}); lbctl undid its change to pool "${name}"`,
      `See the pools now with \`lbctl pool list\`, then choose addresses outside pool "${p.metadata.name}".`,
      {pool: p.metadata.name, overlap: formatRange(clash)},
    )
  }
}

/** A pool announced over BGP with no BGPPeer in the namespace reaches no router: say so (the write still happens). */
async function bgpPeerWarnings(kube: Kube, namespace: string, pool: string): Promise<string[]> {
  const peers = await kube.list(Kinds.BGPPeer, {namespace}).catch(() => undefined)
  if (!peers || peers.items.length > 0) return []
  return [`pool "${pool}" is advertised over BGP, but namespace ${namespace} has no BGPPeer: no router learns its addresses until you add one with \`lbctl peer add\` (see \`lbctl peer add --help\`)`]
}

const overlaps = (a: IPRange, b: IPRange): boolean => a.family === b.family && a.start <= b.end && b.start <= a.end

function planAdvertisement(plan: PoolPlan, state: ClusterState, mode: AdvertiseMode, namespace: string): L2Advertisement | BGPAdvertisement | undefined {
  if (mode === 'none') return undefined
  if (advertisementsFor(plan.manifest, state.l2, state.bgp).length > 0) return undefined
  const ref = mode === 'l2' ? Kinds.L2Advertisement : Kinds.BGPAdvertisement
  const taken = new Set((mode === 'l2' ? state.l2 : state.bgp).map((a) => a.metadata.name))
  const name = taken.has(plan.manifest.metadata.name) ? `lbctl-${plan.manifest.metadata.name}` : plan.manifest.metadata.name
  // Checked before anything is written: a pool name that fits may make an advertisement name that does not.
  const why = validObjectName(name)
  if (why) {
    throw badInput('BAD_ADVERTISEMENT_NAME', `the ${ref.kind} lbctl would create for pool "${plan.manifest.metadata.name}" would be named "${name}", which ${why}`, `Use a shorter pool name, or pass --advertise none and create the ${ref.kind} yourself.`)
  }
  if (taken.has(name)) {
    throw badInput('ADVERTISEMENT_EXISTS', `an ${ref.kind} named "${name}" exists but does not select pool "${plan.manifest.metadata.name}"`, `Pass --advertise none and add the pool to an advertisement yourself (\`kubectl edit ${ref.kind.toLowerCase()} ${name} -n ${namespace}\`).`)
  }
  return {
    apiVersion: ref.apiVersion, kind: ref.kind,
    metadata: {name, namespace, labels: {[Labels.managedBy]: 'lbctl'}},
    spec: {ipAddressPools: [plan.manifest.metadata.name]},
  }
}

export interface RemovePoolInput {
  name: string
  /** Remove only these addresses; the whole pool when empty. */
  addresses: string[]
  force: boolean
  dryRun: boolean
}

/** `pool remove`: delete a pool (and the advertisement lbctl made for it), or take some addresses out of it. */
export async function removePool(kube: Kube, namespace: string, input: RemovePoolInput): Promise<PoolChangeResult> {
  checkPoolName(input.name)
  const parsed = input.addresses.length > 0 ? parseAddresses(input.addresses) : []
  const state = await readState(kube, namespace)
  const existing = state.pools.find((p) => p.metadata.name === input.name)
  const base = {pool: input.name, namespace, dryRun: input.dryRun === true, warnings: [] as string[]}
  // Removing what is already gone changes nothing and succeeds, as `set` with the same addresses does.
  if (!existing) return {...base, action: 'absent', added: [], removed: [], changed: [], affectedServices: []}
  if (parsed.length > 0) {
    const have = poolRanges(existing).ranges
    const left = subtractRanges(have, parsed)
    const notInPool = parsed.filter((r) => subtractRanges([r], have).length > 0)
    if (notInPool.length > 0) base.warnings.push(`${notInPool.map((r) => r.token).join(', ')} ${notInPool.length === 1 ? 'was' : 'were'} not (wholly) in the pool (${(existing.spec?.addresses ?? []).join(', ')})`)
    if (left.length === have.length && left.every((r, i) => formatRange(r) === formatRange(have[i]!))) {
      return {...base, action: 'unchanged', added: [], removed: [], changed: [], affectedServices: []}
    }
    if (left.length === 0) {
      throw badInput('POOL_WOULD_BE_EMPTY', `removing ${parsed.map((r) => r.token).join(', ')} would leave pool "${input.name}" empty`, `Remove the whole pool with \`lbctl pool remove ${input.name}\`.`)
    }
    const plan = planPool({name: input.name, namespace, existing, addresses: left.map(formatRange), services: state.services, pools: state.pools, force: input.force})
    if (!input.dryRun) await kube.apply(plan.manifest)
    return {...base, action: 'updated', added: [], removed: plan.removed, changed: [], affectedServices: plan.affected}
  }
  const usage = computeUsage([existing], state.services).get(input.name)!
  const removed = poolRanges(existing).ranges.map(formatRange)
  if (usage.holders.length > 0 && !input.force) throw refuseDataLoss(input.name, removed, usage.holders)
  const unreadable = poolRanges(existing).invalid
  if (unreadable.length > 0 && !input.force) refuseUnreadableLoss(existing, unreadable, state.pools, state.services)
  const ours = [...state.l2, ...state.bgp].find(
    (a) => a.metadata.labels?.[Labels.managedBy] === 'lbctl' && JSON.stringify(a.spec?.ipAddressPools ?? []) === JSON.stringify([input.name]),
  )
  const result: PoolChangeResult = {...base, action: 'deleted', added: [], removed, changed: [], affectedServices: usage.holders}
  if (ours) result.advertisement = {kind: ours.kind as 'L2Advertisement', name: ours.metadata.name, action: input.dryRun ? 'would-delete' : 'deleted'}
  if (input.dryRun) return result
  await kube.delete(Kinds.IPAddressPool, input.name, namespace)
  if (ours) await kube.delete(ours.kind === 'L2Advertisement' ? Kinds.L2Advertisement : Kinds.BGPAdvertisement, ours.metadata.name, namespace)
  return result
}
