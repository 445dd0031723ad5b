// `lbctl status`: the screen an operator looks at first, from the objects (the same read as the doctor's).
import type {Kube} from '../kube/client.js'
import {componentPods, controllerWorkload, implementation, imageVersion, speakerWorkload} from '../doctor/components.js'
import {announcers} from '../doctor/service-checks.js'
import {contextOf} from '../doctor/index.js'
import {readSnapshot} from '../doctor/snapshot.js'
import {listPools, type PoolSummary} from '../pool/ops.js'
import {sessionRows, type SessionRow} from './bgp.js'
import {problems} from '../cli/errors.js'

export interface ComponentStatus {
  component: 'controller' | 'speaker'
  workload?: string
  ready: number
  desired: number
  versions: string[]
  pods: Array<{name: string; node?: string; ready: boolean; version?: string}>
}

export interface StatusReport {
  namespace: string
  implementation: 'lbctl' | 'metallb' | 'unknown'
  mode?: string
  version?: string
  installedAt?: string
  ready: boolean
  components: ComponentStatus[]
  pools: PoolSummary[]
  sessions: SessionRow[]
  announced: Array<{node: string; services: Array<{service: string; addresses: string[]; protocol: 'layer2' | 'bgp'}>}>
  configuration: Array<{name: string; result: string; errorSummary?: string}>
  /** What could not be read, in words. */
  notes: string[]
}

export async function readStatus(kube: Kube, namespace: string, now: () => number = Date.now): Promise<StatusReport> {
  const [s, pools] = await Promise.all([
    readSnapshot(kube, {namespace}),
    listPools(kube, namespace).catch((err: {code?: string}) => {
      if (err.code === 'CRDS_MISSING') return [] as PoolSummary[]
      throw err
    }),
  ])
  const c = contextOf(s)
  const pods = componentPods(s)
  const comp = (component: 'controller' | 'speaker'): ComponentStatus => {
    const w = component === 'controller' ? controllerWorkload(s) : speakerWorkload(s)
    const mine = pods.filter((p) => p.component === component)
    const desired = component === 'controller' ? (w?.spec?.replicas ?? mine.length) : (w?.status?.desiredNumberScheduled ?? mine.length)
    const ready = mine.filter((p) => p.ready).length
    return {
      component, workload: w ? `${w.kind ?? (component === 'controller' ? 'Deployment' : 'DaemonSet')}/${w.metadata.name}` : undefined,
      ready, desired, versions: [...new Set(mine.map((p) => imageVersion(p.image)).filter((v): v is string => !!v))],
      pods: mine.map((p) => ({name: p.name, node: p.node, ready: p.ready, version: imageVersion(p.image)})),
    }
  }
  const components = [comp('controller'), comp('speaker')]
  const byNode = new Map<string, StatusReport['announced'][number]['services']>()
  for (const svc of s.services) {
    if (svc.spec?.type !== 'LoadBalancer') continue
    const a = announcers(c, svc)
    const addresses = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((x): x is string => !!x)
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`
    for (const n of a.l2) byNode.set(n, [...(byNode.get(n) ?? []), {service: key, addresses, protocol: 'layer2'}])
    for (const b of a.bgp) byNode.set(b.node, [...(byNode.get(b.node) ?? []), {service: key, addresses, protocol: 'bgp'}])
  }
  const notes = s.unreadable.filter((u) => u.why === 'forbidden').map((u) => `you may not read ${u.resource}${u.namespace ? ` in ${u.namespace}` : ''}`)
  if (c.impl !== 'lbctl') notes.push('BGP sessions are not in the API on upstream MetalLB (FRR keeps them)')
  return {
    namespace, implementation: implementation(s, pods),
    mode: s.install?.data?.mode, version: s.install?.data?.version, installedAt: s.install?.data?.installedAt,
    ready: components.every((x) => x.desired > 0 && x.ready >= x.desired),
    components, pools, sessions: sessionRows(s.sessions, now()),
    announced: [...byNode].sort(([a], [b]) => a.localeCompare(b)).map(([node, services]) => ({node, services: services.sort((x, y) => x.service.localeCompare(y.service))})),
    configuration: s.configStates.map((x) => ({name: x.metadata.name, result: x.status?.result ?? 'Unknown', errorSummary: x.status?.errorSummary || undefined})).sort((a, b) => a.name.localeCompare(b.name)),
    notes,
  }
}

export interface WaitIO {
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  progress?: (r: StatusReport) => void
}

/** Poll until the components are ready; after the timeout fail with PROBLEMS (exit 1) naming what is not ready. */
export async function waitReady(kube: Kube, namespace: string, timeoutMs: number, io: WaitIO = {}): Promise<StatusReport> {
  const now = io.now ?? Date.now
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const deadline = now() + timeoutMs
  for (;;) {
    const r = await readStatus(kube, namespace, now)
    if (r.ready) return r
    io.progress?.(r)
    if (now() >= deadline) {
      const what = r.components.filter((x) => !(x.desired > 0 && x.ready >= x.desired)).map((x) => `${x.component} ${x.ready}/${x.desired} ready`)
      throw problems('NOT_READY', `the load balancer in ${namespace} is not ready after ${Math.round(timeoutMs / 1000)} s: ${what.join(', ')}`,
        `See why with \`lbctl doctor\` or \`kubectl -n ${namespace} get pods -o wide\`.`, r)
    }
    await sleep(Math.min(1000, Math.max(0, deadline - now())))
  }
}


