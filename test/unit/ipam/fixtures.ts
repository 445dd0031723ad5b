// Builders for ipam tests: pools and services as the API server would hold them.
import type {IPAddressPool, Service} from '../../../src/lib/api/types.js'
import {compilePools, parseService, type PoolDef, type ServiceRequest} from '../../../src/lib/ipam/index.js'

type PoolSpec = NonNullable<IPAddressPool['spec']>
type SvcSpec = NonNullable<Service['spec']>

export const poolObj = (name: string, addresses: string[], extra: Partial<PoolSpec> = {}): IPAddressPool => ({
  apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name, namespace: 'metallb-system'}, spec: {addresses, ...extra},
})

/** Compile pools, failing the test on a configuration problem. */
export function pools(...objs: IPAddressPool[]): PoolDef[] {
  const c = compilePools(objs)
  if (c.problems.length) throw new Error(c.problems.map((p) => p.message).join('\n'))
  return c.pools
}

export interface SvcOpts {
  ns?: string
  annotations?: Record<string, string>
  labels?: Record<string, string>
  spec?: Partial<SvcSpec>
  ports?: Array<[string, number]>
  created?: string
  ingress?: string[]
}

export const svcObj = (name: string, o: SvcOpts = {}): Service => ({
  apiVersion: 'v1', kind: 'Service',
  metadata: {name, namespace: o.ns ?? 'default', annotations: o.annotations, labels: o.labels, creationTimestamp: o.created},
  spec: {type: 'LoadBalancer', ports: (o.ports ?? [['TCP', 80]]).map(([protocol, port]) => ({protocol, port})), selector: {app: name}, ...o.spec},
  status: o.ingress ? {loadBalancer: {ingress: o.ingress.map((ip) => ({ip}))}} : {},
})

export const req = (name: string, o: SvcOpts = {}, nsLabels: Record<string, string> = {}): ServiceRequest =>
  parseService(svcObj(name, o), nsLabels)
