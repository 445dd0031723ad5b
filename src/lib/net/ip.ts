// IPv4/IPv6 addresses as (family, bigint). Parsing is strict (RFC 4291 §2.2 text forms, dotted-quad IPv4 without
// leading zeros); formatting follows RFC 5952.
import {NetParseError, quote} from './errors.js'

export {NetParseError} from './errors.js'

/** Address family: 4 or 6. */
export type Family = 4 | 6

/** An IP address: its family and its value as an unsigned integer (32 or 128 bits). */
export interface IP {
  family: Family
  value: bigint
}

/** Number of bits in an address of the family. */
export function ipBits(f: Family): 32 | 128 {
  return f === 4 ? 32 : 128
}

/** Largest address value of the family (255.255.255.255 or ffff:…:ffff). */
export function maxIPValue(f: Family): bigint {
  return (1n << BigInt(ipBits(f))) - 1n
}

/** An IP from a family and a value; throws RangeError when the value does not fit the family. */
export function ipFromValue(family: Family, value: bigint): IP {
  if (value < 0n || value > maxIPValue(family)) throw new RangeError(`value ${value} is not an IPv${family} address`)
  return {family, value}
}

/** Total order: IPv4 before IPv6, then by value. */
export function compareIP(a: IP, b: IP): number {
  if (a.family !== b.family) return a.family - b.family
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0
}

/** Whether two addresses are the same family and value. */
export function ipEquals(a: IP, b: IP): boolean {
  return a.family === b.family && a.value === b.value
}

const HOSTNAME_HINT = 'addresses must be numeric; host names are not resolved'

/** The zone id part of `s` (from '%' up to the next '/', '-', whitespace or the end), or undefined. */
export function zoneOf(s: string): string | undefined {
  return /%[^/\-\s]*/.exec(s)?.[0]
}

/** The error for text carrying an RFC 4007 zone id, which means nothing in a cluster-wide pool. */
export function zoneError(token: string, zone: string): NetParseError {
  return new NetParseError(token, `zone id ${quote(zone)} is not allowed (a pool address is not tied to one link)`,
    `write ${token.replace(zone, '')}`)
}

/**
 * Parse one IPv4 or IPv6 address. Accepts dotted quads without leading zeros, every RFC 4291 §2.2 IPv6 form including
 * `::` and embedded IPv4 (`::ffff:1.2.3.4`, which stays IPv6). Rejects zone ids, brackets, whitespace and prefixes.
 * @throws NetParseError naming the token, what is wrong and, when obvious, the fix.
 */
export function parseIP(s: string): IP {
  if (typeof s !== 'string') throw new NetParseError(String(s), 'is not a string')
  if (s === '') throw new NetParseError(s, 'is empty; expected an IP address')
  const zone = zoneOf(s)
  if (zone !== undefined) throw zoneError(s, zone)
  if (s.startsWith('[') || s.endsWith(']')) {
    throw new NetParseError(s, 'has brackets; brackets belong in URLs, not address lists',
      `write ${s.replace(/[[\]]/g, '')}`)
  }
  const bad = /[^0-9a-zA-Z.:]/.exec(s)
  if (bad) {
    const c = bad[0]
    const code = c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')
    const shown = /^[\x21-\x7e]$/.test(c) ? quote(c) : `U+${code}`
    const hint = c === '/' ? 'a single address takes no prefix length here'
      : /\s/.test(c) ? 'remove the whitespace'
        : c === ';' ? 'separate items with commas' : undefined
    throw new NetParseError(s, `contains ${shown}, which cannot appear in an IP address`, hint)
  }
  if (!s.includes(':') && /^[a-zA-Z]/.test(s) && /[g-zG-Z]/.test(s)) {
    throw new NetParseError(s, 'looks like a host name, not an IP address', HOSTNAME_HINT)
  }
  if (s.includes(':')) return {family: 6, value: parse6(s)}
  if (s.includes('.')) return {family: 4, value: parse4(s, s)}
  if (/^\d+$/.test(s)) {
    throw new NetParseError(s, 'is a bare number, not an IP address', 'write a dotted quad such as 10.0.0.1')
  }
  throw new NetParseError(s, 'is not an IP address (no "." or ":")', HOSTNAME_HINT)
}

/** Like parseIP, but returns undefined instead of throwing. */
export function tryParseIP(s: string): IP | undefined {
  try {
    return parseIP(s)
  } catch (e) {
    if (e instanceof NetParseError) return undefined
    throw e
  }
}

/** Parse a dotted quad; `token` is what errors name (the embedding IPv6 text when there is one). */
function parse4(s: string, token: string): bigint {
  const what = s === token ? '' : `embedded IPv4 ${quote(s)}: `
  if (s.startsWith('.')) throw new NetParseError(token, `${what}starts with "."`)
  if (s.endsWith('.')) throw new NetParseError(token, `${what}ends with "."`)
  const parts = s.split('.')
  if (parts.length !== 4) {
    const n = parts.length
    throw new NetParseError(token, `${what}has ${n} octets; an IPv4 address has exactly 4`,
      n < 4 ? 'shorthand forms such as 10.1 are not accepted' : undefined)
  }
  let v = 0n
  for (let i = 0; i < 4; i++) {
    const p = parts[i]
    const o = `${what}octet ${i + 1}`
    if (p === '') throw new NetParseError(token, `${o} is empty (two dots in a row)`)
    if (!/^\d+$/.test(p)) throw new NetParseError(token, `${o} (${quote(p)}) is not a decimal number`)
    const n = Number(p)
    if (n > 255) throw new NetParseError(token, `${o} (${quote(p)}) is greater than 255`)
    // Leading zeros are octal to inet_aton and decimal to others; Go 1.17+ and MetalLB reject them, so do we.
    if (p.length > 1 && p[0] === '0') {
      throw new NetParseError(token, `${o} (${quote(p)}) has a leading zero`,
        `write ${n} (leading zeros could mean octal)`)
    }
    v = (v << 8n) | BigInt(n)
  }
  return v
}

/** Parse the RFC 4291 §2.2 text forms. The caller has checked the character set. */
function parse6(s: string): bigint {
  if (s.includes(':::')) throw new NetParseError(s, 'contains ":::"', 'use "::" for one run of zero groups')
  const halves = s.split('::')
  if (halves.length > 2) {
    throw new NetParseError(s, '"::" appears more than once; it may stand for only one run of zero groups',
      'spell out all but one of the zero runs as ":0:"')
  }
  if (s.startsWith(':') && !s.startsWith('::')) throw new NetParseError(s, 'starts with a single ":"', fix(`:${s}`))
  if (s.endsWith(':') && !s.endsWith('::')) throw new NetParseError(s, 'ends with a single ":"', fix(`${s}:`))
  const compressed = halves.length === 2
  const head = groupsOf(s, halves[0], !compressed)
  const tail = compressed ? groupsOf(s, halves[1], true) : []
  const n = head.length + tail.length
  if (compressed && n > 7) {
    // RFC 4291 §2.2 (2): "::" stands for one or more zero groups, so at most 7 may be written beside it.
    throw new NetParseError(s, `has ${n} groups besides "::"; with "::" at most 7 are allowed`,
      fix(s.replace('::', ':')))
  }
  if (!compressed && n !== 8) {
    throw new NetParseError(s, `has ${n} groups; an IPv6 address has 8`,
      n < 8 ? 'use "::" for a run of zero groups' : undefined)
  }
  let v = 0n
  for (const g of [...head, ...new Array<number>(8 - n).fill(0), ...tail]) v = (v << 16n) | BigInt(g)
  return v
}

/** `write <candidate>` when the candidate is a valid address, else no hint. */
function fix(candidate: string): string | undefined {
  return tryParseIP(candidate) ? `write ${candidate}` : undefined
}

/** The 16-bit groups of one side of "::"; `last` says whether this side ends the address. */
function groupsOf(s: string, half: string, last: boolean): number[] {
  if (half === '') return []
  const parts = half.split(':')
  const vals: number[] = []
  for (let i = 0; i < parts.length; i++) {
    const g = parts[i]
    if (g.includes('.')) {
      // RFC 4291 §2.2 (3): embedded IPv4 is only ever the low-order 32 bits.
      if (!last || i !== parts.length - 1) throw new NetParseError(s, `embedded IPv4 ${quote(g)} must be the last part`)
      const v4 = Number(parse4(g, s))
      vals.push(v4 >>> 16, v4 & 0xffff)
    } else if (g === '') {
      throw new NetParseError(s, 'has an empty group (":" twice without "::")')
    } else if (g.length > 4) {
      throw new NetParseError(s, `group ${quote(g)} has more than 4 hex digits`)
    } else if (!/^[0-9a-fA-F]+$/.test(g)) {
      throw new NetParseError(s, `group ${quote(g)} is not hexadecimal`)
    } else {
      vals.push(parseInt(g, 16))
    }
  }
  return vals
}

/**
 * Format an address: IPv4 as a dotted quad; IPv6 per RFC 5952 §4 (lowercase, no leading zeros, the longest run of two
 * or more zero groups — the first one on a tie — as "::") and §5 (IPv4-mapped addresses as `::ffff:a.b.c.d`).
 */
export function formatIP(ip: IP): string {
  const {family, value} = ip
  if ((family !== 4 && family !== 6) || value < 0n || value > maxIPValue(family)) {
    throw new RangeError(`not an IP: family ${String(family)}, value ${String(value)}`)
  }
  if (family === 4) return format4(value)
  if (value >> 32n === 0xffffn) return `::ffff:${format4(value & 0xffffffffn)}`
  const groups: number[] = []
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn))
  let best = -1
  let bestLen = 1 // RFC 5952 §4.2.2: never compress a single zero group.
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) [best, bestLen] = [i, j - i]
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (best < 0) return hex.join(':')
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`
}

function format4(v: bigint): string {
  const n = Number(v)
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
}
