import type {Clock} from '../../../src/lib/l2/clock.js'

/** A virtual clock: timers run when the test advances time. */
export class FakeClock implements Clock {
  t = 0
  private timers = new Map<number, {at: number; fn: () => void}>()
  private id = 0
  now = (): number => this.t
  setTimeout = (fn: () => void, ms: number): number => {
    this.timers.set(++this.id, {at: this.t + ms, fn})
    return this.id
  }
  clearTimeout = (h: unknown): void => {
    this.timers.delete(h as number)
  }
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      const next = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at)[0]
      if (!next || next[1].at > end) break
      this.timers.delete(next[0])
      this.t = next[1].at
      next[1].fn()
    }
    this.t = end
  }
  pending(): number {
    return this.timers.size
  }
}
