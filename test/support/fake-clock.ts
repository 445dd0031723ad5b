import type {Clock} from '../../src/lib/clock.js'

/** A manual clock for tests: time moves only through advance(); timers due at the same time run in the order set. */
export class FakeClock implements Clock {
  private t = 0
  private seq = 0
  private timers = new Map<number, {at: number; fn: () => void}>()

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq
    this.timers.set(id, {at: this.t + Math.max(0, ms), fn})
    return id
  }

  clearTimeout(h: unknown): void {
    this.timers.delete(h as number)
  }

  /** Run every timer due within `ms`, in time order, including ones they schedule. */
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      let next: [number, {at: number; fn: () => void}] | undefined
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[0] < next[0]))) next = e
      if (!next) break
      this.timers.delete(next[0])
      this.t = next[1].at
      next[1].fn()
    }
    this.t = end
  }

  /** Timers set and not yet run or cleared. */
  pending(): number {
    return this.timers.size
  }
}
