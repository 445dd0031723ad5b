// MAC addresses (6-byte Buffers) and the IPv6 multicast mappings NDP needs. Pure.

export const BROADCAST_MAC: Buffer = Buffer.alloc(6, 0xff)
export const ZERO_MAC: Buffer = Buffer.alloc(6)

/** Parse "02:00:5e:10:00:01" (also '-' separated); undefined when it is not a MAC. */
export function parseMac(s: string): Buffer | undefined {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(s)
  return m ? Buffer.from(m.slice(1).map((h) => parseInt(h, 16))) : undefined
}

/** Lower-case, colon separated. */
export function formatMac(b: Uint8Array, offset = 0): string {
  let s = ''
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + (b[offset + i] < 16 ? '0' : '') + b[offset + i].toString(16)
  return s
}

/** Group bit set (broadcast included). */
export const isMulticastMac = (b: Uint8Array, offset = 0): boolean => (b[offset] & 1) === 1

export function macEquals(a: Uint8Array, aOff: number, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[aOff + i] !== b[i]) return false
  return true
}

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

/** Ethernet multicast MAC 33:33:xx:xx:xx:xx of an IPv6 multicast address (RFC 2464 §7). */
export function ipv6MulticastMac(group: Uint8Array): Buffer {
  return Buffer.from([0x33, 0x33, group[12], group[13], group[14], group[15]])
}

/** ff02::1, all nodes (RFC 4291 §2.7.1). */
export const ALL_NODES: Buffer = Buffer.from('ff020000000000000000000000000001', 'hex')
