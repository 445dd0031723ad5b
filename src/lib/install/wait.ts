// `install --wait`: poll the controller Deployment and the speaker DaemonSet until every replica is ready.
import {problems} from '../errors.js'
import type {Kube, KubernetesObject} from '../kube/client.js'
import {realSleep} from '../kube/retry.js'
import {Names} from './names.js'

const DEPLOYMENT = {apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments'}
const DAEMONSET = {apiVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets'}

type Workload = KubernetesObject & {
  metadata?: {generation?: number}
  spec?: {replicas?: number}
  status?: {observedGeneration?: number; replicas?: number; readyReplicas?: number; updatedReplicas?: number; availableReplicas?: number
    desiredNumberScheduled?: number; numberReady?: number; updatedNumberScheduled?: number; numberAvailable?: number}
}

export interface Readiness {
  controller: {desired: number; ready: number; updated: number}
  speaker: {desired: number; ready: number; updated: number}
  done: boolean
  /** What is not ready yet, in words. */
  waitingFor: string[]
}

export function readiness(dep: Workload | undefined, ds: Workload | undefined): Readiness {
  const ds0 = ds?.status ?? {}
  const dp = dep?.status ?? {}
  const controller = {desired: dep?.spec?.replicas ?? 1, ready: dp.readyReplicas ?? 0, updated: dp.updatedReplicas ?? 0}
  const speaker = {desired: ds0.desiredNumberScheduled ?? 0, ready: ds0.numberReady ?? 0, updated: ds0.updatedNumberScheduled ?? 0}
  const waitingFor: string[] = []
  const seen = (w: Workload | undefined): boolean => !!w && (w.status?.observedGeneration ?? 0) >= (w.metadata?.generation ?? 0)
  // Pods of the old template still counted (status.replicas above updatedReplicas): the ready ones may be the old ones,
  // so the rollout is not done (as `kubectl rollout status` judges it).
  const old = Math.max(0, (dp.replicas ?? 0) - controller.updated)
  if (!dep) waitingFor.push(`Deployment ${Names.controller} (missing)`)
  else if (!seen(dep) || controller.ready < controller.desired || controller.updated < controller.desired || old > 0)
    waitingFor.push(`controller: ${controller.ready}/${controller.desired} ready, ${controller.updated} updated${old > 0 ? `, ${old} old` : ''}`)
  if (!ds) waitingFor.push(`DaemonSet ${Names.speaker} (missing)`)
  else if (!seen(ds) || speaker.desired === 0 || speaker.ready < speaker.desired || speaker.updated < speaker.desired)
    waitingFor.push(`speakers: ${speaker.ready}/${speaker.desired} ready, ${speaker.updated} updated${speaker.desired === 0 ? ' (no node runs one yet)' : ''}`)
  return {controller, speaker, done: waitingFor.length === 0, waitingFor}
}

export interface WaitIO {
  note?: (message: string) => void
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  intervalMs?: number
}

/** Wait until ready (or only the controller, during an upgrade before the speakers roll). */
export async function waitReady(kube: Kube, namespace: string, timeoutMs: number, io: WaitIO = {}, only?: 'controller'): Promise<Readiness> {
  const now = io.now ?? Date.now
  const sleep = io.sleep ?? realSleep
  const deadline = now() + timeoutMs
  let last = ''
  for (;;) {
    const [dep, ds] = await Promise.all([
      kube.get<Workload>(DEPLOYMENT, Names.controller, namespace),
      only === 'controller' ? Promise.resolve(undefined) : kube.get<Workload>(DAEMONSET, Names.speaker, namespace),
    ])
    const r = readiness(dep, ds)
    if (only === 'controller') {
      r.waitingFor = r.waitingFor.filter((w) => !w.startsWith('speaker') && !w.startsWith('DaemonSet'))
      r.done = r.waitingFor.length === 0
    }
    const line = r.done ? 'ready' : `waiting for ${r.waitingFor.join('; ')}`
    if (line !== last) io.note?.(`  ${only === 'controller' ? 'controller ' : ''}${line}`)
    last = line
    if (r.done) return r
    if (now() >= deadline) {
      throw problems('INSTALL_NOT_READY', `the load balancer is not ready after ${Math.round(timeoutMs / 1000)} s: ${r.waitingFor.join('; ')}`,
        `Look at the pods: \`kubectl -n ${namespace} get pods -l app.kubernetes.io/part-of=lbctl -o wide\` and \`kubectl -n ${namespace} describe pods\`.`, r)
    }
    await sleep(Math.min(io.intervalMs ?? 1000, Math.max(0, deadline - now())))
  }
}
