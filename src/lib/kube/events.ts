// Events on objects (core/v1 Event), rate limited so that a service stuck in a loop cannot flood the event store:
// the same (object, reason, message) is created at most once per `dedupeMs` and repeats only raise its `count` (as
// client-go's aggregation does: `kubectl describe` shows "x5 over 3m"). As client-go's events recorder
// (k8s.io/client-go/tools/events: the first isomorphic event starts a series and is written at once, later ones wait
// for a heartbeat), the first repeat is patched as soon as the Event exists, later ones at most once per
// `countEveryMs`. Each object gets a token bucket, and the write queue is bounded (events are best effort: the oldest
// queued one is dropped, and counted, when it is full).
import type {KubeApi} from './rest.js'
import {microTime, rfc3339} from '../api/time.js'

export interface EventTarget {
  apiVersion?: string
  kind?: string
  metadata: {name: string; namespace?: string; uid?: string; resourceVersion?: string}
}

export type EventType = 'Normal' | 'Warning'

interface Seen {
  at: number
  name: string
  namespace: string
  count: number
  /** When a count was last due (the series started, or the interval passed). */
  countedAt: number
  /** The series has started: the first repeat was due. */
  series: boolean
  /** The create went through; until then a due count waits for it. */
  created: boolean
  countWaiting: boolean
}

type Write =
  | {op: 'create'; body: Record<string, unknown>; key: string}
  | {op: 'count'; name: string; namespace: string; patch: Record<string, unknown>}

const EVENT = {apiVersion: 'v1', kind: 'Event', plural: 'events'}

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
  /** Identical events are not repeated within this window (default 10 minutes); repeats raise the count instead. */
  dedupeMs?: number
  /**
   * After the first repeat (written at once), the count is written at most this often (default 60 s); the next repeat
   * after it writes it.
   */
  countEveryMs?: number
  maxQueue?: number
  concurrency?: number
  /** Checked just before each write (leader election: only the leader records). */
  canWrite?: () => boolean
  onError?: (err: unknown) => void
}

export interface EventStats {
  recorded: number
  /** Count updates written for repeated events. */
  counted: number
  suppressed: number
  dropped: number
  failed: number
}

export class EventRecorder {
  readonly stats: EventStats = {recorded: 0, counted: 0, suppressed: 0, dropped: 0, failed: 0}
  private readonly now: () => number
  private readonly limiter: RateLimiter
  /** Per (object, reason, message): when it was created, its name, how often it happened, when the count was written. */
  private readonly seen = new Map<string, Seen>()
  private readonly queue: Write[] = []
  private active = 0
  private calls = 0

  constructor(private readonly kube: Pick<KubeApi, 'create' | 'mergePatch'>, private readonly opts: EventRecorderOptions) {
    this.now = opts.now ?? Date.now
    const po = opts.perObject ?? {burst: 10, everyMs: 30_000}
    this.limiter = new RateLimiter(po.burst, po.everyMs, this.now)
  }

  /** Queue an event; false when it was not created anew (a repeat, counted, or rate limited). */
  record(obj: EventTarget, type: EventType, reason: string, message: string): boolean {
    const t = this.now()
    const objKey = `${obj.kind ?? ''}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}/${obj.metadata.uid ?? ''}`
    const key = `${objKey}\u0000${reason}\u0000${message}`
    if (++this.calls % 1000 === 0) this.sweep(t)
    const last = this.seen.get(key)
    if (last !== undefined && t - last.at < (this.opts.dedupeMs ?? 600_000)) {
      last.count++
      this.stats.suppressed++
      if (!last.series || t - last.countedAt >= (this.opts.countEveryMs ?? 60_000)) {
        last.series = true
        last.countedAt = t
        if (last.created) this.enqueueCount(last, t)
        else last.countWaiting = true
      }
      return false
    }
    if (!this.limiter.allow(objKey)) {
      this.stats.suppressed++
      return false
    }
    const name = `${obj.metadata.name}.${t.toString(16)}${Math.floor(Math.random() * 0xffff).toString(16)}`
    const namespace = obj.metadata.namespace ?? 'default'
    this.seen.set(key, {at: t, name, namespace, count: 1, countedAt: t, series: false, created: false, countWaiting: false})
    const ts = rfc3339(t)
    this.enqueue({op: 'create', key, body: {
      apiVersion: 'v1', kind: 'Event',
      metadata: {name, namespace},
      involvedObject: {apiVersion: obj.apiVersion ?? 'v1', kind: obj.kind, name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion},
      type, reason, message: message.slice(0, 1024),
      source: {component: this.opts.component},
      reportingComponent: this.opts.component, reportingInstance: this.opts.instance,
      firstTimestamp: ts, lastTimestamp: ts, eventTime: microTime(t), action: reason, count: 1,
    }})
    return true
  }

  private enqueueCount(s: Seen, t: number): void {
    s.countWaiting = false
    this.enqueue({op: 'count', name: s.name, namespace: s.namespace, patch: {count: s.count, lastTimestamp: rfc3339(t), series: {count: s.count, lastObservedTime: microTime(t)}}})
  }

  /** The Event exists now: a count that came due meanwhile is written. */
  private createdNow(key: string): void {
    const s = this.seen.get(key)
    if (!s) return
    s.created = true
    if (s.countWaiting) this.enqueueCount(s, this.now())
  }

  private enqueue(w: Write): void {
    this.queue.push(w)
    if (this.queue.length > (this.opts.maxQueue ?? 1000)) this.unsent(this.queue.shift()!)
    this.pump()
  }

  /** Drop what is queued (on losing leadership). */
  clear(): void {
    for (const w of this.queue) this.unsent(w)
    this.queue.length = 0
  }

  /** A write that will not happen: an event never created is not a repeat, so recording it again must create it. */
  private unsent(w: Write): void {
    this.stats.dropped++
    if (w.op === 'create') this.seen.delete(w.key)
  }

  private sweep(t: number): void {
    const window = this.opts.dedupeMs ?? 600_000
    for (const [k, v] of this.seen) if (t - v.at >= window) this.seen.delete(k)
    this.limiter.sweep()
  }

  private pump(): void {
    while (this.active < (this.opts.concurrency ?? 2) && this.queue.length > 0) {
      const w = this.queue.shift()!
      if (this.opts.canWrite && !this.opts.canWrite()) {
        this.unsent(w)
        continue
      }
      this.active++
      const write = w.op === 'create' ? this.kube.create(w.body) : this.kube.mergePatch(EVENT, w.name, w.namespace, w.patch)
      write.then(
        () => {
          if (w.op === 'count') return void this.stats.counted++
          this.stats.recorded++
          this.createdNow(w.key)
        },
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
