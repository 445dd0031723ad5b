// BGP message model shared by the codec and the session. Prefixes are canonical text (see prefixes.ts).
import type {BgpProtocolError} from './errors.js'

export const MessageType = {OPEN: 1, UPDATE: 2, NOTIFICATION: 3, KEEPALIVE: 4, ROUTE_REFRESH: 5} as const

export type Capability =
  | {kind: 'multiprotocol'; afi: number; safi: number}
  | {kind: 'route-refresh'}
  | {kind: 'enhanced-route-refresh'}
  | {kind: 'four-octet-as'; asn: number}
  | {kind: 'extended-message'}
  /** RFC 8950: NLRI of AFI/SAFI may carry a next hop of nextHopAfi (e.g. IPv4 unicast with an IPv6 next hop). */
  | {kind: 'extended-next-hop'; tuples: {afi: number; safi: number; nextHopAfi: number}[]}
  | {
      kind: 'graceful-restart'
      /** R bit: the sender has restarted (RFC 4724 3). */
      restarting: boolean
      /** N bit (RFC 8538): graceful restart also covers NOTIFICATIONs. */
      notification: boolean
      restartTime: number
      families: {afi: number; safi: number; forwardingPreserved: boolean}[]
    }
  | {kind: 'unknown'; code: number; value: Buffer}

export interface OpenMessage {
  type: 'open'
  version: number
  /** The 2-octet "My Autonomous System" field (AS_TRANS 23456 when the real AS needs 4 octets). */
  asn: number
  holdTime: number
  routerId: string
  capabilities: Capability[]
}

export type AsPathSegmentType = 'set' | 'sequence' | 'confed-sequence' | 'confed-set'
export interface AsPathSegment {
  type: AsPathSegmentType
  asns: number[]
}

export type LargeCommunity = [number, number, number]

export interface MpReach {
  afi: number
  safi: number
  /** One next hop, or a global and a link-local one (RFC 2545, 32-byte next hop). */
  nextHops: string[]
  nlri: string[]
  /**
   * For families this codec does not parse: the attribute's bytes after AFI and SAFI (next hop length, next hop,
   * reserved octet, NLRI), as received; encode writes them back unchanged.
   */
  raw?: Buffer
}

export interface MpUnreach {
  afi: number
  safi: number
  withdrawn: string[]
  raw?: Buffer
}

export interface UnknownAttribute {
  typeCode: number
  flags: number
  value: Buffer
}

/** Path attributes of one UPDATE. AS paths are always 4-octet here; the codec maps them to and from 2-octet peers. */
export interface PathAttributes {
  origin?: number
  asPath?: AsPathSegment[]
  nextHop?: string
  med?: number
  localPref?: number
  atomicAggregate?: boolean
  aggregator?: {asn: number; address: string}
  communities?: number[]
  largeCommunities?: LargeCommunity[]
  mpReach?: MpReach
  mpUnreach?: MpUnreach
  unknown?: UnknownAttribute[]
}

export interface UpdateMessage {
  type: 'update'
  withdrawn: string[]
  attributes: PathAttributes
  nlri: string[]
  /** Attributes dropped under RFC 7606 attribute-discard; the rest of the UPDATE is valid. */
  discarded?: BgpProtocolError[]
}

export interface NotificationMessage {
  type: 'notification'
  code: number
  subcode: number
  data: Buffer
}

export interface KeepaliveMessage {
  type: 'keepalive'
}

export interface RouteRefreshMessage {
  type: 'route-refresh'
  afi: number
  safi: number
  /** 0 request, 1 Begin-of-RR, 2 End-of-RR (RFC 7313). */
  subtype: number
}

export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage

/** What the codec must know about the session: both sides' negotiated capabilities. */
export interface CodecContext {
  /** Both sides sent the 4-octet AS capability (RFC 6793). Default true. */
  fourOctetAs?: boolean
  /** Both sides sent the extended message capability (RFC 8654): 65535 instead of 4096. Default false. */
  extendedMessage?: boolean
  /** The peer is external: LOCAL_PREF from it is discarded (RFC 7606 7.5). Default false. */
  ebgp?: boolean
}

export const MAX_MESSAGE = 4096
export const MAX_EXTENDED_MESSAGE = 65535
export const HEADER_LENGTH = 19
export const AS_TRANS = 23456
