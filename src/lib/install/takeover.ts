// Taking over a running MetalLB (`install --take-over-metallb`), in an order in which nothing depends on a part of
// MetalLB that is already gone and nothing of the configuration is lost:
//   1. its ValidatingWebhookConfiguration goes first: from then on writes to metallb.io objects no longer need its
//      webhook service (with failurePolicy Fail they would all fail once its controller stops);
//   2. the bgppeers CRD's conversion becomes None (reads of either version no longer need that webhook either; the
//      CRD becomes ours when install applies its CRDs right after);
//   3. its controller Deployment and speaker DaemonSet are deleted, and install waits until their pods are gone: the
//      speakers hold the host ports lbctl's speakers need (7472 metrics, 7946 memberlist).
// Pools, peers, advertisements, communities, BFD profiles and every Service's assigned address are never touched: the
// CRDs stay (their objects with them), and lbctl's controller keeps the addresses services hold.
import type {Kube, KubernetesObject} from '../kube/client.js'
import {problems} from '../errors.js'
import {WEBHOOKS} from './preflight.js'

export interface MetallbWorkload {
  apiVersion: string
  kind: string
  plural: string
  name: string
  namespace: string
  /** The pods it owns: spec.selector.matchLabels. */
  selector: Record<string, string>
}

export interface TakeoverPlan {
  workloads: MetallbWorkload[]
  webhooks: string[]
  /** The bgppeers CRD converts through a webhook (MetalLB's, gone with its controller). */
  conversionWebhook: boolean
}

export interface TakeoverStep {
  action: 'deleted' | 'patched'
  kind: string
  name: string
  namespace?: string
  why: string
}

const CRD = {apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions'}
const POD = {apiVersion: 'v1', kind: 'Pod', plural: 'pods'}
export const BGPPEERS_CRD = 'bgppeers.metallb.io'

/** What taking over means on this cluster (read only). */
export async function planTakeover(kube: Kube, workloads: MetallbWorkload[], webhooks: string[]): Promise<TakeoverPlan> {
  const crd = await kube.get<KubernetesObject & {spec?: {conversion?: {strategy?: string}}}>(CRD, BGPPEERS_CRD)
  return {workloads, webhooks, conversionWebhook: crd?.spec?.conversion?.strategy === 'Webhook'}
}

export async function takeOver(kube: Kube, plan: TakeoverPlan, o: {timeoutMs: number; note?: (m: string) => void; now?: () => number; sleep?: (ms: number) => Promise<void>}): Promise<TakeoverStep[]> {
  const steps: TakeoverStep[] = []
  for (const name of plan.webhooks) {
    o.note?.(`taking over MetalLB: deleting its validating webhook configuration ${name}`)
    await kube.delete(WEBHOOKS, name)
    steps.push({action: 'deleted', kind: WEBHOOKS.kind, name, why: 'its webhook service stops with MetalLB\'s controller'})
  }
  if (plan.conversionWebhook) {
    o.note?.(`taking over MetalLB: conversion of ${BGPPEERS_CRD} set to None`)
    await kube.mergePatch(CRD, BGPPEERS_CRD, undefined, {spec: {conversion: {strategy: 'None', webhook: null}}})
    steps.push({action: 'patched', kind: CRD.kind, name: BGPPEERS_CRD, why: 'it converted versions through MetalLB\'s webhook'})
  }
  for (const w of plan.workloads) {
    o.note?.(`taking over MetalLB: deleting ${w.kind} ${w.namespace}/${w.name}`)
    await kube.delete(w, w.name, w.namespace)
    steps.push({action: 'deleted', kind: w.kind, name: w.name, namespace: w.namespace, why: 'its pods hold the host ports lbctl\'s speakers need (7472, 7946)'})
  }
  // Their pods must be gone before lbctl's speakers start on the same host ports.
  const now = o.now ?? Date.now
  const deadline = now() + o.timeoutMs
  for (;;) {
    const left = (await Promise.all(plan.workloads.map(async (w) => {
      const selector = Object.entries(w.selector).map(([k, v]) => `${k}=${v}`).join(',')
      if (!selector) return []
      return (await kube.list<KubernetesObject & {metadata: {name: string}}>(POD, {namespace: w.namespace, labelSelector: selector})).items.map((p) => `${w.namespace}/${p.metadata.name}`)
    }))).flat()
    if (left.length === 0) break
    if (now() >= deadline) {
      throw problems('METALLB_PODS_REMAIN', `MetalLB's workloads are deleted but their pods are still there after ${Math.round(o.timeoutMs / 1000)} s: ${left.join(', ')}`,
        'Check them with `kubectl get pods -n metallb-system` (finalizers, an unreachable node), then run install again with --take-over-metallb: it goes on from here.')
    }
    o.note?.(`waiting for MetalLB's pods to stop: ${left.join(', ')}`)
    await (o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms))))(1000)
  }
  return steps
}
