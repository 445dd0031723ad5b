// IPv6 + ICMPv6 neighbor solicitation/advertisement (RFC 4861 §4.3, §4.4) with link-layer address options (§4.6.1)
// and the ICMPv6 checksum (RFC 4443 §2.3, pseudo-header RFC 8200 §8.1). Pure; malformed input is a value.
import {ETH_HEADER, encodeEthernet, ETHERTYPE_IPV6} from './ethernet.js'
import {ipv6MulticastMAC} from '../net/mac.js'

export const IPV6_HEADER = 40
export const NEXT_HEADER_ICMPV6 = 58
export const ICMPV6_NS = 135
export const ICMPV6_NA = 136
export const OPT_SOURCE_LLA = 1
export const OPT_TARGET_LLA = 2
/** ND messages are valid only with hop limit 255: proof they were not forwarded by a router (RFC 4861 §7.1.1). */
export const ND_HOP_LIMIT = 255

/** ff02::1, all nodes (RFC 4291 §2.7.1). */
export const ALL_NODES: Buffer = Buffer.from('ff020000000000000000000000000001', 'hex')

/** Solicited-node multicast address ff02::1:ffXX:XXXX of an IPv6 address (RFC 4291 §2.7.1). */
export function solicitedNodeAddress(ip6: Uint8Array): Buffer {
  const a = Buffer.alloc(16)
  a[0] = 0xff
  a[1] = 0x02
  a[11] = 0x01
  a[12] = 0xff
  a[13] = ip6[13]
  a[14] = ip6[14]
  a[15] = ip6[15]
  return a
}

export interface NdpMessage {
  type: typeof ICMPV6_NS | typeof ICMPV6_NA
  hopLimit: number
  src: Buffer
  dst: Buffer
  target: Buffer
  /** NA flags (RFC 4861 §4.4); false in an NS. */
  router: boolean
  solicited: boolean
  override: boolean
  sourceLinkAddr?: Buffer
  targetLinkAddr?: Buffer
}

export type NdpDecodeError = {
  error: 'truncated' | 'unsupported' | 'badChecksum' | 'invalid'
  detail: string
}

export const isNdpDecodeError = (x: NdpMessage | NdpDecodeError): x is NdpDecodeError => 'error' in x

/** ICMPv6 checksum over the pseudo-header and `icmp` (whose checksum field is taken as zero). */
export function icmpv6Checksum(src: Uint8Array, dst: Uint8Array, icmp: Uint8Array): number {
  let sum = 0
  for (let i = 0; i < 16; i += 2) sum += ((src[i] << 8) | src[i + 1]) + ((dst[i] << 8) | dst[i + 1])
  sum += (icmp.length >>> 16) + (icmp.length & 0xffff) + NEXT_HEADER_ICMPV6
  for (let i = 0; i < icmp.length; i += 2) {
    if (i === 2) continue // the checksum field itself
    sum += (icmp[i] << 8) | (i + 1 < icmp.length ? icmp[i + 1] : 0)
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16)
  return ~sum & 0xffff
}

/**
 * Decode IPv6 (at `offset`, after Ethernet) carrying an ICMPv6 NS or NA, applying RFC 4861 §7.1.1/§7.1.2 validity
 * checks except the hop limit, which the responder counts separately.
 */
export function decodeNdp(frame: Buffer, offset = ETH_HEADER): NdpMessage | NdpDecodeError {
  if (frame.length - offset < IPV6_HEADER) return {error: 'truncated', detail: `IPv6 header needs 40 bytes, have ${frame.length - offset}`}
  if (frame[offset] >> 4 !== 6) return {error: 'invalid', detail: `IP version ${frame[offset] >> 4} in an IPv6 frame`}
  const payloadLength = frame.readUInt16BE(offset + 4)
  // Extension headers before ICMPv6 are legal but never used for ND in practice; MetalLB ignores them too.
  if (frame[offset + 6] !== NEXT_HEADER_ICMPV6) return {error: 'unsupported', detail: `next header ${frame[offset + 6]}, not ICMPv6`}
  const hopLimit = frame[offset + 7]
  const icmpStart = offset + IPV6_HEADER
  if (frame.length - icmpStart < payloadLength) {
    return {error: 'truncated', detail: `payload length ${payloadLength}, have ${frame.length - icmpStart}`}
  }
  if (payloadLength < 4) return {error: 'truncated', detail: `ICMPv6 needs 4 bytes, payload length ${payloadLength}`}
  // Ethernet padding may follow the payload; the payload length says where ICMPv6 ends.
  const icmp = frame.subarray(icmpStart, icmpStart + payloadLength)
  const type = icmp[0]
  if (type !== ICMPV6_NS && type !== ICMPV6_NA) return {error: 'unsupported', detail: `ICMPv6 type ${type}`}
  if (icmp.length < 24) return {error: 'truncated', detail: `${type === ICMPV6_NS ? 'NS' : 'NA'} needs 24 bytes, have ${icmp.length}`}
  const src = frame.subarray(offset + 8, offset + 24)
  const dst = frame.subarray(offset + 24, offset + 40)
  const sum = icmpv6Checksum(src, dst, icmp)
  if (sum !== icmp.readUInt16BE(2)) return {error: 'badChecksum', detail: `checksum 0x${icmp.readUInt16BE(2).toString(16)}, expected 0x${sum.toString(16)}`}
  if (icmp[1] !== 0) return {error: 'invalid', detail: `ICMPv6 code ${icmp[1]} (must be 0)`}
  const target = icmp.subarray(8, 24)
  if (target[0] === 0xff) return {error: 'invalid', detail: 'target is a multicast address'}
  const flags = icmp[4]
  const msg: NdpMessage = {
    type, hopLimit, src, dst, target,
    router: type === ICMPV6_NA && (flags & 0x80) !== 0,
    solicited: type === ICMPV6_NA && (flags & 0x40) !== 0,
    override: type === ICMPV6_NA && (flags & 0x20) !== 0,
  }
  for (let o = 24; o < icmp.length;) {
    if (icmp.length - o < 2) return {error: 'truncated', detail: `option header at ${o} cut short`}
    const len = icmp[o + 1] * 8
    // §7.1.1: "All included options have a length that is greater than zero."
    if (len === 0) return {error: 'invalid', detail: `option ${icmp[o]} at ${o} has length 0`}
    if (o + len > icmp.length) return {error: 'truncated', detail: `option ${icmp[o]} at ${o} runs past the end`}
    if (len === 8 && icmp[o] === OPT_SOURCE_LLA) msg.sourceLinkAddr = icmp.subarray(o + 2, o + 8)
    if (len === 8 && icmp[o] === OPT_TARGET_LLA) msg.targetLinkAddr = icmp.subarray(o + 2, o + 8)
    o += len
  }
  if (type === ICMPV6_NS && isUnspecified(src)) {
    // §7.1.1: a DAD probe goes to a solicited-node group and carries no source link-layer address.
    if (dst[0] !== 0xff || dst[1] !== 0x02 || dst[11] !== 1 || dst[12] !== 0xff) return {error: 'invalid', detail: 'NS from :: not sent to a solicited-node group'}
    if (msg.sourceLinkAddr) return {error: 'invalid', detail: 'NS from :: carries a source link-layer address'}
  }
  if (type === ICMPV6_NA && msg.solicited && dst[0] === 0xff) return {error: 'invalid', detail: 'solicited NA sent to a multicast address'}
  return msg
}

export function isUnspecified(ip6: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (ip6[i] !== 0) return false
  return true
}

export interface NdpEncodeOptions {
  type: typeof ICMPV6_NS | typeof ICMPV6_NA
  src: Uint8Array
  dst: Uint8Array
  target: Uint8Array
  router?: boolean
  solicited?: boolean
  override?: boolean
  /** Link-layer address option: source (NS) or target (NA). */
  linkAddr?: Uint8Array
  hopLimit?: number
}

/** IPv6 header + ICMPv6 NS/NA, checksum filled in. */
export function encodeNdp(o: NdpEncodeOptions): Buffer {
  const icmpLen = 24 + (o.linkAddr ? 8 : 0)
  const b = Buffer.alloc(IPV6_HEADER + icmpLen)
  b[0] = 0x60 // version 6, traffic class 0, flow label 0
  b.writeUInt16BE(icmpLen, 4)
  b[6] = NEXT_HEADER_ICMPV6
  b[7] = o.hopLimit ?? ND_HOP_LIMIT
  b.set(o.src, 8)
  b.set(o.dst, 24)
  const icmp = b.subarray(IPV6_HEADER)
  icmp[0] = o.type
  if (o.type === ICMPV6_NA) icmp[4] = (o.router ? 0x80 : 0) | (o.solicited ? 0x40 : 0) | (o.override ? 0x20 : 0)
  icmp.set(o.target, 8)
  if (o.linkAddr) {
    icmp[24] = o.type === ICMPV6_NS ? OPT_SOURCE_LLA : OPT_TARGET_LLA
    icmp[25] = 1
    icmp.set(o.linkAddr, 26)
  }
  icmp.writeUInt16BE(icmpv6Checksum(o.src, o.dst, icmp), 2)
  return b
}

/**
 * The NA answering `ns` for `target` with `mac` (§7.2.4): to the solicitor, Solicited and Override set; to all nodes
 * with Solicited clear when the NS came from :: (a DAD probe). Sent from the target address itself, as MetalLB does.
 */
export function naReplyFrame(ns: NdpMessage, ethSrc: Buffer, mac: Buffer): Buffer {
  const dad = isUnspecified(ns.src)
  const dst = dad ? ALL_NODES : ns.src
  const ethDst = dad ? ipv6MulticastMAC(ALL_NODES) : (ns.sourceLinkAddr ?? ethSrc)
  return encodeEthernet(ethDst, mac, ETHERTYPE_IPV6,
    encodeNdp({type: ICMPV6_NA, src: ns.target, dst, target: ns.target, solicited: !dad, override: true, linkAddr: mac}))
}

/** Unsolicited NA (§7.2.6): to ff02::1, Override set so neighbours replace a cached address at once. */
export function unsolicitedNaFrame(ip: Buffer, mac: Buffer): Buffer {
  return encodeEthernet(ipv6MulticastMAC(ALL_NODES), mac, ETHERTYPE_IPV6,
    encodeNdp({type: ICMPV6_NA, src: ip, dst: ALL_NODES, target: ip, override: true, linkAddr: mac}))
}

/** A neighbor solicitation for `target` from `src` (what `lbctl l2 probe` sends), to its solicited-node group. */
export function nsFrame(mac: Buffer, src: Buffer, target: Buffer): Buffer {
  const group = solicitedNodeAddress(target)
  return encodeEthernet(ipv6MulticastMAC(group), mac, ETHERTYPE_IPV6,
    encodeNdp({type: ICMPV6_NS, src, dst: group, target, linkAddr: isUnspecified(src) ? undefined : mac}))
}
