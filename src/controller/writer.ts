// Writes Service status and the pool annotation. A queue of service keys (not of patches): what to write is computed
// when the write happens, from the latest decision, so a burst of changes to one service costs one write. Each write
// carries the resourceVersion it was computed from, so it can never overwrite a change it has not seen.
import {Annotations, DeprecatedAnnotations, Kinds} from '../lib/api/constants.js'
import {type Clock, systemClock, Timer} from '../lib/clock.js'
import type {Service} from '../lib/api/types.js'
import type {KubeApi} from '../lib/kube/rest.js'
import {backoffDelay} from '../lib/kube/retry.js'
import {annotationDiffers, statusDiffers, type Desired} from './decisions.js'
import type {Metrics} from './metrics.js'

export interface WriterDeps {
  kube: KubeApi
  metrics: Metrics
  concurrency: number
  /** Checked before every request: only the leader writes. */
  canWrite: () => boolean
  /** The service as last observed. */
  get: (key: string) => Service | undefined
  /** What the service should show now; undefined: leave it alone. */
  desired: (key: string) => Desired | undefined
  /** A fresher object than the cache has (a write's response, or a re-read after a conflict). */
  observe: (svc: Service) => void
  log: {warn: (o: object, msg: string) => void; debug: (o: object, msg: string) => void}
  /** Retry timers run on it (tests pass a FakeClock); default: the system clock. */
  clock?: Clock
}

export class StatusWriter {
  private readonly queue = new Set<string>()
  private readonly inflight = new Set<string>()
  private readonly again = new Set<string>()
  private readonly retry = new Set<string>()
  private readonly retryTimer: Timer
  private retryFailures = 0
  private active = 0
  private idleWaiters: Array<() => void> = []

  constructor(private readonly d: WriterDeps) {
    this.retryTimer = new Timer(d.clock ?? systemClock, () => {
      const keys = [...this.retry]
      this.retry.clear()
      for (const k of keys) this.enqueue(k)
    })
  }

  get backlog(): number {
    return this.queue.size + this.inflight.size + this.retry.size
  }

  enqueue(key: string): void {
    if (this.inflight.has(key)) this.again.add(key)
    else this.queue.add(key)
    this.pump()
  }

  /** Forget everything queued (on losing leadership: the next leader decides again). */
  clear(): void {
    this.queue.clear()
    this.again.clear()
    this.retry.clear()
    this.retryTimer.stop()
  }

  /** Resolves when nothing is queued or in flight (for shutdown; bounded by the caller). */
  idle(): Promise<void> {
    if (this.active === 0 && this.queue.size === 0) return Promise.resolve()
    return new Promise((r) => this.idleWaiters.push(r))
  }

  private pump(): void {
    while (this.active < this.d.concurrency && this.queue.size > 0) {
      const key = this.queue.values().next().value as string
      this.queue.delete(key)
      this.active++
      this.inflight.add(key)
      this.sync(key).finally(() => {
        this.active--
        this.inflight.delete(key)
        if (this.again.delete(key)) this.queue.add(key)
        this.pump()
        if (this.active === 0 && this.queue.size === 0) for (const w of this.idleWaiters.splice(0)) w()
      })
    }
  }

  private async sync(key: string): Promise<void> {
    try {
      let svc = this.d.get(key)
      const want = this.d.desired(key)
      if (!svc || !want) return
      const [ns, name] = [svc.metadata.namespace ?? 'default', svc.metadata.name]
      // Status first: it is what a restarted controller trusts; the annotation only says where it came from.
      if (statusDiffers(svc, want)) {
        if (!this.d.canWrite()) return this.later(key)
        const loadBalancer = want.ingress.length ? {ingress: want.ingress.map((ip) => ({ip}))} : {ingress: null}
        svc = await this.d.kube.mergePatch<Service>(Kinds.Service, name, ns, {metadata: {resourceVersion: svc.metadata.resourceVersion}, status: {loadBalancer}}, {subresource: 'status'})
        this.d.metrics.writes.inc({target: 'status', result: 'ok'})
        this.d.observe(svc)
      }
      if (annotationDiffers(svc, want)) {
        if (!this.d.canWrite()) return this.later(key)
        const annotations = {[Annotations.ipAllocatedFromPool]: want.pool ?? null, [DeprecatedAnnotations.ipAllocatedFromPool]: null}
        svc = await this.d.kube.mergePatch<Service>(Kinds.Service, name, ns, {metadata: {resourceVersion: svc.metadata.resourceVersion, annotations}})
        this.d.metrics.writes.inc({target: 'annotation', result: 'ok'})
        this.d.observe(svc)
      }
      this.d.metrics.updates.inc()
      this.retryFailures = 0
    } catch (err) {
      await this.failed(key, err)
    }
  }

  private async failed(key: string, err: unknown): Promise<void> {
    const code = (err as {code?: string}).code
    this.d.metrics.updateErrors.inc()
    this.d.metrics.writes.inc({target: 'service', result: code === 'CONFLICT' ? 'conflict' : code === 'NOT_FOUND' ? 'gone' : 'error'})
    if (code === 'NOT_FOUND') return
    if (code === 'CONFLICT') {
      // Someone changed the service since we read it: read it again, decide again (observe → informer → dirty).
      this.d.log.debug({service: key}, 'conflict writing service status; re-reading')
      try {
        const [ns, name] = key.split('/')
        const fresh = await this.d.kube.get<Service>(Kinds.Service, name, ns)
        if (fresh) this.d.observe(fresh)
      } catch (e) {
        // The informer will deliver the change; a refusal (RBAC) or an outage is still worth saying.
        this.d.log.warn({service: key, err: (e as Error).message}, 're-reading the service after a conflict failed; waiting for the watch')
      }
      return
    }
    this.d.log.warn({service: key, err: (err as Error).message}, 'writing service status failed; will retry')
    this.later(key, backoffDelay(Math.min(this.retryFailures++, 8), 500, 30_000))
  }

  /**
   * Try again later: after a failure, or when leadership flickered (a slow renewal). If leadership is really lost,
   * clear() drops this, and the next leader decides afresh.
   */
  private later(key: string, delay = 1000): void {
    this.retry.add(key)
    if (!this.retryTimer.running) this.retryTimer.start(delay)
  }
}
