// 48-bit MAC (EUI-48) addresses as 6-byte Buffers, for the ARP/NDP code and for diagnostics output.
import {NetParseError} from './errors.js'

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

/** Format a 6-byte MAC as lowercase `aa:bb:cc:dd:ee:ff`. Throws RangeError for any other length. */
export function formatMAC(mac: Uint8Array): string {
  if (mac.length !== 6) throw new RangeError(`a MAC address has 6 bytes, got ${mac.length}`)
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':')
}
