// Where a pod may run (pure): node taints against the pod's tolerations, and its nodeSelector, as the DaemonSet
// controller (which adds the standard DaemonSet tolerations first) and the scheduler decide.

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'

export interface Taint {
  key: string
  value?: string
  effect: TaintEffect
}

export interface Toleration {
  key?: string
  operator?: 'Exists' | 'Equal'
  value?: string
  effect?: TaintEffect | ''
  tolerationSeconds?: number
}

/** Whether a toleration matches a taint (v1 Toleration.ToleratesTaint): an empty effect and an empty key with Exists match all. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false
  if (t.key && t.key !== taint.key) return false
  if (!t.key && t.operator !== 'Exists') return false
  return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '')
}

/**
 * The tolerations the DaemonSet controller adds to every daemon pod (kubernetes.io docs, DaemonSet "Taints and
 * tolerations"; AddOrUpdateDaemonPodTolerations): not-ready and unreachable (NoExecute), disk/memory/pid pressure
 * and unschedulable (NoSchedule), and network-unavailable (NoSchedule) for hostNetwork pods.
 */
export function daemonSetTolerations(podSpec: any): Toleration[] {
  const add: Toleration[] = [
    {key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute'},
    {key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute'},
    {key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule'},
    {key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule'},
    {key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule'},
    {key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule'},
    ...(podSpec?.hostNetwork ? [{key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule'} as Toleration] : []),
  ]
  const own: Toleration[] = podSpec?.tolerations ?? []
  return [...own, ...add.filter((a) => !own.some((o) => o.key === a.key && o.effect === a.effect))]
}

/** Whether a node's labels satisfy a pod spec's nodeSelector. */
export const selects = (nodeSelector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean =>
  Object.entries(nodeSelector ?? {}).every(([k, v]) => labels?.[k] === v)

/** The Node object of that name, or a bare one (no labels, no taints) when the API has none. */
export const nodeNamed = (nodes: any[], name: string): any => nodes.find((x) => x.metadata?.name === name) ?? {metadata: {name}}

export interface Fit {
  ok: boolean
  /** Why not, in words (for the stand-in's log and the tests). */
  reason?: string
}

/**
 * Whether a pod with this spec may run on a node. `running`: the pod is already there (then only NoExecute taints
 * evict it, as the taint manager and the DaemonSet controller's shouldContinueRunning decide); otherwise NoSchedule
 * and NoExecute taints both keep it off. `daemon`: the DaemonSet's own tolerations are added, and an unschedulable
 * node is no obstacle (the scheduler keeps other pods off it).
 */
export function fits(podSpec: any, node: any, o: {daemon: boolean; running?: boolean}): Fit {
  const name = node?.metadata?.name ?? '?'
  if (!selects(podSpec?.nodeSelector, node?.metadata?.labels)) return {ok: false, reason: `node ${name} does not match the nodeSelector`}
  if (!o.daemon && node?.spec?.unschedulable) return {ok: false, reason: `node ${name} is unschedulable`}
  const tolerations = o.daemon ? daemonSetTolerations(podSpec) : podSpec?.tolerations ?? []
  const effects: TaintEffect[] = o.running ? ['NoExecute'] : ['NoSchedule', 'NoExecute']
  const taint = ((node?.spec?.taints ?? []) as Taint[]).find((x) => effects.includes(x.effect) && !tolerations.some((t: Toleration) => tolerates(t, x)))
  return taint ? {ok: false, reason: `node ${name} has the taint ${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect} the pod does not tolerate`} : {ok: true}
}
