// The controller (ARCHITECTURE.md rule 4): informers keep Services, IPAddressPools and Namespaces; the reconciler
// (src/lib/reconcile) runs debounced passes that compute the desired assignment from everything observed (planAll of
// src/lib/ipam), and the writer brings each Service to it. A pass is synchronous, so the allocator never sees half an
// update. Passes are incremental (only changed services) except after a configuration change or on becoming leader,
// when the allocator is rebuilt: holders first, so no address leaves its holder.
import {performance} from 'node:perf_hooks'
import type {Logger} from 'pino'
import {Kinds} from '../lib/api/constants.js'
import {type Clock, sleep, systemClock} from '../lib/clock.js'
import type {IPAddressPool, KubeObject, Service} from '../lib/api/types.js'
import {Allocator, applyPass, compilePools, failureMessage, parseService, passOrder, planAll, sameConfig, servedBy, type ConfigProblem, type PlanItem, type PoolDef} from '../lib/ipam/index.js'
import type {KubeApi} from '../lib/kube/rest.js'
import {EventRecorder} from '../lib/kube/events.js'
import {Informer} from '../lib/kube/informer.js'
import type {IP} from '../lib/net/index.js'
import {type PassRequest, Reconciler} from '../lib/reconcile/reconciler.js'
import {decisionOf, desiredFor, slimService, eventsFor, heldIPs, statusDiffers, annotationDiffers, type Decision, type Desired} from './decisions.js'
import type {Metrics} from './metrics.js'
import {StatusReporter} from './status.js'
import {StatusWriter} from './writer.js'

export interface ControllerOptions {
  kube: KubeApi
  namespace: string
  lbClass?: string
  log: Logger
  metrics: Metrics
  identity: string
  /** Whether this replica may write now (the lease); always true without leader election. */
  isLeader: () => boolean
  writeConcurrency?: number
  /** Every timer of the controller (debounce, retries, status delay) runs on it; default: the system clock. */
  clock?: Clock
}

type Namespace = KubeObject
interface Item extends PlanItem {
  svc: Service
}

export class Controller {
  readonly services: Informer<Service>
  readonly pools: Informer<IPAddressPool>
  readonly namespaces: Informer<Namespace>
  readonly writer: StatusWriter
  readonly reporter: StatusReporter
  readonly events: EventRecorder
  private config?: PoolDef[]
  private problems: ConfigProblem[] = []
  private alloc?: Allocator
  private configDirty = true
  readonly reconciler: Reconciler
  private readonly pending = new Set<string>()
  private readonly decisions = new Map<string, Decision>()
  private lastFreed = 0
  /** Set once this replica may act: informers listed (again) since it became leader. */
  private primed = false
  private stopping = false
  private activations = 0
  private readonly clock: Clock

  constructor(private readonly o: ControllerOptions) {
    this.clock = o.clock ?? systemClock
    const onError = (resource: string) => (err: unknown, phase: 'list' | 'watch') => {
      o.metrics.informerErrors.inc({resource, phase})
      o.log.warn({resource, phase, err: (err as Error)?.message}, 'list/watch failed; recovering')
    }
    this.services = new Informer<Service>(o.kube, Kinds.Service, {transform: slimService, onError: onError('services')})
    this.pools = new Informer<IPAddressPool>(o.kube, Kinds.IPAddressPool, {namespace: o.namespace, onError: onError('ipaddresspools')})
    this.namespaces = new Informer<Namespace>(o.kube, Kinds.Namespace, {onError: onError('namespaces')})
    this.reconciler = new Reconciler({
      pass: (req) => this.pass(req),
      canRun: () => this.primed && !this.stopping && o.isLeader() && this.synced,
      onError: (err) => o.log.error({err: (err as Error).stack}, 'reconcile pass failed'),
      onDeferred: () => o.metrics.deferred.inc(),
      clock: this.clock,
    })
    this.services.on((_t, svc) => this.reconciler.enqueue(`${svc.metadata.namespace}/${svc.metadata.name}`))
    this.pools.on(() => {
      this.configDirty = true
      this.reconciler.kick()
    })
    this.namespaces.on((_t, ns, old) => {
      if (JSON.stringify(ns.metadata.labels ?? {}) === JSON.stringify(old?.metadata.labels ?? {})) return
      // Labels feed serviceAllocation.namespaceSelectors: every service in the namespace may be affected.
      const keys: string[] = []
      for (const [k, s] of this.services.cache) if (s.metadata.namespace === ns.metadata.name) keys.push(k)
      this.reconciler.enqueue(...keys)
    })
    const canWrite = (): boolean => this.primed && !this.stopping && o.isLeader()
    this.writer = new StatusWriter({
      kube: o.kube, metrics: o.metrics, concurrency: o.writeConcurrency ?? 16, canWrite, log: o.log,
      get: (k) => this.services.cache.get(k),
      desired: (k) => this.desired(k),
      observe: (svc) => this.services.observe(svc),
      clock: this.clock,
    })
    this.reporter = new StatusReporter({kube: o.kube, namespace: o.namespace, canWrite, log: o.log, clock: this.clock})
    this.events = new EventRecorder(o.kube, {component: 'lbctl-controller', instance: o.identity, canWrite, onError: () => undefined})
  }

  /** Start the informers (they run until stop()). */
  start(): void {
    for (const inf of [this.services, this.pools, this.namespaces] as Array<Informer<any>>) void inf.run()
  }

  get synced(): boolean {
    return this.services.synced && this.pools.synced && this.namespaces.synced
  }

  async waitSynced(): Promise<void> {
    await Promise.all([this.services.waitSynced(), this.pools.waitSynced(), this.namespaces.waitSynced()])
  }

  /**
   * Become the acting replica: list everything again (a consistent read that includes the last writes of whoever acted
   * before), then rebuild the allocator from what services hold.
   */
  async activate(relist: boolean): Promise<void> {
    const gen = ++this.activations
    await this.waitSynced()
    if (relist) {
      for (;;) {
        try {
          await Promise.all([this.services.relist(), this.pools.relist(), this.namespaces.relist()])
          break
        } catch (err) {
          this.o.log.warn({err: (err as Error).message}, 're-listing after becoming leader failed; retrying')
          await sleep(this.clock, 1000)
          if (!this.o.isLeader() || this.stopping) return
        }
      }
    }
    // Leadership may have changed while we listed: only the latest activation, still leading, may act.
    if (gen !== this.activations || !this.o.isLeader() || this.stopping) return
    this.deactivate()
    this.primed = true
    this.reporter.reset()
    this.reconciler.kick()
  }

  /** Stop acting at once (lease lost): drop queued writes and the allocator; the next leader decides afresh. */
  deactivate(): void {
    this.activations++
    this.primed = false
    this.writer.clear()
    this.events.clear()
    this.alloc = undefined
    this.decisions.clear()
    this.pending.clear()
    this.reconciler.reset()
    this.configDirty = true
  }

  async stop(timeoutMs = 5000): Promise<void> {
    this.stopping = true
    this.reconciler.stop()
    await Promise.race([this.writer.idle(), sleep(this.clock, timeoutMs)])
    this.reporter.stop()
    for (const inf of [this.services, this.pools, this.namespaces] as Array<Informer<any>>) inf.stop()
  }

  /** Counts for tests and /readyz. */
  get stats(): {assigned: number; pending: number; backlog: number; configLoaded: boolean} {
    return {assigned: this.alloc?.size ?? 0, pending: this.pending.size, backlog: this.writer.backlog, configLoaded: this.config !== undefined}
  }

  /** Whether a pool name (a service's pool annotation) is one of this controller's pools. */
  private readonly isOurPool = (name: string): boolean => this.pools.cache.has(`${this.o.namespace}/${name}`)

  private desired(key: string): Desired | undefined {
    const svc = this.services.cache.get(key)
    const d = this.decisions.get(key)
    return svc && d ? desiredFor(d, svc, this.isOurPool) : undefined
  }

  private pass(req: PassRequest): void {
    const t0 = performance.now()
    const configChanged = this.configDirty && this.loadConfig()
    if (!this.config) return this.report()
    const prev = this.alloc
    const full = req.full || configChanged || !prev
    const keys = full ? this.services.cache.keys() : req.keys
    const work: Item[] = []
    for (const key of keys) {
      const svc = this.services.cache.get(key)
      if (!svc) {
        if (!full) prev!.release(key)
        this.decisions.delete(key)
        this.pending.delete(key)
        continue
      }
      const served = servedBy(svc, this.o.lbClass)
      if (served !== true) {
        if (!full) prev!.release(key)
        this.pending.delete(key)
        this.decide(svc, {kind: 'released', why: served}, [])
        continue
      }
      // On a rebuild, what this replica decided but has not seen written yet counts as held too.
      const held: IP[] = (full ? prev?.assignment(key)?.ips : undefined) ?? heldIPs(svc)
      work.push(this.item(svc, held))
    }
    let outcomes
    if (full) ({allocator: this.alloc, ordered: outcomes} = planAll(this.config, work))
    else outcomes = applyPass(prev!, work)
    const alloc: Allocator = this.alloc!
    for (const {item, outcome} of outcomes) this.decide(item.svc, decisionOf(outcome), item.req.deprecated)
    // An address came free: pending services get another chance, oldest first (API-COMPAT.md: "When an IP is freed,
    // pending services are retried").
    for (let round = 0; this.pending.size > 0 && alloc.freedCount !== this.lastFreed && round < 10; round++) {
      this.lastFreed = alloc.freedCount
      const retry = passOrder([...this.pending].map((k) => this.services.cache.get(k)).filter((s): s is Service => !!s).map((s) => this.item(s, heldIPs(s))))
      for (const it of retry) this.decide(it.svc, decisionOf(alloc.ensure(it.req, it.held)), it.req.deprecated)
    }
    this.lastFreed = alloc.freedCount
    this.o.metrics.passes.inc({kind: full ? 'full' : 'incremental'})
    this.o.metrics.passSeconds.observe((performance.now() - t0) / 1000)
    this.report()
  }

  private item(svc: Service, held: IP[]): Item {
    const ns = this.namespaces.cache.get(`/${svc.metadata.namespace}`)
    return {svc, req: parseService(svc, ns?.metadata.labels ?? {}), held, created: svc.metadata.creationTimestamp ?? ''}
  }

  private decide(svc: Service, d: Decision, deprecated: string[]): void {
    const key = `${svc.metadata.namespace}/${svc.metadata.name}`
    const prev = this.decisions.get(key)
    if (d.kind === 'released' && prev === undefined && desiredFor(d, svc, this.isOurPool) === undefined) return
    this.decisions.set(key, d)
    if (d.kind === 'failed') {
      this.pending.add(key)
      if (prev?.kind !== 'failed' || prev.failure.reason !== d.failure.reason) {
        this.o.metrics.failures.inc({reason: d.failure.reason})
        this.o.log.info({service: key, reason: d.failure.reason, detail: failureMessage(d.failure)}, 'service has no address')
      }
    } else this.pending.delete(key)
    if (d.kind === 'assigned' && (prev?.kind !== 'assigned' || prev.ips.join() !== d.ips.join())) {
      this.o.log.info({service: key, ips: d.ips, pool: d.pool, kept: d.kept}, 'service assigned')
    }
    for (const e of eventsFor(prev, d, prev === undefined ? deprecated : [])) this.events.record({...svc, apiVersion: 'v1', kind: 'Service'}, e.type, e.reason, e.message)
    const want = desiredFor(d, svc, this.isOurPool)
    if (want && (statusDiffers(svc, want) || annotationDiffers(svc, want))) this.writer.enqueue(key)
  }

  /** Read the pools again; true when the configuration in effect changed (the next pass is then full). */
  private loadConfig(): boolean {
    this.configDirty = false
    let changed = false
    const compiled = compilePools([...this.pools.cache.values()])
    this.problems = compiled.problems
    const m = this.o.metrics
    if (compiled.problems.length === 0) {
      if (!this.config || !sameConfig(this.config, compiled.pools)) {
        for (const p of this.config ?? []) {
          if (compiled.pools.some((q) => q.name === p.name)) continue
          m.removePool(p.name)
          this.reporter.dropPool(p.name)
        }
        this.config = compiled.pools
        changed = true
        this.o.log.info({pools: compiled.pools.map((p) => p.name)}, 'configuration loaded')
      }
      m.configLoaded.set(1)
    } else {
      // Keep serving with the last valid configuration (none yet: change nothing at all). report() sets the stale gauge.
      this.o.log.warn({problems: compiled.problems.map((p) => p.message), usingLastValid: this.config !== undefined}, 'configuration invalid')
    }
    return changed
  }

  private report(): void {
    const errors = this.problems.map((p) => p.message)
    const missing = [...this.pending].flatMap((k) => {
      const d = this.decisions.get(k)
      return d?.kind === 'failed' && d.failure.reason === 'poolNotFound' ? [`Service ${k}: ${failureMessage(d.failure)}`] : []
    }).sort()
    errors.push(...missing.slice(0, 10))
    if (missing.length > 10) errors.push(`and ${missing.length - 10} more services naming missing pools`)
    this.reporter.setConfig({result: errors.length ? 'Invalid' : 'Valid', errorSummary: errors.join('; ')})
    const m = this.o.metrics
    // Stale: the latest configuration could not be used as a whole (invalid pools, or services naming pools that do not exist).
    m.configStale.set(errors.length ? 1 : 0)
    m.pending.set(this.pending.size)
    m.assigned.set(this.alloc?.size ?? 0)
    const ev = this.events.stats
    for (const r of ['recorded', 'counted', 'suppressed', 'dropped', 'failed'] as const) m.events.set({result: r}, ev[r])
    for (const p of this.alloc?.pools ?? []) {
      const c = this.alloc!.counts(p.def.name)!
      m.setPool(p.def.name, c.size, c.assigned)
      this.reporter.setPool(p.def.name, c)
    }
  }
}
