// Leader election with a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it. Safety rests on two
// clocks never being compared: a holder stops writing once `renewDeadline` has passed since it last *sent* a renewal
// that succeeded, and a contender takes over only after `leaseDuration` has passed on its own clock since it last saw
// the lease change. renewDeadline < leaseDuration leaves a gap in which nobody writes.
import {microTime} from '../api/time.js'
import type {KubeApi} from './rest.js'
import {realSleep} from './retry.js'

export const LEASE_KIND = {apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases'} as const

interface LeaseObject {
  apiVersion: string
  kind: string
  metadata: {name: string; namespace: string; resourceVersion?: string}
  spec?: {holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number}
}

export interface LeaderElectorOptions {
  name: string
  namespace: string
  identity: string
  leaseDurationMs: number
  /** Default: 2/3 of the lease duration. */
  renewDeadlineMs?: number
  /** Default: 2/15 of the lease duration (2 s for 15 s). */
  retryPeriodMs?: number
  now?: () => number
  sleep?: (ms: number) => Promise<void>
  onStartedLeading?: () => void
  onStoppedLeading?: () => void
  onError?: (err: unknown) => void
  /** The calls the elector makes (tests pass a fake); default: `kube` with one attempt and a short timeout. */
  client?: Pick<KubeApi, 'get' | 'create' | 'replace'>
}

export class LeaderElector {
  private readonly kube: Pick<KubeApi, 'get' | 'create' | 'replace'>
  private readonly now: () => number
  private readonly renewDeadline: number
  private readonly retryPeriod: number
  private lastRenew = -Infinity
  private observed?: {record: string; at: number}
  private leading = false
  private announced = false
  private stopped = false
  private wake?: () => void
  /** The attempt under way, so stop() can let it finish before handing the lease back. */
  private inflight?: Promise<void>
  /** Our last write to the lease succeeded (it names us), even if it landed after stop(). */
  private holds = false

  constructor(kube: KubeApi | undefined, private readonly opts: LeaderElectorOptions) {
    this.now = opts.now ?? Date.now
    this.renewDeadline = opts.renewDeadlineMs ?? Math.round((opts.leaseDurationMs * 2) / 3)
    this.retryPeriod = opts.retryPeriodMs ?? Math.max(50, Math.round((opts.leaseDurationMs * 2) / 15))
    // One attempt per call and a short timeout: a renewal that hangs must not outlive the renew deadline.
    this.kube = opts.client ?? kube!.withOptions({attempts: 1, timeoutMs: Math.max(100, Math.min(this.renewDeadline / 2, 5_000))})
  }

  get identity(): string {
    return this.opts.identity
  }

  /** True only while the last successful renewal is younger than the renew deadline: checked before every write. */
  isLeader(): boolean {
    return this.leading && this.now() - this.lastRenew < this.renewDeadline
  }

  /** Loop until stop(): try to acquire or renew every retry period; report transitions. Never rejects. */
  async run(): Promise<void> {
    const sleep = this.opts.sleep ?? realSleep
    while (!this.stopped) {
      this.inflight = this.tick()
      await this.inflight
      await Promise.race([sleep(this.retryPeriod), new Promise<void>((r) => (this.wake = r))])
    }
  }

  /** One attempt, then report a transition if there was one. */
  async tick(): Promise<void> {
    try {
      await this.tryAcquireOrRenew()
    } catch (err) {
      // Someone else's write won the compare-and-swap: whoever it was, it is not us.
      if ((err as {code?: string}).code === 'CONFLICT') [this.leading, this.holds] = [false, false]
      this.opts.onError?.(err)
    }
    this.announce()
  }

  /** Report a change of leadership (also one caused only by time passing). */
  announce(): void {
    const now = this.isLeader()
    if (now === this.announced) return
    this.announced = now
    if (now) this.opts.onStartedLeading?.()
    else this.opts.onStoppedLeading?.()
  }

  /** Stop, and hand the lease back when we hold it so a standby need not wait for it to expire. */
  async stop(release = true): Promise<void> {
    this.stopped = true
    this.wake?.()
    const was = this.isLeader()
    this.leading = false
    this.announce()
    // A renewal in flight would otherwise race the release below (its write moves the resourceVersion on, and the
    // release fails with a conflict, leaving a standby to wait out the lease). tick() never rejects.
    await this.inflight
    this.leading = false
    if (!release || !(was || this.holds)) return
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        const lease = await this.kube.get<LeaseObject>(LEASE_KIND, this.opts.name, this.opts.namespace)
        if (lease?.spec?.holderIdentity !== this.opts.identity) return
        const t = this.now()
        await this.kube.replace<LeaseObject>({...lease, spec: {...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(t)}})
        this.holds = false
        return
      } catch (err) {
        if ((err as {code?: string}).code === 'CONFLICT' && attempt < 3) continue
        this.opts.onError?.(err)
        return
      }
    }
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const t = this.now()
    const seconds = Math.max(1, Math.ceil(this.opts.leaseDurationMs / 1000))
    const me = this.opts.identity
    const lease = await this.kube.get<LeaseObject>(LEASE_KIND, this.opts.name, this.opts.namespace)
    if (!lease) {
      const created = await this.kube.create<LeaseObject>({
        ...LEASE_KIND, metadata: {name: this.opts.name, namespace: this.opts.namespace},
        spec: {holderIdentity: me, leaseDurationSeconds: seconds, acquireTime: microTime(t), renewTime: microTime(t), leaseTransitions: 0},
      })
      this.won(t, created)
      return
    }
    const spec = lease.spec ?? {}
    const record = `${spec.holderIdentity}|${spec.renewTime}|${lease.metadata.resourceVersion}`
    if (this.observed?.record !== record) this.observed = {record, at: t}
    const holder = spec.holderIdentity ?? ''
    const duration = (spec.leaseDurationSeconds ?? seconds) * 1000
    if (holder !== '' && holder !== me && t < this.observed.at + duration) {
      this.leading = false
      this.holds = false
      return
    }
    const mine = holder === me
    const next: LeaseObject = {
      ...lease,
      spec: {
        holderIdentity: me, leaseDurationSeconds: seconds,
        acquireTime: mine ? spec.acquireTime : microTime(t), renewTime: microTime(t),
        leaseTransitions: mine ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? 0) + 1,
      },
    }
    // The resourceVersion in `next` makes this a compare-and-swap: two contenders cannot both win.
    this.won(t, await this.kube.replace<LeaseObject>(next))
  }

  private won(t: number, lease: LeaseObject): void {
    this.lastRenew = t
    this.holds = true
    // A write that lands after stop() still holds the lease (stop() hands it back) but does not make us leader.
    this.leading = !this.stopped
    const s = lease.spec ?? {}
    this.observed = {record: `${s.holderIdentity}|${s.renewTime}|${lease.metadata.resourceVersion}`, at: t}
  }
}
