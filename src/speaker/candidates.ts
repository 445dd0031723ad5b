// The speakers the API lists (membership candidates) and the API-only liveness view, from speaker Pods and Nodes. Pure.
import {selectorMatches} from '../lib/api/selectors.js'
import type {KubeObject, LabelSelector} from '../lib/api/types.js'
import type {Candidate} from './membership/types.js'

/** The parts of core/v1 Pod the speaker reads. */
export type PodObject = KubeObject<{nodeName?: string; hostNetwork?: boolean}, {
  phase?: string
  podIP?: string
  conditions?: Array<{type: string; status: string}>
}>

export const DEFAULT_MEMBER_SELECTOR = 'app.kubernetes.io/name=lbctl,app.kubernetes.io/component=speaker'

/** `k=v,k2=v2` (equality terms only, as `--member-selector` and METALLB_ML_LABELS are written) → a LabelSelector. */
export function parseMemberSelector(s: string): LabelSelector | Error {
  const matchLabels: Record<string, string> = {}
  for (const term of s.split(',').map((t) => t.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9./_-]+)\s*==?\s*([A-Za-z0-9._-]*)$/.exec(term)
    if (!m) return new Error(`member selector term "${term}" is not key=value`)
    matchLabels[m[1]] = m[2]
  }
  if (Object.keys(matchLabels).length === 0) return new Error('member selector is empty')
  return {matchLabels}
}

const ready = (conds: Array<{type: string; status: string}> | undefined): boolean => (conds ?? []).some((c) => c.type === 'Ready' && c.status === 'True')

/** Ready speaker Pods (not being deleted) with a node and an IP, one per node (the newest wins), sorted by node. */
export function speakerCandidates(pods: readonly PodObject[], selector: LabelSelector): Candidate[] {
  const byNode = new Map<string, {c: Candidate; created: string}>()
  for (const p of pods) {
    if (!selectorMatches(selector, p.metadata.labels) || p.metadata.deletionTimestamp) continue
    const node = p.spec?.nodeName
    const address = p.status?.podIP
    if (!node || !address || p.status?.phase !== 'Running' || !ready(p.status?.conditions)) continue
    const created = p.metadata.creationTimestamp ?? ''
    const cur = byNode.get(node)
    if (!cur || created > cur.created) byNode.set(node, {c: {node, address}, created})
  }
  return [...byNode.values()].map((v) => v.c).sort((a, b) => (a.node < b.node ? -1 : 1))
}
