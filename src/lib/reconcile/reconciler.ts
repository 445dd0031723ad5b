// A level-triggered reconcile loop for any daemon (STYLE.md §7): sources (informers) mark keys dirty; after a short
// debounce one pass handles every dirty key at once (or all keys, when a full pass was asked for), from the state
// observed, not from the events. A pass reports keys that failed; those come back after a per-key backoff. A pass
// that throws is retried as a full pass after a backoff. Time is injected, so all of it runs in virtual time in tests.
import {type Clock, systemClock} from '../clock.js'

export interface PassRequest {
  /** A full pass was asked for (configuration changed, leadership gained, a pass failed): consider every key. */
  full: boolean
  /** The keys marked dirty since the last pass (with a full pass, possibly a subset of all keys). */
  keys: ReadonlySet<string>
}

export interface PassResult {
  /** Keys that could not be reconciled now: they are retried after a backoff (doubling per failure). */
  retry?: Iterable<string>
}

export interface ReconcilerOptions {
  /** One pass; synchronous so that what it reads cannot change half way. */
  pass: (req: PassRequest) => PassResult | void
  /** Whether a pass may run now (e.g. caches synced, leading). When false, dirty keys wait for `kick()`. */
  canRun?: () => boolean
  clock?: Clock
  /** Batch window after the first change (default 10 ms). */
  debounceMs?: number
  /** Backoff for failed keys and failed passes (default 100 ms doubling to 30 s). */
  backoff?: {baseMs: number; maxMs: number}
  onError?: (err: unknown) => void
  /** A pass was due but `canRun` said no: the dirty keys wait for `kick()` (counted, so a refusal is observable). */
  onDeferred?: () => void
}

export interface ReconcilerStats {
  passes: number
  fullPasses: number
  failedPasses: number
  dirty: number
  retrying: number
}

export class Reconciler {
  private readonly clock: Clock
  private readonly debounceMs: number
  private readonly backoff: {baseMs: number; maxMs: number}
  private dirty = new Set<string>()
  private full = false
  /** A pass was asked for even with nothing dirty (the pass itself reads what changed, e.g. a configuration). */
  private wanted = false
  private timer?: unknown
  private stopped = false
  /** Failed keys: how often in a row, and the timer that brings each back. */
  private readonly failures = new Map<string, {count: number; timer: unknown}>()
  private passFailures = 0
  readonly stats: Omit<ReconcilerStats, 'dirty' | 'retrying'> = {passes: 0, fullPasses: 0, failedPasses: 0}

  constructor(private readonly o: ReconcilerOptions) {
    this.clock = o.clock ?? systemClock
    this.debounceMs = o.debounceMs ?? 10
    this.backoff = o.backoff ?? {baseMs: 100, maxMs: 30_000}
  }

  /** Mark keys dirty; a pass follows after the debounce. */
  enqueue(...keys: string[]): void {
    for (const k of keys) this.dirty.add(k)
    this.schedule(this.debounceMs)
  }

  /** Ask for a full pass (every key is considered). */
  requestFull(): void {
    this.full = true
    this.schedule(this.debounceMs)
  }

  /** Run a pass soon even if no key is dirty: something the pass reads as a whole changed, or `canRun` became true. */
  kick(): void {
    this.wanted = true
    this.schedule(this.debounceMs)
  }

  /** Forget every dirty key and pending retry; the next pass is full (e.g. leadership lost: the next leader decides afresh). */
  reset(): void {
    this.dirty.clear()
    for (const f of this.failures.values()) this.clock.clearTimeout(f.timer)
    this.failures.clear()
    this.passFailures = 0
    this.full = true
    this.wanted = false
  }

  stop(): void {
    this.stopped = true
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer)
    this.timer = undefined
    for (const f of this.failures.values()) this.clock.clearTimeout(f.timer)
    this.failures.clear()
  }

  get counts(): ReconcilerStats {
    return {...this.stats, dirty: this.dirty.size, retrying: this.failures.size}
  }

  private schedule(ms: number): void {
    if (this.stopped || this.timer !== undefined) return
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      this.run()
    }, ms)
  }

  private run(): void {
    if (this.stopped || (!this.full && !this.wanted && this.dirty.size === 0)) return
    if (this.o.canRun && !this.o.canRun()) {
      this.o.onDeferred?.()
      return
    }
    const req: PassRequest = {full: this.full, keys: this.dirty}
    this.dirty = new Set()
    this.full = false
    this.wanted = false
    this.stats.passes++
    if (req.full) this.stats.fullPasses++
    let result: PassResult | void
    try {
      result = this.o.pass(req)
    } catch (err) {
      this.stats.failedPasses++
      this.o.onError?.(err)
      // Whatever the pass did half-way is redone from scratch.
      for (const k of req.keys) this.dirty.add(k)
      this.full = true
      const delay = this.delay(this.passFailures++)
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined
        this.run()
      }, delay)
      return
    }
    this.passFailures = 0
    const failed = new Set(result?.retry ?? [])
    for (const k of req.keys) {
      if (failed.has(k)) continue
      const f = this.failures.get(k)
      if (f) {
        this.clock.clearTimeout(f.timer)
        this.failures.delete(k)
      }
    }
    for (const k of failed) this.retryLater(k)
  }

  private retryLater(key: string): void {
    const prev = this.failures.get(key)
    if (prev) this.clock.clearTimeout(prev.timer)
    const count = (prev?.count ?? 0) + 1
    const timer = this.clock.setTimeout(() => {
      const f = this.failures.get(key)
      if (f) f.timer = undefined
      this.enqueue(key)
    }, this.delay(count - 1))
    this.failures.set(key, {count, timer})
  }

  /** Exponential, capped; no jitter: one daemon's own keys need no spreading, and tests stay exact. */
  private delay(attempt: number): number {
    return Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** Math.min(attempt, 30))
  }
}
