// keepalived doing the speaker's job in the same lab, as ../shared/reference-measurements/l2-failover ran it: VRRP
// instance on eth0 of n1 (priority 150) and n2 (priority 100), both starting as BACKUP, the address on eth0 (the kernel
// answers ARP for it there; the speakers' addresses live on lo and are not answered by the kernel). Hard failover =
// SIGSTOP of the parent, SIGKILL of the VRRP child and the parent, n1's link down; graceful = SIGTERM (keepalived
// sends a priority-0 advertisement, so the backup takes over at once).
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {ChildProcess} from 'node:child_process'
import type {NodeName, SpeakerLab} from '../test/lab/speaker/speaker-lab.js'
import {type FailoverTimes, currentOwner, timeFailover} from './speaker-failover.js'

export const KEEPALIVED_VIP = '203.0.113.20'
const PRIORITY: Partial<Record<NodeName, number>> = {n1: 150, n2: 100}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
/** Resolves once the process has exited (a signal leaves exitCode null: check both). */
const exited = (p: ChildProcess): Promise<unknown> => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r)))

export interface VrrpSetting {
  version: 2 | 3
  /** Advertisement interval in seconds (VRRPv3 allows centiseconds). */
  advertS: number
}

class Keepalived {
  private procs = new Map<NodeName, ChildProcess>()

  constructor(private readonly l: SpeakerLab, private readonly v: VrrpSetting) {}

  private file(n: NodeName, what: string): string {
    return join(this.l.dir, `ka-${n}.${what}`)
  }

  async start(n: NodeName): Promise<void> {
    writeFileSync(this.file(n, 'conf'), [
      'global_defs {', `  router_id ${n}`, `  vrrp_version ${this.v.version}`, '}',
      'vrrp_instance VI_1 {', '  state BACKUP', '  interface eth0', '  virtual_router_id 51', `  priority ${PRIORITY[n]}`,
      `  advert_int ${this.v.advertS}`, '  virtual_ipaddress {', `    ${KEEPALIVED_VIP}/32 dev eth0`, '  }', '}', ''].join('\n'))
    for (const x of ['pid', 'vrrp.pid', 'chk.pid']) rmSync(this.file(n, x), {force: true})
    const p = this.l.nodes[n].spawn('keepalived', ['-P', '-n', '-l', '-D', '-f', this.file(n, 'conf'), '-p', this.file(n, 'pid'),
      '-r', this.file(n, 'vrrp.pid'), '-c', this.file(n, 'chk.pid')], {stdio: 'ignore'})
    this.procs.set(n, p)
  }

  pids(n: NodeName): {parent: number; vrrp: number} {
    const read = (x: string): number => Number(readFileSync(this.file(n, x), 'utf8').trim())
    return {parent: read('pid'), vrrp: read('vrrp.pid')}
  }

  /** Until n1 (the higher priority) answers HTTP on the address, and for one more second (adverts settle). */
  async n1Master(): Promise<void> {
    for (let i = 0; i < 150; i++) {
      if ((await this.l.httpGet(KEEPALIVED_VIP, 300)) === 'n1') {
        await sleep(1000 + 3000 * this.v.advertS)
        return
      }
      await sleep(200)
    }
    throw new Error(`keepalived: n1 never became master\n${readFileSync(this.file('n1', 'conf'), 'utf8')}`)
  }

  async stop(): Promise<void> {
    for (const [n, p] of this.procs) {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM')
      await exited(p)
      await this.l.nodes[n].delAddress(`${KEEPALIVED_VIP}/32`, 'eth0').catch(() => undefined)
    }
    this.procs.clear()
  }

  /** n1 back as master after a trial: its link up, the address off its eth0 (a killed keepalived leaves it), restarted. */
  async restore(): Promise<void> {
    await this.l.nodes.n1.setLink('eth0', 'up')
    const p = this.procs.get('n1')
    if (p) await exited(p)
    await this.l.nodes.n1.delAddress(`${KEEPALIVED_VIP}/32`, 'eth0').catch(() => undefined)
    await this.start('n1')
    await this.n1Master()
  }
}

/** `reps` hard failovers and `reps` graceful hand-overs of keepalived with this VRRP setting. */
export async function keepalivedTrials(l: SpeakerLab, v: VrrpSetting, reps: number): Promise<{hard: FailoverTimes[]; soft: FailoverTimes[]}> {
  const ka = new Keepalived(l, v)
  const hard: FailoverTimes[] = []
  const soft: FailoverTimes[] = []
  try {
    await ka.start('n1')
    await ka.start('n2')
    await ka.n1Master()
    for (let i = 0; i < reps; i++) {
      if ((await currentOwner(l, KEEPALIVED_VIP)) !== 'n1') await ka.n1Master()
      const {parent, vrrp} = ka.pids('n1')
      hard.push(await timeFailover(l, KEEPALIVED_VIP, 'n1', async () => {
        process.kill(parent, 'SIGSTOP')
        process.kill(vrrp, 'SIGKILL')
        process.kill(parent, 'SIGKILL')
        await l.nodes.n1.setLink('eth0', 'down')
      }))
      await ka.restore()
    }
    for (let i = 0; i < reps; i++) {
      if ((await currentOwner(l, KEEPALIVED_VIP)) !== 'n1') await ka.n1Master()
      const {parent} = ka.pids('n1')
      soft.push(await timeFailover(l, KEEPALIVED_VIP, 'n1', () => void process.kill(parent, 'SIGTERM')))
      await ka.restore()
    }
  } finally {
    await ka.stop()
  }
  return {hard, soft}
}
