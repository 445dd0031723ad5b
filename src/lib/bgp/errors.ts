// Typed BGP protocol errors. Pure: no oclif here; the CLI layer maps them to words and exit codes.

/** What the receiver does about a malformed UPDATE (RFC 7606 section 2), or `session-reset` for everything fatal. */
export type Rfc7606Action = 'attribute-discard' | 'treat-as-withdraw' | 'session-reset'

export const ErrorCode = {
  MESSAGE_HEADER: 1,
  OPEN: 2,
  UPDATE: 3,
  HOLD_TIMER_EXPIRED: 4,
  FSM: 5,
  CEASE: 6,
  ROUTE_REFRESH: 7,
  /** RFC 9687. */
  SEND_HOLD_TIMER_EXPIRED: 8,
} as const

export const HeaderSubcode = {CONNECTION_NOT_SYNCHRONIZED: 1, BAD_MESSAGE_LENGTH: 2, BAD_MESSAGE_TYPE: 3} as const
export const OpenSubcode = {
  UNSUPPORTED_VERSION: 1, BAD_PEER_AS: 2, BAD_BGP_IDENTIFIER: 3, UNSUPPORTED_OPTIONAL_PARAMETER: 4,
  UNACCEPTABLE_HOLD_TIME: 6, UNSUPPORTED_CAPABILITY: 7,
} as const
export const UpdateSubcode = {
  MALFORMED_ATTRIBUTE_LIST: 1, UNRECOGNIZED_WELL_KNOWN: 2, MISSING_WELL_KNOWN: 3, ATTRIBUTE_FLAGS: 4,
  ATTRIBUTE_LENGTH: 5, INVALID_ORIGIN: 6, INVALID_NEXT_HOP: 8, OPTIONAL_ATTRIBUTE: 9, INVALID_NETWORK_FIELD: 10,
  MALFORMED_AS_PATH: 11,
} as const
export const CeaseSubcode = {
  MAX_PREFIXES: 1, ADMINISTRATIVE_SHUTDOWN: 2, PEER_DECONFIGURED: 3, ADMINISTRATIVE_RESET: 4, CONNECTION_REJECTED: 5,
  OTHER_CONFIGURATION_CHANGE: 6, CONNECTION_COLLISION: 7, OUT_OF_RESOURCES: 8, HARD_RESET: 9, BFD_DOWN: 10,
} as const

const NAMES: Record<number, [string, Record<number, string>]> = {
  1: ['Message Header Error', {1: 'Connection Not Synchronized', 2: 'Bad Message Length', 3: 'Bad Message Type'}],
  2: ['OPEN Message Error', {
    1: 'Unsupported Version Number', 2: 'Bad Peer AS', 3: 'Bad BGP Identifier', 4: 'Unsupported Optional Parameter',
    6: 'Unacceptable Hold Time', 7: 'Unsupported Capability', 8: 'Role Mismatch',
  }],
  3: ['UPDATE Message Error', {
    1: 'Malformed Attribute List', 2: 'Unrecognized Well-known Attribute', 3: 'Missing Well-known Attribute',
    4: 'Attribute Flags Error', 5: 'Attribute Length Error', 6: 'Invalid ORIGIN Attribute', 8: 'Invalid NEXT_HOP Attribute',
    9: 'Optional Attribute Error', 10: 'Invalid Network Field', 11: 'Malformed AS_PATH',
  }],
  4: ['Hold Timer Expired', {}],
  5: ['Finite State Machine Error', {
    1: 'Receive Unexpected Message in OpenSent State', 2: 'Receive Unexpected Message in OpenConfirm State',
    3: 'Receive Unexpected Message in Established State',
  }],
  6: ['Cease', {
    1: 'Maximum Number of Prefixes Reached', 2: 'Administrative Shutdown', 3: 'Peer De-configured', 4: 'Administrative Reset',
    5: 'Connection Rejected', 6: 'Other Configuration Change', 7: 'Connection Collision Resolution', 8: 'Out of Resources',
    9: 'Hard Reset', 10: 'BFD Down',
  }],
  7: ['ROUTE-REFRESH Message Error', {1: 'Invalid Message Length'}],
  8: ['Send Hold Timer Expired', {}],
}

/** "2/2 Bad Peer AS", "6/2 Cease: Administrative Shutdown". */
export function notificationName(code: number, subcode: number): string {
  const c = NAMES[code]
  if (!c) return `${code}/${subcode} Unknown Error Code`
  const s = c[1][subcode]
  if (s) return `${code}/${subcode} ${code === 6 ? `Cease: ${s}` : s}`
  return `${code}/${subcode} ${c[0]}${subcode === 0 ? '' : ` (subcode ${subcode})`}`
}

/** Severity order, so the worst of several problems in one UPDATE wins. */
export const ACTION_RANK: Record<Rfc7606Action, number> = {'attribute-discard': 0, 'treat-as-withdraw': 1, 'session-reset': 2}

/**
 * A protocol error found while decoding or validating a message: the NOTIFICATION the session would send
 * (code/subcode/data), what to do about it (RFC 7606 action), and a reason in words.
 * For `treat-as-withdraw`, `withdraw` lists every prefix the UPDATE carried (they must be removed from Adj-RIB-In).
 */
export class BgpProtocolError extends Error {
  readonly code: number
  readonly subcode: number
  readonly data: Buffer
  readonly action: Rfc7606Action
  /** Path attribute type code the error is about, when there is one. */
  readonly attributeType?: number
  withdraw?: string[]

  constructor(code: number, subcode: number, reason: string, opts: {data?: Buffer; action?: Rfc7606Action; attributeType?: number} = {}) {
    super(`${notificationName(code, subcode)}: ${reason}`)
    this.name = 'BgpProtocolError'
    this.code = code
    this.subcode = subcode
    this.data = opts.data ?? Buffer.alloc(0)
    this.action = opts.action ?? 'session-reset'
    this.attributeType = opts.attributeType
  }
}

export const isProtocolError = (x: unknown): x is BgpProtocolError => x instanceof BgpProtocolError
