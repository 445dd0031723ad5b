// List + watch with a local cache, for daemons. Recovers by itself: a dropped stream is re-watched from the last
// resourceVersion seen, 410 Gone (history compacted) and repeated failures lead to a fresh list, and every failure
// backs off with jitter. The cache is never emptied because a request failed: only a successful list replaces it.
import type {KindRef, KubernetesObject, WatchEventType} from './client.js'
import type {KubeApi} from './rest.js'
import {statusCode} from './errors.js'
import {backoffDelay, realSleep} from './retry.js'

export type InformerEvent = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface InformerOptions {
  namespace?: string
  labelSelector?: string
  /** Server-side watch timeout; the stream is renewed after it (default 240 s, jittered so informers do not align). */
  timeoutSeconds?: number
  backoff?: {baseMs: number; maxMs: number}
  sleep?: (ms: number) => Promise<void>
  random?: () => number
  /**
   * Keep only what the caller reads (client-go's TransformFunc): a daemon caching 10,000 services should not hold
   * their managedFields. Applied to listed, watched and observed objects alike.
   */
  transform?: (obj: any) => any
  /** Called with every error the informer recovers from (for logs and metrics). */
  onError?: (err: unknown, phase: 'list' | 'watch') => void
}

type Obj = KubernetesObject & {metadata?: {name?: string; namespace?: string; resourceVersion?: string}}

export const objectKey = (o: Obj): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`

/** Whether resourceVersion `a` is older than `b` (numeric when both are, as every API server in practice makes them). */
export function olderThan(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return BigInt(a) < BigInt(b)
  return a !== b
}

export class Informer<T extends Obj> {
  readonly cache = new Map<string, T>()
  private handlers: Array<(type: InformerEvent, obj: T, old?: T) => void> = []
  private syncedOnce = false
  private syncWaiters: Array<() => void> = []
  private stopped = false
  private stopWatch?: () => void
  private wake?: () => void
  private rv = ''
  /** Lists completed; a test and metrics can see re-lists happen. */
  lists = 0

  constructor(private readonly kube: Pick<KubeApi, 'list' | 'watch'>, readonly ref: KindRef, private readonly opts: InformerOptions = {}) {}

  on(fn: (type: InformerEvent, obj: T, old?: T) => void): this {
    this.handlers.push(fn)
    return this
  }

  get synced(): boolean {
    return this.syncedOnce
  }

  /** Resolves after the first successful list. */
  waitSynced(): Promise<void> {
    if (this.syncedOnce) return Promise.resolve()
    return new Promise((r) => this.syncWaiters.push(r))
  }

  /** Runs until stop(). Never rejects. */
  async run(): Promise<void> {
    const sleep = this.opts.sleep ?? realSleep
    const {baseMs, maxMs} = this.opts.backoff ?? {baseMs: 250, maxMs: 15_000}
    let failures = 0
    while (!this.stopped) {
      try {
        if (!this.rv) {
          await this.list()
          failures = 0
        }
        const err = await this.watchOnce()
        if (this.stopped) break
        if (err === undefined) {
          failures = 0
          continue
        }
        this.opts.onError?.(err, 'watch')
        // 410 Gone: the history we would resume from is gone; only a fresh list is consistent again.
        if (statusCode(err) === 410) this.rv = ''
        failures++
        if (failures >= 3) this.rv = ''
      } catch (err) {
        if (this.stopped) break
        this.opts.onError?.(err, 'list')
        failures++
      }
      if (failures > 0) await this.interruptibleSleep(sleep, backoffDelay(Math.min(failures - 1, 10), baseMs, maxMs, this.opts.random))
    }
  }

  /** Lists again now (e.g. on becoming leader, to start from a consistent read). Resolves when that list is done. */
  async relist(): Promise<void> {
    await this.list()
    this.stopWatch?.()
  }

  stop(): void {
    this.stopped = true
    this.stopWatch?.()
    this.wake?.()
  }

  /** Put an object we just wrote into the cache, unless the cache already has a newer version. */
  observe(raw: T): void {
    const obj = this.shape(raw)
    const key = objectKey(obj)
    const old = this.cache.get(key)
    if (old && !olderThan(old.metadata?.resourceVersion, obj.metadata?.resourceVersion)) return
    this.cache.set(key, obj)
    this.emit(old ? 'MODIFIED' : 'ADDED', obj, old)
  }

  private async list(): Promise<void> {
    const res = await this.kube.list<T>(this.ref, {namespace: this.opts.namespace, labelSelector: this.opts.labelSelector})
    const seen = new Set<string>()
    for (const raw of res.items) {
      const o = this.shape(raw)
      const key = objectKey(o)
      seen.add(key)
      const old = this.cache.get(key)
      if (old && old.metadata?.resourceVersion === o.metadata?.resourceVersion) continue
      this.cache.set(key, o)
      this.emit(old ? 'MODIFIED' : 'ADDED', o, old)
    }
    for (const [key, old] of [...this.cache]) {
      if (seen.has(key)) continue
      this.cache.delete(key)
      this.emit('DELETED', old, old)
    }
    this.rv = res.resourceVersion
    this.lists++
    if (!this.syncedOnce) {
      this.syncedOnce = true
      for (const w of this.syncWaiters.splice(0)) w()
    }
  }

  /** One watch stream from this.rv; resolves when it ends: undefined for a normal end, else the error. */
  private watchOnce(): Promise<unknown> {
    const timeout = Math.round((this.opts.timeoutSeconds ?? 240) * (0.75 + 0.5 * (this.opts.random ?? Math.random)()))
    return new Promise((resolve) => {
      let ended = false
      const end = (err?: unknown): void => {
        if (ended) return
        ended = true
        clearTimeout(watchdog)
        this.stopWatch = undefined
        resolve(err)
      }
      // A stream that stays silent past the server timeout is dead (e.g. the peer vanished without closing it).
      const watchdog = setTimeout(() => {
        stop?.()
        end(new Error('watch stream silent past its timeout'))
      }, (timeout + 30) * 1000)
      watchdog.unref?.()
      let stop: (() => void) | undefined
      this.kube
        .watch<T>(this.ref, {namespace: this.opts.namespace, labelSelector: this.opts.labelSelector, resourceVersion: this.rv, timeoutSeconds: timeout, bookmarks: true},
          (type, obj) => this.apply(type, obj),
          (err) => end(err ?? undefined))
        .then((s) => {
          stop = s
          if (ended || this.stopped) s()
          else this.stopWatch = () => {
            s()
            end()
          }
        }, (err) => end(err ?? new Error('watch failed')))
    })
  }

  private apply(type: WatchEventType, raw: T): void {
    const rv = raw?.metadata?.resourceVersion
    if (rv) this.rv = rv
    if (type === 'BOOKMARK' || type === 'ERROR') return
    const obj = this.shape(raw)
    const key = objectKey(obj)
    const old = this.cache.get(key)
    if (type === 'DELETED') {
      if (!old) return
      this.cache.delete(key)
      this.emit('DELETED', obj, old)
      return
    }
    // Our own writes may already be in the cache (observe()); an event that is not newer changes nothing.
    if (old && !olderThan(old.metadata?.resourceVersion, rv)) return
    this.cache.set(key, obj)
    this.emit(old ? 'MODIFIED' : 'ADDED', obj, old)
  }

  private shape(o: T): T {
    return this.opts.transform ? (this.opts.transform(o) as T) : o
  }

  private emit(type: InformerEvent, obj: T, old?: T): void {
    for (const h of this.handlers) h(type, obj, old)
  }

  private async interruptibleSleep(sleep: (ms: number) => Promise<void>, ms: number): Promise<void> {
    await Promise.race([sleep(ms), new Promise<void>((r) => (this.wake = r))])
    this.wake = undefined
  }
}
