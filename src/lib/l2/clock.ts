// Time as a dependency (STYLE.md §8): the announcer and probe take a Clock so tests run in virtual time.

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
}
