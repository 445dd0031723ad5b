// Issue 5 "Done when": frames that must be ignored (replies, wrong target MAC, wrong hop limit, truncated, garbage)
// are ignored and counted under the right reason; the kernel filter keeps replies from ever reaching JavaScript.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {bundleEntry} from '../../harness/lab/bundle.js'
import {cleanupStale, type LabNode, missingNative, requireLab} from '../../harness/lab/index.js'
import {arpRequestFrame, garpReplyFrame} from '../../../src/lib/l2/arp.js'
import type {L2EngineStats} from '../../../src/lib/l2/engine.js'
import {parseMAC} from '../../../src/lib/net/mac.js'
import {icmpv6Checksum, nsFrame, unsolicitedNaFrame} from '../../../src/lib/l2/ndp.js'
import {type DropReason, ipBytes} from '../../../src/lib/l2/responder.js'
import {parseIP} from '../../../src/lib/net/ip.js'
import {arping, l2Lab, type L2Lab, until, VIP4, VIP6} from '../../harness/lab/l2-lab.js'
import {L2Responder} from '../../harness/lab/l2-responder.js'

const PREFIX = 'l2d'
const b = (s: string): Buffer => ipBytes(parseIP(s))
const withChecksum = (f: Buffer): Buffer => {
  f.writeUInt16BE(icmpv6Checksum(f.subarray(22, 38), f.subarray(38, 54), f.subarray(54, 54 + f.readUInt16BE(18))), 56)
  return f
}

describe.runIf(requireLab([], missingNative()))('ignored frames are counted in the lab', () => {
  let l: L2Lab
  let injector: string
  beforeAll(async () => {
    cleanupStale(PREFIX)
    injector = await bundleEntry('test/harness/lab/fixtures/inject-main.ts')
    // A sees every ARP/IPv6 frame ('all' filter); B runs the production filter (requests only).
    l = await l2Lab(PREFIX, {filter: 'all'})
    await l.rb.stop()
    l.rb = await L2Responder.start(l.b, {filter: 'requests'})
    // Only A owns: B's announcements would otherwise show up in A's counts (as replies).
    await l.ra.own(VIP4)
    await l.ra.own(VIP6)
  })
  afterAll(async () => {
    await l?.destroy()
  })

  const inject = async (from: LabNode, frames: Buffer[]): Promise<void> => {
    const r = await from.exec(process.execPath, [injector, from.ifname], {input: frames.map((f) => f.toString('hex')).join('\n') + '\n', check: true})
    expect(Number(r.stdout.trim())).toBe(frames.length)
  }
  const delta = (after: L2EngineStats, before: L2EngineStats): Partial<Record<DropReason, number>> =>
    Object.fromEntries(Object.entries(after.dropped).map(([k, v]) => [k, v - before.dropped[k as DropReason]]).filter(([, v]) => (v as number) !== 0))

  it('counts each ignored frame under its reason, and the production filter never sees replies', async () => {
    const c = l.client
    const mac = parseMAC(c.mac)
    const me4 = b('198.18.30.100')
    const me6 = b('2001:db8:30::100')
    const ns = nsFrame(mac, me6, b(VIP6))
    const hop64 = Buffer.from(ns)
    hop64[21] = 64 // the checksum does not cover the hop limit
    const badSum = Buffer.from(ns)
    badSum.writeUInt16BE(badSum.readUInt16BE(56) ^ 0xffff, 56)
    const otherMac = arpRequestFrame(mac, me4, b(VIP4))
    parseMAC('02:00:00:00:00:99').copy(otherMac, 0)
    const frames = {
      arpReply: garpReplyFrame(me4, mac),
      na: unsolicitedNaFrame(me6, mac),
      otherMac,
      hop64,
      badSum,
      truncatedArp: arpRequestFrame(mac, me4, b(VIP4)).subarray(0, 24),
      // An NS whose option has length 0 (RFC 4861 §7.1.1), checksum correct. The kernel will not put cruder IPv6
      // garbage (bad version, impossible payload length) on the wire at all; the unit fuzz covers that.
      zeroOption: withChecksum(Buffer.from(ns).fill(0, 79, 80)),
    }
    const [a0, b0] = [await l.ra.stats(), await l.rb.stats()]
    await inject(c, Object.values(frames))
    const want = {notRequest: 2, targetMacNotUs: 1, badHopLimit: 1, badChecksum: 1, malformed: 2}
    const a1 = await until(() => l.ra.stats(), (s) => s.dropped.malformed - a0.dropped.malformed >= 2 && s.dropped.notRequest - a0.dropped.notRequest >= 2, 3000, 'A to count')
    expect(delta(a1, a0)).toMatchObject(want)
    // B's kernel filter passes only ARP requests and NS: no replies, no garbage IPv6; the rest is counted the same.
    const b1 = await until(() => l.rb.stats(), (s) => s.dropped.badChecksum - b0.dropped.badChecksum >= 1, 3000, 'B to count')
    expect(delta(b1, b0)).toEqual({targetMacNotUs: 1, badHopLimit: 1, badChecksum: 1, malformed: 2})
    expect(b1.answered).toEqual(b0.answered)
  })

  // Sent in a burst, so the socket queue may overflow (the kernel counts those drops); most must arrive.
  it('10,000 mutated frames on the wire: the responder keeps running and still answers', async () => {
    const seeds = [arpRequestFrame(parseMAC(l.client.mac), b('198.18.30.100'), b(VIP4)), nsFrame(parseMAC(l.client.mac), b('2001:db8:30::100'), b(VIP6))]
    let x = 12345
    const r = (): number => {
      x = (x * 1103515245 + 12345) & 0x7fffffff
      return x / 0x7fffffff
    }
    const frames: Buffer[] = []
    for (let i = 0; i < 10_000; i++) {
      const f = Buffer.from(seeds[i & 1])
      for (let k = 0; k < 3; k++) f[14 + Math.floor(r() * (f.length - 14))] = Math.floor(r() * 256)
      frames.push(r() < 0.3 ? f.subarray(0, 14 + Math.floor(r() * (f.length - 14))) : f)
    }
    const before = await l.ra.stats()
    await inject(l.client, frames)
    // Requests the offload answered in the kernel never reach user space: they count as seen too.
    const total = (s: L2EngineStats): number => s.offload.answered + s.offload.ndpAnswered + s.answered.arp + s.answered.ndp +
      Object.values(s.dropped).reduce((p, q) => p + q, 0)
    await until(() => l.ra.stats(), (s) => total(s) - total(before) >= 5_000, 10_000, 'A to see the frames')
    expect(await arping(l.client, VIP4)).toContain(l.a.mac)
  })
})
