import {Kinds} from '../api/constants.js'
import {validObjectName} from '../api/selectors.js'
import type {IPAddressPool, NodeObject, Service} from '../api/types.js'
import {badInput, dataLoss} from '../errors.js'
import {
  type IPRange, type ParsedRange, findOverlaps, formatIP, formatRange, mergeRanges, overlapsWithin, rangeContains, subtractRanges,
  tryParseAddressList, tryParseIP,
} from '../net/index.js'
import {type Holder, computeUsage, poolRanges} from './usage.js'

/** How a parsed item is stored in spec.addresses: the form the operator used (a range stays a range), normalised. */
export function specForm(r: ParsedRange): string {
  return r.kind === 'range' ? `${formatIP({family: r.family, value: r.start})}-${formatIP({family: r.family, value: r.end})}` : r.canonical
}

/** Parse the operator's address arguments; every problem is reported at once, naming its token. */
export function parseAddresses(args: string[]): ParsedRange[] {
  const {ranges, problems} = tryParseAddressList(args)
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
  const dup = overlapsWithin(ranges)
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

/** Refuse ranges that overlap another pool, naming the pool and the shared addresses. */
export function checkOverlapWithPools(name: string, ranges: IPRange[], pools: IPAddressPool[]): void {
  const items: Array<{range: IPRange; pool: string}> = ranges.map((r) => ({range: r, pool: name}))
  for (const p of pools) {
    if (p.metadata.name === name) continue
    for (const r of poolRanges(p).ranges) items.push({range: r, pool: p.metadata.name})
  }
  const clashes = findOverlaps(items).filter(([a, b]) => (a.pool === name) !== (b.pool === name))
  if (clashes.length > 0) {
    const [a, b] = clashes[0][0].pool === name ? clashes[0] : [clashes[0][1], clashes[0][0]]
    throw badInput(
      'POOL_OVERLAP',
      `${formatRange(a.range)} overlaps pool "${b.pool}" (${formatRange(b.range)})`,
      `Choose addresses outside pool "${b.pool}", or change that pool first: \`lbctl pool show ${b.pool}\`.`,
      {overlaps: clashes.map(([x, y]) => (x.pool === name ? {range: formatRange(x.range), pool: y.pool, poolRange: formatRange(y.range)} : {range: formatRange(y.range), pool: x.pool, poolRange: formatRange(x.range)}))},
    )
  }
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
  force: boolean
}

/** Compute the change to one pool, refusing (DATA_LOSS) to take away addresses services hold unless forced. */
export function planPool(input: PlanInput): PoolPlan {
  const {existing} = input
  const newRanges = mergeRanges(tryParseAddressList(input.addresses).ranges)
  const oldRanges = existing ? poolRanges(existing).ranges : []
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
  const plan: PoolPlan = {action: existing ? (unchanged ? 'unchanged' : 'update') : 'create', manifest, added, removed: removedRanges.map(formatRange), affected}
  if (affected.length > 0 && !input.force) throw refuseDataLoss(input.name, plan.removed, affected)
  return plan
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
