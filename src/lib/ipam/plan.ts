// A whole pass over every service at once, in an order that does not depend on how events arrived: services that
// already hold addresses first (so a restart never takes an address from its holder), oldest first, then by name.
import type {IP} from '../net/index.js'
import {Allocator, type Outcome} from './allocator.js'
import type {PoolDef} from './pools.js'
import type {ServiceRequest} from './request.js'

export interface PlanItem {
  req: ServiceRequest
  /** Addresses the service holds now (its status.loadBalancer.ingress). */
  held: IP[]
  /** metadata.creationTimestamp (RFC 3339 sorts as text); '' when unknown. */
  created: string
}

/** The order a pass processes services in: holders, then pending; each oldest first, then by `namespace/name`. */
export function passOrder<T extends PlanItem>(items: T[]): T[] {
  return [...items].sort((a, b) => {
    const ha = a.held.length > 0 ? 0 : 1
    const hb = b.held.length > 0 ? 0 : 1
    if (ha !== hb) return ha - hb
    if (a.created !== b.created) return a.created < b.created ? -1 : 1
    return a.req.key < b.req.key ? -1 : a.req.key > b.req.key ? 1 : 0
  })
}

/**
 * Apply a pass to an allocator: what the items hold is restored first, then each is ensured, in pass order. Returns
 * the items in that order with their outcomes. On a fresh allocator this is planAll; a daemon's incremental pass
 * applies the changed items to the allocator of its last full pass.
 */
export function applyPass<T extends PlanItem>(allocator: Allocator, items: T[]): Array<{item: T; outcome: Outcome}> {
  const ordered = passOrder(items)
  for (const it of ordered) if (it.held.length > 0) allocator.restore(it.req, it.held)
  return ordered.map((item) => ({item, outcome: allocator.ensure(item.req, item.held)}))
}

/** Run one pass on a fresh allocator. The result depends only on the set of items, never on their order. */
export function planAll<T extends PlanItem>(pools: PoolDef[], items: T[]): {allocator: Allocator; outcomes: Map<string, Outcome>; ordered: Array<{item: T; outcome: Outcome}>} {
  const allocator = new Allocator(pools)
  const ordered = applyPass(allocator, items)
  return {allocator, outcomes: new Map(ordered.map((o) => [o.item.req.key, o.outcome])), ordered}
}
