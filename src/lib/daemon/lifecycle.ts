// Signals and orderly shutdown: SIGTERM/SIGINT run the registered shutdown hooks in reverse order of registration
// (what started last stops first), each awaited, all within a deadline. A second signal does not restart them.
import {type Clock, systemClock} from '../clock.js'
import {DaemonExit, type DaemonExitCode} from './exit.js'
import type {Logger} from './log.js'

export interface LifecycleOptions {
  log: Logger
  /** How long all hooks together may take before the daemon exits anyway (default 20 s; Kubernetes waits 30 s). */
  deadlineMs?: number
  clock?: Clock
  /** Where signals come from (default: the process). */
  signals?: Pick<NodeJS.Process, 'once' | 'off' | 'on'>
}

type Hook = {name: string; fn: () => void | Promise<void>}

export class Lifecycle {
  private readonly hooks: Hook[] = []
  private readonly deadlineMs: number
  private readonly clock: Clock
  private stopping?: Promise<DaemonExitCode>
  private resolveDone!: (code: DaemonExitCode) => void
  /** Resolves with the exit code once the daemon has stopped. */
  readonly done: Promise<DaemonExitCode> = new Promise((r) => (this.resolveDone = r))

  constructor(private readonly opts: LifecycleOptions) {
    this.deadlineMs = opts.deadlineMs ?? 20_000
    this.clock = opts.clock ?? systemClock
  }

  /** Run `fn` at shutdown; hooks run in reverse order of registration. */
  onShutdown(name: string, fn: () => void | Promise<void>): void {
    this.hooks.push({name, fn})
  }

  /** True once a shutdown has begun (liveness probes report it). */
  get stoppingNow(): boolean {
    return this.stopping !== undefined
  }

  /** Listen for SIGTERM and SIGINT (and log unhandled rejections). Returns `done`. */
  listen(): Promise<DaemonExitCode> {
    const sig = this.opts.signals ?? process
    const onTerm = () => void this.shutdown('SIGTERM')
    const onInt = () => void this.shutdown('SIGINT')
    const onRejection = (err: unknown) => this.opts.log.error({err: (err as Error)?.stack ?? String(err)}, 'unhandled rejection')
    sig.once('SIGTERM', onTerm)
    sig.once('SIGINT', onInt)
    sig.on('unhandledRejection', onRejection)
    void this.done.then(() => {
      sig.off('SIGTERM', onTerm)
      sig.off('SIGINT', onInt)
      sig.off('unhandledRejection', onRejection)
    })
    return this.done
  }

  /** Stop: run the hooks (newest first) within the deadline. Resolves with the exit code; later calls get the same. */
  shutdown(reason: string, code: DaemonExitCode = DaemonExit.OK): Promise<DaemonExitCode> {
    this.stopping ??= this.runHooks(reason, code).then((c) => {
      this.resolveDone(c)
      return c
    })
    return this.stopping
  }

  private async runHooks(reason: string, code: DaemonExitCode): Promise<DaemonExitCode> {
    const {log} = this.opts
    log.info({reason}, 'shutting down')
    let failed = false
    let timer: unknown
    const deadline = new Promise<'deadline'>((r) => (timer = this.clock.setTimeout(() => r('deadline'), this.deadlineMs)))
    const all = (async () => {
      for (const h of [...this.hooks].reverse()) {
        try {
          await h.fn()
        } catch (err) {
          failed = true
          log.error({hook: h.name, err: (err as Error)?.message ?? String(err)}, 'shutdown step failed')
        }
      }
    })()
    const outcome = await Promise.race([all.then(() => 'done' as const), deadline])
    this.clock.clearTimeout(timer)
    if (outcome === 'deadline') {
      log.error({deadlineMs: this.deadlineMs}, 'shutdown did not finish in time; exiting anyway')
      return code === DaemonExit.OK ? DaemonExit.UNCLEAN_SHUTDOWN : code
    }
    log.info('stopped')
    return failed && code === DaemonExit.OK ? DaemonExit.UNCLEAN_SHUTDOWN : code
  }
}
