// Ethernet II framing (IEEE 802.3 with an EtherType ≥ 0x0600). Pure; bounds checked.

export const ETHERTYPE_ARP = 0x0806
export const ETHERTYPE_IPV6 = 0x86dd
export const ETHERTYPE_VLAN = 0x8100
export const ETH_HEADER = 14
/** Frames shorter than this (without the FCS) are padded on send (IEEE 802.3 minimum 64 bytes with FCS). */
export const ETH_MIN_FRAME = 60

export interface EthernetHeader {
  /** Offsets into the frame rather than copies: the responder reads a flood of these. */
  dst: Buffer
  src: Buffer
  etherType: number
}

/** The header, or undefined when the frame is shorter than one. */
export function decodeEthernet(frame: Buffer): EthernetHeader | undefined {
  if (frame.length < ETH_HEADER) return undefined
  return {dst: frame.subarray(0, 6), src: frame.subarray(6, 12), etherType: frame.readUInt16BE(12)}
}

/** Header + payload, zero-padded to the Ethernet minimum. */
export function encodeEthernet(dst: Uint8Array, src: Uint8Array, etherType: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(Math.max(ETH_MIN_FRAME, ETH_HEADER + payload.length))
  out.set(dst.subarray(0, 6), 0)
  out.set(src.subarray(0, 6), 6)
  out.writeUInt16BE(etherType, 12)
  out.set(payload, ETH_HEADER)
  return out
}
