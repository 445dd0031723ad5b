// BFD control packets (RFC 5880 4.1), pure. Times are in microseconds on the wire.

export const BfdState = {ADMIN_DOWN: 0, DOWN: 1, INIT: 2, UP: 3} as const
export type BfdStateValue = (typeof BfdState)[keyof typeof BfdState]
export const BFD_STATE_NAMES = ['AdminDown', 'Down', 'Init', 'Up'] as const
export const BfdDiag = {NONE: 0, DETECTION_TIME_EXPIRED: 1, ECHO_FAILED: 2, NEIGHBOR_DOWN: 3, ADMIN_DOWN: 7} as const
export const BFD_PORT = 3784

export interface BfdPacket {
  version: number
  diag: number
  state: BfdStateValue
  poll: boolean
  final: boolean
  controlPlaneIndependent: boolean
  authPresent: boolean
  demand: boolean
  multipoint: boolean
  detectMult: number
  myDiscriminator: number
  yourDiscriminator: number
  desiredMinTxUs: number
  requiredMinRxUs: number
  requiredMinEchoRxUs: number
}

/** Why a received packet was dropped (RFC 5880 6.8.6), counted by the session. */
export type BfdDropReason = 'short' | 'version' | 'length' | 'detect-mult' | 'multipoint' | 'my-discriminator' | 'your-discriminator' | 'auth' | 'ttl'

export class BfdDecodeError extends Error {
  constructor(readonly reason: BfdDropReason, message: string) {
    super(message)
    this.name = 'BfdDecodeError'
  }
}

export function encodeBfd(p: Omit<BfdPacket, 'version'> & {version?: number}): Buffer {
  const b = Buffer.alloc(24)
  b[0] = ((p.version ?? 1) << 5) | (p.diag & 0x1f)
  b[1] = (p.state << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0) | (p.controlPlaneIndependent ? 0x08 : 0) |
    (p.authPresent ? 0x04 : 0) | (p.demand ? 0x02 : 0) | (p.multipoint ? 0x01 : 0)
  b[2] = p.detectMult
  b[3] = 24
  b.writeUInt32BE(p.myDiscriminator >>> 0, 4)
  b.writeUInt32BE(p.yourDiscriminator >>> 0, 8)
  b.writeUInt32BE(p.desiredMinTxUs >>> 0, 12)
  b.writeUInt32BE(p.requiredMinRxUs >>> 0, 16)
  b.writeUInt32BE(p.requiredMinEchoRxUs >>> 0, 20)
  return b
}

/** Decode and apply the reception checks of RFC 5880 6.8.6 that need no session state. Never throws. */
export function decodeBfd(b: Buffer): BfdPacket | BfdDecodeError {
  if (b.length < 24) return new BfdDecodeError('short', `packet of ${b.length} octets, at least 24 needed`)
  const version = b[0] >> 5
  if (version !== 1) return new BfdDecodeError('version', `version ${version}`)
  const length = b[3]
  const authPresent = (b[1] & 0x04) !== 0
  if (length < (authPresent ? 26 : 24) || length > b.length) return new BfdDecodeError('length', `length field ${length} with ${b.length} octets`)
  if (authPresent) return new BfdDecodeError('auth', 'authentication is not configured')
  const p: BfdPacket = {
    version, diag: b[0] & 0x1f, state: (b[1] >> 6) as BfdStateValue, poll: (b[1] & 0x20) !== 0, final: (b[1] & 0x10) !== 0,
    controlPlaneIndependent: (b[1] & 0x08) !== 0, authPresent, demand: (b[1] & 0x02) !== 0, multipoint: (b[1] & 0x01) !== 0,
    detectMult: b[2], myDiscriminator: b.readUInt32BE(4), yourDiscriminator: b.readUInt32BE(8),
    desiredMinTxUs: b.readUInt32BE(12), requiredMinRxUs: b.readUInt32BE(16), requiredMinEchoRxUs: b.readUInt32BE(20),
  }
  if (p.detectMult === 0) return new BfdDecodeError('detect-mult', 'detect multiplier 0')
  if (p.multipoint) return new BfdDecodeError('multipoint', 'multipoint bit set')
  if (p.myDiscriminator === 0) return new BfdDecodeError('my-discriminator', 'my discriminator 0')
  if (p.yourDiscriminator === 0 && p.state !== BfdState.DOWN && p.state !== BfdState.ADMIN_DOWN) {
    return new BfdDecodeError('your-discriminator', 'your discriminator 0 in a state other than Down')
  }
  return p
}
