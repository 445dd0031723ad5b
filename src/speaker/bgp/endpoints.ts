// Whether a service has somewhere to send traffic, as MetalLB's speaker decides before announcing: with
// externalTrafficPolicy Local a ready endpoint on this node, with Cluster a ready endpoint anywhere. The endpoint rule
// itself (what counts as ready) is the speaker's one rule in ../endpoints.ts, shared with the layer-2 election.
import type {Service} from '../../lib/api/types.js'
import {isLocalPolicy, NO_ENDPOINTS, type ServiceEndpoints} from '../endpoints.js'

export type EndpointVerdict = 'ok' | 'no-endpoints' | 'no-local-endpoints'

/** `index`: indexEndpoints(state.endpointSlices), built once per pass. */
export function endpointVerdict(svc: Service, index: ReadonlyMap<string, ServiceEndpoints>, node: string): EndpointVerdict {
  const e = index.get(`${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`) ?? NO_ENDPOINTS
  if (isLocalPolicy(svc)) return e.readyNodes.has(node) ? 'ok' : 'no-local-endpoints'
  return e.anyReady ? 'ok' : 'no-endpoints'
}
