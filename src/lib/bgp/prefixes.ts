// Addresses and NLRI prefixes for the codec: text ⇄ bytes, pure. Prefixes are canonical text ("203.0.113.0/24",
// "2001:db8:ffff::/48") so they can be map keys; host bits are cleared on decode. Address families are src/lib/net's
// 4 | 6; AFI/SAFI codes appear only here, where the wire needs them.
import type {Family} from '../net/ip.js'

export const AFI = {IPV4: 1, IPV6: 2} as const
export const SAFI = {UNICAST: 1} as const

/** The AFI of a family (RFC 4760 / IANA address family numbers). */
export const FAMILY_AFI: Readonly<Record<Family, number>> = {4: AFI.IPV4, 6: AFI.IPV6}

/** The family of an AFI/SAFI pair this codec parses (unicast IPv4 or IPv6), or undefined. */
export function familyOfAfi(afi: number, safi: number): Family | undefined {
  if (safi !== SAFI.UNICAST) return undefined
  return afi === AFI.IPV4 ? 4 : afi === AFI.IPV6 ? 6 : undefined
}

/** A family as routers name it in their CLIs and as lbctl prints it ("ipv4", "ipv6"). */
export const familyName = (f: Family): 'ipv4' | 'ipv6' => (f === 4 ? 'ipv4' : 'ipv6')

export function parseIPv4(s: string): Buffer | null {
  // Hand-rolled: route sets of 100,000 prefixes are parsed on every change.
  const out = Buffer.allocUnsafe(4)
  let part = 0
  let val = 0
  let digits = 0
  for (let i = 0; i <= s.length; i++) {
    const c = i === s.length ? 46 : s.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || part > 3) return null
      out[part++] = val
      val = 0
      digits = 0
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && val === 0) return null // leading zero
      val = val * 10 + (c - 48)
      if (++digits > 3 || val > 255) return null
    } else return null
  }
  return part === 4 ? out : null
}

/** The original, regex-based parser, kept as the reference the fast one is tested against. */
export function parseIPv4Slow(s: string): Buffer | null {
  const parts = s.split('.')
  if (parts.length !== 4) return null
  const out = Buffer.alloc(4)
  for (let i = 0; i < 4; i++) {
    const p = parts[i]
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return null
    const v = Number(p)
    if (v > 255) return null
    out[i] = v
  }
  return out
}

export function parseIPv6(s: string): Buffer | null {
  if (s.includes('%')) return null
  let tail4: Buffer | null = null
  let str = s
  const lastColon = s.lastIndexOf(':')
  if (s.includes('.', lastColon)) {
    tail4 = parseIPv4(s.slice(lastColon + 1))
    if (!tail4) return null
    str = s.slice(0, lastColon + 1) + '0:0'
  }
  const halves = str.split('::')
  if (halves.length > 2) return null
  const words = (h: string): number[] | null => {
    if (h === '') return []
    const out: number[] = []
    for (const w of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return null
      out.push(parseInt(w, 16))
    }
    return out
  }
  const a = words(halves[0])
  const b = halves.length === 2 ? words(halves[1]) : []
  if (!a || !b) return null
  if (halves.length === 1 && a.length !== 8) return null
  if (halves.length === 2 && a.length + b.length > 7) return null
  const all = [...a, ...new Array(8 - a.length - b.length).fill(0), ...b]
  const out = Buffer.alloc(16)
  all.forEach((w, i) => out.writeUInt16BE(w, i * 2))
  if (tail4) tail4.copy(out, 12)
  return out
}

export function parseIP(s: string): {family: Family; bytes: Buffer} | null {
  const v4 = parseIPv4(s)
  if (v4) return {family: 4, bytes: v4}
  const v6 = parseIPv6(s)
  return v6 ? {family: 6, bytes: v6} : null
}

export function formatIPv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`
}

/** RFC 5952 text: lower case, longest run (≥ 2) of zero words compressed, first one on a tie. */
export function formatIPv6(b: Uint8Array, off = 0): string {
  const w: number[] = []
  for (let i = 0; i < 8; i++) w.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1])
  let bestStart = -1
  let bestLen = 0
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && w[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i }
    i = j
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':')
  if (bestStart < 0) return hex(w)
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`
}

export interface ParsedPrefix {
  family: Family
  /** Address bytes with host bits cleared (4 or 16). */
  bytes: Buffer
  len: number
}

/** Parse "a.b.c.d/n" or "x::/n"; a bare address is a host prefix. Host bits must be zero unless `lenient`. */
export function parsePrefix(s: string, lenient = false): ParsedPrefix | null {
  const slash = s.indexOf('/')
  const addr = slash < 0 ? s : s.slice(0, slash)
  const ip = parseIP(addr)
  if (!ip) return null
  const max = ip.family === 4 ? 32 : 128
  let len = max
  if (slash >= 0) {
    const n = s.length - slash - 1
    if (n < 1 || n > 3) return null
    len = 0
    for (let i = slash + 1; i < s.length; i++) {
      const c = s.charCodeAt(i)
      if (c < 48 || c > 57) return null
      len = len * 10 + (c - 48)
    }
    if (len > max) return null
  }
  if (len === max) return {family: ip.family, bytes: ip.bytes, len}
  const masked = maskBytes(ip.bytes, len)
  if (!lenient && !masked.equals(ip.bytes)) return null
  return {family: ip.family, bytes: masked, len}
}

function maskBytes(bytes: Buffer, len: number): Buffer {
  const out = Buffer.from(bytes)
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, len - i * 8))
    out[i] &= (0xff << (8 - bits)) & 0xff
  }
  return out
}

export function formatPrefix(family: Family, bytes: Uint8Array, len: number): string {
  return `${family === 4 ? formatIPv4(bytes) : formatIPv6(bytes)}/${len}`
}

/** Canonical text of a prefix ("203.0.113.7/32"), or null when it does not parse. */
export function canonicalPrefix(s: string): string | null {
  const p = parsePrefix(s)
  return p ? formatPrefix(p.family, p.bytes, p.len) : null
}

export function prefixFamily(prefix: string): Family {
  return prefix.includes(':') ? 6 : 4
}

/** NLRI encoding (RFC 4271 4.3): length in bits, then the fewest octets that hold it. */
export function encodeNlri(prefix: string): Buffer {
  const p = parsePrefix(prefix, true)
  if (!p) throw new RangeError(`not a prefix: ${prefix}`)
  return nlriOf(p)
}

export function nlriOf(p: ParsedPrefix): Buffer {
  const n = (p.len + 7) >> 3
  // allocUnsafe takes small buffers from Node's shared pool: a table of 100,000 prefixes is 100,000 of these.
  const out = Buffer.allocUnsafe(1 + n)
  out[0] = p.len
  p.bytes.copy(out, 1, 0, n)
  return out
}

/**
 * Decode a run of NLRI prefixes. Returns null when a length is out of range or runs past the end
 * (RFC 7606 5.3: the caller resets the session, since the rest cannot be located reliably).
 */
export function decodeNlri(buf: Buffer, start: number, end: number, family: Family): string[] | null {
  const max = family === 4 ? 32 : 128
  const size = max / 8
  const out: string[] = []
  const tmp = Buffer.alloc(size)
  let off = start
  while (off < end) {
    const len = buf[off]
    if (len > max) return null
    const n = (len + 7) >> 3
    if (off + 1 + n > end) return null
    tmp.fill(0)
    buf.copy(tmp, 0, off + 1, off + 1 + n)
    if (len & 7) tmp[n - 1] &= (0xff << (8 - (len & 7))) & 0xff
    out.push(formatPrefix(family, tmp, len))
    off += 1 + n
  }
  return out
}
