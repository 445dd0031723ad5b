// Whether kube-proxy is as the load balancer needs it. Pure, and apart from prepare.ts so that the preparers it
// calls can use it without an import circle (prepare.ts imports them).
import type {Want} from './prepare.js'
import type {ProxyState} from './types.js'

/** As wanted: IPVS, and strict ARP unless the user chose to leave it. */
export function readiness(state: ProxyState | undefined, want: Want): boolean | 'unknown' {
  if (!state || state.effectiveMode === undefined) {
    if (state?.perNode?.length) return state.perNode.every((p) => p.mode === 'ipvs' && (!want.strictARP || p.strictARP))
    return 'unknown'
  }
  return state.effectiveMode === 'ipvs' && (!want.strictARP || state.strictARP === true)
}

/** IPVS puts every service address on kube-ipvs0 on every node; without strict ARP they all answer ARP for it. */
export function arpHazard(state: ProxyState | undefined): boolean {
  if (!state) return false
  if (state.perNode) return state.perNode.some((p) => p.mode === 'ipvs' && !p.strictARP)
  return state.effectiveMode === 'ipvs' && state.strictARP !== true
}
