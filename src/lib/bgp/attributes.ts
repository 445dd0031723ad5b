// Path attributes (RFC 4271 4.3/5, 1997, 8092, 4760, 6793) with RFC 7606 error handling: every problem becomes a
// BgpProtocolError whose action says what the session does; the worst action of an UPDATE wins.
import {ACTION_RANK, BgpProtocolError, ErrorCode, type Rfc7606Action, UpdateSubcode} from './errors.js'
import {AFI, decodeNlri, familyOfAfi, formatIPv4, formatIPv6, parseIPv4, parseIPv6} from './prefixes.js'
import {AS_TRANS, type AsPathSegment, type AsPathSegmentType, type CodecContext, type PathAttributes} from './types.js'

export const AttrType = {
  ORIGIN: 1, AS_PATH: 2, NEXT_HOP: 3, MED: 4, LOCAL_PREF: 5, ATOMIC_AGGREGATE: 6, AGGREGATOR: 7, COMMUNITIES: 8,
  ORIGINATOR_ID: 9, CLUSTER_LIST: 10, MP_REACH: 14, MP_UNREACH: 15, AS4_PATH: 17, AS4_AGGREGATOR: 18, LARGE_COMMUNITY: 32,
} as const

const OPTIONAL = 0x80
const TRANSITIVE = 0x40
const EXTENDED = 0x10

/** Optional and transitive bits each known attribute must carry. */
const EXPECTED_FLAGS: Record<number, number> = {
  1: TRANSITIVE, 2: TRANSITIVE, 3: TRANSITIVE, 4: OPTIONAL, 5: TRANSITIVE, 6: TRANSITIVE, 7: OPTIONAL | TRANSITIVE,
  8: OPTIONAL | TRANSITIVE, 9: OPTIONAL, 10: OPTIONAL, 14: OPTIONAL, 15: OPTIONAL, 17: OPTIONAL | TRANSITIVE,
  18: OPTIONAL | TRANSITIVE, 32: OPTIONAL | TRANSITIVE,
}

const SEGMENT_TYPES: Record<number, AsPathSegmentType> = {1: 'set', 2: 'sequence', 3: 'confed-sequence', 4: 'confed-set'}
const SEGMENT_CODES: Record<AsPathSegmentType, number> = {set: 1, sequence: 2, 'confed-sequence': 3, 'confed-set': 4}

export interface AttributesResult {
  attributes: PathAttributes
  /** Problems found, each with its RFC 7606 action. */
  problems: BgpProtocolError[]
  /** AS4_PATH as received, merged into asPath by the caller for 2-octet peers. */
  as4Path?: AsPathSegment[]
  as4Aggregator?: {asn: number; address: string}
}

export function worst(problems: BgpProtocolError[]): Rfc7606Action | undefined {
  let w: Rfc7606Action | undefined
  for (const p of problems) if (!w || ACTION_RANK[p.action] > ACTION_RANK[w]) w = p.action
  return w
}

function decodeAsPath(v: Buffer, asSize: 2 | 4): AsPathSegment[] | null {
  const segs: AsPathSegment[] = []
  let off = 0
  while (off < v.length) {
    if (v.length - off < 2) return null
    const type = SEGMENT_TYPES[v[off]]
    const count = v[off + 1]
    if (!type || count === 0 || off + 2 + count * asSize > v.length) return null
    const asns: number[] = []
    for (let i = 0; i < count; i++) asns.push(asSize === 4 ? v.readUInt32BE(off + 2 + 4 * i) : v.readUInt16BE(off + 2 + 2 * i))
    segs.push({type, asns})
    off += 2 + count * asSize
  }
  return segs
}

function decodeMpNextHops(afi: number, v: Buffer): string[] | null {
  if (afi === AFI.IPV4 && v.length === 4) return [formatIPv4(v)]
  if (v.length === 16) return [formatIPv6(v)]
  if (v.length === 32) return [formatIPv6(v), formatIPv6(v, 16)]
  return null
}

/** Decode the path attributes field [start, end). `ctx` says whether AS numbers are 2 or 4 octets. */
export function decodeAttributes(buf: Buffer, start: number, end: number, ctx: CodecContext): AttributesResult {
  const a: PathAttributes = {}
  const problems: BgpProtocolError[] = []
  const seen = new Set<number>()
  const res: AttributesResult = {attributes: a, problems}
  const asSize = ctx.fourOctetAs === false ? 2 : 4
  let off = start
  while (off < end) {
    if (end - off < 3 || (buf[off] & EXTENDED && end - off < 4)) {
      // RFC 7606 4: a truncated attribute header: treat-as-withdraw.
      problems.push(new BgpProtocolError(ErrorCode.UPDATE, UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'path attribute header truncated', {action: 'treat-as-withdraw'}))
      break
    }
    const flags = buf[off]
    const type = buf[off + 1]
    const ext = (flags & EXTENDED) !== 0
    const len = ext ? buf.readUInt16BE(off + 2) : buf[off + 2]
    const hdr = ext ? 4 : 3
    if (off + hdr + len > end) {
      problems.push(new BgpProtocolError(ErrorCode.UPDATE, UpdateSubcode.ATTRIBUTE_LENGTH, `attribute ${type} length ${len} runs past the attributes`, {
        action: 'treat-as-withdraw', attributeType: type,
      }))
      break
    }
    const v = buf.subarray(off + hdr, off + hdr + len)
    const whole = Buffer.from(buf.subarray(off, off + hdr + len))
    off += hdr + len
    const fail = (sub: number, action: Rfc7606Action, reason: string) =>
      problems.push(new BgpProtocolError(ErrorCode.UPDATE, sub, reason, {data: whole, action, attributeType: type}))
    if (seen.has(type)) {
      // RFC 7606 3g: a repeated MP_REACH/MP_UNREACH resets the session; other repeats are discarded.
      if (type === AttrType.MP_REACH || type === AttrType.MP_UNREACH) fail(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'session-reset', `attribute ${type} appears twice`)
      else fail(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'attribute-discard', `attribute ${type} appears twice`)
      continue
    }
    seen.add(type)
    const expected = EXPECTED_FLAGS[type]
    if (expected === undefined) {
      if (!(flags & OPTIONAL)) {
        fail(UpdateSubcode.UNRECOGNIZED_WELL_KNOWN, 'session-reset', `unrecognized well-known attribute ${type}`)
        continue
      }
      ;(a.unknown ??= []).push({typeCode: type, flags, value: Buffer.from(v)})
      continue
    }
    if ((flags & (OPTIONAL | TRANSITIVE)) !== expected) {
      // RFC 7606 3c: conflicting flags mean the attribute is malformed.
      const act: Rfc7606Action = type === AttrType.MP_REACH || type === AttrType.MP_UNREACH ? 'session-reset'
        : type === AttrType.AS4_PATH || type === AttrType.AS4_AGGREGATOR || type === AttrType.ATOMIC_AGGREGATE || type === AttrType.AGGREGATOR ? 'attribute-discard'
          : 'treat-as-withdraw'
      fail(UpdateSubcode.ATTRIBUTE_FLAGS, act, `attribute ${type} flags 0x${flags.toString(16)}`)
      continue
    }
    switch (type) {
      case AttrType.ORIGIN:
        if (len !== 1) fail(UpdateSubcode.ATTRIBUTE_LENGTH, 'treat-as-withdraw', `ORIGIN length ${len}`)
        else if (v[0] > 2) fail(UpdateSubcode.INVALID_ORIGIN, 'treat-as-withdraw', `ORIGIN value ${v[0]}`)
        else a.origin = v[0]
        break
      case AttrType.AS_PATH: {
        const p = decodeAsPath(v, asSize)
        if (!p) fail(UpdateSubcode.MALFORMED_AS_PATH, 'treat-as-withdraw', 'AS_PATH segments malformed')
        else a.asPath = p
        break
      }
      case AttrType.NEXT_HOP:
        if (len !== 4) fail(UpdateSubcode.ATTRIBUTE_LENGTH, 'treat-as-withdraw', `NEXT_HOP length ${len}`)
        else if (v[0] === 0 || v[0] >= 224) fail(UpdateSubcode.INVALID_NEXT_HOP, 'treat-as-withdraw', `NEXT_HOP ${formatIPv4(v)} is not a unicast address`)
        else a.nextHop = formatIPv4(v)
        break
      case AttrType.MED:
        if (len !== 4) fail(UpdateSubcode.ATTRIBUTE_LENGTH, 'treat-as-withdraw', `MULTI_EXIT_DISC length ${len}`)
        else a.med = v.readUInt32BE(0)
        break
      case AttrType.LOCAL_PREF:
        if (ctx.ebgp) fail(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'attribute-discard', 'LOCAL_PREF from an external peer')
        else if (len !== 4) fail(UpdateSubcode.ATTRIBUTE_LENGTH, 'treat-as-withdraw', `LOCAL_PREF length ${len}`)
        else a.localPref = v.readUInt32BE(0)
        break
      case AttrType.ATOMIC_AGGREGATE:
        if (len !== 0) fail(UpdateSubcode.ATTRIBUTE_LENGTH, 'attribute-discard', `ATOMIC_AGGREGATE length ${len}`)
        else a.atomicAggregate = true
        break
      case AttrType.AGGREGATOR:
        if (len !== asSize + 4) fail(UpdateSubcode.ATTRIBUTE_LENGTH, 'attribute-discard', `AGGREGATOR length ${len}`)
        else a.aggregator = {asn: asSize === 4 ? v.readUInt32BE(0) : v.readUInt16BE(0), address: formatIPv4(v, asSize)}
        break
      case AttrType.COMMUNITIES:
        if (len === 0 || len % 4) fail(UpdateSubcode.OPTIONAL_ATTRIBUTE, 'treat-as-withdraw', `COMMUNITIES length ${len} is not a multiple of 4`)
        else {
          const cs: number[] = []
          for (let i = 0; i < len; i += 4) cs.push(v.readUInt32BE(i))
          a.communities = cs
        }
        break
      case AttrType.LARGE_COMMUNITY:
        if (len === 0 || len % 12) fail(UpdateSubcode.OPTIONAL_ATTRIBUTE, 'treat-as-withdraw', `LARGE_COMMUNITY length ${len} is not a multiple of 12`)
        else {
          const ls: [number, number, number][] = []
          for (let i = 0; i < len; i += 12) ls.push([v.readUInt32BE(i), v.readUInt32BE(i + 4), v.readUInt32BE(i + 8)])
          a.largeCommunities = ls
        }
        break
      case AttrType.ORIGINATOR_ID:
      case AttrType.CLUSTER_LIST:
        if ((type === AttrType.ORIGINATOR_ID && len !== 4) || (type === AttrType.CLUSTER_LIST && (len === 0 || len % 4))) {
          fail(UpdateSubcode.ATTRIBUTE_LENGTH, 'treat-as-withdraw', `attribute ${type} length ${len}`)
        } else (a.unknown ??= []).push({typeCode: type, flags, value: Buffer.from(v)})
        break
      case AttrType.MP_REACH: {
        // RFC 7606 7.11: when the next hop length is wrong the NLRI cannot be located: session reset.
        if (len < 5) { fail(UpdateSubcode.OPTIONAL_ATTRIBUTE, 'session-reset', `MP_REACH_NLRI length ${len}`); break }
        const afi = v.readUInt16BE(0)
        const safi = v[2]
        const nhLen = v[3]
        if (4 + nhLen + 1 > len) { fail(UpdateSubcode.OPTIONAL_ATTRIBUTE, 'session-reset', `MP_REACH_NLRI next hop length ${nhLen} runs past the attribute`); break }
        const nhBytes = v.subarray(4, 4 + nhLen)
        const nlriStart = 5 + nhLen
        const fam = familyOfAfi(afi, safi)
        // Kept verbatim from the next hop length on, so that encoding writes back exactly these bytes.
        if (!fam) { a.mpReach = {afi, safi, nextHops: [], nlri: [], raw: Buffer.from(v.subarray(3))}; break }
        const nextHops = decodeMpNextHops(afi, nhBytes)
        if (!nextHops) { fail(UpdateSubcode.OPTIONAL_ATTRIBUTE, 'session-reset', `MP_REACH_NLRI next hop length ${nhLen} for AFI ${afi}`); break }
        const nlri = decodeNlri(v, nlriStart, v.length, fam)
        if (!nlri) { fail(UpdateSubcode.OPTIONAL_ATTRIBUTE, 'session-reset', 'MP_REACH_NLRI prefixes malformed'); break }
        a.mpReach = {afi, safi, nextHops, nlri}
        break
      }
      case AttrType.MP_UNREACH: {
        if (len < 3) { fail(UpdateSubcode.OPTIONAL_ATTRIBUTE, 'session-reset', `MP_UNREACH_NLRI length ${len}`); break }
        const afi = v.readUInt16BE(0)
        const safi = v[2]
        const fam = familyOfAfi(afi, safi)
        if (!fam) { a.mpUnreach = {afi, safi, withdrawn: [], raw: Buffer.from(v.subarray(3))}; break }
        const w = decodeNlri(v, 3, v.length, fam)
        if (!w) { fail(UpdateSubcode.OPTIONAL_ATTRIBUTE, 'session-reset', 'MP_UNREACH_NLRI prefixes malformed'); break }
        a.mpUnreach = {afi, safi, withdrawn: w}
        break
      }
      case AttrType.AS4_PATH: {
        // RFC 6793 5 / RFC 7606 7.7: malformed AS4_PATH is discarded; from a 4-octet speaker it is ignored.
        if (ctx.fourOctetAs !== false) break
        const p = decodeAsPath(v, 4)
        if (!p || p.some((s) => s.type.startsWith('confed'))) fail(UpdateSubcode.MALFORMED_AS_PATH, 'attribute-discard', 'AS4_PATH malformed')
        else res.as4Path = p
        break
      }
      case AttrType.AS4_AGGREGATOR:
        if (ctx.fourOctetAs !== false) break
        if (len !== 8) fail(UpdateSubcode.ATTRIBUTE_LENGTH, 'attribute-discard', `AS4_AGGREGATOR length ${len}`)
        else res.as4Aggregator = {asn: v.readUInt32BE(0), address: formatIPv4(v, 4)}
        break
    }
  }
  return res
}

const pathLength = (p: AsPathSegment[]) => p.reduce((n, s) => n + (s.type === 'sequence' ? s.asns.length : s.type === 'set' ? 1 : 0), 0)

/** RFC 6793 4.2.3: rebuild the 4-octet path from a 2-octet AS_PATH and an AS4_PATH. */
export function mergeAs4Path(asPath: AsPathSegment[], as4: AsPathSegment[]): AsPathSegment[] {
  const n = pathLength(asPath) - pathLength(as4)
  if (n < 0) return asPath
  const lead: AsPathSegment[] = []
  let left = n
  for (const s of asPath) {
    if (left <= 0) break
    if (s.type === 'sequence') {
      const take = s.asns.slice(0, left)
      lead.push({type: 'sequence', asns: take})
      left -= take.length
    } else if (s.type === 'set') {
      lead.push(s)
      left -= 1
    } else lead.push(s)
  }
  return [...lead, ...as4]
}

function attr(flags: number, type: number, value: Buffer): Buffer {
  if (value.length > 255) {
    const h = Buffer.from([flags | EXTENDED, type, value.length >> 8, value.length & 0xff])
    return Buffer.concat([h, value])
  }
  return Buffer.concat([Buffer.from([flags, type, value.length]), value])
}

function encodeAsPath(segs: AsPathSegment[], asSize: 2 | 4, mapTrans: boolean): Buffer {
  const parts: Buffer[] = []
  for (const s of segs) {
    for (let i = 0; i < s.asns.length; i += 255) {
      const chunk = s.asns.slice(i, i + 255)
      const b = Buffer.alloc(2 + chunk.length * asSize)
      b[0] = SEGMENT_CODES[s.type]
      b[1] = chunk.length
      chunk.forEach((asn, j) => {
        if (asSize === 4) b.writeUInt32BE(asn >>> 0, 2 + 4 * j)
        else b.writeUInt16BE(mapTrans && asn > 0xffff ? AS_TRANS : asn & 0xffff, 2 + 2 * j)
      })
      parts.push(b)
    }
  }
  return Buffer.concat(parts)
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n >>> 0)
  return b
}

/**
 * Encode attributes in type-code order. MP_REACH goes first (RFC 7606 5.1 asks for it), its NLRI given separately
 * as encoded bytes. Toward a 2-octet peer, 4-octet ASNs become AS_TRANS plus AS4_PATH / AS4_AGGREGATOR.
 */
export function encodeAttributes(a: PathAttributes, ctx: CodecContext, mpReachNlri?: Buffer, mpUnreachNlri?: Buffer): Buffer {
  const four = ctx.fourOctetAs !== false
  const out: Buffer[] = []
  if (a.mpReach?.raw) {
    // A family this codec does not parse: next hop length, next hop, reserved octet and NLRI as received.
    out.push(attr(OPTIONAL, AttrType.MP_REACH, Buffer.concat([Buffer.from([a.mpReach.afi >> 8, a.mpReach.afi & 0xff, a.mpReach.safi]), a.mpReach.raw])))
  } else if (a.mpReach) {
    const nh = Buffer.concat(a.mpReach.nextHops.map((h) => (a.mpReach!.afi === AFI.IPV4 && !h.includes(':') ? parseIPv4(h) : parseIPv6(h)) ?? Buffer.alloc(0)))
    const head = Buffer.from([a.mpReach.afi >> 8, a.mpReach.afi & 0xff, a.mpReach.safi, nh.length])
    out.push(attr(OPTIONAL, AttrType.MP_REACH, Buffer.concat([head, nh, Buffer.from([0]), mpReachNlri ?? Buffer.alloc(0)])))
  }
  if (a.mpUnreach) {
    const head = Buffer.from([a.mpUnreach.afi >> 8, a.mpUnreach.afi & 0xff, a.mpUnreach.safi])
    out.push(attr(OPTIONAL, AttrType.MP_UNREACH, Buffer.concat([head, mpUnreachNlri ?? a.mpUnreach.raw ?? Buffer.alloc(0)])))
  }
  if (a.origin !== undefined) out.push(attr(TRANSITIVE, AttrType.ORIGIN, Buffer.from([a.origin])))
  if (a.asPath) out.push(attr(TRANSITIVE, AttrType.AS_PATH, encodeAsPath(a.asPath, four ? 4 : 2, true)))
  if (a.nextHop !== undefined) out.push(attr(TRANSITIVE, AttrType.NEXT_HOP, parseIPv4(a.nextHop) ?? Buffer.alloc(4)))
  if (a.med !== undefined) out.push(attr(OPTIONAL, AttrType.MED, u32(a.med)))
  if (a.localPref !== undefined) out.push(attr(TRANSITIVE, AttrType.LOCAL_PREF, u32(a.localPref)))
  if (a.atomicAggregate) out.push(attr(TRANSITIVE, AttrType.ATOMIC_AGGREGATE, Buffer.alloc(0)))
  if (a.aggregator) {
    const big = a.aggregator.asn > 0xffff
    const v = Buffer.alloc(four ? 8 : 6)
    if (four) v.writeUInt32BE(a.aggregator.asn >>> 0)
    else v.writeUInt16BE(big ? AS_TRANS : a.aggregator.asn)
    ;(parseIPv4(a.aggregator.address) ?? Buffer.alloc(4)).copy(v, four ? 4 : 2)
    out.push(attr(OPTIONAL | TRANSITIVE, AttrType.AGGREGATOR, v))
  }
  if (a.communities?.length) out.push(attr(OPTIONAL | TRANSITIVE, AttrType.COMMUNITIES, Buffer.concat(a.communities.map(u32))))
  if (!four && a.asPath && a.asPath.some((s) => s.asns.some((x) => x > 0xffff))) {
    // RFC 6793 4.2.2: confederation segments are not carried in AS4_PATH.
    const segs = a.asPath.filter((s) => !s.type.startsWith('confed'))
    out.push(attr(OPTIONAL | TRANSITIVE, AttrType.AS4_PATH, encodeAsPath(segs, 4, false)))
  }
  if (!four && a.aggregator && a.aggregator.asn > 0xffff) {
    const v = Buffer.alloc(8)
    v.writeUInt32BE(a.aggregator.asn >>> 0)
    ;(parseIPv4(a.aggregator.address) ?? Buffer.alloc(4)).copy(v, 4)
    out.push(attr(OPTIONAL | TRANSITIVE, AttrType.AS4_AGGREGATOR, v))
  }
  if (a.largeCommunities?.length) {
    out.push(attr(OPTIONAL | TRANSITIVE, AttrType.LARGE_COMMUNITY, Buffer.concat(a.largeCommunities.flatMap((l) => l.map(u32)))))
  }
  for (const u of a.unknown ?? []) out.push(attr(u.flags & ~EXTENDED, u.typeCode, u.value))
  return Buffer.concat(out)
}
