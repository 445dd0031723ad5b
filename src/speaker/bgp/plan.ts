// The whole BGP decision for one node: its sessions and the routes each carries. Pure, so it is tested as tables
// and properties; the manager (speaker.ts) only applies the difference.
import {rangeContains, tryParseAddressList, tryParseIP} from '../../lib/net/index.js'
import type {ConfigProblem, SpeakerState} from '../state.js'
import {type PeerPlan, planPeers} from './peers.js'
import {planRoutes, type RoutePlan} from './routes.js'

export interface BgpPlan extends Omit<RoutePlan, 'problems'> {
  peers: PeerPlan[]
  problems: ConfigProblem[]
}

/**
 * The host's addresses that can name it: service addresses (inside a pool) are left out, since with IPVS or on `lo`
 * every node carries them and two nodes must never pick the same router ID.
 */
export function hostAddressesOutsidePools(addresses: readonly string[], pools: SpeakerState['pools']): string[] {
  const ranges = pools.flatMap((p) => tryParseAddressList(p.spec?.addresses ?? []).ranges)
  return addresses.filter((a) => {
    const ip = tryParseIP(a)
    return ip !== undefined && !ranges.some((r) => rangeContains(r, ip))
  })
}

export function planBgp(state: SpeakerState, nodeAddresses: readonly string[]): BgpPlan {
  const {peers, problems} = planPeers({state, hostAddresses: hostAddressesOutsidePools(nodeAddresses, state.pools)})
  const routes = planRoutes({state, peers})
  return {...routes, peers, problems: [...problems, ...routes.problems]}
}
