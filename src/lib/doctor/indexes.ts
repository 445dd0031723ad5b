// Per-service lookups built once, so 1,000 services cost 1,000 map reads instead of 1,000 scans of every list.
import type {ServiceBGPStatus, ServiceL2Status} from '../api/types.js'
import type {EndpointSlice} from '../../speaker/state.js'
import type {EventObject, Snapshot} from './snapshot.js'

export interface Indexes {
  slices: Map<string, EndpointSlice[]>
  l2: Map<string, ServiceL2Status[]>
  bgp: Map<string, ServiceBGPStatus[]>
  events: Map<string, EventObject[]>
}

const push = <T>(m: Map<string, T[]>, k: string, v: T): void => {
  const list = m.get(k)
  if (list) list.push(v)
  else m.set(k, [v])
}

type StatusLike = {metadata: {labels?: Record<string, string>}; status?: {serviceName?: string; serviceNamespace?: string}}
const statusKey = (x: StatusLike): string =>
  `${x.status?.serviceNamespace ?? x.metadata.labels?.['metallb.io/service-namespace']}/${x.status?.serviceName ?? x.metadata.labels?.['metallb.io/service-name']}`

export function buildIndexes(s: Snapshot): Indexes {
  const ix: Indexes = {slices: new Map(), l2: new Map(), bgp: new Map(), events: new Map()}
  for (const e of s.endpointSlices) {
    const svc = e.metadata.labels?.['kubernetes.io/service-name']
    if (svc) push(ix.slices, `${e.metadata.namespace}/${svc}`, e)
  }
  for (const x of s.l2Statuses) push(ix.l2, statusKey(x), x)
  for (const x of s.bgpStatuses) push(ix.bgp, statusKey(x), x)
  for (const e of s.events) {
    if (e.involvedObject?.kind === 'Service') push(ix.events, `${e.involvedObject.namespace ?? e.metadata.namespace}/${e.involvedObject.name}`, e)
  }
  return ix
}
