// Without the `ip` binary (the distroless runtime image), the speaker reads links from sysfs and getifaddrs, and polls
// them. Inside a lab node, the built module must see what `ip -j -d addr` sees, select the same interfaces, and follow a
// link going down with `ip` not on PATH.
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {cleanupStale, Lab, type LabNode, missingBuild, requireLab} from '../../harness/lab/index.js'
import {ROOT} from '../../integration/helpers.js'
import {poll} from '../../harness/poll.js'

const PREFIX = 'l2s'
const MODULE = join(ROOT, 'dist', 'src', 'lib', 'l2', 'interfaces.js')
const SYSFS = join(ROOT, 'dist', 'src', 'lib', 'l2', 'sysfs-links.js')

describe.runIf(requireLab([], missingBuild()))('links without the ip binary', () => {
  let lab: Lab
  let n: LabNode
  beforeAll(async () => {
    cleanupStale(PREFIX)
    lab = await Lab.create(PREFIX)
    const lan = await lab.addBridge('lan')
    n = await lab.addNode('n', {bridge: lan, ipv4: '198.18.32.1/24', ipv6: '2001:db8:32::1/64'})
    const ip = (...args: string[]): Promise<unknown> => n.exec('ip', args, {check: true})
    // A bridge with a member, a NOARP link, and a link that is down.
    await ip('link', 'add', 'br0', 'type', 'bridge', 'forward_delay', '0')
    await ip('link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'p1')
    await ip('link', 'set', 'eth1', 'master', 'br0')
    await ip('link', 'add', 'eth2', 'type', 'veth', 'peer', 'name', 'p2')
    await ip('link', 'add', 'eth3', 'type', 'veth', 'peer', 'name', 'p3')
    await ip('link', 'set', 'eth2', 'arp', 'off')
    for (const l of ['br0', 'eth1', 'p1', 'eth2', 'p2', 'p3']) await ip('link', 'set', l, 'up')
    await ip('addr', 'add', '198.18.33.1/25', 'dev', 'br0')
    await poll(async () => (await n.exec('cat', ['/sys/class/net/br0/operstate'])).stdout.trim() === 'up', {timeoutMs: 10_000, what: 'br0 to come up'})
  })
  afterAll(async () => {
    await lab?.destroy()
  })

  const script = `
    const i = await import(${JSON.stringify(MODULE)}); const s = await import(${JSON.stringify(SYSFS)})
    const viaIp = await i.listLinks(i.runIp); const viaSys = s.listLinksSysfs()
    const pick = (l) => ({index: l.index, name: l.name, mac: l.mac, operState: l.operState, linkType: l.linkType, master: l.master ?? null,
      flags: l.flags.filter((f) => ['UP', 'LOOPBACK', 'NOARP', 'BROADCAST', 'MULTICAST'].includes(f)).sort(),
      // getifaddrs (libuv) leaves out links that are not running, so only those are compared.
      addresses: ['UP', 'UNKNOWN'].includes(l.operState) ? l.addresses.map((a) => a.family + ' ' + a.address + '/' + a.prefixLength + ' ' + a.scope).sort() : []})
    const sel = (x) => { const r = i.selectInterfaces(x); return {selected: r.selected.map((l) => l.name), skipped: r.skipped} }
    console.log(JSON.stringify({ip: viaIp.map(pick), sys: viaSys.map(pick), selIp: sel(viaIp), selSys: sel(viaSys)}))`

  it('reads the same links, addresses and selection as ip -j -d addr', async () => {
    const r = await n.exec(process.execPath, ['--input-type=module', '-e', script], {check: true})
    const out = JSON.parse(r.stdout)
    expect(out.sys.map((l: {name: string}) => l.name)).toEqual(expect.arrayContaining(['lo', 'eth0', 'br0', 'eth1', 'eth2', 'eth3']))
    expect(out.sys).toEqual(out.ip)
    expect(out.sys.find((l: {name: string}) => l.name === 'br0').addresses).toContain('4 198.18.33.1/25 global')
    expect(out.selSys).toEqual(out.selIp)
    const reasons = Object.fromEntries(out.selSys.skipped.map((x: {name: string; reason: string}) => [x.name, x.reason]))
    expect(reasons).toMatchObject({lo: 'loopback', eth1: 'member', eth2: 'noarp', eth3: 'down'})
    expect([...out.selSys.selected].sort()).toEqual(['br0', 'eth0', 'p1', 'p2', 'p3'])
  })

  it('with ip not on PATH, the watch polls and follows a link going down', async () => {
    const watcher = `
      const i = await import(${JSON.stringify(MODULE)})
      if (i.ipInstalled()) throw new Error('ip is on PATH')
      // The veth peers p1..p3 are served too; they are left out of the lines.
      i.watchInterfaces((sel) => console.log(JSON.stringify(sel.selected.map((l) => l.name).filter((x) => !x.startsWith('p')).sort())), {pollMs: 100})
      setTimeout(() => process.exit(0), 20000)`
    const child = n.spawn('env', ['PATH=/nonexistent', process.execPath, '--input-type=module', '-e', watcher])
    let out = ''
    child.stdout!.on('data', (d) => (out += d))
    try {
      await poll(() => out.includes('["br0","eth0"]'), {timeoutMs: 10_000, what: 'the first selection'})
      await n.exec('ip', ['link', 'set', 'br0', 'down'], {check: true})
      await poll(() => out.includes('["eth0"]'), {timeoutMs: 10_000, what: 'br0 to leave the selection'})
      // Only changes are reported: two lines, not one per poll.
      expect(out.trim().split('\n')).toEqual(['["br0","eth0"]', '["eth0"]'])
    } finally {
      child.kill()
    }
  })
})
