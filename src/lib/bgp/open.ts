// OPEN (RFC 4271 4.2), optional parameters (incl. RFC 9072 extended length), capabilities (RFC 5492) and the
// pure negotiation of what both sides support.
import {BgpProtocolError, ErrorCode, OpenSubcode} from './errors.js'
import {frame} from './header.js'
import type {Family} from '../net/ip.js'
import {AFI, FAMILY_AFI, familyName, familyOfAfi, formatIPv4, parseIPv4, SAFI} from './prefixes.js'
import {AS_TRANS, type Capability, MessageType, type NotificationMessage, type OpenMessage} from './types.js'

export const CapabilityCode = {
  MULTIPROTOCOL: 1, ROUTE_REFRESH: 2, EXTENDED_NEXT_HOP: 5, EXTENDED_MESSAGE: 6, GRACEFUL_RESTART: 64, FOUR_OCTET_AS: 65,
  ENHANCED_ROUTE_REFRESH: 70,
} as const

/** A capability's code (RFC 5492). */
export function capabilityCode(c: Capability): number {
  switch (c.kind) {
    case 'multiprotocol': return CapabilityCode.MULTIPROTOCOL
    case 'route-refresh': return CapabilityCode.ROUTE_REFRESH
    case 'enhanced-route-refresh': return CapabilityCode.ENHANCED_ROUTE_REFRESH
    case 'extended-message': return CapabilityCode.EXTENDED_MESSAGE
    case 'extended-next-hop': return CapabilityCode.EXTENDED_NEXT_HOP
    case 'four-octet-as': return CapabilityCode.FOUR_OCTET_AS
    case 'graceful-restart': return CapabilityCode.GRACEFUL_RESTART
    case 'unknown': return c.code
  }
}

/**
 * The capabilities of `offered` that a NOTIFICATION refuses: for 2/7 (Unsupported Capability) its data holds the
 * refused capabilities as code/length/value tuples (RFC 5492 3); a tuple that runs past the end ends the list. Codes we
 * did not offer are left out (a strict peer may list what it misses from us instead: nothing to drop then).
 */
export function refusedCapabilities(m: NotificationMessage, offered: OpenMessage): number[] {
  if (m.code !== ErrorCode.OPEN || m.subcode !== OpenSubcode.UNSUPPORTED_CAPABILITY) return []
  const ours = new Set(offered.capabilities.map(capabilityCode))
  const codes = new Set<number>()
  for (let off = 0; off + 2 <= m.data.length && off + 2 + m.data[off + 1] <= m.data.length; off += 2 + m.data[off + 1]) {
    if (ours.has(m.data[off])) codes.add(m.data[off])
  }
  return [...codes]
}

function encodeCapability(c: Capability): Buffer {
  let code: number
  let value: Buffer
  switch (c.kind) {
    case 'multiprotocol':
      code = CapabilityCode.MULTIPROTOCOL
      value = Buffer.from([c.afi >> 8, c.afi & 0xff, 0, c.safi])
      break
    case 'route-refresh': code = CapabilityCode.ROUTE_REFRESH; value = Buffer.alloc(0); break
    case 'enhanced-route-refresh': code = CapabilityCode.ENHANCED_ROUTE_REFRESH; value = Buffer.alloc(0); break
    case 'extended-message': code = CapabilityCode.EXTENDED_MESSAGE; value = Buffer.alloc(0); break
    case 'extended-next-hop':
      // RFC 8950 3: NLRI AFI (2), NLRI SAFI (2), next hop AFI (2) per tuple.
      code = CapabilityCode.EXTENDED_NEXT_HOP
      value = Buffer.alloc(6 * c.tuples.length)
      c.tuples.forEach((t, i) => {
        value.writeUInt16BE(t.afi, 6 * i)
        value.writeUInt16BE(t.safi, 6 * i + 2)
        value.writeUInt16BE(t.nextHopAfi, 6 * i + 4)
      })
      break
    case 'four-octet-as':
      code = CapabilityCode.FOUR_OCTET_AS
      value = Buffer.alloc(4)
      value.writeUInt32BE(c.asn >>> 0)
      break
    case 'graceful-restart': {
      code = CapabilityCode.GRACEFUL_RESTART
      value = Buffer.alloc(2 + 4 * c.families.length)
      value.writeUInt16BE((c.restarting ? 0x8000 : 0) | (c.notification ? 0x4000 : 0) | (c.restartTime & 0x0fff))
      c.families.forEach((f, i) => {
        value.writeUInt16BE(f.afi, 2 + 4 * i)
        value[4 + 4 * i] = f.safi
        value[5 + 4 * i] = f.forwardingPreserved ? 0x80 : 0
      })
      break
    }
    case 'unknown': code = c.code; value = c.value; break
  }
  return Buffer.concat([Buffer.from([code, value.length]), value])
}

export function encodeOpen(m: OpenMessage): Buffer {
  const caps = Buffer.concat(m.capabilities.map(encodeCapability))
  // One optional parameter of type 2 holding every capability (RFC 5492 allows either layout).
  const params = caps.length ? Buffer.concat([Buffer.from([2, caps.length]), caps]) : Buffer.alloc(0)
  if (params.length > 255) throw new RangeError('capabilities exceed 255 octets')
  const body = Buffer.alloc(10 + params.length)
  body[0] = m.version
  body.writeUInt16BE(m.asn & 0xffff, 1)
  body.writeUInt16BE(m.holdTime, 3)
  const id = parseIPv4(m.routerId)
  if (!id) throw new RangeError(`router ID is not an IPv4 address: ${m.routerId}`)
  id.copy(body, 5)
  body[9] = params.length
  params.copy(body, 10)
  return frame(MessageType.OPEN, body)
}

const openErr = (sub: number, reason: string, data?: Buffer) => new BgpProtocolError(ErrorCode.OPEN, sub, reason, {data})

function decodeCapabilities(buf: Buffer, start: number, end: number, out: Capability[]): BgpProtocolError | undefined {
  let off = start
  while (off < end) {
    if (end - off < 2) return openErr(0, 'capability header truncated')
    const code = buf[off]
    const len = buf[off + 1]
    if (off + 2 + len > end) return openErr(0, `capability ${code} length ${len} runs past its parameter`)
    const v = buf.subarray(off + 2, off + 2 + len)
    off += 2 + len
    switch (code) {
      case CapabilityCode.MULTIPROTOCOL:
        if (len !== 4) return openErr(0, `multiprotocol capability length ${len}, expected 4`)
        out.push({kind: 'multiprotocol', afi: v.readUInt16BE(0), safi: v[3]})
        break
      case CapabilityCode.ROUTE_REFRESH: out.push({kind: 'route-refresh'}); break
      case CapabilityCode.ENHANCED_ROUTE_REFRESH: out.push({kind: 'enhanced-route-refresh'}); break
      case CapabilityCode.EXTENDED_MESSAGE: out.push({kind: 'extended-message'}); break
      case CapabilityCode.EXTENDED_NEXT_HOP: {
        if (len % 6 !== 0) return openErr(0, `extended next hop capability length ${len} is not a multiple of 6`)
        const tuples = []
        for (let i = 0; i < len; i += 6) tuples.push({afi: v.readUInt16BE(i), safi: v.readUInt16BE(i + 2), nextHopAfi: v.readUInt16BE(i + 4)})
        out.push({kind: 'extended-next-hop', tuples})
        break
      }
      case CapabilityCode.FOUR_OCTET_AS:
        if (len !== 4) return openErr(0, `4-octet AS capability length ${len}, expected 4`)
        out.push({kind: 'four-octet-as', asn: v.readUInt32BE(0)})
        break
      case CapabilityCode.GRACEFUL_RESTART: {
        if (len < 2 || (len - 2) % 4 !== 0) return openErr(0, `graceful restart capability length ${len} is not 2 + 4n`)
        const flags = v.readUInt16BE(0)
        const families = []
        for (let i = 2; i < len; i += 4) families.push({afi: v.readUInt16BE(i), safi: v[i + 2], forwardingPreserved: (v[i + 3] & 0x80) !== 0})
        out.push({kind: 'graceful-restart', restarting: (flags & 0x8000) !== 0, notification: (flags & 0x4000) !== 0, restartTime: flags & 0x0fff, families})
        break
      }
      default:
        // Unknown capabilities are ignored (RFC 5492 3), but kept for display.
        out.push({kind: 'unknown', code, value: Buffer.from(v)})
    }
  }
  return undefined
}

/** Decode an OPEN body (after the header). */
export function decodeOpenBody(buf: Buffer, start: number, end: number): OpenMessage | BgpProtocolError {
  if (end - start < 10) return new BgpProtocolError(ErrorCode.MESSAGE_HEADER, 2, 'OPEN shorter than 29 octets')
  const version = buf[start]
  if (version !== 4) return openErr(OpenSubcode.UNSUPPORTED_VERSION, `version ${version}, only 4 is supported`, Buffer.from([0, 4]))
  const asn = buf.readUInt16BE(start + 1)
  const holdTime = buf.readUInt16BE(start + 3)
  const routerId = formatIPv4(buf, start + 5)
  let optLen = buf[start + 9]
  let off = start + 10
  let extended = false
  // RFC 9072: Non-Ext OP Len 255 and Non-Ext OP Type 255 mean 2-octet lengths follow.
  if (optLen === 255 && end - off >= 1 && buf[off] === 255) {
    if (end - off < 3) return openErr(0, 'extended optional parameters length truncated')
    optLen = buf.readUInt16BE(off + 1)
    off += 3
    extended = true
  }
  if (off + optLen !== end) return openErr(0, `optional parameters length ${optLen} does not match the message`)
  const capabilities: Capability[] = []
  const hdr = extended ? 3 : 2
  while (off < end) {
    if (end - off < hdr) return openErr(0, 'optional parameter header truncated')
    const type = buf[off]
    const len = extended ? buf.readUInt16BE(off + 1) : buf[off + 1]
    if (off + hdr + len > end) return openErr(0, `optional parameter length ${len} runs past the message`)
    if (type !== 2) return openErr(OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, `optional parameter type ${type}`)
    const e = decodeCapabilities(buf, off + hdr, off + hdr + len, capabilities)
    if (e) return e
    off += hdr + len
  }
  return {type: 'open', version, asn, holdTime, routerId, capabilities}
}

export interface LocalOpenOptions {
  asn: number
  routerId: string
  holdTime: number
  families: Family[]
  gracefulRestart?: {restartTime: number; restarting: boolean; forwardingPreserved: boolean}
  extendedMessage?: boolean
  /** RFC 8950: offer IPv4 unicast with an IPv6 next hop (only when IPv4 unicast is among the families). */
  extendedNextHop?: boolean
}


const IPV4_OVER_IPV6 = {afi: AFI.IPV4, safi: SAFI.UNICAST, nextHopAfi: AFI.IPV6}

/** Whether a capability list offers IPv4 unicast NLRI with an IPv6 next hop (RFC 8950). */
export function offersIpv4OverIpv6(caps: Capability[]): boolean {
  return caps.some((c) => c.kind === 'extended-next-hop' && c.tuples.some((t) => t.afi === AFI.IPV4 && t.safi === SAFI.UNICAST && t.nextHopAfi === AFI.IPV6))
}

/** The OPEN this speaker sends: AS_TRANS in the 2-octet field when the AS needs 4 octets. */
export function buildOpen(o: LocalOpenOptions): OpenMessage {
  const caps: Capability[] = o.families.map((f) => ({kind: 'multiprotocol', afi: FAMILY_AFI[f], safi: SAFI.UNICAST}))
  caps.push({kind: 'route-refresh'}, {kind: 'enhanced-route-refresh'}, {kind: 'four-octet-as', asn: o.asn})
  if (o.extendedMessage) caps.push({kind: 'extended-message'})
  if (o.extendedNextHop && o.families.includes(4)) caps.push({kind: 'extended-next-hop', tuples: [IPV4_OVER_IPV6]})
  if (o.gracefulRestart) {
    const g = o.gracefulRestart
    caps.push({
      kind: 'graceful-restart', restarting: g.restarting, notification: false, restartTime: g.restartTime,
      families: o.families.map((f) => ({afi: FAMILY_AFI[f], safi: SAFI.UNICAST, forwardingPreserved: g.forwardingPreserved})),
    })
  }
  return {type: 'open', version: 4, asn: o.asn > 0xffff ? AS_TRANS : o.asn, holdTime: o.holdTime, routerId: o.routerId, capabilities: caps}
}

export interface Negotiated {
  peerAsn: number
  peerRouterId: string
  /** 0 means no keepalives and no hold timer. */
  holdTime: number
  keepaliveTime: number
  fourOctetAs: boolean
  extendedMessage: boolean
  /** Both sides offered IPv4 unicast with an IPv6 next hop (RFC 8950): IPv4 routes may go in MP_REACH_NLRI. */
  extendedNextHop: boolean
  routeRefresh: boolean
  enhancedRouteRefresh: boolean
  /** Families both sides announced (IPv4 unicast only when the peer sends no multiprotocol capability, RFC 4760 8). */
  families: Family[]
  peerGracefulRestart?: Extract<Capability, {kind: 'graceful-restart'}>
  peerCapabilities: Capability[]
}

/**
 * Check a received OPEN against ours and the configured peer AS (a number, `external`: any AS but ours, or undefined:
 * any); returns what the session runs with, or the NOTIFICATION to send (2/2 bad peer AS, 2/3 bad identifier, 2/6 hold
 * time 1 or 2).
 */
export function negotiate(local: OpenMessage, localAsn: number, remote: OpenMessage, expectedPeerAsn?: number | 'external'): Negotiated | BgpProtocolError {
  const caps = remote.capabilities
  const as4 = caps.find((c): c is Extract<Capability, {kind: 'four-octet-as'}> => c.kind === 'four-octet-as')
  const peerAsn = as4 ? as4.asn : remote.asn
  const asData = () => {
    const b = Buffer.alloc(as4 ? 4 : 2)
    if (as4) b.writeUInt32BE(peerAsn >>> 0)
    else b.writeUInt16BE(peerAsn)
    return b
  }
  if (expectedPeerAsn === 'external' && peerAsn === localAsn) {
    return openErr(OpenSubcode.BAD_PEER_AS, `peer is AS ${peerAsn}, ours: an external peer was expected`, asData())
  }
  if (peerAsn === 0 || (typeof expectedPeerAsn === 'number' && peerAsn !== expectedPeerAsn)) {
    return openErr(OpenSubcode.BAD_PEER_AS, `peer is AS ${peerAsn}, expected AS ${expectedPeerAsn}`, asData())
  }
  if (remote.holdTime === 1 || remote.holdTime === 2) {
    return openErr(OpenSubcode.UNACCEPTABLE_HOLD_TIME, `hold time ${remote.holdTime} s: must be 0 or at least 3`)
  }
  if (remote.routerId === '0.0.0.0' || (peerAsn === localAsn && remote.routerId === local.routerId)) {
    return openErr(OpenSubcode.BAD_BGP_IDENTIFIER, `router ID ${remote.routerId} is not usable`, parseIPv4(remote.routerId) ?? undefined)
  }
  const holdTime = Math.min(local.holdTime, remote.holdTime)
  const has = (k: Capability['kind']) => caps.some((c) => c.kind === k)
  const localHas = (k: Capability['kind']) => local.capabilities.some((c) => c.kind === k)
  const mp = (cs: Capability[]) => cs.filter((c): c is Extract<Capability, {kind: 'multiprotocol'}> => c.kind === 'multiprotocol')
  const remoteMp = mp(caps)
  const remoteFams = new Set(remoteMp.length ? remoteMp.map((c) => familyOfAfi(c.afi, c.safi)) : [4])
  const localFams = mp(local.capabilities).map((c) => familyOfAfi(c.afi, c.safi)).filter((f): f is Family => !!f)
  return {
    peerAsn,
    peerRouterId: remote.routerId,
    holdTime,
    keepaliveTime: Math.floor(holdTime / 3),
    fourOctetAs: !!as4 && localHas('four-octet-as'),
    extendedMessage: has('extended-message') && localHas('extended-message'),
    extendedNextHop: offersIpv4OverIpv6(caps) && offersIpv4OverIpv6(local.capabilities),
    routeRefresh: has('route-refresh'),
    enhancedRouteRefresh: has('enhanced-route-refresh') && localHas('enhanced-route-refresh'),
    families: localFams.filter((f) => remoteFams.has(f)),
    peerGracefulRestart: caps.find((c): c is Extract<Capability, {kind: 'graceful-restart'}> => c.kind === 'graceful-restart'),
    peerCapabilities: caps,
  }
}

const afiName = (afi: number) => {
  const f = familyOfAfi(afi, SAFI.UNICAST)
  return f ? familyName(f) : `afi ${afi}`
}

/** "multiprotocol ipv4-unicast", "4-octet AS 4200000001", … for the probe's step lines. */
export function describeCapability(c: Capability): string {
  switch (c.kind) {
    case 'multiprotocol': return `multiprotocol ${afiName(c.afi)}-${c.safi === 1 ? 'unicast' : `safi ${c.safi}`}`
    case 'four-octet-as': return `4-octet AS ${c.asn}`
    case 'extended-next-hop': return `extended next hop ${c.tuples.map((t) => `${afiName(t.afi)}-${t.safi === 1 ? 'unicast' : `safi ${t.safi}`} via ${afiName(t.nextHopAfi)}`).join(', ')}`
    case 'graceful-restart': return `graceful restart (restart time ${c.restartTime} s${c.restarting ? ', restarting' : ''})`
    case 'unknown': return `capability ${c.code}`
    default: return c.kind
  }
}
