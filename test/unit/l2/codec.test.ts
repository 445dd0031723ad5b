import {describe, expect, it} from 'vitest'
import {ARP_REPLY, ARP_REQUEST, arpReplyFrame, decodeArp, encodeArp, garpReplyFrame, garpRequestFrame, isArpDecodeError} from '../../../src/lib/l2/arp.js'
import {decodeEthernet, encodeEthernet, ETHERTYPE_ARP} from '../../../src/lib/l2/ethernet.js'
import {formatMAC, ipv6MulticastMAC} from '../../../src/lib/net/mac.js'
import {decodeNdp, encodeNdp, ICMPV6_NA, ICMPV6_NS, icmpv6Checksum, isNdpDecodeError, naReplyFrame, nsFrame, solicitedNodeAddress, unsolicitedNaFrame} from '../../../src/lib/l2/ndp.js'
import {ARP_REPLY_FROM_KERNEL, ARP_REQUEST_FROM_ARPING, hex, MAC_A, MAC_B, NA_FROM_KERNEL, NS_FROM_NDISC6} from './fixtures.js'

const ip4 = (s: string): Buffer => Buffer.from(s.split('.').map(Number))
const V6_2 = hex('20010db8003000000000000000000002')

describe('NDP multicast', () => {
  it('maps an address to its solicited-node group and that to its MAC (RFC 4291 §2.7.1, RFC 2464 §7)', () => {
    expect(solicitedNodeAddress(V6_2).toString('hex')).toBe('ff0200000000000000000001ff000002')
    expect(formatMAC(ipv6MulticastMAC(solicitedNodeAddress(V6_2)))).toBe('33:33:ff:00:00:02')
  })
})

describe('Ethernet', () => {
  it('decodes the header and pads short frames to 60 bytes', () => {
    const h = decodeEthernet(ARP_REQUEST_FROM_ARPING)!
    expect(formatMAC(h.dst)).toBe('ff:ff:ff:ff:ff:ff')
    expect(h.src).toEqual(MAC_A)
    expect(h.etherType).toBe(ETHERTYPE_ARP)
    expect(decodeEthernet(Buffer.alloc(13))).toBeUndefined()
    expect(encodeEthernet(MAC_B, MAC_A, 0x0806, Buffer.alloc(4)).length).toBe(60)
  })
})

describe('ARP (RFC 826)', () => {
  it('decodes a request captured from arping', () => {
    const a = decodeArp(ARP_REQUEST_FROM_ARPING)
    expect(isArpDecodeError(a)).toBe(false)
    if (isArpDecodeError(a)) return
    expect(a.op).toBe(ARP_REQUEST)
    expect(a.senderMac).toEqual(MAC_A)
    expect(a.senderIp).toEqual(ip4('198.18.30.1'))
    expect(a.targetIp).toEqual(ip4('198.18.30.2'))
  })

  it('builds the same reply the kernel sent (byte for byte, plus padding)', () => {
    const req = decodeArp(ARP_REQUEST_FROM_ARPING)
    if (isArpDecodeError(req)) throw new Error(req.detail)
    const ours = arpReplyFrame(req, MAC_B)
    expect(ours.subarray(0, ARP_REPLY_FROM_KERNEL.length)).toEqual(ARP_REPLY_FROM_KERNEL)
    expect(ours.subarray(ARP_REPLY_FROM_KERNEL.length).every((b) => b === 0)).toBe(true)
  })

  it('round-trips encode/decode', () => {
    const p = {op: ARP_REPLY, senderMac: MAC_B, senderIp: ip4('203.0.113.10'), targetMac: MAC_A, targetIp: ip4('198.18.30.1')}
    const d = decodeArp(Buffer.concat([Buffer.alloc(14), encodeArp(p)]))
    expect(d).toEqual(p)
  })

  it('gratuitous request and reply: sender = target = the address (RFC 5227 §3)', () => {
    const vip = ip4('203.0.113.10')
    const rq = decodeArp(garpRequestFrame(vip, MAC_A))
    const rp = decodeArp(garpReplyFrame(vip, MAC_A))
    expect(rq).toMatchObject({op: ARP_REQUEST, senderMac: MAC_A, senderIp: vip, targetIp: vip, targetMac: Buffer.alloc(6)})
    expect(rp).toMatchObject({op: ARP_REPLY, senderMac: MAC_A, senderIp: vip, targetIp: vip, targetMac: Buffer.alloc(6, 0xff)})
    expect(garpRequestFrame(vip, MAC_A).subarray(0, 6)).toEqual(Buffer.alloc(6, 0xff))
  })

  it('reports truncated and non-Ethernet/IPv4 ARP as values', () => {
    expect(decodeArp(ARP_REQUEST_FROM_ARPING.subarray(0, 20))).toMatchObject({error: 'truncated'})
    expect(decodeArp(ARP_REQUEST_FROM_ARPING.subarray(0, 41))).toMatchObject({error: 'truncated'})
    const ib = Buffer.from(ARP_REQUEST_FROM_ARPING)
    ib.writeUInt16BE(32, 14) // InfiniBand hardware type
    expect(decodeArp(ib)).toMatchObject({error: 'unsupported'})
  })
})

describe('NDP (RFC 4861)', () => {
  it('decodes an NS captured from ndisc6, checksum verified', () => {
    const m = decodeNdp(NS_FROM_NDISC6)
    if (isNdpDecodeError(m)) throw new Error(m.detail)
    expect(m.type).toBe(ICMPV6_NS)
    expect(m.hopLimit).toBe(255)
    expect(m.target).toEqual(V6_2)
    expect(m.sourceLinkAddr).toEqual(MAC_A)
  })

  it('decodes the kernel\'s NA with its flags', () => {
    const m = decodeNdp(NA_FROM_KERNEL)
    if (isNdpDecodeError(m)) throw new Error(m.detail)
    expect(m).toMatchObject({type: ICMPV6_NA, solicited: true, override: true, router: false})
    expect(m.targetLinkAddr).toEqual(MAC_B)
  })

  it('builds byte for byte the NA the kernel sent', () => {
    const ns = decodeNdp(NS_FROM_NDISC6)
    if (isNdpDecodeError(ns)) throw new Error(ns.detail)
    // The kernel answered from 2001:db8:30::2 too, because the target is its own address: byte-identical.
    expect(naReplyFrame(ns, MAC_A, MAC_B)).toEqual(NA_FROM_KERNEL)
  })

  it('computes the checksums the captured frames carry', () => {
    for (const f of [NS_FROM_NDISC6, NA_FROM_KERNEL]) {
      const icmp = f.subarray(54)
      expect(icmpv6Checksum(f.subarray(22, 38), f.subarray(38, 54), icmp)).toBe(icmp.readUInt16BE(2))
    }
  })

  it('round-trips NS and NA, and sets the unsolicited NA flags (RFC 4861 §7.2.6)', () => {
    const src = hex('20010db8003000000000000000000064')
    const ns = decodeNdp(nsFrame(MAC_A, src, V6_2))
    expect(ns).toMatchObject({type: ICMPV6_NS, hopLimit: 255, src, target: V6_2, sourceLinkAddr: MAC_A})
    const una = unsolicitedNaFrame(V6_2, MAC_B)
    expect(una.subarray(0, 6).toString('hex')).toBe('333300000001')
    expect(decodeNdp(una)).toMatchObject({type: ICMPV6_NA, solicited: false, override: true, router: false, targetLinkAddr: MAC_B})
    const raw = encodeNdp({type: ICMPV6_NA, src: V6_2, dst: src, target: V6_2, router: true, solicited: true, linkAddr: MAC_B, hopLimit: 64})
    expect(decodeNdp(Buffer.concat([Buffer.alloc(14), raw]))).toMatchObject({hopLimit: 64, router: true, solicited: true, override: false})
  })

  it('answers a DAD probe (source ::) to all nodes with Solicited clear', () => {
    const probe = nsFrame(MAC_A, Buffer.alloc(16), V6_2)
    const ns = decodeNdp(probe)
    if (isNdpDecodeError(ns)) throw new Error(ns.detail)
    expect(ns.sourceLinkAddr).toBeUndefined()
    const na = decodeNdp(naReplyFrame(ns, MAC_A, MAC_B))
    expect(na).toMatchObject({solicited: false, override: true, dst: hex('ff020000000000000000000000000001')})
  })

  it('reports each invalid form as a value (RFC 4861 §7.1.1)', () => {
    const mut = (at: number, v: number, fixSum = true): Buffer => {
      const f = Buffer.from(NS_FROM_NDISC6)
      f[at] = v
      if (fixSum) f.writeUInt16BE(icmpv6Checksum(f.subarray(22, 38), f.subarray(38, 54), f.subarray(54)), 56)
      return f
    }
    expect(decodeNdp(mut(56, 0, false))).toMatchObject({error: 'badChecksum'})
    expect(decodeNdp(mut(55, 1))).toMatchObject({error: 'invalid'}) // code 1
    expect(decodeNdp(mut(79, 0))).toMatchObject({error: 'invalid'}) // option length 0
    expect(decodeNdp(mut(62, 0xff))).toMatchObject({error: 'invalid'}) // multicast target
    expect(decodeNdp(mut(20, 17))).toMatchObject({error: 'unsupported'}) // next header UDP
    expect(decodeNdp(mut(54, 128))).toMatchObject({error: 'unsupported'}) // echo request
    expect(decodeNdp(mut(14, 0x40))).toMatchObject({error: 'invalid'}) // IP version 4
    expect(decodeNdp(NS_FROM_NDISC6.subarray(0, 70))).toMatchObject({error: 'truncated'})
    expect(decodeNdp(NS_FROM_NDISC6.subarray(0, 40))).toMatchObject({error: 'truncated'})
  })

  it('ignores Ethernet padding after the IPv6 payload', () => {
    const padded = Buffer.concat([NS_FROM_NDISC6, Buffer.alloc(10, 0xee)])
    expect(isNdpDecodeError(decodeNdp(padded))).toBe(false)
  })
})
