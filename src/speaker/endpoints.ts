// Which nodes run a ready endpoint of a service, from its EndpointSlices. Pure.
import type {Service} from '../lib/api/types.js'
import type {EndpointSlice} from './state.js'

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name'

export interface ServiceEndpoints {
  /** Some endpoint is ready somewhere. */
  anyReady: boolean
  /** Nodes with at least one ready endpoint. */
  readyNodes: Set<string>
}

/** discovery.k8s.io/v1: a nil `ready` condition means ready. */
const isReady = (e: NonNullable<EndpointSlice['endpoints']>[number]): boolean => e.conditions?.ready !== false

/** Index the slices once per pass: `ns/name` → endpoints. */
export function indexEndpoints(slices: readonly EndpointSlice[]): Map<string, ServiceEndpoints> {
  const out = new Map<string, ServiceEndpoints>()
  for (const s of slices) {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL]
    if (!svc) continue
    const key = `${s.metadata.namespace ?? 'default'}/${svc}`
    let e = out.get(key)
    if (!e) out.set(key, (e = {anyReady: false, readyNodes: new Set()}))
    for (const ep of s.endpoints ?? []) {
      if (!isReady(ep) || ep.addresses.length === 0) continue
      e.anyReady = true
      if (ep.nodeName) e.readyNodes.add(ep.nodeName)
    }
  }
  return out
}

export const NO_ENDPOINTS: ServiceEndpoints = {anyReady: false, readyNodes: new Set()}

export const isLocalPolicy = (svc: Service): boolean => svc.spec?.externalTrafficPolicy === 'Local'
