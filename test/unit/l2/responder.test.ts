import {describe, expect, it} from 'vitest'
import {decodeArp, garpReplyFrame, garpRequestFrame, isArpDecodeError} from '../../../src/lib/l2/arp.js'
import {decodeNdp, icmpv6Checksum, isNdpDecodeError, nsFrame} from '../../../src/lib/l2/ndp.js'
import {DROP_REASONS, type DropReason, Responder} from '../../../src/lib/l2/responder.js'
import {ARP_REPLY_FROM_KERNEL, ARP_REQUEST_FROM_ARPING, hex, MAC_A, MAC_B, NA_FROM_KERNEL, NS_FROM_NDISC6} from './fixtures.js'

const ETH0 = {name: 'eth0', mac: MAC_B}
const AT_A = {name: 'eth0', mac: MAC_A}
const fresh = (): Responder => {
  const r = new Responder()
  r.own('198.18.30.2')
  r.own('2001:db8:30::2')
  return r
}
const reason = (r: Responder, f: Buffer, iface = ETH0): DropReason | 'answered' => {
  const x = r.handle(f, iface)
  return 'answer' in x ? 'answered' : x.drop
}
const resum = (f: Buffer): Buffer => {
  f.writeUInt16BE(icmpv6Checksum(f.subarray(22, 38), f.subarray(38, 54), f.subarray(54)), 56)
  return f
}

describe('Responder', () => {
  it('answers ARP for an owned address with the receiving interface\'s MAC', () => {
    const r = fresh()
    const x = r.handle(ARP_REQUEST_FROM_ARPING, ETH0)
    if (!('answer' in x)) throw new Error(x.drop)
    const a = decodeArp(x.answer)
    if (isArpDecodeError(a)) throw new Error(a.detail)
    expect(a.senderMac).toEqual(MAC_B)
    expect(x.answer.subarray(0, 6)).toEqual(MAC_A)
    expect(x.address).toBe('198.18.30.2')
  })

  it('answers an ARP probe (sender 0.0.0.0, RFC 5227 §2.1.1) but not an announcement of the same address', () => {
    const probe = Buffer.from(ARP_REQUEST_FROM_ARPING).fill(0, 28, 32)
    expect(reason(fresh(), probe)).toBe('answered')
    const announce = Buffer.from(ARP_REQUEST_FROM_ARPING)
    announce.set([198, 18, 30, 2], 28)
    expect(reason(fresh(), announce)).toBe('gratuitous')
  })

  it('answers NS with a solicited, override NA from the target address', () => {
    const x = fresh().handle(NS_FROM_NDISC6, ETH0)
    if (!('answer' in x)) throw new Error(x.drop)
    const na = decodeNdp(x.answer)
    if (isNdpDecodeError(na)) throw new Error(na.detail)
    expect(na).toMatchObject({solicited: true, override: true, targetLinkAddr: MAC_B})
    expect(x.answer.subarray(0, 6)).toEqual(MAC_A)
  })

  it('names the reason for every frame it does not answer, and counts it', () => {
    const r = fresh()
    const cases: [DropReason, Buffer, typeof ETH0?][] = [
      // Replies addressed to A, seen by A's responder.
      ['notRequest', ARP_REPLY_FROM_KERNEL, AT_A],
      ['notRequest', NA_FROM_KERNEL, AT_A],
      ['notRequest', garpReplyFrame(Buffer.from([198, 18, 30, 2]), MAC_B), AT_A],
      ['fromUs', Buffer.concat([ARP_REQUEST_FROM_ARPING.subarray(0, 6), MAC_B, ARP_REQUEST_FROM_ARPING.subarray(12)])],
      ['targetMacNotUs', Buffer.concat([hex('020000000099'), ARP_REQUEST_FROM_ARPING.subarray(6)])],
      // Another host announcing an address we own: not answered (the kernel does not either).
      ['gratuitous', garpRequestFrame(Buffer.from([198, 18, 30, 2]), MAC_A)],
      ['badHopLimit', resum(Object.assign(Buffer.from(NS_FROM_NDISC6), {}).fill(64, 21, 22))],
      ['badChecksum', Buffer.from(NS_FROM_NDISC6).fill(0, 56, 58)],
      ['malformed', ARP_REQUEST_FROM_ARPING.subarray(0, 30)],
      ['malformed', Buffer.alloc(5)],
      ['malformed', resum(Buffer.from(NS_FROM_NDISC6).fill(1, 55, 56))],
      ['unsupported', Buffer.concat([ARP_REQUEST_FROM_ARPING.subarray(0, 12), hex('0800'), Buffer.alloc(40)])],
      ['notOwned', nsFrame(MAC_A, hex('fe8000000000000000ff00fffe00000a'.slice(0, 32)), hex('20010db8003000000000000000000099'))],
      ['wrongInterface', ARP_REQUEST_FROM_ARPING, {name: 'eth1', mac: MAC_B}],
    ]
    const r2 = new Responder()
    r2.own('198.18.30.2', ['eth0'])
    for (const [want, frame, iface] of cases) {
      const got = want === 'wrongInterface' ? reason(r2, frame, iface) : reason(r, frame, iface)
      expect(got, want).toBe(want)
    }
    const s = r.stats()
    expect(s.dropped.notRequest).toBe(3)
    expect(s.dropped.malformed).toBe(3)
    expect(s.byInterface.eth0.badHopLimit).toBe(1)
    expect(r2.stats().byInterface.eth1.wrongInterface).toBe(1)
    expect(Object.keys(s.dropped).sort()).toEqual([...DROP_REASONS].sort())
  })

  it('stops answering at once on release, and re-owning restricts interfaces', () => {
    const r = fresh()
    expect(reason(r, ARP_REQUEST_FROM_ARPING)).toBe('answered')
    expect(r.release('198.18.30.2')).toBe(true)
    expect(reason(r, ARP_REQUEST_FROM_ARPING)).toBe('notOwned')
    expect(r.release('198.18.30.2')).toBe(false)
    r.own('198.18.30.2', ['eth1'])
    expect(reason(r, ARP_REQUEST_FROM_ARPING)).toBe('wrongInterface')
    r.own('198.18.30.2')
    expect(reason(r, ARP_REQUEST_FROM_ARPING)).toBe('answered')
    expect(r.stats().answered.arp).toBe(2)
  })
})
