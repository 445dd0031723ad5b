// What the controller decided for one service, what that means for the Service object, and which events tell a user.
import {Annotations, DeprecatedAnnotations} from '../lib/api/constants.js'
import type {Service} from '../lib/api/types.js'
import {failureMessage, type Failure, type NotServed, type Outcome} from '../lib/ipam/index.js'
import {formatIP, tryParseIP, type IP} from '../lib/net/index.js'

export type Decision =
  | {kind: 'assigned'; ips: string[]; pool: string; kept: boolean; sharedWith: string[]; dropped?: Failure}
  | {kind: 'failed'; failure: Failure; dropped?: Failure}
  | {kind: 'released'; why: NotServed}

/** What the Service should show: its ingress addresses and the pool annotation (undefined: no annotation). */
export interface Desired {
  ingress: string[]
  pool?: string
}

export function decisionOf(o: Outcome): Decision {
  if (o.ok) {
    return {kind: 'assigned', ips: o.assignment.ips.map(formatIP), pool: o.assignment.pool, kept: o.kept, sharedWith: o.sharedWith, dropped: o.dropped}
  }
  return {kind: 'failed', failure: o.failure, dropped: o.dropped}
}

export const ingressIPs = (svc: Service): string[] =>
  (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => !!ip)

/** The addresses a service holds according to its status (unparsable entries are not held). */
export const heldIPs = (svc: Service): IP[] =>
  ingressIPs(svc).map((s) => tryParseIP(s)).filter((ip): ip is IP => ip !== undefined)

const poolAnnotation = (svc: Service): string | undefined =>
  svc.metadata.annotations?.[Annotations.ipAllocatedFromPool] ?? svc.metadata.annotations?.[DeprecatedAnnotations.ipAllocatedFromPool]

/**
 * The state a decision asks for, or undefined when the service is not ours to touch. `isOurPool` says whether a pool
 * name is one of this controller's pools (its namespace).
 */
export function desiredFor(d: Decision, svc: Service, isOurPool: (name: string) => boolean = () => true): Desired | undefined {
  if (d.kind === 'assigned') return {ingress: d.ips, pool: d.pool}
  if (d.kind === 'failed') return {ingress: []}
  // Not served any more: clear what we wrote. A service of another class is cleared only when it carries the pool
  // annotation naming one of our pools: another load balancer (or a second lbctl with its own class and pools, which
  // writes the same annotation) may own its status.
  const pool = poolAnnotation(svc)
  const ours = pool !== undefined
  if (d.why === 'otherClass' && !(ours && isOurPool(pool))) return undefined
  if (!ours && ingressIPs(svc).length === 0) return undefined
  return {ingress: []}
}

const canon = (ips: string[]): string => ips.map((s) => {
  const ip = tryParseIP(s)
  return ip ? formatIP(ip) : s
}).sort().join(',')

export function statusDiffers(svc: Service, want: Desired): boolean {
  const ingress = svc.status?.loadBalancer?.ingress ?? []
  if (ingress.some((i) => !i.ip)) return true
  return canon(ingress.map((i) => i.ip!)) !== canon(want.ingress)
}

export function annotationDiffers(svc: Service, want: Desired): boolean {
  const a = svc.metadata.annotations ?? {}
  if (a[Annotations.ipAllocatedFromPool] !== want.pool) return true
  // The deprecated spelling is ours too: remove it once the metallb.io one is written.
  return a[DeprecatedAnnotations.ipAllocatedFromPool] !== undefined
}

export interface EventSpec {
  type: 'Normal' | 'Warning'
  reason: string
  message: string
}

const same = (a: Decision | undefined, b: Decision): boolean => JSON.stringify(a) === JSON.stringify(b)

/** Events for a new decision: only when it differs from the previous one, so re-evaluation is silent. */
export function eventsFor(prev: Decision | undefined, next: Decision, deprecated: string[]): EventSpec[] {
  const out: EventSpec[] = []
  for (const d of deprecated) {
    out.push({type: 'Warning', reason: 'DeprecatedAnnotation', message: `annotation ${d} is deprecated; use ${d.replace('metallb.universe.tf/', 'metallb.io/')}`})
  }
  if (same(prev, next)) return out
  if (next.kind !== 'released' && next.dropped) {
    out.push({type: 'Warning', reason: 'ClearAssignment', message: `current address no longer allowed (${next.dropped.reason}): ${failureMessage(next.dropped)}`})
  }
  if (next.kind === 'assigned') {
    const moved = prev?.kind !== 'assigned' || prev.ips.join() !== next.ips.join() || prev.pool !== next.pool
    if (moved) {
      const shared = next.sharedWith.length ? `, shared with ${next.sharedWith.join(', ')}` : ''
      out.push({type: 'Normal', reason: 'IPAllocated', message: `Assigned IP ${JSON.stringify(next.ips)} from pool ${next.pool}${shared}`})
    }
  } else if (next.kind === 'failed') {
    out.push({type: 'Warning', reason: 'AllocationFailed', message: `${next.failure.reason}: ${failureMessage(next.failure)}`})
  } else if (prev?.kind === 'assigned') {
    const why = next.why === 'notLoadBalancer' ? 'the service is no longer of type LoadBalancer' : 'the service has a loadBalancerClass this controller does not serve'
    out.push({type: 'Normal', reason: 'ClearAssignment', message: `Released ${JSON.stringify(prev.ips)}: ${why}`})
  }
  return out
}

const ours = (k: string): boolean => k.startsWith('metallb.io/') || k.startsWith('metallb.universe.tf/')

/** The parts of a Service the controller reads: what the informer keeps (10,000 services must fit in a small heap). */
export function slimService(s: Service): Service {
  const m = s.metadata
  const spec = s.spec ?? {}
  const ann = m.annotations ? Object.fromEntries(Object.entries(m.annotations).filter(([k]) => ours(k))) : undefined
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: {
      name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp,
      labels: m.labels, annotations: ann && Object.keys(ann).length ? ann : undefined,
    },
    spec: {
      type: spec.type, loadBalancerIP: spec.loadBalancerIP, loadBalancerClass: spec.loadBalancerClass, ipFamilies: spec.ipFamilies,
      ipFamilyPolicy: spec.ipFamilyPolicy, externalTrafficPolicy: spec.externalTrafficPolicy,
      selector: spec.externalTrafficPolicy === 'Local' ? spec.selector : undefined,
      ports: spec.ports?.map((p) => ({port: p.port, protocol: p.protocol})),
    },
    status: s.status?.loadBalancer ? {loadBalancer: s.status.loadBalancer} : undefined,
  }
}
