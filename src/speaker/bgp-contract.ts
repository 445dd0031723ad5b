// What the speaker needs of src/speaker/bgp's BgpSpeaker (built by its own helper; see the contract).
import type {BGPSessionStateStatus} from '../lib/api/types.js'
import type {ConfigProblem, SpeakerState} from './state.js'

export interface BgpRoute {
  prefix: string
  peers: string[]
  communities: string[]
  localPref?: number
}

/** One session's figures under MetalLB's metric names; `peer` is MetalLB's label value, `address:port`. */
export interface BgpPeerMetrics {
  peer: string
  up: boolean
  /** UPDATE messages sent since the speaker started (metallb_bgp_updates_total). */
  updates: number
  /** Prefixes advertised on the session now (metallb_bgp_announced_prefixes_total). */
  announced: number
  /** Prefixes that should be advertised on the session (metallb_bgp_pending_prefixes_total). */
  pending: number
}

export interface BgpLike {
  /** Reconcile sessions and routes to the state; the configuration problems found. */
  apply(state: SpeakerState): ConfigProblem[]
  /** Problems only the running sessions reveal (a family the peer did not accept, BFD that could not start): they
   * change without a new state, so they are read whenever status is written. */
  runtimeProblems?(): ConfigProblem[]
  sessions(): BGPSessionStateStatus[]
  routes(): BgpRoute[]
  /** `ns/name` → BGPPeer names the service is announced to. */
  announcedServices(): Map<string, string[]>
  /** Per session, for MetalLB's metallb_bgp_* metrics (optional: a BGP side without it exports none). */
  peerMetrics?(): BgpPeerMetrics[]
  stop(): Promise<void>
}
