// Whether a service has somewhere to send traffic, as MetalLB's speaker decides before announcing: with
// externalTrafficPolicy Local a ready endpoint on this node, with Cluster a ready endpoint anywhere.
import type {Service} from '../../lib/api/types.js'
import type {EndpointSlice} from '../state.js'

const SERVICE_NAME = 'kubernetes.io/service-name'

/** The EndpointSlices of a service (same namespace, label kubernetes.io/service-name). */
export function slicesOf(svc: Service, slices: readonly EndpointSlice[]): EndpointSlice[] {
  return slices.filter((s) => s.metadata.namespace === svc.metadata.namespace && s.metadata.labels?.[SERVICE_NAME] === svc.metadata.name)
}

/** An endpoint counts when ready (a missing condition means ready, as the API documents) and has an address. */
export function hasReadyEndpoint(slices: readonly EndpointSlice[], node?: string): boolean {
  return slices.some((s) => (s.endpoints ?? []).some((e) =>
    e.addresses.length > 0 && e.conditions?.ready !== false && (node === undefined || e.nodeName === node)))
}

export type EndpointVerdict = 'ok' | 'no-endpoints' | 'no-local-endpoints'

export function endpointVerdict(svc: Service, slices: readonly EndpointSlice[], node: string): EndpointVerdict {
  const mine = slicesOf(svc, slices)
  if (svc.spec?.externalTrafficPolicy === 'Local') return hasReadyEndpoint(mine, node) ? 'ok' : 'no-local-endpoints'
  return hasReadyEndpoint(mine) ? 'ok' : 'no-endpoints'
}
