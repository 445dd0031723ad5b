// Events on objects (core/v1 Event), rate limited so that a service stuck in a loop cannot flood the event store:
// the same (object, reason, message) is recorded at most once per `dedupeMs`, each object gets a token bucket, and the
// write queue is bounded (events are best effort: the oldest queued one is dropped, and counted, when it is full).
import type {KubeApi} from './rest.js'
import {microTime} from './lease.js'

export interface EventTarget {
  apiVersion?: string
  kind?: string
  metadata: {name: string; namespace?: string; uid?: string; resourceVersion?: string}
}

export type EventType = 'Normal' | 'Warning'

/** Token buckets keyed by string, on an injected clock. */
export class RateLimiter {
  private buckets = new Map<string, {tokens: number; at: number}>()

  constructor(private readonly burst: number, private readonly everyMs: number, private readonly now: () => number = Date.now) {}

  allow(key: string): boolean {
    const t = this.now()
    const b = this.buckets.get(key) ?? {tokens: this.burst, at: t}
    b.tokens = Math.min(this.burst, b.tokens + (t - b.at) / this.everyMs)
    b.at = t
    this.buckets.set(key, b)
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  /** Forget buckets that are full again (bounded memory with many objects). */
  sweep(): void {
    const t = this.now()
    for (const [k, b] of this.buckets) if (b.tokens + (t - b.at) / this.everyMs >= this.burst) this.buckets.delete(k)
  }
}

export interface EventRecorderOptions {
  component: string
  instance: string
  now?: () => number
  /** Per-object bucket (default: burst 10, one more every 30 s). */
  perObject?: {burst: number; everyMs: number}
  /** Identical events are not repeated within this window (default 10 minutes). */
  dedupeMs?: number
  maxQueue?: number
  concurrency?: number
  /** Checked just before each write (leader election: only the leader records). */
  canWrite?: () => boolean
  onError?: (err: unknown) => void
}

export interface EventStats {
  recorded: number
  suppressed: number
  dropped: number
  failed: number
}

export class EventRecorder {
  readonly stats: EventStats = {recorded: 0, suppressed: 0, dropped: 0, failed: 0}
  private readonly now: () => number
  private readonly limiter: RateLimiter
  private readonly seen = new Map<string, number>()
  private readonly queue: Array<Record<string, unknown>> = []
  private active = 0
  private calls = 0

  constructor(private readonly kube: Pick<KubeApi, 'create'>, private readonly opts: EventRecorderOptions) {
    this.now = opts.now ?? Date.now
    const po = opts.perObject ?? {burst: 10, everyMs: 30_000}
    this.limiter = new RateLimiter(po.burst, po.everyMs, this.now)
  }

  /** Queue an event; false when rate limiting suppressed it. */
  record(obj: EventTarget, type: EventType, reason: string, message: string): boolean {
    const t = this.now()
    const objKey = `${obj.kind ?? ''}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}/${obj.metadata.uid ?? ''}`
    const key = `${objKey}\u0000${reason}\u0000${message}`
    if (++this.calls % 1000 === 0) this.sweep(t)
    const last = this.seen.get(key)
    if ((last !== undefined && t - last < (this.opts.dedupeMs ?? 600_000)) || !this.limiter.allow(objKey)) {
      this.stats.suppressed++
      return false
    }
    this.seen.set(key, t)
    const ts = new Date(t).toISOString().replace(/\.\d+Z$/, 'Z')
    this.queue.push({
      apiVersion: 'v1', kind: 'Event',
      metadata: {name: `${obj.metadata.name}.${t.toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`, namespace: obj.metadata.namespace ?? 'default'},
      involvedObject: {apiVersion: obj.apiVersion ?? 'v1', kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion},
      type, reason, message: message.slice(0, 1024),
      source: {component: this.opts.component},
      reportingComponent: this.opts.component, reportingInstance: this.opts.instance,
      firstTimestamp: ts, lastTimestamp: ts, eventTime: microTime(t), action: reason, count: 1,
    })
    if (this.queue.length > (this.opts.maxQueue ?? 1000)) {
      this.queue.shift()
      this.stats.dropped++
    }
    this.pump()
    return true
  }

  /** Drop what is queued (on losing leadership). */
  clear(): void {
    this.stats.dropped += this.queue.length
    this.queue.length = 0
  }

  private sweep(t: number): void {
    const window = this.opts.dedupeMs ?? 600_000
    for (const [k, at] of this.seen) if (t - at >= window) this.seen.delete(k)
    this.limiter.sweep()
  }

  private pump(): void {
    while (this.active < (this.opts.concurrency ?? 2) && this.queue.length > 0) {
      const ev = this.queue.shift()!
      if (this.opts.canWrite && !this.opts.canWrite()) {
        this.stats.dropped++
        continue
      }
      this.active++
      this.kube.create(ev).then(
        () => void this.stats.recorded++,
        (err) => {
          this.stats.failed++
          this.opts.onError?.(err)
        },
      ).finally(() => {
        this.active--
        this.pump()
      })
    }
  }
}
