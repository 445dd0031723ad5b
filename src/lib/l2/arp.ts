// ARP for Ethernet/IPv4 (RFC 826), gratuitous forms per RFC 5227 §3 and MetalLB. Pure; malformed input is a value,
// never an exception.
import {BROADCAST_MAC, ZERO_MAC} from '../net/mac.js'
import {encodeEthernet, ETH_HEADER, ETHERTYPE_ARP} from './ethernet.js'

export const ARP_REQUEST = 1
export const ARP_REPLY = 2
/** Ethernet/IPv4 ARP body: 8-byte fixed part + 2 × (6 + 4). */
export const ARP_LENGTH = 28

export interface ArpPacket {
  op: number
  senderMac: Buffer
  senderIp: Buffer
  targetMac: Buffer
  targetIp: Buffer
}

export type ArpDecodeError = {error: 'truncated' | 'unsupported'; detail: string}

/** Decode the ARP body at `offset` (after the Ethernet header). Views into `frame`, no copies. */
export function decodeArp(frame: Buffer, offset = ETH_HEADER): ArpPacket | ArpDecodeError {
  if (frame.length - offset < 8) return {error: 'truncated', detail: `ARP header needs 8 bytes, have ${frame.length - offset}`}
  const htype = frame.readUInt16BE(offset)
  const ptype = frame.readUInt16BE(offset + 2)
  const hlen = frame[offset + 4]
  const plen = frame[offset + 5]
  if (htype !== 1 || ptype !== 0x0800 || hlen !== 6 || plen !== 4) {
    return {error: 'unsupported', detail: `hardware ${htype}/${hlen}, protocol 0x${ptype.toString(16)}/${plen}: only Ethernet/IPv4`}
  }
  if (frame.length - offset < ARP_LENGTH) return {error: 'truncated', detail: `ARP for Ethernet/IPv4 needs 28 bytes, have ${frame.length - offset}`}
  const o = offset + 8
  return {
    op: frame.readUInt16BE(offset + 6),
    senderMac: frame.subarray(o, o + 6),
    senderIp: frame.subarray(o + 6, o + 10),
    targetMac: frame.subarray(o + 10, o + 16),
    targetIp: frame.subarray(o + 16, o + 20),
  }
}

export const isArpDecodeError = (x: ArpPacket | ArpDecodeError): x is ArpDecodeError => 'error' in x

export function encodeArp(p: ArpPacket): Buffer {
  const b = Buffer.alloc(ARP_LENGTH)
  b.writeUInt16BE(1, 0) // Ethernet
  b.writeUInt16BE(0x0800, 2) // IPv4
  b[4] = 6
  b[5] = 4
  b.writeUInt16BE(p.op, 6)
  b.set(p.senderMac, 8)
  b.set(p.senderIp, 14)
  b.set(p.targetMac, 18)
  b.set(p.targetIp, 24)
  return b
}

/** An ARP frame: Ethernet header + body, padded to the minimum frame size. */
export function arpFrame(ethDst: Uint8Array, ethSrc: Uint8Array, p: ArpPacket): Buffer {
  return encodeEthernet(ethDst, ethSrc, ETHERTYPE_ARP, encodeArp(p))
}

/** The reply to `req` for `mac`: unicast back to the requester (RFC 826 "swap"). */
export function arpReplyFrame(req: ArpPacket, mac: Buffer): Buffer {
  return arpFrame(req.senderMac, mac, {op: ARP_REPLY, senderMac: mac, senderIp: req.targetIp, targetMac: req.senderMac, targetIp: req.senderIp})
}

/** Gratuitous ARP request (RFC 5227 §3 "ARP Announcement": sender = target = the address, target MAC zero). */
export function garpRequestFrame(ip: Buffer, mac: Buffer): Buffer {
  return arpFrame(BROADCAST_MAC, mac, {op: ARP_REQUEST, senderMac: mac, senderIp: ip, targetMac: ZERO_MAC, targetIp: ip})
}

/** Gratuitous ARP reply, broadcast: some hosts update only on replies (MetalLB sends both). */
export function garpReplyFrame(ip: Buffer, mac: Buffer): Buffer {
  return arpFrame(BROADCAST_MAC, mac, {op: ARP_REPLY, senderMac: mac, senderIp: ip, targetMac: BROADCAST_MAC, targetIp: ip})
}

/** An ARP request asking who has `target` (what `lbctl l2 probe` sends). */
export function arpRequestFrame(mac: Buffer, senderIp: Buffer, target: Buffer): Buffer {
  return arpFrame(BROADCAST_MAC, mac, {op: ARP_REQUEST, senderMac: mac, senderIp, targetMac: ZERO_MAC, targetIp: target})
}
