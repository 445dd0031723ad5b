// 48-bit MAC (EUI-48) addresses as 6-byte Buffers: text ⇄ bytes, and the few bit tests and mappings the ARP/NDP code
// needs. Pure. The one MAC module: the layer-2 codecs, the probe and diagnostics all use it.
import {NetParseError} from './errors.js'

export const BROADCAST_MAC: Buffer = Buffer.alloc(6, 0xff)
export const ZERO_MAC: Buffer = Buffer.alloc(6)

/**
 * Parse a MAC address: six hex pairs separated by ':' or '-' (`aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF`), or Cisco's
 * three dotted groups (`aabb.ccdd.eeff`). Returns a new 6-byte Buffer.
 * @throws NetParseError naming the token and what is wrong.
 */
export function parseMAC(s: string): Buffer {
  if (typeof s !== 'string' || s === '') {
    throw new NetParseError(String(s), 'is empty; expected a MAC address such as aa:bb:cc:dd:ee:ff')
  }
  let hex: string
  if (/^[0-9a-fA-F]{4}(\.[0-9a-fA-F]{4}){2}$/.test(s)) {
    hex = s.replace(/\./g, '')
  } else {
    const sep = /[:-]/.exec(s)?.[0]
    if (sep === undefined) {
      throw new NetParseError(s, 'is not a MAC address (no ":" or "-" between bytes)', 'write aa:bb:cc:dd:ee:ff')
    }
    if (s.includes(':') && s.includes('-')) throw new NetParseError(s, 'has mixed separators (":" and "-")')
    const parts = s.split(sep)
    if (parts.length !== 6) throw new NetParseError(s, `has ${parts.length} bytes; a MAC address has 6`)
    for (const p of parts) {
      if (!/^[0-9a-fA-F]{1,2}$/.test(p)) {
        throw new NetParseError(s, `byte ${JSON.stringify(p)} is not one or two hex digits`)
      }
    }
    hex = parts.map((p) => p.padStart(2, '0')).join('')
  }
  return Buffer.from(hex, 'hex')
}

/** parseMAC without the error: undefined when `s` is not a MAC address. */
export function tryParseMAC(s: string): Buffer | undefined {
  try {
    return parseMAC(s)
  } catch (err) {
    if (err instanceof NetParseError) return undefined
    throw err
  }
}

/**
 * Format the 6 bytes at `offset` as lowercase `aa:bb:cc:dd:ee:ff`. Throws RangeError when `mac` is not exactly 6
 * bytes (offset 0) or has fewer than 6 bytes from `offset`.
 */
export function formatMAC(mac: Uint8Array, offset = 0): string {
  if (offset === 0 ? mac.length !== 6 : offset < 0 || mac.length < offset + 6) {
    throw new RangeError(`a MAC address has 6 bytes, got ${mac.length - offset}`)
  }
  let s = ''
  for (let i = 0; i < 6; i++) s += (i ? ':' : '') + (mac[offset + i] < 16 ? '0' : '') + mac[offset + i].toString(16)
  return s
}

/** Group bit set (broadcast included). */
export const isMulticastMAC = (b: Uint8Array, offset = 0): boolean => (b[offset] & 1) === 1

/** The 6 bytes of `a` at `aOff` equal the 6 bytes of `b`. */
export function macEquals(a: Uint8Array, aOff: number, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[aOff + i] !== b[i]) return false
  return true
}

/** Ethernet multicast MAC 33:33:xx:xx:xx:xx of an IPv6 multicast address (RFC 2464 §7). */
export function ipv6MulticastMAC(group: Uint8Array): Buffer {
  return Buffer.from([0x33, 0x33, group[12], group[13], group[14], group[15]])
}
