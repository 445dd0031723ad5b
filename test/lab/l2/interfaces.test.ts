// Interface discovery and watch inside a node: the engine follows interfaces coming, going up/down and away, skips
// what MetalLB skips, and keeps following them when its `ip monitor` dies.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {cleanupStale, Lab, type LabNode, missingNative, requireLab} from '../../harness/lab/index.js'
import {L2Responder} from '../../harness/lab/l2-responder.js'
import {until} from '../../harness/lab/l2-lab.js'

const PREFIX = 'l2i'

describe.runIf(requireLab([], missingNative()))('L2 interface watch in the lab', () => {
  let lab: Lab
  let n: LabNode
  let r: L2Responder
  beforeAll(async () => {
    cleanupStale(PREFIX)
    lab = await Lab.create(PREFIX)
    const lan = await lab.addBridge('lan')
    n = await lab.addNode('n', {bridge: lan, ipv4: '198.18.31.1/24'})
    // A dead `ip monitor` comes back after 1.5 s; no second re-scan during the test (so only the monitor reports).
    r = await L2Responder.start(n, {watch: true, watchBackoffMs: 1500, watchSettleMs: 600_000})
  })
  afterAll(async () => {
    await lab?.destroy()
  })

  type Status = {serving: string[]; skipped: {name: string; reason: string}[]; monitorPid: number | null; restarts: number}
  const status = (): Promise<Status> => r.call<Status>('status')
  const ip = (...args: string[]): Promise<unknown> => n.exec('ip', args, {check: true})

  it('serves eth0 and skips loopback at start', async () => {
    const s = await until(status, (x) => x.serving.length > 0, 3000, 'first selection')
    expect(s.serving).toEqual(['eth0'])
    expect(s.skipped).toContainEqual({name: 'lo', reason: 'loopback'})
  })

  it('follows interfaces added, taken down, excluded by name, and deleted', async () => {
    await ip('link', 'add', 'name', 'eth1', 'type', 'veth', 'peer', 'name', 'veth9')
    await ip('link', 'set', 'dev', 'veth9', 'up')
    await ip('link', 'set', 'dev', 'eth1', 'up')
    let s = await until(status, (x) => x.serving.includes('eth1'), 3000, 'eth1 served')
    expect(s.skipped).toContainEqual({name: 'veth9', reason: 'excluded'})
    await ip('link', 'set', 'dev', 'eth1', 'down')
    s = await until(status, (x) => !x.serving.includes('eth1'), 3000, 'eth1 dropped when down')
    expect(s.skipped).toContainEqual({name: 'eth1', reason: 'down'})
    await ip('link', 'set', 'dev', 'eth1', 'up')
    await until(status, (x) => x.serving.includes('eth1'), 3000, 'eth1 back')
    await ip('link', 'add', 'name', 'br1', 'type', 'bridge')
    await ip('link', 'set', 'dev', 'eth1', 'master', 'br1')
    s = await until(status, (x) => !x.serving.includes('eth1'), 3000, 'eth1 dropped as a bridge member')
    expect(s.skipped).toContainEqual({name: 'eth1', reason: 'member'})
    await ip('link', 'del', 'dev', 'eth1')
    s = await until(status, (x) => !x.skipped.some((k) => k.name === 'eth1'), 3000, 'eth1 gone')
    expect(s.serving).toEqual(['eth0'])
  })
  it('when `ip monitor` dies it is restarted and a full re-scan finds what changed meanwhile; later changes are seen', async () => {
    const s0 = await status()
    expect(s0.monitorPid).toEqual(expect.any(Number))
    expect(s0.restarts).toBe(0)
    process.kill(s0.monitorPid!, 'SIGKILL')
    await until(status, (x) => x.monitorPid === null, 2000, 'the watch to see its monitor die')
    // A change while nothing listens for events (the restart is 1.5 s away).
    await ip('link', 'add', 'name', 'eth2', 'type', 'veth', 'peer', 'name', 'veth8')
    await ip('link', 'set', 'dev', 'veth8', 'up')
    await ip('link', 'set', 'dev', 'eth2', 'up')
    expect((await status()).monitorPid).toBeNull()
    const s1 = await until(status, (x) => x.serving.includes('eth2'), 5000, 'eth2 found by the re-scan after the restart')
    expect(s1.restarts).toBe(1)
    expect(s1.monitorPid).toEqual(expect.any(Number))
    expect(s1.monitorPid).not.toBe(s0.monitorPid)
    // The new monitor reports changes (the second re-scan is minutes away).
    await ip('link', 'set', 'dev', 'eth2', 'down')
    const s2 = await until(status, (x) => !x.serving.includes('eth2'), 3000, 'eth2 dropped when down, seen by the new monitor')
    expect(s2.skipped).toContainEqual({name: 'eth2', reason: 'down'})
    expect(r.stderr).toMatch(/watch: ip monitor exited \(SIGKILL\); restarting it in 1500 ms/)
  })
})
