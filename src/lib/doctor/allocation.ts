// The allocation stage: the address a service holds, or why it has none — the controller's own rules (src/lib/ipam)
// run over the same objects, so the reason given is the one the controller hits.
import {Annotations, DeprecatedAnnotations} from '../api/constants.js'
import type {Service} from '../api/types.js'
import {compilePools, type Failure, failureMessage, type Outcome, parseService, planAll, type PlanItem, servedBy, serviceKey} from '../ipam/index.js'
import {tryParseIP, type IP} from '../net/index.js'
import {computeUsage} from '../pool/usage.js'
import type {Context} from './cluster-checks.js'
import {lbNs, sh} from './fixes.js'
import {check, type Check} from './types.js'

export interface AllocationView {
  outcomes: Map<string, Outcome>
  /** Pool of each assigned service (from the usage index), by `namespace/name`. */
  poolOf: Map<string, string>
}

export function planAllocations(c: Context): AllocationView {
  const nsLabels = new Map(c.s.namespaces.map((n) => [n.metadata.name, n.metadata.labels ?? {}]))
  const items: PlanItem[] = []
  for (const svc of c.s.services) {
    if (servedBy(svc) !== true) continue
    const held = (svc.status?.loadBalancer?.ingress ?? []).map((i) => (i.ip ? tryParseIP(i.ip) : undefined)).filter((x): x is IP => x !== undefined)
    items.push({req: parseService(svc, nsLabels.get(svc.metadata.namespace ?? 'default') ?? {}), held, created: svc.metadata.creationTimestamp ?? ''})
  }
  // Only pending services need the controller's reason; with none, the allocator pass is not worth its cost.
  const {outcomes} = items.some((i) => i.held.length === 0) ? planAll(compilePools(c.s.pools).pools, items) : {outcomes: new Map<string, Outcome>()}
  const poolOf = new Map<string, string>()
  for (const [pool, u] of computeUsage(c.s.pools, c.s.services)) for (const h of u.holders) poolOf.set(`${h.namespace}/${h.name}`, pool)
  return {outcomes, poolOf}
}

const serviceEvents = (c: Context, svc: Service): string[] =>
  [...(c.ix.events.get(serviceKey(svc)) ?? [])]
    .sort((a, b) => String(a.lastTimestamp ?? a.eventTime ?? '').localeCompare(String(b.lastTimestamp ?? b.eventTime ?? '')))
    .map((e) => `event ${e.type ?? 'Normal'} ${e.reason ?? ''}: ${e.message ?? ''}`)

export const eventsOf = serviceEvents

export function allocationChecks(c: Context, view: AllocationView, svc: Service): Check[] {
  const key = serviceKey(svc)
  const subject = `Service ${key}`
  const ips = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((x): x is string => !!x)
  const events = serviceEvents(c, svc)
  if (ips.length > 0) {
    const pool = view.poolOf.get(key) ?? svc.metadata.annotations?.[Annotations.ipAllocatedFromPool] ?? svc.metadata.annotations?.[DeprecatedAnnotations.ipAllocatedFromPool]
    if (!view.poolOf.has(key)) {
      return [check('allocation.assigned', 'Address assigned', 'warn', `holds ${ips.join(', ')}, which is in no IPAddressPool now (the pool was changed after assignment?)`, {subject, evidence: events, fix: `lbctl pool list${lbNs(c.s)}`})]
    }
    return [check('allocation.assigned', 'Address assigned', 'pass', `${ips.join(', ')} from pool ${pool}`, {subject})]
  }
  const outcome = view.outcomes.get(key)
  const ns = sh(svc.metadata.namespace ?? 'default')
  const name = sh(svc.metadata.name)
  const describe = `kubectl -n ${ns} describe service ${name}`
  if (!outcome || outcome.ok) {
    const why = outcome?.ok ? `pool ${outcome.assignment.pool} has room, but the controller has not assigned an address` : 'the controller has not assigned an address'
    return [check('allocation.assigned', 'Address assigned', 'fail', `pending: ${why} — is the controller running and watching this service?`, {subject, evidence: events, fix: describe})]
  }
  return [failureCheck(c, svc, outcome.failure, events)]
}

function failureCheck(c: Context, svc: Service, f: Failure, events: string[]): Check {
  const subject = `Service ${serviceKey(svc)}`
  const msg = `pending: ${failureMessage(f)}`
  const ns = sh(svc.metadata.namespace ?? 'default')
  const name = sh(svc.metadata.name)
  switch (f.reason) {
    case 'requestedIPNotInAnyPool': {
      const pool = `requested-${svc.metadata.namespace ?? 'default'}-${svc.metadata.name}`.slice(0, 63).replace(/-+$/, '')
      const prefix = f.ip.includes(':') ? '/128' : '/32'
      return check('allocation.requested-address', 'Requested address in a pool', 'fail', msg, {
        subject, evidence: [`requested: ${f.ip}`, `pools: ${c.s.pools.map((p) => `${p.metadata.name} (${(p.spec?.addresses ?? []).join(', ')})`).join('; ') || 'none'}`, ...events],
        fix: `lbctl pool add ${sh(pool)} ${sh(f.ip + prefix)} --no-auto-assign${lbNs(c.s)}`,
      })
    }
    case 'requestedIPNotInPool':
      return check('allocation.requested-address', 'Requested address in a pool', 'fail', msg, {subject, evidence: events, fix: `kubectl -n ${ns} annotate service ${name} ${Annotations.addressPool}=${sh(f.actualPool)} --overwrite`})
    case 'poolNotFound':
      return check('allocation.pool-exists', 'Named pool exists', 'fail', msg, {
        subject, evidence: [`pools: ${c.s.pools.map((p) => p.metadata.name).join(', ') || 'none'}`, ...events],
        fix: `kubectl -n ${ns} annotate service ${name} ${Annotations.addressPool}-`,
      })
    case 'poolExhausted': {
      const usage = computeUsage(c.s.pools, c.s.services)
      return check('allocation.pool-exhausted', 'Pool has free addresses', 'fail', msg, {
        subject,
        evidence: [...f.pools.map((p) => {
          const u = usage.get(p)
          return u ? `pool ${p}: ${u.inUse[4] + u.inUse[6]} of ${u.size[4] + u.size[6]} in use by ${u.holders.map((h) => `${h.namespace}/${h.name}`).join(', ')}` : `pool ${p}`
        }), ...events],
        fix: `lbctl pool show ${sh(f.pools[0] ?? '')}${lbNs(c.s)}`,
      })
    }
    default:
      return check('allocation.assigned', 'Address assigned', 'fail', msg, {subject, evidence: [`reason: ${f.reason}`, ...events], fix: `kubectl -n ${ns} describe service ${name}`})
  }
}
