// Infection-style dissemination (SWIM §4.1): each state change is piggybacked on the next messages, least-sent
// first, until it has gone out λ·log(n) times. A newer change about a node replaces the older one.
import {type Update, updateSize} from './codec.js'
import {type MembershipTimers, retransmitLimit} from './options.js'

interface Entry {
  update: Update
  sent: number
  /** Insertion order, so equal counts go newest first. */
  order: number
}

export class Dissemination {
  /** Number of members, self included (sets the retransmit limit). */
  size = 1
  private readonly entries = new Map<string, Entry>()
  private order = 0

  constructor(private readonly timers: MembershipTimers) {}

  push(update: Update): void {
    this.entries.set(update.node, {update, sent: 0, order: ++this.order})
  }

  drop(node: string): void {
    this.entries.delete(node)
  }

  get pending(): number {
    return this.entries.size
  }

  /** Up to `max` updates within `budget` bytes; each taken one counts as sent once. */
  take(max: number, budget: number): Update[] {
    if (max <= 0 || this.entries.size === 0) return []
    const limit = retransmitLimit(this.timers, this.size)
    const sorted = [...this.entries.values()].sort((a, b) => a.sent - b.sent || b.order - a.order)
    const out: Update[] = []
    for (const e of sorted) {
      if (out.length >= max) break
      const size = updateSize(e.update)
      if (size > budget) continue
      budget -= size
      out.push(e.update)
      if (++e.sent >= limit) this.entries.delete(e.update.node)
    }
    return out
  }
}
