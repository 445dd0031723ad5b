import {rfc3339} from '../api/time.js'
import {LbctlError} from '../errors.js'
import type {Kube, KubernetesObject} from './client.js'
import {realSleep} from './retry.js'

export const DaemonSetKind = {apiVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets'} as const
export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt'

export interface DaemonSetStatusLike extends KubernetesObject {
  metadata?: KubernetesObject['metadata'] & {generation?: number}
  spec?: {updateStrategy?: {type?: string}}
  status?: {observedGeneration?: number; desiredNumberScheduled?: number; updatedNumberScheduled?: number; numberAvailable?: number}
}

export interface RolloutProgress {
  desired: number
  updated: number
  available: number
  /** The controller has seen the new template. */
  observed: boolean
  done: boolean
}

/**
 * `kubectl rollout restart daemonset/NAME`: a merge patch of the pod template's restartedAt annotation, which
 * changes the template, so the DaemonSet controller replaces every pod. Returns the new generation to wait for.
 */
export async function restartDaemonSet(kube: Kube, namespace: string, name: string, now: number = Date.now()): Promise<{generation: number; restartedAt: string; updateStrategy?: string}> {
  const restartedAt = rfc3339(now)
  const ds = await kube.mergePatch<DaemonSetStatusLike>(DaemonSetKind, name, namespace, {
    spec: {template: {metadata: {annotations: {[RESTARTED_AT]: restartedAt}}}},
  })
  return {generation: ds.metadata?.generation ?? 0, restartedAt, updateStrategy: ds.spec?.updateStrategy?.type}
}

/** Where a DaemonSet rollout stands (kubectl rollout status's rules for DaemonSets). */
export function rolloutProgress(ds: DaemonSetStatusLike, generation: number): RolloutProgress {
  const s = ds.status ?? {}
  const desired = s.desiredNumberScheduled ?? 0
  const updated = s.updatedNumberScheduled ?? 0
  const available = s.numberAvailable ?? 0
  const observed = (s.observedGeneration ?? 0) >= generation
  return {desired, updated, available, observed, done: observed && updated >= desired && available >= desired}
}

export interface WaitOptions {
  timeoutMs: number
  intervalMs?: number
  onProgress?: (p: RolloutProgress) => void
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

/**
 * Poll a DaemonSet until the rollout of `generation` is complete, reporting progress whenever it changes.
 * Fails with ROLLOUT_TIMEOUT (exit PROBLEMS) at the deadline, naming how far it got.
 */
export async function waitForDaemonSetRollout(kube: Kube, namespace: string, name: string, generation: number, opts: WaitOptions): Promise<RolloutProgress> {
  const now = opts.now ?? Date.now
  const sleep = opts.sleep ?? realSleep
  const deadline = now() + opts.timeoutMs
  let last = ''
  for (;;) {
    const ds = await kube.get<DaemonSetStatusLike>(DaemonSetKind, name, namespace)
    if (!ds) {
      throw new LbctlError(`DaemonSet ${namespace}/${name} disappeared while lbctl waited for its rollout`, {
        code: 'ROLLOUT_FAILED', category: 'problems', hint: `Check what removed it: \`kubectl -n ${namespace} get events\`.`,
      })
    }
    const p = rolloutProgress(ds, generation)
    const key = `${p.observed}/${p.desired}/${p.updated}/${p.available}`
    if (key !== last) {
      opts.onProgress?.(p)
      last = key
    }
    if (p.done) return p
    if (now() >= deadline) {
      throw new LbctlError(`the rollout of DaemonSet ${namespace}/${name} did not finish in ${Math.round(opts.timeoutMs / 1000)} s: ${p.updated} of ${p.desired} pods updated, ${p.available} available`, {
        code: 'ROLLOUT_TIMEOUT', category: 'problems', details: p,
        hint: `Watch it with \`kubectl -n ${namespace} rollout status daemonset/${name}\`; look at failing pods with \`kubectl -n ${namespace} get pods -o wide\`.`,
      })
    }
    await sleep(Math.min(opts.intervalMs ?? 1000, Math.max(0, deadline - now())))
  }
}
