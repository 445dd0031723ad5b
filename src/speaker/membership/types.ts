// The contract between membership (who is alive, gossip) and the rest of the speaker.
import type {EventEmitter} from 'node:events'

/** A speaker the API lists: a Ready speaker Pod (member selector) on `node`; hostNetwork, so the pod IP is the node's. */
export interface Candidate {
  node: string
  address: string
}

export interface LivenessView {
  /** Nodes whose speaker counts as alive for elections. Every speaker must compute elections from the same view. */
  alive: ReadonlySet<string>
  /** Where the view comes from: gossip, or the API only (gossip cannot run: no key, port blocked, …). */
  source: 'gossip' | 'api'
  /** Why the source is 'api', or why this speaker left itself out of a gossip view, in words (for status and logs). */
  reason?: string
}

export interface MembershipEvents {
  change: [LivenessView]
}

/**
 * Counters for metrics and status (added by the membership helper; `stats` is optional so fakes need not have it).
 * Dropped datagrams are counted per reason: malformed, version, auth, no-key, replay, stale, unknown-sender, self.
 */
export interface MembershipStats {
  source: 'gossip' | 'api'
  /** Whether this speaker counts itself alive (gossip running and hearing others). */
  healthy: boolean
  sent: number
  received: number
  /** Accepted messages authenticated by the previous key (a rotation in progress). */
  previousKey: number
  sendErrors: number
  dropped: Record<string, number>
  /** Members (not this speaker) per state as gossip sees them. */
  members: Record<'alive' | 'suspect' | 'dead' | 'left' | 'unknown', number>
  probes: number
  indirectProbes: number
  /** Timers that fired late because the event loop stalled (decisions deferred so pending datagrams are read first). */
  lateTimers: number
  suspected: number
  declaredDead: number
  refuted: number
}

export interface Membership extends EventEmitter<MembershipEvents> {
  start(): Promise<void>
  /** The speakers the API lists now (replaces the previous list). */
  setCandidates(candidates: readonly Candidate[]): void
  view(): LivenessView
  /** Graceful leave: tell the others this node is going, so they take over at once, then stop. */
  leave(): Promise<void>
  stop(): Promise<void>
  /** Counters for metrics (optional: added after the contract, so implementations without it stay valid). */
  stats?(): MembershipStats
}
