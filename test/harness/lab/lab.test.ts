import {spawn} from 'node:child_process'
import {afterAll, describe, expect, it} from 'vitest'
import {bundleEntry} from './bundle.js'
import {cleanupStale, Lab, listNamespaces, requireLab, withLab} from './index.js'

const PREFIX = 'lt'
// A TCP server that tells each client its remote address, and a client for it (no ping on these machines).
const SERVER = `require('net').createServer((c) => c.end(c.remoteAddress)).listen(7000, '198.18.2.6', () => console.log('up'))`
const CLIENT = `const c = require('net').connect(7000, '198.18.2.6'); c.on('data', (d) => process.stdout.write(d)); c.setTimeout(3000, () => process.exit(1))`

describe.runIf(requireLab(['arping', 'ndisc6']))('network lab', () => {
  afterAll(() => {
    cleanupStale(PREFIX)
  })

  it('joins nodes on a bridge with IPv4 and IPv6 usable at once, and destroy removes every namespace', async () => {
    const lab = await Lab.create(PREFIX)
    let names: string[] = []
    try {
      const lan = await lab.addBridge('lan')
      const a = await lab.addNode('a', {bridge: lan, ipv4: '198.18.1.1/24', ipv6: '2001:db8:1::1/64'})
      const b = await lab.addNode('b', {bridge: lan, ipv4: '198.18.1.2/24', ipv6: '2001:db8:1::2/64', mac: '02:00:00:00:01:02'})
      names = [lan.ns, a.ns, b.ns]
      expect(names.every((n) => n.length <= 15)).toBe(true)
      expect(listNamespaces()).toEqual(expect.arrayContaining(names))
      expect(b.mac).toBe('02:00:00:00:01:02')
      expect(await a.macOf('eth0')).toBe(a.mac)
      const arp = await a.exec('arping', ['-c1', '-w2', '-I', 'eth0', '198.18.1.2'])
      expect(arp.stdout.toLowerCase()).toContain('02:00:00:00:01:02')
      // No DAD: b's IPv6 address is not "tentative", so b's kernel answers without waiting.
      const nd = await a.exec('ndisc6', ['-1', '-r1', '-w1000', '2001:db8:1::2', 'eth0'])
      expect(nd.stdout.toUpperCase()).toContain('02:00:00:00:01:02')
      const routes = await a.exec('ip', ['-j', 'route', 'show', 'default'], {check: true})
      expect(JSON.parse(routes.stdout)).toEqual([])
      await expect(a.addRoute('default', '198.18.1.2')).rejects.toThrow(/default route/)
    } finally {
      await lab.destroy()
    }
    expect(listNamespaces().filter((n) => names.includes(n))).toEqual([])
  })

  it('routes across a hop between two links (the eBGP multihop shape)', async () => {
    await withLab(PREFIX, async (lab) => {
      const s = await lab.addNode('s')
      const r = await lab.addNode('r')
      const p = await lab.addNode('p')
      await lab.link(s, r, {aIp: '198.18.2.1/30', bIp: '198.18.2.2/30'})
      await lab.link(r, p, {aIp: '198.18.2.5/30', bIp: '198.18.2.6/30'})
      await r.enableForwarding()
      await s.addRoute('198.18.2.4/30', '198.18.2.2')
      await p.addRoute('198.18.2.0/30', '198.18.2.5')
      const server = p.spawn(process.execPath, ['-e', SERVER])
      await new Promise((r) => server.stdout!.once('data', r))
      const c = await s.exec(process.execPath, ['-e', CLIENT], {check: true})
      expect(c.stdout.trim()).toBe('198.18.2.1') // the far side saw our address: routed, not NATed
    })
  })

  it('removes the namespaces when the test body throws', async () => {
    let seen: string[] = []
    await expect(withLab(PREFIX, async (lab) => {
      const n = await lab.addNode('x')
      n.spawn('sleep', ['300'])
      seen = listNamespaces().filter((x) => x === n.ns)
      throw new Error('boom')
    })).rejects.toThrow('boom')
    expect(seen).toHaveLength(1)
    expect(listNamespaces()).not.toContain(seen[0])
  })

  for (const how of ['throw', 'exit', 'SIGTERM', 'SIGINT'] as const) {
    it(`removes the namespaces when the process dies (${how})`, async () => {
      const file = await bundleEntry('test/harness/lab/fixtures/lab-crash-main.ts')
      const child = spawn(process.execPath, [file, how.startsWith('SIG') ? 'wait' : how, PREFIX], {stdio: ['ignore', 'pipe', 'pipe']})
      const names = await new Promise<string[]>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (d: Buffer) => {
          out += d
          if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]) as string[])
        })
        child.once('exit', (c) => reject(new Error(`fixture exited ${c} before ready`)))
      })
      expect(listNamespaces()).toEqual(expect.arrayContaining(names))
      if (how === 'SIGTERM' || how === 'SIGINT') child.kill(how)
      await new Promise((r) => child.once('exit', r))
      expect(listNamespaces().filter((n) => names.includes(n))).toEqual([])
    })
  }

  it('cleanupStale removes leftovers of dead runs only', async () => {
    const {execFileSync} = await import('node:child_process')
    execFileSync('ip', ['netns', 'add', `${PREFIX}zzz-left`])
    const live = await Lab.create(PREFIX)
    try {
      const n = await live.addNode('keep')
      const removed = cleanupStale(PREFIX)
      expect(removed).toContain(`${PREFIX}zzz-left`)
      expect(listNamespaces()).toContain(n.ns)
    } finally {
      await live.destroy()
    }
  })
})
