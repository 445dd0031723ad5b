// Injected time, so every timer of the FSM and BFD can be driven by tests in milliseconds (STYLE 8).

export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    t.unref?.()
    return t
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}

/** A timer that can be (re)armed and cancelled; one pending callback at a time. */
export class Timer {
  private handle: unknown
  private due?: number
  constructor(private readonly clock: Clock, private readonly fn: () => void) {}

  start(ms: number): void {
    this.stop()
    this.due = this.clock.now() + ms
    this.handle = this.clock.setTimeout(() => {
      this.handle = undefined
      this.due = undefined
      this.fn()
    }, ms)
  }

  stop(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle)
    this.handle = undefined
    this.due = undefined
  }

  get running(): boolean {
    return this.handle !== undefined
  }

  /** Milliseconds until it fires, when running. */
  get remaining(): number | undefined {
    return this.due === undefined ? undefined : Math.max(0, this.due - this.clock.now())
  }
}

/** A manual clock for tests: time moves only through advance(). */
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
    while (true) {
      let next: [number, {at: number; fn: () => void}] | undefined
      for (const e of this.timers) if (e[1].at <= end && (!next || e[1].at < next[1].at || (e[1].at === next[1].at && e[0] < next[0]))) next = e
      if (!next) break
      this.timers.delete(next[0])
      this.t = next[1].at
      next[1].fn()
    }
    this.t = end
  }

  get pending(): number {
    return this.timers.size
  }
}
