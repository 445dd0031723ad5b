// The staged verdict for one service, from the objects: class/type → allocation → advertisement → endpoints →
// announcement. The wire stage needs the network and runs after (wire.ts). Each stage runs only when the ones before
// it passed, so the first broken stage is the one named.
import {advertisesPool, advertisesService} from '../api/advertise.js'
import type {BGPAdvertisement, L2Advertisement, Service} from '../api/types.js'
import {servedBy, serviceKey} from '../ipam/index.js'
import type {EndpointSlice} from '../../speaker/state.js'
import {allocationChecks, type AllocationView, eventsOf} from './allocation.js'
import {advertisementNodes, type Context, describeSessionError, noNodesCheck, peerSessions, poolNotAdvertised} from './cluster-checks.js'
import {sh} from './fixes.js'
import {interfaceCheck} from './interfaces.js'
import {check, type Check, type CheckStatus, type ServiceVerdict, type Stage, type StageResult} from './types.js'

export interface Selected {
  pool?: string
  l2: L2Advertisement[]
  bgp: BGPAdvertisement[]
  /** Nodes that may announce (selected by an advertisement, not excluded, with a live speaker). */
  nodes: string[]
}

const worst = (checks: Check[]): CheckStatus =>
  checks.some((x) => x.status === 'fail') ? 'fail' : checks.some((x) => x.status === 'warn') ? 'warn' : checks.every((x) => x.status === 'skip') ? 'skip' : 'pass'

export function stageResult(stage: Stage, checks: Check[]): StageResult {
  return {stage, status: worst(checks), checks}
}

/** Stages 1–5 (and a placeholder for the wire, filled by wire.ts). */
export function serviceVerdict(c: Context, alloc: AllocationView, svc: Service, named: boolean): ServiceVerdict {
  const key = serviceKey(svc)
  const subject = `Service ${key}`
  const addresses = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((x): x is string => !!x)
  const stages: StageResult[] = []
  const sel: Selected = {l2: [], bgp: [], nodes: []}
  const steps: Array<[Stage, () => Check[]]> = [
    ['class', () => classChecks(svc, subject, named)],
    ['allocation', () => allocationChecks(c, alloc, svc)],
    ['advertisement', () => advertisementChecks(c, alloc, svc, subject, sel)],
    ['endpoints', () => endpointChecks(c, svc, subject, sel)],
    ['announcement', () => announcementChecks(c, svc, subject, sel)],
  ]
  let brokenAt: Stage | undefined
  for (const [stage, run] of steps) {
    if (brokenAt) {
      stages.push(stageResult(stage, [check(firstId(stage), stageTitle(stage), 'skip', `not checked: the ${brokenAt} stage failed`, {subject})]))
      continue
    }
    const r = stageResult(stage, run())
    stages.push(r)
    if (r.status === 'fail') brokenAt = stage
  }
  return {namespace: svc.metadata.namespace ?? 'default', name: svc.metadata.name, addresses, brokenAt, stages}
}

const firstId = (stage: Stage): Check['id'] =>
  ({class: 'service.type', allocation: 'allocation.assigned', advertisement: 'advertisement.pool-selected', endpoints: 'endpoints.ready', announcement: 'announcement.node', wire: 'wire.single-mac'} as const)[stage]
export const stageTitle = (stage: Stage): string =>
  ({class: 'Type and class', allocation: 'Address assigned', advertisement: 'Pool advertised', endpoints: 'Ready endpoints', announcement: 'Announced', wire: 'One MAC on the wire'})[stage]

function classChecks(svc: Service, subject: string, named: boolean): Check[] {
  const served = servedBy(svc)
  const ns = sh(svc.metadata.namespace ?? 'default')
  if (served === 'notLoadBalancer') {
    return [check('service.type', 'Type LoadBalancer', named ? 'fail' : 'skip', `type is ${svc.spec?.type ?? 'ClusterIP'}, not LoadBalancer: the load balancer does not handle it`, {
      subject, fix: `kubectl -n ${ns} patch service ${sh(svc.metadata.name)} -p '{"spec":{"type":"LoadBalancer"}}'`,
    })]
  }
  if (served === 'otherClass') {
    return [check('service.class', 'Load balancer class', 'fail', `spec.loadBalancerClass is ${svc.spec?.loadBalancerClass}: another implementation handles it, not this load balancer`, {subject, fix: `kubectl -n ${ns} get service ${sh(svc.metadata.name)} -o yaml`})]
  }
  return [check('service.type', 'Type LoadBalancer', 'pass', 'type LoadBalancer, no other load balancer class', {subject})]
}

const selects = (spec: L2Advertisement['spec'] | BGPAdvertisement['spec'], pool: string, poolLabels: Record<string, string> | undefined): boolean =>
  advertisesPool(spec, {metadata: {name: pool, labels: poolLabels}})

function advertisementChecks(c: Context, alloc: AllocationView, svc: Service, subject: string, sel: Selected): Check[] {
  const pool = alloc.poolOf.get(serviceKey(svc))
  if (!pool) return [check('advertisement.pool-selected', 'Pool advertised', 'skip', 'the address is in no pool', {subject})]
  sel.pool = pool
  const poolLabels = c.s.pools.find((p) => p.metadata.name === pool)?.metadata.labels
  const byPool = {l2: c.s.l2.filter((a) => selects(a.spec, pool, poolLabels)), bgp: c.s.bgpAdvertisements.filter((a) => selects(a.spec, pool, poolLabels))}
  if (byPool.l2.length + byPool.bgp.length === 0) return [poolNotAdvertised(c, pool, subject)]
  const svcOk = (a: L2Advertisement | BGPAdvertisement): boolean => advertisesService(a.spec, svc)
  sel.l2 = byPool.l2.filter(svcOk)
  sel.bgp = byPool.bgp.filter(svcOk)
  const names = [...sel.l2.map((a) => `L2Advertisement/${a.metadata.name}`), ...sel.bgp.map((a) => `BGPAdvertisement/${a.metadata.name}`)]
  if (names.length === 0) {
    return [check('advertisement.pool-selected', 'Pool advertised', 'fail', `the advertisements of pool ${pool} select other services (serviceSelectors): this one is not announced`, {
      subject, evidence: [...byPool.l2, ...byPool.bgp].map((a) => `${a.kind}/${a.metadata.name} serviceSelectors ${JSON.stringify(a.spec?.serviceSelectors)}`),
      fix: `kubectl -n ${sh(svc.metadata.namespace ?? 'default')} get service ${sh(svc.metadata.name)} --show-labels`,
    })]
  }
  const out: Check[] = [check('advertisement.pool-selected', 'Pool advertised', 'pass', `pool ${pool} is advertised by ${names.join(', ')}`, {subject})]
  const nodes = new Set<string>()
  for (const a of [...sel.l2, ...sel.bgp]) for (const n of advertisementNodes(c, a.spec?.nodeSelectors).nodes) nodes.add(n)
  sel.nodes = [...nodes].sort()
  if (sel.nodes.length === 0) {
    const a = [...sel.l2, ...sel.bgp][0]
    out.push(noNodesCheck(c, a.kind, a.metadata.name, a.spec?.nodeSelectors, advertisementNodes(c, a.spec?.nodeSelectors).why, subject))
  } else {
    out.push(check('advertisement.nodes', 'Advertisement has nodes', 'pass', `may be announced from ${sel.nodes.join(', ')}`, {subject}))
    const ic = interfaceCheck(c, sel, subject)
    if (ic) out.push(ic)
  }
  return out
}

function readyEndpoints(c: Context, svc: Service): {slices: EndpointSlice[]; ready: number; nodes: Set<string>} {
  const slices = c.ix.slices.get(serviceKey(svc)) ?? []
  let ready = 0
  const nodes = new Set<string>()
  for (const s of slices) for (const e of s.endpoints ?? []) {
    if (e.conditions?.ready === false) continue
    ready++
    if (e.nodeName) nodes.add(e.nodeName)
  }
  return {slices, ready, nodes}
}

/** Nodes that announce the service now (ServiceL2Status / ServiceBGPStatus). */
export function announcers(c: Context, svc: Service): {l2: string[]; bgp: Array<{node: string; peers: string[]}>} {
  const nodeOf = (x: {metadata: {labels?: Record<string, string>}; status?: {node?: string}}): string => x.status?.node ?? x.metadata.labels?.['metallb.io/node'] ?? '?'
  const key = serviceKey(svc)
  return {
    l2: (c.ix.l2.get(key) ?? []).map(nodeOf).sort(),
    bgp: (c.ix.bgp.get(key) ?? []).map((x) => ({node: nodeOf(x), peers: x.status?.peers ?? []})),
  }
}

function endpointChecks(c: Context, svc: Service, subject: string, sel: Selected): Check[] {
  const ns = sh(svc.metadata.namespace ?? 'default')
  const show = `kubectl -n ${ns} get endpointslices -l kubernetes.io/service-name=${sh(svc.metadata.name)} -o wide`
  if (!svc.spec?.selector || Object.keys(svc.spec.selector).length === 0) return [check('endpoints.ready', 'Ready endpoints', 'skip', 'the service has no selector (endpoints are managed by hand)', {subject})]
  if (c.s.unreadable.some((u) => u.resource.startsWith('endpointslices'))) return [check('endpoints.ready', 'Ready endpoints', 'skip', 'you may not read EndpointSlices', {subject})]
  const ep = readyEndpoints(c, svc)
  if (ep.ready === 0) {
    return [check('endpoints.ready', 'Ready endpoints', 'fail', 'no ready endpoint: the speakers announce a service only when it has one', {
      subject, evidence: ep.slices.map((s) => `EndpointSlice ${s.metadata.name}: ${(s.endpoints ?? []).length} endpoints, none ready`), fix: show,
    })]
  }
  const out = [check('endpoints.ready', 'Ready endpoints', 'pass', `${ep.ready} ready endpoint${ep.ready === 1 ? '' : 's'}${ep.nodes.size ? ` on ${[...ep.nodes].sort().join(', ')}` : ''}`, {subject})]
  if (svc.spec?.externalTrafficPolicy === 'Local') {
    const a = announcers(c, svc)
    const ann = [...a.l2, ...a.bgp.map((b) => b.node)]
    const without = ann.filter((n) => !ep.nodes.has(n))
    const local = [...ep.nodes].filter((n) => sel.nodes.length === 0 || sel.nodes.includes(n))
    if (without.length > 0) {
      out.push(check('endpoints.local-on-announcer', 'Local endpoint on the announcing node', 'fail', `externalTrafficPolicy Local: ${without.join(', ')} announce${without.length === 1 ? 's' : ''} the address but ${without.length === 1 ? 'has' : 'have'} no ready endpoint, so traffic arriving there is dropped`, {
        subject, evidence: [`announcing: ${ann.join(', ')}`, `nodes with a ready endpoint: ${[...ep.nodes].sort().join(', ') || 'none'}`], fix: show,
      }))
    } else if (local.length === 0) {
      out.push(check('endpoints.local-on-announcer', 'Local endpoint on the announcing node', 'fail', 'externalTrafficPolicy Local: no node that may announce has a ready endpoint', {
        subject, evidence: [`may announce: ${sel.nodes.join(', ')}`, `nodes with a ready endpoint: ${[...ep.nodes].sort().join(', ') || 'none'}`], fix: show,
      }))
    } else {
      out.push(check('endpoints.local-on-announcer', 'Local endpoint on the announcing node', 'pass', `externalTrafficPolicy Local: ready endpoints on ${[...ep.nodes].sort().join(', ')}`, {subject}))
    }
  }
  return out
}

function announcementChecks(c: Context, svc: Service, subject: string, sel: Selected): Check[] {
  const statusKinds = !c.s.unreadable.some((u) => u.resource === 'servicel2statuses.metallb.io' || u.resource === 'servicebgpstatuses.metallb.io')
  if (!statusKinds) return [check('announcement.node', 'Announced', 'skip', 'ServiceL2Status/ServiceBGPStatus cannot be read (MetalLB older than v0.14, or no access)', {subject})]
  const a = announcers(c, svc)
  const ns = sh(c.s.namespace)
  const events = eventsOf(c, svc).filter((e) => /nodeAssigned|NotAnnounced/.test(e))
  const out: Check[] = []
  if (a.l2.length === 0 && a.bgp.length === 0) {
    return [check('announcement.node', 'Announced', 'fail', 'no node announces it (no ServiceL2Status or ServiceBGPStatus names it)', {
      subject, evidence: [`may announce: ${sel.nodes.join(', ')}`, ...events], fix: `kubectl -n ${sh(svc.metadata.namespace ?? 'default')} get events --field-selector involvedObject.name=${sh(svc.metadata.name)}`,
    })]
  }
  if (a.l2.length > 1) {
    out.push(check('announcement.node', 'Announced', 'fail', `${a.l2.length} nodes announce it in layer 2 (${a.l2.join(', ')}): the speakers disagree on the election`, {
      subject, evidence: events, fix: `kubectl -n ${ns} get servicel2statuses -l metallb.io/service-name=${sh(svc.metadata.name)} -o wide`,
    }))
    return out
  }
  const nodes = [...a.l2, ...a.bgp.map((b) => b.node)]
  out.push(check('announcement.node', 'Announced', 'pass', `announced from ${[...a.l2.map((n) => `${n} (layer 2)`), ...a.bgp.map((b) => `${b.node} (BGP to ${b.peers.join(', ') || 'no peer'})`)].join(', ')}`, {subject, evidence: events}))
  const dead = nodes.filter((n) => !c.live.has(n))
  if (dead.length > 0) {
    const pod = c.pods.find((p) => p.component === 'speaker' && p.node === dead[0])
    out.push(check('speakers.running', 'Speakers', 'fail', `the speaker on ${dead.join(', ')} is not running, but ${dead.length === 1 ? 'that node is' : 'those nodes are'} named as announcing: nobody answers for the address there`, {
      subject, evidence: pod ? [`pod ${pod.name}: ${pod.phase}${pod.ready ? '' : ', not ready'}`] : [`no speaker pod on ${dead[0]}`],
      fix: pod ? `kubectl -n ${ns} describe pod ${sh(pod.name)}` : `kubectl -n ${ns} get pods -o wide`,
    }))
    return out
  }
  if (a.bgp.length > 0 && c.impl === 'lbctl') {
    for (const b of a.bgp) {
      for (const peer of b.peers) {
        const r = peerSessions(c, peer, b.node)
        const bad = r.down[0]
        if (bad || r.missing.length > 0) {
          out.push(check('bgp.sessions', 'BGP sessions', 'fail', `${b.node} announces it to ${peer}, but the session is ${bad?.status?.state ?? 'missing'}${bad && describeSessionError(bad) ? `: ${describeSessionError(bad)}` : ''}`, {
            subject, fix: `kubectl -n ${ns} get bgppeersessions -l lbctl.io/peer=${sh(peer)} -o yaml`,
          }))
        } else if ((r.up[0]?.status?.prefixesAdvertised ?? 0) === 0) {
          out.push(check('bgp.sessions', 'BGP sessions', 'warn', `${b.node} → ${peer}: Established, but no prefix advertised yet`, {subject, fix: `kubectl -n ${ns} get bgppeersessions -l lbctl.io/peer=${sh(peer)} -o yaml`}))
        }
      }
    }
  }
  return out
}



