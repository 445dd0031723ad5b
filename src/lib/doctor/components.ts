// Which pods are the load balancer's, on which node, of which version — lbctl's labels or MetalLB's.
import {selectorMatches} from '../api/selectors.js'
import {COMPONENT_SELECTORS} from './kinds.js'
import type {Pod, Snapshot, Workload} from './snapshot.js'

export interface ComponentPod {
  name: string
  component: 'controller' | 'speaker'
  impl: 'lbctl' | 'metallb'
  node?: string
  ready: boolean
  phase: string
  image?: string
  ip?: string
  pod: Pod
}

export function podReady(p: Pod): boolean {
  if (p.metadata.deletionTimestamp) return false
  if (p.status?.phase !== 'Running') return false
  const cond = p.status?.conditions?.find((c) => c.type === 'Ready')
  if (cond) return cond.status === 'True'
  const cs = p.status?.containerStatuses
  return cs ? cs.every((c) => c.ready !== false) : true
}

export function componentPods(s: Snapshot): ComponentPod[] {
  const out: ComponentPod[] = []
  for (const p of s.pods) {
    const sel = COMPONENT_SELECTORS.find((c) => selectorMatches({matchLabels: c.labels}, p.metadata.labels))
    if (!sel) continue
    const main = p.spec?.containers?.find((c) => c.name === sel.component) ?? p.spec?.containers?.[0]
    out.push({
      name: p.metadata.name, component: sel.component, impl: sel.impl, node: p.spec?.nodeName, ready: podReady(p),
      phase: p.status?.phase ?? 'Unknown', image: main?.image, ip: p.status?.podIP, pod: p,
    })
  }
  return out.sort((a, b) => a.name.localeCompare(b.name))
}

/** lbctl when its workloads or pods are there, MetalLB when MetalLB's are, else unknown. */
export function implementation(s: Snapshot, pods: ComponentPod[]): 'lbctl' | 'metallb' | 'unknown' {
  if (s.install || s.daemonSets.some((d) => d.metadata.name === 'lbctl-speaker') || s.deployments.some((d) => d.metadata.name === 'lbctl-controller') || pods.some((p) => p.impl === 'lbctl')) return 'lbctl'
  if (pods.some((p) => p.impl === 'metallb') || s.daemonSets.some((d) => /(^|-)speaker$/.test(d.metadata.name)) || s.deployments.some((d) => /(^|-)controller$/.test(d.metadata.name))) return 'metallb'
  return 'unknown'
}

export function speakerWorkload(s: Snapshot): Workload | undefined {
  return s.daemonSets.find((d) => d.metadata.name === 'lbctl-speaker') ?? s.daemonSets.find((d) => /(^|-)speaker$/.test(d.metadata.name))
}

export function controllerWorkload(s: Snapshot): Workload | undefined {
  return s.deployments.find((d) => d.metadata.name === 'lbctl-controller') ?? s.deployments.find((d) => /(^|-)controller$/.test(d.metadata.name))
}

/** Nodes with a running, ready speaker pod. */
export function liveSpeakerNodes(pods: ComponentPod[]): Set<string> {
  return new Set(pods.filter((p) => p.component === 'speaker' && p.ready && p.node).map((p) => p.node!))
}

/** The version part of an image reference (`…:v0.3.1` → `v0.3.1`, digests kept whole). */
export function imageVersion(image: string | undefined): string | undefined {
  if (!image) return undefined
  const at = image.indexOf('@')
  if (at >= 0) return image.slice(at + 1)
  const slash = image.lastIndexOf('/')
  const colon = image.lastIndexOf(':')
  return colon > slash ? image.slice(colon + 1) : 'latest'
}
