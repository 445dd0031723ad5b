// Test-side handle for l2-responder-main.ts running in a lab node: start it, send commands, read results.
import type {ChildProcess} from 'node:child_process'
import {createInterface} from 'node:readline'
import type {AnnounceSchedule} from '../../../src/lib/l2/announcer.js'
import type {L2EngineStats} from '../../../src/lib/l2/engine.js'
import type {ArpOffloadSetting, ArpOffloadStatus, XdpModeSetting} from '../../../src/lib/l2/offload.js'
import {bundleEntry} from './bundle.js'
import type {LabNode} from './netns.js'

export interface L2ResponderOptions {
  /** Interfaces to serve (default: the node's bridge interface). */
  interfaces?: string[]
  /** Serve what interface discovery selects, following changes (ignores `interfaces`). */
  watch?: boolean
  /** With `watch`: first restart delay of a dead `ip monitor`, and the second re-scan after a restart (ms). */
  watchBackoffMs?: number
  watchSettleMs?: number
  filter?: 'requests' | 'all'
  schedule?: AnnounceSchedule
  /** The engine's ARP offload setting (default: the engine's default, 'auto'). */
  arpOffload?: ArpOffloadSetting
  xdpMode?: XdpModeSetting
}

export interface OffloadReport {
  status: ArpOffloadStatus
  /** Per served interface: the addresses in its XDP map (read back from the kernel), null when not offloaded. */
  addresses: Record<string, string[] | null>
}

export class L2Responder {
  private nextId = 1
  private readonly waiting = new Map<number, {resolve: (v: any) => void; reject: (e: Error) => void}>()
  stderr = ''

  private constructor(readonly node: LabNode, private readonly child: ChildProcess) {
    createInterface({input: child.stdout!}).on('line', (line) => {
      const m = JSON.parse(line) as {id?: number; ok?: boolean; result?: unknown; error?: string}
      const w = m.id === undefined ? undefined : this.waiting.get(m.id)
      if (!w) return
      this.waiting.delete(m.id!)
      if (m.ok) w.resolve(m.result)
      else w.reject(new Error(m.error))
    })
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr += String(d)
    })
    child.once('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`l2 responder exited (${code}): ${this.stderr}`))
      this.waiting.clear()
    })
  }

  static async start(node: LabNode, opts: L2ResponderOptions = {}): Promise<L2Responder> {
    const file = await bundleEntry('test/harness/lab/l2-responder-main.ts')
    const args = [file, '--filter', opts.filter ?? 'requests']
    if (opts.schedule) args.push('--schedule', JSON.stringify(opts.schedule))
    if (opts.watch) args.push('--watch')
    if (opts.watchBackoffMs !== undefined) args.push('--watch-backoff-ms', String(opts.watchBackoffMs))
    if (opts.watchSettleMs !== undefined) args.push('--watch-settle-ms', String(opts.watchSettleMs))
    if (opts.arpOffload) args.push('--arp-offload', opts.arpOffload)
    if (opts.xdpMode) args.push('--xdp-mode', opts.xdpMode)
    const child = node.spawn(process.execPath, args)
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer): void => {
        if (String(d).includes('"ready"')) {
          child.stdout!.off('data', onData)
          resolve()
        }
      }
      child.stdout!.on('data', onData)
      child.once('exit', (c) => reject(new Error(`l2 responder exited (${c}) before ready`)))
    })
    const r = new L2Responder(node, child)
    if (!opts.watch) {
      try {
        await r.call('interfaces', {names: opts.interfaces ?? [node.ifname]})
      } catch (e) {
        await r.stop()
        throw e
      }
    }
    return r
  }

  /** The responder's pid (`ip netns exec` execs node in place), for CPU accounting. */
  get pid(): number {
    return this.child.pid!
  }

  call<T = unknown>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, {resolve, reject})
      this.child.stdin!.write(JSON.stringify({id, cmd, ...args}) + '\n')
    })
  }

  own(address: string, interfaces?: string[]): Promise<string> {
    return this.call('own', {address, interfaces})
  }

  release(address: string): Promise<boolean> {
    return this.call('release', {address})
  }

  stats(): Promise<L2EngineStats> {
    return this.call('stats')
  }

  offload(): Promise<OffloadReport> {
    return this.call('offload')
  }

  /** SIGKILL, as a crash: no cleanup runs in the process. Resolves once it has exited. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const gone = new Promise((r) => this.child.once('exit', r))
    this.child.kill('SIGKILL')
    await gone
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const gone = new Promise((r) => this.child.once('exit', r))
    this.child.stdin!.end()
    await gone
  }
}
