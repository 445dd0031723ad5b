// Time as a dependency (STYLE.md §8): engines, daemons and probes take a Clock, so tests drive their timers in
// virtual time (test/support/fake-clock.ts). Production timers are unref'd: a pending timer never keeps a stopped
// process alive; whatever must keep it alive (a server, a socket) holds its own handle.

export interface Clock {
  /** Milliseconds, monotonic. */
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

/** Wait `ms` on a clock. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms))
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
