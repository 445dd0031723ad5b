// Issue 5, ARP/NDP offload: the engine answers ARP requests for owned IPv4 addresses and neighbor solicitations for
// owned IPv6 addresses in the kernel (XDP), exactly once, stops at once on release and when the process dies, and
// leaves everything it does not answer to user space.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {bundleEntry} from '../../harness/lab/bundle.js'
import {cleanupStale, type LabNode, missingXdp, requireLab} from '../../harness/lab/index.js'
import {arpRequestFrame, garpReplyFrame, garpRequestFrame} from '../../../src/lib/l2/arp.js'
import type {L2EngineStats} from '../../../src/lib/l2/engine.js'
import {ipv6MulticastMAC, parseMAC} from '../../../src/lib/net/mac.js'
import {nsFrame, solicitedNodeAddress} from '../../../src/lib/l2/ndp.js'
import type {ProbeResult} from '../../../src/lib/l2/probe.js'
import {type DropReason, ipBytes} from '../../../src/lib/l2/responder.js'
import {parseIP} from '../../../src/lib/net/ip.js'
import {arping, l2Lab, type L2Lab, ndisc, neighbor, touch, UNOWNED4, UNOWNED6, until, VIP4, VIP6} from '../../harness/lab/l2-lab.js'
import {L2Responder} from '../../harness/lab/l2-responder.js'

const PREFIX = 'l2x'
const VIP_B = '203.0.113.40'
const b = (s: string): Buffer => ipBytes(parseIP(s))

describe.runIf(requireLab(['arping', 'ndisc6', 'tcpdump', 'tshark'], missingXdp()))('ARP/NDP offload (XDP) in the lab', () => {
  let l: L2Lab
  let cli: string
  let injector: string
  beforeAll(async () => {
    cleanupStale(PREFIX)
    ;[cli, injector] = await Promise.all([bundleEntry('test/harness/lab/fixtures/l2-probe-cli-main.ts'), bundleEntry('test/harness/lab/fixtures/inject-main.ts')])
    // 'all': user space sees every ARP frame that reaches it, so a request it saw besides XDP would show in its counts.
    // One announcement per ownership, no repeats: the probes below count every frame from a MAC.
    l = await l2Lab(PREFIX, {filter: 'all', schedule: {repeatIntervalMs: 1100, repeatForMs: 0}})
    await l.ra.own(VIP4)
    await l.ra.own(VIP6)
  })
  afterAll(async () => {
    await l?.destroy()
  })

  /** `lbctl l2 probe` from the client: every MAC that answered and how many frames each sent within the timeout. */
  const probe = async (addr: string): Promise<{mac: string; count: number}[]> => {
    const r = await l.client.exec(process.execPath, [cli, '--interface', 'eth0', '--timeout', '300', '--json', addr])
    // A failed probe (none or several MACs) prints the same result, with the error beside it.
    const res = JSON.parse(r.stdout) as ProbeResult
    return res.results[0].answers.map((a) => ({mac: a.mac, count: a.count}))
  }
  const userTotal = (s: L2EngineStats): number => s.answered.arp + s.answered.ndp + Object.values(s.dropped).reduce((p, q) => p + q, 0)
  const xdpLink = async (node: LabNode): Promise<string | undefined> => {
    const r = await node.exec('ip', ['-j', '-d', 'link', 'show', 'dev', node.ifname], {check: true})
    const link = (JSON.parse(r.stdout) as {xdp?: {mode?: number; prog?: {id?: number}}}[])[0]
    return link.xdp ? `mode ${link.xdp.mode} prog ${link.xdp.prog?.id}` : undefined
  }
  const inject = async (from: LabNode, frames: Buffer[]): Promise<void> => {
    const r = await from.exec(process.execPath, [injector, from.ifname], {input: frames.map((f) => f.toString('hex')).join('\n') + '\n', check: true})
    expect(Number(r.stdout.trim())).toBe(frames.length)
  }

  it('attaches on the served interface (generic mode on a veth) with exactly the owned addresses in its maps', async () => {
    const o = await l.ra.offload()
    expect(o.status.setting).toBe('auto')
    expect(o.status.interfaces.eth0).toMatchObject({state: 'xdp', mode: 'generic', addresses: 2})
    expect(o.addresses).toEqual({eth0: [VIP4, VIP6]})
    const id = o.status.interfaces.eth0.state === 'xdp' ? o.status.interfaces.eth0.progId : -1
    expect(await xdpLink(l.a)).toBe(`mode 2 prog ${id}`) // XDP_ATTACHED_SKB
    // B owns nothing: attached, empty map.
    expect((await l.rb.offload()).addresses).toEqual({eth0: []})
  })

  it('one request, one reply, from the kernel: the XDP counter moves and user space never sees the request', async () => {
    const s0 = await l.ra.stats()
    const answers = await probe(VIP4)
    expect(answers).toEqual([{mac: l.a.mac, count: 1}])
    expect(await arping(l.client, VIP4)).toEqual([l.a.mac])
    const s1 = await l.ra.stats()
    expect(s1.offload.answered - s0.offload.answered).toBe(2)
    expect(s1.answered).toEqual(s0.answered)
    // Every outcome but 'unsupported' (the 'all' filter also passes the namespaces' MLD chatter, counted there).
    expect(userTotal(s1) - s1.dropped.unsupported).toBe(userTotal(s0) - s0.dropped.unsupported)
  })

  it('ndisc6 gets exactly one answer, from the kernel: the NDP counter moves and user space never sees the solicitation', async () => {
    const s0 = await l.ra.stats()
    expect(await ndisc(l.client, VIP6, 500, true)).toEqual([l.a.mac])
    expect(await probe(VIP6)).toEqual([{mac: l.a.mac, count: 1}])
    const s1 = await l.ra.stats()
    expect(s1.offload.ndpAnswered - s0.offload.ndpAnswered).toBe(2)
    expect(s1.offload.interfaces.eth0).toMatchObject({state: 'xdp', ndpAnswered: s1.offload.ndpAnswered})
    expect(s1.answered).toEqual(s0.answered)
    expect(userTotal(s1) - s1.dropped.unsupported).toBe(userTotal(s0) - s0.dropped.unsupported)
    // The client's own kernel resolves the address through the program too.
    await touch(l.client, VIP6)
    await until(() => neighbor(l.client, VIP6), (m) => m === l.a.mac, 2000, 'the client\'s neighbour entry → A')
    expect((await l.ra.stats()).answered).toEqual(s0.answered)
  })

  it('a DAD probe (source ::, the frame grows in the kernel) is answered to all nodes, and decodes cleanly on the LAN', async () => {
    // B sees every IPv6 frame ('all' filter) and owns nothing: the NA reaches it as a notRequest, not badChecksum.
    const [a0, b0] = [await l.ra.stats(), await l.rb.stats()]
    const target = b(VIP6)
    const dad = nsFrame(parseMAC(l.client.mac), Buffer.alloc(16), target)
    expect(dad.subarray(0, 6)).toEqual(ipv6MulticastMAC(solicitedNodeAddress(target)))
    expect(dad.length).toBe(78)
    await inject(l.client, [dad])
    const b1 = await until(() => l.rb.stats(), (s) => s.dropped.notRequest > b0.dropped.notRequest, 2000, 'B to see the NA')
    expect(b1.dropped.notRequest - b0.dropped.notRequest).toBe(1)
    expect(b1.dropped.badChecksum + b1.dropped.malformed).toBe(b0.dropped.badChecksum + b0.dropped.malformed)
    const a1 = await l.ra.stats()
    expect(a1.offload.ndpAnswered - a0.offload.ndpAnswered).toBe(1)
    expect(a1.answered).toEqual(a0.answered)
  })

  it('tshark decodes the kernel\'s NAs (solicited and DAD) with no malformed fields or expert errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-l2x-'))
    try {
      const pcap = join(dir, 'na.pcap')
      const cap = l.client.spawn('tcpdump', ['-i', 'eth0', '-U', '-n', '-w', pcap, 'icmp6'])
      await new Promise<void>((resolve) => cap.stderr!.on('data', (d: Buffer) => String(d).includes('listening') && resolve()))
      const s0 = await l.ra.stats()
      expect(await ndisc(l.client, VIP6, 300, true)).toEqual([l.a.mac])
      await inject(l.client, [nsFrame(parseMAC(l.client.mac), Buffer.alloc(16), b(VIP6))])
      await until(() => l.ra.stats(), (s) => s.offload.ndpAnswered - s0.offload.ndpAnswered >= 2, 2000, 'both answered in the kernel')
      const fields = async (filter: string, ...f: string[]): Promise<string[]> => {
        const r = await l.client.exec('tshark', ['-n', '-r', pcap, '-Y', filter, '-T', 'fields', ...f.flatMap((x) => ['-e', x])], {check: true})
        return r.stdout.split('\n').filter((x) => x.trim() !== '')
      }
      const NA = `icmpv6.type == 136 && icmpv6.nd.na.target_address == ${VIP6} && eth.src == ${l.a.mac}`
      const na = await until(() => fields(NA, 'ipv6.dst', 'icmpv6.nd.na.flag.s', 'icmpv6.nd.na.flag.o', 'icmpv6.opt.linkaddr', 'icmpv6.checksum.status'),
        (x) => x.length >= 2, 3000, 'both NAs in the capture')
      cap.kill('SIGINT')
      await new Promise((r) => cap.once('exit', r))
      const solicitor = (await fields(`icmpv6.type == 135 && icmpv6.nd.ns.target_address == ${VIP6} && ipv6.src != ::`, 'ipv6.src'))[0]
      // Solicited NA to the solicitor (S=1), then the DAD answer to all nodes (S=0); checksum status 1 = good.
      expect(na.map((x) => x.split('\t'))).toEqual([[solicitor, '1', '1', l.a.mac, '1'], ['ff02::1', '0', '1', l.a.mac, '1']])
      // Warnings and errors (severity ≥ PI_WARN, 0x00600000), and anything Wireshark calls malformed.
      expect(await fields('_ws.malformed || _ws.expert.severity >= 6291456', 'frame.number', '_ws.expert.message')).toEqual([])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('an unowned IPv6 address gets no reply; the program passes the solicitation and user space counts it notOwned', async () => {
    const s0 = await l.ra.stats()
    expect(await ndisc(l.client, UNOWNED6, 300, true)).toEqual([])
    const s1 = await until(() => l.ra.stats(), (s) => s.dropped.notOwned > s0.dropped.notOwned, 2000, 'notOwned counted')
    expect(s1.offload.ndpAnswered).toBe(s0.offload.ndpAnswered)
    expect(s1.offload.ndpPassed).toBeGreaterThan(s0.offload.ndpPassed)
  })

  it('an unowned address gets no reply; the program passes the request and user space counts it notOwned', async () => {
    const s0 = await l.ra.stats()
    expect(await probe(UNOWNED4)).toEqual([])
    const s1 = await until(() => l.ra.stats(), (s) => s.dropped.notOwned > s0.dropped.notOwned, 2000, 'notOwned counted')
    expect(s1.offload.answered).toBe(s0.offload.answered)
    expect(s1.offload.passed).toBeGreaterThan(s0.offload.passed)
  })

  it('frames it must not answer are passed to user space and counted there under their reason', async () => {
    const c = l.client
    const mac = parseMAC(c.mac)
    const me4 = b('198.18.30.100')
    const otherMac = arpRequestFrame(mac, me4, b(VIP4))
    parseMAC('02:00:00:00:00:99').copy(otherMac, 0)
    const frames = [
      garpRequestFrame(b(VIP4), mac), // another host announcing our address
      garpReplyFrame(me4, mac), // a reply
      otherMac, // unicast to another MAC
      arpRequestFrame(mac, me4, b(VIP4)).subarray(0, 30), // truncated
    ]
    const s0 = await l.ra.stats()
    await inject(c, frames)
    const want: Partial<Record<DropReason, number>> = {gratuitous: 1, notRequest: 1, targetMacNotUs: 1, malformed: 1}
    const s1 = await until(() => l.ra.stats(), (s) => Object.entries(want).every(([k, v]) => s.dropped[k as DropReason] - s0.dropped[k as DropReason] >= v),
      3000, 'user space to count the frames')
    for (const [k, v] of Object.entries(want)) expect(s1.dropped[k as DropReason] - s0.dropped[k as DropReason], k).toBe(v)
    expect(s1.offload.answered).toBe(s0.offload.answered)
    expect(s1.answered).toEqual(s0.answered)
    // The truncated frame is shorter than an ARP packet: passed without being counted as ARP.
    expect(s1.offload.passed - s0.offload.passed).toBe(3)
  })

  it('release stops the kernel answering NS at once; ownership moves A → B and B\'s kernel answers', async () => {
    await l.ra.release(VIP6)
    expect(await probe(VIP6)).toEqual([])
    expect((await l.ra.offload()).addresses).toEqual({eth0: [VIP4]})
    const b0 = await l.rb.stats()
    await l.rb.own(VIP6)
    expect(await ndisc(l.client, VIP6, 300, true)).toEqual([l.b.mac])
    const b1 = await l.rb.stats()
    expect(b1.offload.ndpAnswered - b0.offload.ndpAnswered).toBe(1)
    expect(b1.answered.ndp).toBe(b0.answered.ndp)
    await l.rb.release(VIP6)
    expect((await l.rb.offload()).addresses).toEqual({eth0: []})
    expect(await ndisc(l.client, VIP6, 300, true)).toEqual([])
  })

  it('release stops the kernel answering at once; ownership moves A → B and B\'s kernel answers', async () => {
    await l.ra.release(VIP4)
    expect(await probe(VIP4)).toEqual([])
    expect((await l.ra.offload()).addresses).toEqual({eth0: []})
    const b0 = await l.rb.stats()
    await l.rb.own(VIP4)
    expect(await probe(VIP4)).toEqual([{mac: l.b.mac, count: 1}])
    const b1 = await l.rb.stats()
    expect(b1.offload.answered - b0.offload.answered).toBe(1)
    expect(b1.answered.arp).toBe(b0.answered.arp)
    await l.rb.release(VIP4)
    await l.ra.own(VIP4)
    expect(await probe(VIP4)).toEqual([{mac: l.a.mac, count: 1}])
  })

  it('an address owned only on another interface stays out of the map', async () => {
    await l.ra.own('203.0.113.20', ['eth9'])
    try {
      expect((await l.ra.offload()).addresses).toEqual({eth0: [VIP4]})
      expect(await arping(l.client, '203.0.113.20')).toEqual([])
    } finally {
      await l.ra.release('203.0.113.20')
    }
  })

  it('a second program on the same interface: "on" fails naming why, "auto" falls back to user space with the reason', async () => {
    await expect(L2Responder.start(l.a, {arpOffload: 'on'})).rejects.toThrow(/ARP offload on eth0: .*another XDP program is attached/)
    const second = await L2Responder.start(l.a, {arpOffload: 'auto'})
    try {
      const o = await second.offload()
      expect(o.status.interfaces.eth0).toMatchObject({state: 'user-space', reason: expect.stringMatching(/EBUSY|busy|another XDP program/i)})
      expect(o.addresses).toEqual({eth0: null})
    } finally {
      await second.stop()
    }
    // The first one is untouched.
    expect(await probe(VIP4)).toEqual([{mac: l.a.mac, count: 1}])
  })

  it('arpOffload "off": no program, and user space answers as before', async () => {
    const off = await L2Responder.start(l.b, {arpOffload: 'off', filter: 'all'})
    await l.rb.stop()
    l.rb = off
    expect(await xdpLink(l.b)).toBeUndefined()
    expect((await off.offload()).status.interfaces.eth0).toEqual({state: 'user-space', reason: 'arpOffload is off'})
    await off.own(VIP_B)
    const s0 = await off.stats()
    expect(await probe(VIP_B)).toEqual([{mac: l.b.mac, count: 1}])
    const s1 = await off.stats()
    expect(s1.answered.arp - s0.answered.arp).toBe(1)
    expect(s1.offload.answered).toBe(0)
  })

  it('SIGKILL of the responder detaches the program: no more answers', async () => {
    expect(await xdpLink(l.a)).toBeDefined()
    await l.ra.kill()
    await until(() => xdpLink(l.a), (x) => x === undefined, 2000, 'the XDP link to go with the process')
    expect(await probe(VIP4)).toEqual([])
  })
})
