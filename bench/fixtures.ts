// Deterministic pools and LoadBalancer services for benchmarks (no randomness: runs are comparable).
import type {IPAddressPool, Service} from '../src/lib/api/types.js'

/** `n` pools of 256 addresses each: 10.<i>.0.0/24 … (benchmarks never send packets to them). */
export function makePools(n: number, namespace = 'metallb-system'): IPAddressPool[] {
  return Array.from({length: n}, (_, i) => ({
    apiVersion: 'metallb.io/v1beta1',
    kind: 'IPAddressPool',
    metadata: {name: `pool-${i}`, namespace},
    spec: {addresses: [`10.${i >> 8}.${i & 255}.0/24`]},
  }))
}

/** `n` LoadBalancer services spread over the first `pools` pools, each holding one address. */
export function makeServices(n: number, pools: number): Service[] {
  return Array.from({length: n}, (_, i) => {
    const p = i % pools
    const host = Math.floor(i / pools) % 254 + 1
    return {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {name: `svc-${i}`, namespace: `ns-${i % 20}`},
      spec: {type: 'LoadBalancer', ports: [{port: 80, protocol: 'TCP'}], selector: {app: `a${i}`}},
      status: {loadBalancer: {ingress: [{ip: `10.${p >> 8}.${p & 255}.${host}`}]}},
    }
  })
}
