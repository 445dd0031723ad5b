// A real GoBGP (gobgpd) inside a lab node, with its own gRPC API port, read back with `gobgp -j`.
import {type ChildProcess} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {LabNode} from './netns.js'
import {until} from './frr.js'

export const gobgpAvailable = (): boolean => ['/usr/bin/gobgpd', '/usr/local/bin/gobgpd', '/usr/sbin/gobgpd'].some(existsSync)

let nextPort = 50100 + (process.pid % 500) * 2

export class GoBgp {
  private constructor(readonly node: LabNode, readonly dir: string, readonly port: number, readonly child: ChildProcess) {}

  static async start(node: LabNode, toml: string): Promise<GoBgp> {
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-gobgp-'))
    const conf = join(dir, 'gobgpd.toml')
    writeFileSync(conf, toml)
    await node.exec('ip', ['link', 'set', 'lo', 'up'])
    const port = nextPort++
    const child = node.spawn('gobgpd', ['-f', conf, '--api-hosts', `127.0.0.1:${port}`, '--pprof-disable', '-l', 'info'])
    let log = ''
    child.stdout!.on('data', (d: Buffer) => (log += d))
    child.stderr!.on('data', (d: Buffer) => (log += d))
    const g = new GoBgp(node, dir, port, child)
    await until(`gobgpd API (${log.slice(-300)})`, async () => (await node.exec('gobgp', ['-p', String(port), 'global'])).exitCode === 0, 15_000, 100)
    return g
  }

  async cli(...args: string[]): Promise<string> {
    const r = await this.node.exec('gobgp', ['-p', String(this.port), ...args], {check: true})
    return r.stdout
  }

  async json<T = any>(...args: string[]): Promise<T> {
    return JSON.parse(await this.cli('-j', ...args)) as T
  }

  /** Paths for `prefix` in the global RIB, or undefined. */
  async paths(afi: 'ipv4' | 'ipv6', prefix: string): Promise<any[] | undefined> {
    const j = await this.json<Record<string, any[]>>('global', 'rib', '-a', afi)
    return j[prefix]?.length ? j[prefix] : undefined
  }

  async neighbor(addr: string): Promise<any> {
    return this.json('neighbor', addr)
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const gone = new Promise((r) => this.child.once('exit', r))
      this.child.kill('SIGTERM')
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))])
      if (this.child.exitCode === null) this.child.kill('SIGKILL')
    }
    rmSync(this.dir, {recursive: true, force: true})
  }
}

export function gobgpConf(o: {asn: number; routerId: string; neighbors: {address: string; peerAs: number; password?: string}[]}): string {
  const n = o.neighbors.map((x) => `
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${x.address}"
    peer-as = ${x.peerAs}
${x.password ? `    auth-password = "${x.password}"\n` : ''}  [neighbors.timers.config]
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
`).join('')
  return `[global.config]
  as = ${o.asn}
  router-id = "${o.routerId}"
${n}`
}
