// Keeps the speaker's status objects true: ServiceL2Status, ServiceBGPStatus, BGPPeerSession and ConfigurationState
// `speaker-<node>`. Runs after every decision and on a timer; a failed write (API server away) is retried by the
// next run, which plans again from the informers' view. Never blocks the wire: announcing does not wait for status.
import {Kinds, Labels, V1BETA1} from '../../lib/api/constants.js'
import type {KubeObject} from '../../lib/api/types.js'
import type {KindRef} from '../../lib/kube/client.js'
import type {KubeApi} from '../../lib/kube/rest.js'
import type {ConfigProblem} from '../state.js'
import {cleaner, type DesiredStatus, planStatus} from './desired.js'
import {writeStatus} from './writer.js'

export interface StatusKind {
  ref: KindRef
  /** The label naming the node an object belongs to. */
  nodeLabel: string
  desired: () => DesiredStatus[]
  existing: () => KubeObject[]
}

export interface StatusSyncOptions {
  kube: KubeApi
  namespace: string
  node: string
  kinds: StatusKind[]
  /** Nodes alive now (the cleaner removes the others' objects). */
  live: () => ReadonlySet<string>
  problems: () => ConfigProblem[]
  onWrite?: (kind: string, result: 'ok' | 'error') => void
  log: {warn: (o: object, msg: string) => void}
  retryMs?: number
}

export function configurationStatus(problems: readonly ConfigProblem[]): Record<string, unknown> {
  const summary = problems.map((p) => `${p.object}: ${p.message} (${p.code})`).join('; ')
  return {result: problems.length === 0 ? 'Valid' : 'Invalid', errorSummary: summary, conditions: []}
}

export class StatusSync {
  private running = false
  private again = false
  private timer?: NodeJS.Timeout
  private writtenConfig?: string
  private stopped = false

  constructor(private readonly o: StatusSyncOptions) {}

  /** Run soon (coalesced). */
  kick(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    void this.run()
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  private async run(): Promise<void> {
    this.running = true
    let failed = false
    try {
      do {
        this.again = false
        failed = !(await this.once())
      } while (this.again && !this.stopped)
    } finally {
      this.running = false
    }
    if (failed && !this.stopped) {
      clearTimeout(this.timer)
      this.timer = setTimeout(() => this.kick(), this.o.retryMs ?? 2000)
      this.timer.unref?.()
    }
  }

  /** One pass over every kind; false when some write failed. */
  async once(): Promise<boolean> {
    const live = this.o.live()
    const cleanFor = cleaner(live) === this.o.node ? live : undefined
    let ok = true
    for (const k of this.o.kinds) {
      const existing = k.existing()
      const plan = planStatus(k.desired(), existing, k.nodeLabel, this.o.node, cleanFor)
      if (plan.create.length + plan.update.length + plan.delete.length === 0) continue
      const res = await writeStatus(this.o.kube, k.ref, this.o.namespace, plan, new Map(existing.map((e) => [e.metadata.name, e])))
      for (let i = 0; i < res.written; i++) this.o.onWrite?.(k.ref.kind, 'ok')
      for (const f of res.failed) {
        this.o.onWrite?.(k.ref.kind, 'error')
        // Someone else (the cleaner, a restart) removed it first: nothing to do.
        if (f.op === 'delete' && /not found/i.test(f.error)) continue
        ok = false
        this.o.log.warn({kind: k.ref.kind, name: f.name, op: f.op, err: f.error}, 'status write failed; will retry')
      }
    }
    return (await this.writeConfig()) && ok
  }

  private async writeConfig(): Promise<boolean> {
    const status = configurationStatus(this.o.problems())
    const text = JSON.stringify(status)
    if (text === this.writtenConfig) return true
    const name = `speaker-${this.o.node}`
    const ref = Kinds.ConfigurationState
    try {
      try {
        await this.o.kube.create({apiVersion: V1BETA1, kind: ref.kind, metadata: {name, namespace: this.o.namespace, labels: {[Labels.node]: this.o.node}}})
      } catch (e) {
        if ((e as {code?: string}).code !== 'CONFLICT') throw e
      }
      await this.o.kube.mergePatch(ref, name, this.o.namespace, {status}, {subresource: 'status'})
      this.writtenConfig = text
      this.o.onWrite?.(ref.kind, 'ok')
      return true
    } catch (e) {
      this.o.onWrite?.(ref.kind, 'error')
      this.o.log.warn({kind: ref.kind, name, err: (e as Error).message}, 'status write failed; will retry')
      return false
    }
  }
}
