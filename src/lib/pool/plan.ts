import {Kinds} from '../api/constants.js'
import {validObjectName} from '../api/selectors.js'
import type {IPAddressPool, NodeObject, Service} from '../api/types.js'
import {badInput, dataLoss} from '../errors.js'
import {
  type IPRange, type ParsedRange, formatIP, formatRange, mergeRanges, overlapsWithin, rangeContains, subtractRanges,
  tryParseIP, tryParsePoolAddresses,
} from '../net/index.js'
import {type Holder, addressesOutsidePools, computeUsage, poolRanges} from './usage.js'

/**
 * `pool set [NAME] ADDRESSES…`: the first argument names the pool when more follow and it reads as a pool name (starts
 * with a letter, no `:` `/` `,` `-` ranges of addresses), as in `pool add NAME ADDRESSES…`; otherwise every argument is an address and
 * the pool is --name (default "default"). Naming it both ways differently is refused.
 */
export function poolSetTarget(argv: readonly string[], flagName: string | undefined): {name: string; addresses: string[]} {
  const first = argv[0]
  const positional = argv.length >= 2 && first !== undefined && /^[a-z][a-z0-9.-]*$/i.test(first) && tryParseIP(first) === undefined
  if (!positional) return {name: flagName ?? 'default', addresses: [...argv]}
  if (flagName !== undefined && flagName !== first) {
    throw badInput('POOL_NAMED_TWICE', `the pool is named twice: "${first}" (first argument) and "${flagName}" (--name)`, `Name it once: \`lbctl pool set ${first} ${argv.slice(1).join(' ')}\`.`)
  }
  return {name: first, addresses: argv.slice(1)}
}

/** How a parsed item is stored in spec.addresses: the form the operator used (a range stays a range), normalised. */
export function specForm(r: ParsedRange): string {
  return r.kind === 'range' ? `${formatIP({family: r.family, value: r.start})}-${formatIP({family: r.family, value: r.end})}` : r.canonical
}

/** Parse the operator's address arguments; every problem is reported at once, naming its token. */
export function parseAddresses(args: string[]): ParsedRange[] {
  const {ranges, problems} = tryParsePoolAddresses(args)
  if (problems.length > 0) {
    const lines = problems.map((p) => `  ${p.message}`)
    throw badInput(
      'BAD_ADDRESS',
      `${problems.length === 1 ? 'an address is' : `${problems.length} addresses are`} not valid:\n${lines.join('\n')}`,
      problems.find((p) => p.hint)?.hint ?? 'Give CIDRs (192.168.1.240/28), ranges (192.168.1.88-192.168.1.89) or single addresses, IPv4 or IPv6.',
      {problems: problems.map((p) => ({token: p.token, reason: p.reason, hint: p.hint}))},
    )
  }
  if (ranges.length === 0) {
    throw badInput('NO_ADDRESSES', 'no addresses given', 'Give at least one address, e.g. `lbctl pool set 192.168.1.88-192.168.1.89`.')
  }
  // Bounded: the same /16 given 3,000 times makes 4.5 million pairs; a person needs the first few.
  const dup = overlapsWithin(ranges, MAX_REPORTED)
  if (dup.length > 0) {
    const d = dup[0]
    throw badInput(
      'OVERLAP_IN_INPUT',
      `the addresses given overlap: ${d.message}`,
      'Give each address once: drop or shrink one of the two.',
      {overlaps: dup.map((o) => ({a: o.a.token, b: o.b.token, overlap: formatRange(o.common)}))},
    )
  }
  return ranges
}

export function checkPoolName(name: string): void {
  const why = validObjectName(name)
  if (why) throw badInput('BAD_POOL_NAME', `pool name "${name}" ${why}`, 'Use a name like "default" or "public-v4".')
}

/** How many overlapping pairs an error lists (and computes): enough to act on, bounded for any input. */
const MAX_REPORTED = 10

/**
 * Refuse ranges that overlap another pool, naming the pool and the shared addresses. A pool with entries lbctl cannot
 * read could hold any address: refuse then too, naming the entry, rather than assume it holds none.
 */
export function checkOverlapWithPools(name: string, ranges: IPRange[], pools: IPAddressPool[]): void {
  const clashes: Array<{range: string; pool: string; poolRange: string}> = []
  for (const p of pools) {
    if (p.metadata.name === name) continue
    const theirs = poolRanges(p)
    if (theirs.invalid.length > 0) {
      throw unreadablePool(p, theirs.invalid, `lbctl cannot tell whether the addresses given overlap it`)
    }
    for (const r of ranges) {
      for (const t of theirs.ranges) {
        if (r.family === t.family && r.start <= t.end && t.start <= r.end && clashes.length < MAX_REPORTED) {
          clashes.push({range: formatRange(r), pool: p.metadata.name, poolRange: formatRange(t)})
        }
      }
    }
  }
  if (clashes.length > 0) {
    const c = clashes[0]
    throw badInput(
      'POOL_OVERLAP',
      `${c.range} overlaps pool "${c.pool}" (${c.poolRange})`,
      `Choose addresses outside pool "${c.pool}", or change that pool first: \`lbctl pool show ${c.pool}\`.`,
      {overlaps: clashes},
    )
  }
}

/** A pool whose `addresses` has entries that cannot be read (written by another tool): name them and the fix. */
export function unreadablePool(pool: IPAddressPool, invalid: string[], why: string): Error {
  const ns = pool.metadata.namespace ? ` -n ${pool.metadata.namespace}` : ''
  return badInput(
    'POOL_UNREADABLE',
    `pool "${pool.metadata.name}" has ${invalid.length === 1 ? 'an entry' : `${invalid.length} entries`} that cannot be read (${invalid.map((t) => JSON.stringify(t)).join(', ')}), so ${why}`,
    `Correct the entry with \`kubectl edit ipaddresspool ${pool.metadata.name}${ns}\`, then run the command again.`,
    {pool: pool.metadata.name, invalid},
  )
}

/** Warnings for addresses that are also a node's address (traffic to them would go to the node, not the service). */
export function nodeAddressWarnings(ranges: IPRange[], nodes: NodeObject[]): string[] {
  const out: string[] = []
  for (const n of nodes) {
    for (const a of n.status?.addresses ?? []) {
      const ip = tryParseIP(a.address)
      if (ip && ranges.some((r) => rangeContains(r, ip))) {
        out.push(`${a.address} is the ${a.type} of node ${n.metadata.name}: a service given it would be unreachable`)
      }
    }
  }
  return out
}

export interface PoolPlan {
  action: 'create' | 'update' | 'unchanged'
  manifest: IPAddressPool
  added: string[]
  removed: string[]
  /** Settings the change sets to another value, e.g. "avoidBuggyIPs: true → false". */
  changed: string[]
  /** Services holding addresses the change takes away. */
  affected: Holder[]
}

export interface PlanInput {
  name: string
  namespace: string
  existing?: IPAddressPool
  /** The pool's new address list (canonical strings, in order). */
  addresses: string[]
  autoAssign?: boolean
  avoidBuggyIPs?: boolean
  services: Service[]
  /** Every pool in the namespace (to tell whether a held address may be in an entry that cannot be read); default: the existing one. */
  pools?: IPAddressPool[]
  force: boolean
}

/** Compute the change to one pool, refusing (DATA_LOSS) to take away addresses services hold unless forced. */
export function planPool(input: PlanInput): PoolPlan {
  const {existing} = input
  const parsedNew = tryParsePoolAddresses(input.addresses)
  const newRanges = mergeRanges(parsedNew.ranges)
  const old = existing ? poolRanges(existing) : {ranges: [], invalid: []}
  const oldRanges = old.ranges
  const added = subtractRanges(newRanges, oldRanges).map(formatRange)
  const removedRanges = subtractRanges(oldRanges, newRanges)
  const autoAssign = input.autoAssign ?? existing?.spec?.autoAssign
  const avoidBuggyIPs = input.avoidBuggyIPs ?? existing?.spec?.avoidBuggyIPs
  const spec: NonNullable<IPAddressPool['spec']> = {addresses: input.addresses}
  if (autoAssign !== undefined) spec.autoAssign = autoAssign
  if (avoidBuggyIPs !== undefined) spec.avoidBuggyIPs = avoidBuggyIPs
  const manifest: IPAddressPool = {
    apiVersion: Kinds.IPAddressPool.apiVersion,
    kind: Kinds.IPAddressPool.kind,
    metadata: {name: input.name, namespace: input.namespace, ...(existing ? {resourceVersion: existing.metadata.resourceVersion} : {})},
    spec,
  }
  let affected: Holder[] = []
  if (existing && removedRanges.length > 0) {
    const lost = computeUsage([{...existing, spec: {...existing.spec, addresses: removedRanges.map(formatRange)}} as IPAddressPool], input.services)
    affected = lost.get(input.name)?.holders ?? []
  }
  const unchanged =
    existing !== undefined &&
    JSON.stringify(existing.spec?.addresses ?? []) === JSON.stringify(input.addresses) &&
    (input.autoAssign === undefined || (existing.spec?.autoAssign ?? true) === input.autoAssign) &&
    (input.avoidBuggyIPs === undefined || (existing.spec?.avoidBuggyIPs ?? false) === input.avoidBuggyIPs)
  const changed: string[] = []
  if (existing) {
    const was = {autoAssign: existing.spec?.autoAssign ?? true, avoidBuggyIPs: existing.spec?.avoidBuggyIPs ?? false}
    if (input.autoAssign !== undefined && was.autoAssign !== input.autoAssign) changed.push(`autoAssign: ${was.autoAssign} → ${input.autoAssign}`)
    if (input.avoidBuggyIPs !== undefined && was.avoidBuggyIPs !== input.avoidBuggyIPs) changed.push(`avoidBuggyIPs: ${was.avoidBuggyIPs} → ${input.avoidBuggyIPs}`)
  }
  const plan: PoolPlan = {action: existing ? (unchanged ? 'unchanged' : 'update') : 'create', manifest, added, removed: removedRanges.map(formatRange), changed, affected}
  if (affected.length > 0 && !input.force) throw refuseDataLoss(input.name, plan.removed, affected)
  // Entries of the old pool that cannot be read and that the new spec drops: a service may hold an address there.
  const keptInvalid = new Set(parsedNew.problems.map((p) => p.token))
  const dropped = old.invalid.filter((t) => !keptInvalid.has(t))
  if (existing && dropped.length > 0 && !input.force) refuseUnreadableLoss(existing, dropped, input.pools ?? [existing], input.services)
  return plan
}

/**
 * Dropping (or deleting) pool entries that cannot be read is safe only when every address services hold is in some
 * pool's readable ranges; otherwise a holder may lose its address: refuse, naming the entries and the holders.
 */
export function refuseUnreadableLoss(pool: IPAddressPool, invalid: string[], pools: IPAddressPool[], services: Service[]): void {
  const others = pools.filter((p) => p.metadata.name !== pool.metadata.name)
  const readable: IPAddressPool = {...pool, spec: {...pool.spec, addresses: (pool.spec?.addresses ?? []).filter((a) => !invalid.includes(a))}}
  const orphans = addressesOutsidePools([...others, readable], services)
  if (orphans.length === 0) return
  const list = orphans.slice(0, 10).map((h) => `${h.namespace}/${h.name} (${h.ips.join(', ')})`).join(', ')
  throw dataLoss(
    'ADDRESSES_MAYBE_IN_USE',
    `refusing to drop ${invalid.map((t) => JSON.stringify(t)).join(', ')} from pool "${pool.metadata.name}": lbctl cannot read ${invalid.length === 1 ? 'that entry' : 'those entries'}, and ${orphans.length === 1 ? 'a service holds an address' : `${orphans.length} services hold addresses`} in no readable pool, which may be there: ${list}`,
    `Correct the entry with \`kubectl edit ipaddresspool ${pool.metadata.name}${pool.metadata.namespace ? ` -n ${pool.metadata.namespace}` : ''}\` first, or pass --force to drop it anyway.`,
    {pool: pool.metadata.name, invalid, services: orphans},
  )
}

export function refuseDataLoss(pool: string, removed: string[], affected: Holder[]): Error {
  const list = affected.slice(0, 10).map((h) => `  ${h.namespace}/${h.name} (${h.ips.join(', ')})`)
  if (affected.length > 10) list.push(`  … and ${affected.length - 10} more`)
  return dataLoss(
    'ADDRESSES_IN_USE',
    `refusing to take ${removed.join(', ')} away from pool "${pool}": ${affected.length} service${affected.length === 1 ? ' holds' : 's hold'} addresses there:\n${list.join('\n')}`,
    'Move or delete those services first, or force it (they lose their addresses).',
    {removed, services: affected},
  )
}
