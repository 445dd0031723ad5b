// For the loop's tests in one process: liveness from the API alone (a speaker counts as alive while its Pod is Ready),
// behind the Membership contract, so the tests drive failover by Pod readiness. The daemon uses gossip
// (src/speaker/membership); the lab tests run it.
import {EventEmitter} from 'node:events'
import type {Candidate, LivenessView, Membership, MembershipEvents} from '../../../src/speaker/membership/types.js'

export class ApiLiveness extends EventEmitter<MembershipEvents> implements Membership {
  private alive = new Set<string>()
  private left = false

  constructor(private readonly node: string) {
    super()
  }

  async start(): Promise<void> {}

  setCandidates(candidates: readonly Candidate[]): void {
    const next = new Set(candidates.map((c) => c.node))
    if (this.left) next.delete(this.node)
    if (next.size === this.alive.size && [...next].every((n) => this.alive.has(n))) return
    this.alive = next
    this.emit('change', this.view())
  }

  view(): LivenessView {
    return {alive: this.alive, source: 'api', reason: 'gossip membership is not part of this build; liveness follows speaker Pod readiness'}
  }

  async leave(): Promise<void> {
    this.left = true
  }

  async stop(): Promise<void> {}
}
