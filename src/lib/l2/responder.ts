// Answers ARP requests and neighbor solicitations for the addresses this node owns (MetalLB's layer-2 responder).
// Pure decision logic: a frame in, a reply frame or an enumerated drop reason out; sockets live in engine.ts.
import {formatIP, parseIP, type IP} from '../net/ip.js'
import {ARP_REQUEST, arpReplyFrame, decodeArp, isArpDecodeError} from './arp.js'
import {ETH_HEADER, ETHERTYPE_ARP, ETHERTYPE_IPV6} from './ethernet.js'
import {isMulticastMAC, macEquals} from '../net/mac.js'
import {decodeNdp, ICMPV6_NS, isNdpDecodeError, ND_HOP_LIMIT, naReplyFrame} from './ndp.js'

/** Why a frame was not answered. Every frame the responder sees ends in `answered` or exactly one of these. */
export const DROP_REASONS = [
  /** Truncated, or invalid by RFC 826 / RFC 4861 §7.1 rules (bad option length, code ≠ 0, multicast target…). */
  'malformed',
  /** ICMPv6 checksum wrong (RFC 4443 §2.3). */
  'badChecksum',
  /** Not ARP for Ethernet/IPv4 nor ICMPv6 neighbor discovery (other EtherType, next header, ICMPv6 type). */
  'unsupported',
  /** An ARP reply or other opcode, or a neighbor advertisement: only requests are answered. */
  'notRequest',
  /** Our own transmission seen again. */
  'fromUs',
  /** Unicast to a MAC that is not the receiving interface's. */
  'targetMacNotUs',
  /**
   * A gratuitous ARP request (sender address = target address): an announcement (RFC 5227 §3), not a question. The
   * Linux kernel does not answer these either; ARP probes (sender 0.0.0.0) are answered.
   */
  'gratuitous',
  /** Neighbor solicitation with a hop limit other than 255: it crossed a router (RFC 4861 §7.1.1). */
  'badHopLimit',
  /** This node does not own the address asked for. */
  'notOwned',
  /** Owned, but not announced on the interface the request came in on. */
  'wrongInterface',
] as const
export type DropReason = (typeof DROP_REASONS)[number]

export interface ResponderInterface {
  name: string
  mac: Buffer
}

export type HandleResult =
  | {answer: Buffer; address: string; protocol: 'arp' | 'ndp'}
  | {drop: DropReason; detail?: string}

export interface ResponderStats {
  answered: {arp: number; ndp: number}
  dropped: Record<DropReason, number>
  /** Per interface: answered and each drop reason. */
  byInterface: Record<string, Partial<Record<DropReason | 'answered', number>>>
}

export interface OwnedAddress {
  ip: IP
  text: string
  bytes: Buffer
  /** Interfaces it is announced on; undefined = every interface the engine serves. */
  interfaces?: ReadonlySet<string>
}

/** Network-order bytes of an address. */
export function ipBytes(ip: IP): Buffer {
  const n = ip.family === 4 ? 4 : 16
  const b = Buffer.alloc(n)
  let v = ip.value
  for (let i = n - 1; i >= 0; i--) {
    b[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return b
}

export function ipFromBytes(b: Uint8Array): IP {
  let v = 0n
  for (const x of b) v = (v << 8n) | BigInt(x)
  return {family: b.length === 4 ? 4 : 6, value: v}
}

/** Key of an address in the ownership map: its bytes as hex (4 and 16 bytes never collide). */
const keyOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

export class Responder {
  private readonly owned = new Map<string, OwnedAddress>()
  private readonly dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>
  private readonly answered = {arp: 0, ndp: 0}
  private readonly perInterface = new Map<string, Partial<Record<DropReason | 'answered', number>>>()

  /** Take ownership (answer from now on). `interfaces` limits where; re-owning replaces the limit. */
  own(address: string | IP, interfaces?: readonly string[]): OwnedAddress {
    const ip = typeof address === 'string' ? parseIP(address) : address
    const bytes = ipBytes(ip)
    const o: OwnedAddress = {ip, text: formatIP(ip), bytes, interfaces: interfaces ? new Set(interfaces) : undefined}
    this.owned.set(keyOf(bytes), o)
    return o
  }

  /** Give up ownership: the next request for it is `notOwned`. Returns whether it was owned. */
  release(address: string | IP): boolean {
    const ip = typeof address === 'string' ? parseIP(address) : address
    return this.owned.delete(keyOf(ipBytes(ip)))
  }

  lookup(address: string | IP): OwnedAddress | undefined {
    const ip = typeof address === 'string' ? parseIP(address) : address
    return this.owned.get(keyOf(ipBytes(ip)))
  }

  ownedAddresses(): OwnedAddress[] {
    return [...this.owned.values()]
  }

  /** Decide about one received frame and count the outcome. Never throws, whatever the bytes. */
  handle(frame: Buffer, iface: ResponderInterface): HandleResult {
    const r = this.decide(frame, iface)
    const per = this.perInterface.get(iface.name) ?? {}
    this.perInterface.set(iface.name, per)
    if ('answer' in r) {
      this.answered[r.protocol]++
      per.answered = (per.answered ?? 0) + 1
    } else {
      this.dropped[r.drop]++
      per[r.drop] = (per[r.drop] ?? 0) + 1
    }
    return r
  }

  stats(): ResponderStats {
    return {answered: {...this.answered}, dropped: {...this.dropped}, byInterface: Object.fromEntries([...this.perInterface].map(([k, v]) => [k, {...v}]))}
  }

  private decide(frame: Buffer, iface: ResponderInterface): HandleResult {
    if (frame.length < ETH_HEADER) return {drop: 'malformed', detail: `frame of ${frame.length} bytes`}
    if (macEquals(frame, 6, iface.mac)) return {drop: 'fromUs'}
    if (!isMulticastMAC(frame, 0) && !macEquals(frame, 0, iface.mac)) return {drop: 'targetMacNotUs'}
    const etherType = frame.readUInt16BE(12)
    if (etherType === ETHERTYPE_ARP) {
      const arp = decodeArp(frame)
      if (isArpDecodeError(arp)) return {drop: arp.error === 'unsupported' ? 'unsupported' : 'malformed', detail: arp.detail}
      if (arp.op !== ARP_REQUEST) return {drop: 'notRequest', detail: `ARP op ${arp.op}`}
      if (isMulticastMAC(arp.senderMac)) return {drop: 'malformed', detail: 'ARP sender MAC is multicast'}
      if (arp.senderIp.equals(arp.targetIp)) return {drop: 'gratuitous', detail: `announcement of ${formatIP(ipFromBytes(arp.targetIp))}`}
      const own = this.check(arp.targetIp, iface)
      if ('drop' in own) return own
      return {answer: arpReplyFrame(arp, iface.mac), address: own.text, protocol: 'arp'}
    }
    if (etherType === ETHERTYPE_IPV6) {
      const nd = decodeNdp(frame)
      if (isNdpDecodeError(nd)) {
        const drop: DropReason = nd.error === 'badChecksum' ? 'badChecksum' : nd.error === 'unsupported' ? 'unsupported' : 'malformed'
        return {drop, detail: nd.detail}
      }
      if (nd.type !== ICMPV6_NS) return {drop: 'notRequest', detail: 'neighbor advertisement'}
      if (nd.hopLimit !== ND_HOP_LIMIT) return {drop: 'badHopLimit', detail: `hop limit ${nd.hopLimit}`}
      const own = this.check(nd.target, iface)
      if ('drop' in own) return own
      return {answer: naReplyFrame(nd, frame.subarray(6, 12), iface.mac), address: own.text, protocol: 'ndp'}
    }
    return {drop: 'unsupported', detail: `EtherType 0x${etherType.toString(16)}`}
  }

  private check(target: Uint8Array, iface: ResponderInterface): OwnedAddress | {drop: DropReason; detail?: string} {
    const o = this.owned.get(keyOf(target))
    if (!o) return {drop: 'notOwned'}
    if (o.interfaces && !o.interfaces.has(iface.name)) return {drop: 'wrongInterface', detail: `${o.text} is not announced on ${iface.name}`}
    return o
  }
}
