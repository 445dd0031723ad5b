// A real FRR bgpd (and optionally bfdd) inside a lab node, configured from text and read back with vtysh … json.
import {execFile} from 'node:child_process'
import {chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import type {LabNode} from './netns.js'
import {poll} from '../poll.js'

const run = promisify(execFile)
const FRR_UID = () => Number(readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('frr:'))!.split(':')[2])
const FRR_GID = () => Number(readFileSync('/etc/group', 'utf8').split('\n').find((l) => l.startsWith('frr:'))!.split(':')[2])

export const frrAvailable = (): boolean => existsSync('/usr/lib/frr/bgpd') && existsSync('/usr/bin/vtysh')

export class Frr {
  private constructor(readonly node: LabNode, readonly dir: string, readonly pids: Map<string, number>) {}

  /**
   * Start bgpd (and bfdd when `bfdConf` is given) in `node` with `bgpConf` as its configuration. With `zebra`, zebra
   * runs too (its own socket in the temporary folder): bgpd then installs routes in the node's kernel and learns BFD
   * state from bfdd (which goes through zebra), so `neighbor … bfd` takes sessions down.
   */
  static async start(node: LabNode, bgpConf: string, bfdConf?: string, opts: {zebra?: boolean} = {}): Promise<Frr> {
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-frr-'))
    chownSync(dir, FRR_UID(), FRR_GID())
    const pids = new Map<string, number>()
    const frr = new Frr(node, dir, pids)
    const daemons: [string, string][] = [...(opts.zebra ? [['zebra', ''] as [string, string]] : []), ['bgpd', bgpConf]]
    if (bfdConf) daemons.push(['bfdd', bfdConf])
    for (const [d, conf] of daemons) {
      const f = join(dir, `${d}.conf`)
      writeFileSync(f, `log file ${join(dir, `${d}.log`)}\nlog timestamp precision 6\n${conf}`)
      writeFileSync(join(dir, `${d}.log`), '')
      chownSync(f, FRR_UID(), FRR_GID())
      chownSync(join(dir, `${d}.log`), FRR_UID(), FRR_GID())
      const args = ['-d', '-f', f, '-i', join(dir, `${d}.pid`), '--vty_socket', dir, '-u', 'frr', '-g', 'frr']
      if (opts.zebra) args.push('-z', join(dir, 'zserv.api'))
      else if (d === 'bgpd') args.unshift('-Z')
      await node.exec(`/usr/lib/frr/${d}`, args, {check: true})
      await poll(() => existsSync(join(dir, `${d}.pid`)) && existsSync(join(dir, `${d}.vty`)), {timeoutMs: 10_000, what: `${d} to start`}).catch(() => {
        throw new Error(`${d} did not start: ${readFileSync(join(dir, `${d}.log`), 'utf8')}`)
      })
      pids.set(d, Number(readFileSync(join(dir, `${d}.pid`), 'utf8').trim()))
    }
    return frr
  }

  async vtysh(...cmds: string[]): Promise<string> {
    const args = ['--vty_socket', this.dir]
    for (const c of cmds) args.push('-c', c)
    const r = await run('vtysh', args, {timeout: 20_000, maxBuffer: 256 << 20})
    return r.stdout
  }

  async json<T = any>(cmd: string): Promise<T> {
    return JSON.parse(await this.vtysh(cmd)) as T
  }

  /** The BGP neighbor entry as `show bgp neighbors X json` gives it. */
  async neighbor(addr: string): Promise<any> {
    return (await this.json(`show bgp neighbors ${addr} json`))[addr]
  }

  /** Prefixes in the BGP table of `afi` (ipv4|ipv6) with their paths. */
  async rib(afi: 'ipv4' | 'ipv6'): Promise<Record<string, any[]>> {
    return (await this.json(`show bgp ${afi} unicast json`)).routes ?? {}
  }

  log(daemon = 'bgpd'): string {
    return readFileSync(join(this.dir, `${daemon}.log`), 'utf8')
  }

  signal(sig: NodeJS.Signals, daemon = 'bgpd'): void {
    process.kill(this.pids.get(daemon)!, sig)
  }

  async stop(): Promise<void> {
    for (const [, pid] of this.pids) {
      try {
        process.kill(pid, 'SIGCONT')
        process.kill(pid, 'SIGTERM')
      } catch {
        continue
      }
      await poll(() => !existsSync(`/proc/${pid}`), {timeoutMs: 5000, intervalMs: 20, what: `pid ${pid} to exit`}).catch(() => undefined)
      try { process.kill(pid, 'SIGKILL') } catch { /* gone */ }
    }
    rmSync(this.dir, {recursive: true, force: true})
  }
}

/** Poll `fn` until it returns a truthy value or the deadline passes. */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false | null>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  return (await poll(fn, {what, timeoutMs, intervalMs: everyMs})) as T
}
