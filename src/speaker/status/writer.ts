// Makes one status kind match a plan (create, update status, delete) through the API seam. Failures are returned,
// not thrown: the caller's next pass computes the plan again from what it then sees (level-triggered).
import type {KubeObject} from '../../lib/api/types.js'
import type {KindRef} from '../../lib/kube/client.js'
import type {KubeApi} from '../../lib/kube/rest.js'
import type {DesiredStatus, StatusPlan} from './desired.js'

export interface StatusWriteResult {
  written: number
  failed: Array<{name: string; op: 'create' | 'update' | 'delete'; error: string}>
}

/** Status with `null` for fields the existing object has and the desired one lacks (JSON merge patch removes them). */
function statusPatch(want: Record<string, unknown>, have: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {...want}
  for (const k of Object.keys(have ?? {})) if (!(k in want) || want[k] === undefined) out[k] = null
  return out
}

export async function writeStatus(kube: Pick<KubeApi, 'create' | 'mergePatch' | 'delete'>, ref: KindRef, namespace: string, plan: StatusPlan,
  existing: ReadonlyMap<string, KubeObject>): Promise<StatusWriteResult> {
  const res: StatusWriteResult = {written: 0, failed: []}
  const attempt = async (name: string, op: 'create' | 'update' | 'delete', fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn()
      res.written++
    } catch (e) {
      res.failed.push({name, op, error: (e as Error).message})
    }
  }
  const obj = (d: DesiredStatus): KubeObject => ({apiVersion: ref.apiVersion, kind: ref.kind, metadata: {name: d.name, namespace, labels: d.labels}})
  await Promise.all([
    ...plan.create.map((d) => attempt(d.name, 'create', async () => {
      try {
        await kube.create(obj(d))
      } catch (e) {
        if ((e as {code?: string}).code !== 'CONFLICT') throw e // 409: it exists already (a write that timed out)
      }
      await kube.mergePatch(ref, d.name, namespace, {status: d.status}, {subresource: 'status'})
    })),
    ...plan.update.map((d) => attempt(d.name, 'update', async () => {
      const cur = existing.get(d.name)
      const labels = {...cur?.metadata.labels, ...d.labels}
      if (Object.entries(d.labels).some(([k, v]) => cur?.metadata.labels?.[k] !== v)) await kube.mergePatch(ref, d.name, namespace, {metadata: {labels}})
      await kube.mergePatch(ref, d.name, namespace, {status: statusPatch(d.status, cur?.status as Record<string, unknown> | undefined)}, {subresource: 'status'})
    })),
    ...plan.delete.map((name) => attempt(name, 'delete', () => kube.delete(ref, name, namespace))),
  ])
  return res
}
