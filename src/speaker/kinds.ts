// The built-in kinds the speaker watches (the metallb.io ones are in src/lib/api/constants.ts).
import type {KindRef} from '../lib/api/constants.js'

export const CoreKinds = {
  Pod: {apiVersion: 'v1', kind: 'Pod', plural: 'pods'},
  Secret: {apiVersion: 'v1', kind: 'Secret', plural: 'secrets'},
  EndpointSlice: {apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', plural: 'endpointslices'},
} as const satisfies Record<string, KindRef>
