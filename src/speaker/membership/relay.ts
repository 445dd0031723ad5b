// Indirect probes we relay (SWIM §3.2, ping-req): a member asked us to ping a target for it; our own ping to the target
// carries a fresh probe id, and the target's ack under that id is passed back to the requester under its probe id.
// An entry lives one probe interval: an ack later than that is of no use to the requester.
import {type Clock, Timer} from '../../lib/clock.js'

export interface RelayEntry {
  requester: string
  probe: number
}

export class Relays {
  private readonly entries = new Map<number, RelayEntry & {timer: Timer}>()

  constructor(private readonly clock: Clock, private readonly ttlMs: number) {}

  /** Remember that the ack for our probe `id` belongs to `requester`'s probe. */
  add(id: number, requester: string, probe: number): void {
    const timer = new Timer(this.clock, () => this.entries.delete(id))
    this.entries.set(id, {requester, probe, timer})
    timer.start(this.ttlMs)
  }

  /** The relayed probe an ack with this id answers (removed), or undefined when the id is not a relay's. */
  take(id: number): RelayEntry | undefined {
    const e = this.entries.get(id)
    if (!e) return undefined
    e.timer.stop()
    this.entries.delete(id)
    return {requester: e.requester, probe: e.probe}
  }

  clear(): void {
    for (const e of this.entries.values()) e.timer.stop()
    this.entries.clear()
  }
}
