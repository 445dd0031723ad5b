// UPDATE (RFC 4271 4.3) decode/encode, End-of-RIB (RFC 4724 2) and packing many prefixes into few UPDATEs.
import {decodeAttributes, encodeAttributes, mergeAs4Path, worst} from './attributes.js'
import {BgpProtocolError, ErrorCode, UpdateSubcode} from './errors.js'
import {frame} from './header.js'
import type {Family} from '../net/ip.js'
import {decodeNlri, encodeNlri, FAMILY_AFI, familyOfAfi, SAFI} from './prefixes.js'
import {type CodecContext, HEADER_LENGTH, MessageType, type PathAttributes, type UpdateMessage} from './types.js'

const sessionReset = (sub: number, reason: string) => new BgpProtocolError(ErrorCode.UPDATE, sub, reason, {action: 'session-reset'})

/**
 * Decode an UPDATE body. A valid message may carry `discarded` attributes; a treat-as-withdraw problem comes back as
 * the error, with `withdraw` listing every prefix of the UPDATE; session-reset problems come back as the error.
 */
export function decodeUpdateBody(buf: Buffer, start: number, end: number, ctx: CodecContext): UpdateMessage | BgpProtocolError {
  if (end - start < 4) return sessionReset(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, 'UPDATE shorter than its length fields')
  const wlen = buf.readUInt16BE(start)
  if (start + 2 + wlen + 2 > end) return sessionReset(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, `withdrawn routes length ${wlen} runs past the message`)
  const withdrawn = decodeNlri(buf, start + 2, start + 2 + wlen, 4)
  if (!withdrawn) return sessionReset(UpdateSubcode.INVALID_NETWORK_FIELD, 'withdrawn routes malformed')
  const aStart = start + 4 + wlen
  const tal = buf.readUInt16BE(start + 2 + wlen)
  if (aStart + tal > end) return sessionReset(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, `total path attribute length ${tal} runs past the message`)
  const nlri = decodeNlri(buf, aStart + tal, end, 4)
  if (!nlri) return sessionReset(UpdateSubcode.INVALID_NETWORK_FIELD, 'NLRI malformed')
  const r = decodeAttributes(buf, aStart, aStart + tal, ctx)
  const a = r.attributes
  if (ctx.fourOctetAs === false) {
    if (r.as4Path && a.asPath) a.asPath = mergeAs4Path(a.asPath, r.as4Path)
    if (r.as4Aggregator && a.aggregator?.asn === 23456) a.aggregator = r.as4Aggregator
  }
  const reach = nlri.length > 0 || (a.mpReach?.nlri.length ?? 0) > 0
  if (reach && tal > 0) {
    // RFC 7606 3d: a missing well-known mandatory attribute is treat-as-withdraw.
    const missing = (type: number, name: string) => {
      if (!r.problems.some((p) => p.attributeType === type)) {
        r.problems.push(new BgpProtocolError(ErrorCode.UPDATE, UpdateSubcode.MISSING_WELL_KNOWN, `${name} missing`, {
          data: Buffer.from([type]), action: 'treat-as-withdraw', attributeType: type,
        }))
      }
    }
    if (a.origin === undefined) missing(1, 'ORIGIN')
    if (a.asPath === undefined) missing(2, 'AS_PATH')
    if (nlri.length > 0 && a.nextHop === undefined) missing(3, 'NEXT_HOP')
  } else if (nlri.length > 0) {
    r.problems.push(new BgpProtocolError(ErrorCode.UPDATE, UpdateSubcode.MISSING_WELL_KNOWN, 'NLRI without path attributes', {
      data: Buffer.from([1]), action: 'treat-as-withdraw', attributeType: 1,
    }))
  }
  const w = worst(r.problems)
  if (w === 'session-reset') return r.problems.find((p) => p.action === 'session-reset')!
  if (w === 'treat-as-withdraw') {
    const e = r.problems.find((p) => p.action === 'treat-as-withdraw')!
    e.withdraw = [...withdrawn, ...nlri, ...(a.mpReach?.nlri ?? []), ...(a.mpUnreach?.withdrawn ?? [])]
    return e
  }
  const m: UpdateMessage = {type: 'update', withdrawn, attributes: a, nlri}
  if (r.problems.length) m.discarded = r.problems
  return m
}

export function encodeUpdate(m: UpdateMessage, ctx: CodecContext = {}): Buffer {
  const wd = Buffer.concat(m.withdrawn.map(encodeNlri))
  const mpR = m.attributes.mpReach && !m.attributes.mpReach.raw ? Buffer.concat(m.attributes.mpReach.nlri.map(encodeNlri)) : undefined
  const mpU = m.attributes.mpUnreach && !m.attributes.mpUnreach.raw ? Buffer.concat(m.attributes.mpUnreach.withdrawn.map(encodeNlri)) : undefined
  const attrs = encodeAttributes(m.attributes, ctx, mpR, mpU)
  const nlri = Buffer.concat(m.nlri.map(encodeNlri))
  const body = Buffer.alloc(4 + wd.length + attrs.length + nlri.length)
  body.writeUInt16BE(wd.length, 0)
  wd.copy(body, 2)
  body.writeUInt16BE(attrs.length, 2 + wd.length)
  attrs.copy(body, 4 + wd.length)
  nlri.copy(body, 4 + wd.length + attrs.length)
  return frame(MessageType.UPDATE, body)
}


/** End-of-RIB: an empty UPDATE for IPv4 unicast, an empty MP_UNREACH_NLRI for the others (RFC 4724 2). */
export function endOfRib(family: Family): Buffer {
  if (family === 4) return encodeUpdate({type: 'update', withdrawn: [], attributes: {}, nlri: []})
  return encodeUpdate({type: 'update', withdrawn: [], nlri: [], attributes: {mpUnreach: {afi: FAMILY_AFI[family], safi: SAFI.UNICAST, withdrawn: []}}})
}

export function isEndOfRib(m: UpdateMessage): Family | undefined {
  const a = m.attributes
  if (m.withdrawn.length || m.nlri.length) return undefined
  if (Object.keys(a).length === 0) return 4
  if (Object.keys(a).length === 1 && a.mpUnreach && !a.mpUnreach.raw && a.mpUnreach.withdrawn.length === 0 && a.mpUnreach.safi === SAFI.UNICAST) {
    return familyOfAfi(a.mpUnreach.afi, a.mpUnreach.safi)
  }
  return undefined
}

type Run = [from: number, to: number, octets: number]

/** [from, to, octets] runs of `nlri` whose octets fit in `budget` each (at least one prefix per run). */
function ranges(nlri: Buffer[], budget: number): Run[] {
  const out: Run[] = []
  let from = 0
  let size = 0
  for (let i = 0; i < nlri.length; i++) {
    const n = nlri[i].length
    if (size + n > budget && i > from) {
      out.push([from, i, size])
      from = i
      size = 0
    }
    size += n
  }
  if (nlri.length > from) out.push([from, nlri.length, size])
  return out
}

/** The same runs, as the prefixes' concatenated octets (for MP_REACH/MP_UNREACH_NLRI). */
const chunks = (nlri: Buffer[], budget: number): Buffer[] => ranges(nlri, budget).map(([from, to]) => Buffer.concat(nlri.slice(from, to)))

/** Copy small buffers byte by byte: for 2-17 octet prefixes this beats a copy call per prefix. */
function put(out: Buffer, off: number, bufs: Buffer[], from: number, to: number): number {
  for (let i = from; i < to; i++) {
    const b = bufs[i]
    for (let k = 0; k < b.length; k++) out[off++] = b[k]
  }
  return off
}

/**
 * One IPv4 UPDATE written straight into its final buffer: the run of `prefixes` as withdrawn routes when there are no
 * attributes, otherwise as the NLRI after `attrs`.
 */
function ipv4Update(prefixes: Buffer[], [from, to, size]: Run, attrs?: Buffer): Buffer {
  const withdrawnSize = attrs ? 0 : size
  const attrLength = attrs?.length ?? 0
  const length = HEADER_LENGTH + 2 + withdrawnSize + 2 + attrLength + (attrs ? size : 0)
  const out = Buffer.allocUnsafe(length)
  out.fill(0xff, 0, 16)
  out.writeUInt16BE(length, 16)
  out[18] = MessageType.UPDATE
  out.writeUInt16BE(withdrawnSize, HEADER_LENGTH)
  let off = attrs ? HEADER_LENGTH + 2 : put(out, HEADER_LENGTH + 2, prefixes, from, to)
  out.writeUInt16BE(attrLength, off)
  off += 2
  if (attrs) put(out, off + attrs.copy(out, off), prefixes, from, to)
  return out
}

/**
 * UPDATEs announcing `nlri` (already encoded with encodeNlri) with the same attributes, as few as fit in
 * `maxLength`. For IPv6, and for IPv4 with an IPv6 next hop (RFC 8950), the prefixes go into MP_REACH_NLRI with
 * `attributes.mpReach.nextHops`.
 */
export function packAnnouncements(family: Family, nlri: Buffer[], attributes: PathAttributes, ctx: CodecContext, maxLength: number): Buffer[] {
  if (family === 4 && !attributes.mpReach) {
    const attrs = encodeAttributes(attributes, ctx)
    return ranges(nlri, maxLength - HEADER_LENGTH - 4 - attrs.length).map((run) => ipv4Update(nlri, run, attrs))
  }
  // Size with an empty NLRI and the extended-length header (4 octets) the attribute may need.
  const empty = encodeAttributes(attributes, ctx, Buffer.alloc(0))
  const budget = maxLength - HEADER_LENGTH - 4 - empty.length - 1
  return chunks(nlri, budget).map((c) => {
    const attrs = encodeAttributes(attributes, ctx, c)
    const body = Buffer.alloc(4 + attrs.length)
    body.writeUInt16BE(attrs.length, 2)
    attrs.copy(body, 4)
    return frame(MessageType.UPDATE, body)
  })
}

/** UPDATEs withdrawing `nlri` (encoded): the withdrawn routes field for IPv4, MP_UNREACH_NLRI otherwise. */
export function packWithdrawals(family: Family, nlri: Buffer[], ctx: CodecContext, maxLength: number): Buffer[] {
  if (family === 4) {
    return ranges(nlri, maxLength - HEADER_LENGTH - 4).map((run) => ipv4Update(nlri, run))
  }
  const mp = {mpUnreach: {afi: FAMILY_AFI[family], safi: SAFI.UNICAST, withdrawn: []}}
  return chunks(nlri, maxLength - HEADER_LENGTH - 4 - 4 - 3 - 1).map((c) => {
    const attrs = encodeAttributes(mp, ctx, undefined, c)
    const body = Buffer.alloc(4 + attrs.length)
    body.writeUInt16BE(attrs.length, 2)
    attrs.copy(body, 4)
    return frame(MessageType.UPDATE, body)
  })
}
