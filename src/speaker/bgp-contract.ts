// What the speaker needs of src/speaker/bgp's BgpSpeaker (built by its own helper; see the contract).
import type {BGPSessionStateStatus} from '../lib/api/types.js'
import type {ConfigProblem, SpeakerState} from './state.js'

export interface BgpRoute {
  prefix: string
  peers: string[]
  communities: string[]
  localPref?: number
}

export interface BgpLike {
  /** Reconcile sessions and routes to the state; the configuration problems found. */
  apply(state: SpeakerState): ConfigProblem[]
  sessions(): BGPSessionStateStatus[]
  routes(): BgpRoute[]
  /** `ns/name` → BGPPeer names the service is announced to. */
  announcedServices(): Map<string, string[]>
  stop(): Promise<void>
}
