// Status the controller reports beyond services: ConfigurationState `controller` (Valid/Invalid with a summary naming the
// objects) and IPAddressPool counters. Written by the leader only, when changed, at most every `intervalMs`.
import {Kinds, V1BETA1} from '../lib/api/constants.js'
import {rfc3339} from '../lib/api/time.js'
import {type Clock, systemClock, Timer} from '../lib/clock.js'
import type {KubeApi} from '../lib/kube/rest.js'
import type {PoolCounts} from '../lib/ipam/index.js'

export interface ConfigReport {
  result: 'Valid' | 'Invalid'
  errorSummary: string
}

interface Deps {
  kube: KubeApi
  namespace: string
  canWrite: () => boolean
  intervalMs?: number
  log: {warn: (o: object, msg: string) => void}
  /** The write delay runs on it (tests pass a FakeClock); default: the system clock. */
  clock?: Clock
}

/** int64 in the CRD, but JSON numbers past 2^53 do not survive a round trip through JavaScript clients. */
const clamp = (v: bigint): number => (v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v))

export function poolStatus(c: PoolCounts): Record<string, number> {
  return {assignedIPv4: clamp(c.assigned[4]), assignedIPv6: clamp(c.assigned[6]), availableIPv4: clamp(c.available[4]), availableIPv6: clamp(c.available[6])}
}

export class StatusReporter {
  private config?: ConfigReport
  private writtenConfig?: string
  private pools = new Map<string, Record<string, number>>()
  private written = new Map<string, string>()
  private readonly timer: Timer
  private running?: Promise<void>
  private transition = rfc3339(Date.now())

  constructor(private readonly d: Deps) {
    this.timer = new Timer(d.clock ?? systemClock, () => void this.flush())
  }

  setConfig(r: ConfigReport): void {
    if (this.config?.result !== r.result) this.transition = rfc3339(Date.now())
    this.config = r
    this.schedule()
  }

  setPool(name: string, counts: PoolCounts): void {
    this.pools.set(name, poolStatus(counts))
    this.schedule()
  }

  dropPool(name: string): void {
    this.pools.delete(name)
    this.written.delete(name)
  }

  /** Forget what was written (on becoming leader: another replica may have written since). */
  reset(): void {
    this.writtenConfig = undefined
    this.written.clear()
    this.schedule()
  }

  async flush(): Promise<void> {
    this.timer.stop()
    await this.running
    this.running = this.write()
    await this.running
  }

  stop(): void {
    this.timer.stop()
  }

  private schedule(): void {
    if (!this.timer.running) this.timer.start(this.d.intervalMs ?? 500)
  }

  private async write(): Promise<void> {
    // Not (or, for a moment, not provably) leader: look again later; becoming leader also calls reset().
    if (!this.d.canWrite()) return this.schedule()
    const {kube, namespace} = this.d
    let failed = false
    if (this.config && JSON.stringify(this.config) !== this.writtenConfig) {
      try {
        const ref = Kinds.ConfigurationState
        if (!(await kube.get(ref, 'controller', namespace))) {
          await kube.create({apiVersion: V1BETA1, kind: ref.kind, metadata: {name: 'controller', namespace}, spec: {}}).catch((e) => {
            if ((e as {code?: string}).code !== 'CONFLICT') throw e
          })
        }
        const valid = this.config.result === 'Valid'
        const status = {
          result: this.config.result, errorSummary: this.config.errorSummary,
          conditions: [{type: 'Valid', status: valid ? 'True' : 'False', reason: valid ? 'ConfigurationValid' : 'ConfigurationInvalid', message: this.config.errorSummary || 'configuration loaded', lastTransitionTime: this.transition}],
        }
        if (this.d.canWrite()) await kube.mergePatch(ref, 'controller', namespace, {status}, {subresource: 'status'})
        this.writtenConfig = JSON.stringify(this.config)
      } catch (err) {
        failed = true
        this.d.log.warn({err: (err as Error).message}, 'writing ConfigurationState failed; will retry')
      }
    }
    for (const [name, status] of this.pools) {
      const text = JSON.stringify(status)
      if (this.written.get(name) === text || !this.d.canWrite()) continue
      try {
        await kube.mergePatch(Kinds.IPAddressPool, name, namespace, {status}, {subresource: 'status'})
        this.written.set(name, text)
      } catch (err) {
        if ((err as {code?: string}).code === 'NOT_FOUND') continue
        failed = true
        this.d.log.warn({pool: name, err: (err as Error).message}, 'writing IPAddressPool status failed; will retry')
      }
    }
    if (failed) this.schedule()
  }
}
