// The address-list syntax of MetalLB's IPAddressPool `spec.addresses`: CIDRs, `start-end` ranges and (ours) bare
// addresses, separated by commas and/or whitespace. Every problem is collected before anything is thrown.
import {AddressListError, NetParseError, quote} from './errors.js'
import {formatIP, ipBits, parseIP, zoneError, zoneOf, type IP} from './ip.js'
import {formatRange, prefixRange, type IPRange} from './range.js'

export {AddressListError, NetParseError} from './errors.js'

/** One parsed list item: the range it covers, the text it came from, its form, and its canonical spelling. */
export interface ParsedRange extends IPRange {
  /** The item as written (trimmed). */
  token: string
  kind: 'cidr' | 'range' | 'single'
  /** formatRange of the range: `a/n` when it is one CIDR (a single address is /32 or /128), else `a-b`. */
  canonical: string
}

/**
 * Parse one item: `a.b.c.d/n`, `start-end` (spaces around '-' allowed), IPv6 in both forms, or one bare address.
 * @throws NetParseError naming the item, what is wrong and, when obvious, the fix.
 */
export function parseRange(token: string): ParsedRange {
  const t = token.trim()
  if (t === '') throw new NetParseError(t, 'is empty; expected a CIDR, a range or an address')
  const zone = zoneOf(t)
  if (zone !== undefined) throw zoneError(t, zone)
  if (/\/\s*-/.test(t)) {
    throw new NetParseError(t, 'has a negative prefix length', 'a prefix length is 0 to 32 (IPv4) or 0 to 128 (IPv6)')
  }
  if (t.includes('-')) return parseDashRange(t)
  if (t.includes('/')) return parseCidr(t)
  const ip = sub(t, t, '')
  return done(t, 'single', {family: ip.family, start: ip.value, end: ip.value})
}

function done(token: string, kind: ParsedRange['kind'], r: IPRange): ParsedRange {
  return {family: r.family, start: r.start, end: r.end, token, kind, canonical: formatRange(r)}
}

/** parseIP on part of an item, re-thrown so the error names the whole item and says which part is wrong. */
function sub(token: string, part: string, role: string): IP {
  try {
    return parseIP(part)
  } catch (e) {
    if (!(e instanceof NetParseError) || part === token) throw e
    throw new NetParseError(token, `${role} ${quote(part)}: ${e.reason}`, e.hint)
  }
}

function parseDashRange(t: string): ParsedRange {
  const parts = t.split('-').map((p) => p.trim())
  if (parts.length > 2) throw new NetParseError(t, `has ${parts.length - 1} "-"; a range is start-end`)
  const [a, b] = parts
  if (a === '') throw new NetParseError(t, 'range has no start address', `write the first address before the "-", or ${b} alone for one address`)
  if (b === '') {
    throw new NetParseError(t, 'range has no end address', `write the last address after the "-", or ${a} alone for one address`)
  }
  for (const [p, role] of [[a, 'start'], [b, 'end']] as const) {
    if (p.includes('/')) {
      throw new NetParseError(t, `range ${role} ${p} is a CIDR; the ends of a range are plain addresses`,
        'write either start-end or one CIDR a/n, not both')
    }
  }
  const start = sub(t, a, 'start')
  const end = sub(t, b, 'end')
  if (start.family !== end.family) {
    throw new NetParseError(t,
      `mixes IPv${start.family} start ${a} with IPv${end.family} end ${b}; a range is one family`)
  }
  if (start.value > end.value) {
    throw new NetParseError(t, `start ${formatIP(start)} is after end ${formatIP(end)}`,
      `write ${formatIP(end)}-${formatIP(start)}`)
  }
  return done(t, 'range', {family: start.family, start: start.value, end: end.value})
}

function parseCidr(t: string): ParsedRange {
  const parts = t.split('/')
  if (parts.length > 2) throw new NetParseError(t, `has ${parts.length - 1} "/"; a CIDR is address/length`)
  const [a, p] = parts
  if (a === '') throw new NetParseError(t, 'has no address before "/"')
  const ip = sub(t, a, 'address')
  const bits = ipBits(ip.family)
  if (p === '') throw new NetParseError(t, 'prefix length is missing after "/"', `write ${a}/${bits} for one address`)
  if (!/^\d+$/.test(p)) throw new NetParseError(t, `prefix length ${quote(p)} is not a number`)
  if (p.length > 1 && p[0] === '0') {
    throw new NetParseError(t, `prefix length ${quote(p)} has a leading zero`, `write ${a}/${Number(p)}`)
  }
  const len = Number(p)
  if (len > bits) {
    throw new NetParseError(t, `prefix length /${p} is too long for IPv${ip.family} (at most /${bits})`,
      ip.family === 4 && len <= 128 ? 'IPv4 prefixes are /0 to /32' : undefined)
  }
  const r = prefixRange(ip, len)
  if (r.start !== ip.value) {
    // MetalLB (net.ParseCIDR) would silently drop the host bits; a typo here usually means the wrong pool.
    const net = formatIP({family: ip.family, value: r.start})
    throw new NetParseError(t, `${formatIP(ip)}/${len} has host bits set`,
      `did you mean ${net}/${len} (or ${formatIP(ip)}/${bits} for one address)?`)
  }
  return done(t, 'cidr', r)
}

interface Item {
  text: string
  /** Set for an empty item: why it is empty, and the fix. */
  empty?: {reason: string; hint: string}
}

/** Split one string into items: commas separate, whitespace separates except around '-'. */
function tokenize(s: string): Item[] {
  const segs = s.split(',')
  if (segs.length === 1 && segs[0].trim() === '') return []
  const items: Item[][] = segs.map((seg) => {
    const words = [...seg.matchAll(/\S+/g)].map((m) => ({from: m.index, to: m.index + m[0].length}))
    const out: Item[] = []
    for (let i = 0; i < words.length; i++) {
      let j = i
      // `1.2.3.4 - 1.2.3.9` is one item: glue words across a '-' that ends one word or begins the next.
      while (j + 1 < words.length && (seg[words[j].to - 1] === '-' || seg[words[j + 1].from] === '-')) j++
      out.push({text: seg.slice(words[i].from, words[j].to)})
      i = j
    }
    return out
  })
  // Neighbours for the messages about empty items: the nearest non-empty item on each side.
  const after: Array<string | undefined> = []
  for (let k = items.length - 1, seen: string | undefined; k >= 0; k--) {
    after[k] = seen
    seen = items[k][0]?.text ?? seen
  }
  const flat: Item[] = []
  let before: string | undefined
  items.forEach((its, k) => {
    if (its.length > 0) {
      flat.push(...its)
      before = its[its.length - 1].text
      return
    }
    const next = after[k]
    const empty = before === undefined && next === undefined
      ? {reason: 'empty item (the list is only commas)', hint: 'remove the commas'}
      : before === undefined
      ? {reason: 'empty item before the first address (leading comma)', hint: 'remove the leading comma'}
      : next === undefined
        ? {reason: `empty item after ${quote(before)} (trailing comma)`, hint: 'remove the trailing comma'}
        : {reason: `empty item between ${quote(before)} and ${quote(next)} (two commas in a row)`,
          hint: 'remove one comma'}
    flat.push({text: '', empty})
  })
  return flat
}

/**
 * Parse an address list as MetalLB's IPAddressPool `addresses` accepts it, plus bare addresses. Items are separated
 * by commas and/or whitespace; each array element may itself be a list. An all-blank string is an empty list, but an
 * empty item between commas or an empty array element is an error.
 * @throws AddressListError listing every problem (each a NetParseError with `index`), not just the first.
 */
export function parseAddressList(input: string | string[]): ParsedRange[] {
  const {ranges, problems} = tryParseAddressList(input)
  if (problems.length > 0) throw new AddressListError(problems)
  return ranges
}

/**
 * Like parseAddressList, but returns every item it could read AND the problems, instead of throwing. A list written by
 * another tool with one bad entry still shows its good entries: safety checks (held addresses, overlaps) must count
 * them, and treat the bad ones as unknown rather than as empty.
 */
export function tryParseAddressList(input: string | string[]): {ranges: ParsedRange[]; problems: NetParseError[]} {
  const out: ParsedRange[] = []
  const problems: NetParseError[] = []
  const elements: unknown[] = Array.isArray(input) ? input : [input]
  let index = 0
  elements.forEach((el, e) => {
    if (typeof el !== 'string') {
      const type = el === null ? 'null' : typeof el
      problems.push(new NetParseError(String(el), `element ${e} is a ${type}, not a string`, undefined, index++))
      return
    }
    const items = tokenize(el)
    if (items.length === 0 && Array.isArray(input)) {
      problems.push(new NetParseError('', `element ${e} is empty`, 'remove it', index++))
    }
    for (const it of items) {
      const i = index++
      try {
        if (it.empty) throw new NetParseError('', it.empty.reason, it.empty.hint)
        out.push(parseRange(it.text))
      } catch (err) {
        if (!(err instanceof NetParseError)) throw err
        err.index = i
        problems.push(err)
      }
    }
  })
  return {ranges: out, problems}
}

/** ::ffff:0:0/96, the IPv4-mapped IPv6 addresses. */
const MAPPED_START = 0xffffn << 32n
const MAPPED_END = MAPPED_START + 0xffffffffn

/**
 * Pool addresses refuse IPv4-mapped IPv6 (`::ffff:a.b.c.d`): Go's net package (MetalLB, and so every tool that reads
 * the pool the Go way) takes it for the IPv4 address a.b.c.d, so the item would mean one thing to lbctl and another to
 * the cluster. Returns the problem for such an item, naming the IPv4 form; undefined for any other.
 */
export function ipv4MappedProblem(r: ParsedRange): NetParseError | undefined {
  for (const v of [r.start, r.end]) {
    if (r.family === 6 && v >= MAPPED_START && v <= MAPPED_END) {
      const v4 = formatIP({family: 4, value: v - MAPPED_START})
      return new NetParseError(r.token, `is an IPv4-mapped IPv6 address, which MetalLB reads as the IPv4 address ${v4}`, `write ${v4} (IPv4) instead`)
    }
  }
  return undefined
}

/** Pool addresses as the cluster reads them: tryParseAddressList, with IPv4-mapped IPv6 items as problems. */
export function tryParsePoolAddresses(input: string | string[]): {ranges: ParsedRange[]; problems: NetParseError[]} {
  const {ranges, problems} = tryParseAddressList(input)
  const ok: ParsedRange[] = []
  for (const r of ranges) {
    const p = ipv4MappedProblem(r)
    if (p) problems.push(p)
    else ok.push(r)
  }
  return {ranges: ok, problems}
}
