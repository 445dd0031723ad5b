// Wire format of lbctl's membership protocol (SWIM over UDP): one message per datagram, an HMAC-SHA256 trailer over
// every byte before it (auth.ts). Pure: no I/O, no clock, no key. Bounds are checked before every read; a bad input
// throws MembershipDecodeError and nothing else.
//
//   0  u16 magic 0x4c4d ("LM")       2  u8 version (1)        3  u8 type (1 ping, 2 ack, 3 ping-req, 4 gossip)
//   4  8 bytes boot id (random per process start)            12 u32 sequence number (per boot, strictly increasing)
//  16  u64 timestamp, ms since the epoch (sender's wall clock) 24 u64 sender's incarnation
//  32  u8 length + sender node name (UTF-8, 1–253 bytes)
//      body: ping / ping-req: u32 probe id, u8 length + target name; ack: u32 probe id; gossip: nothing
//      u8 count of updates, each: u8 state (1 alive, 2 suspect, 3 dead, 4 left), u64 incarnation, u8 length + name
//  end − 32: HMAC-SHA256
export const MAGIC = 0x4c4d
export const VERSION = 1
export const MAC_LENGTH = 32
export const FIXED_HEADER = 32
/** Smallest datagram that can be a message: header, one-byte name, no body, no updates, MAC. */
export const MIN_LENGTH = FIXED_HEADER + 2 + 1 + MAC_LENGTH
/** Stay below any LAN MTU (1500 − IPv6 40 − UDP 8) so a message is never fragmented. */
export const MAX_DATAGRAM = 1400
export const MAX_NAME = 253

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left'
export type MessageType = 'ping' | 'ack' | 'ping-req' | 'gossip'

export interface Update {
  node: string
  state: MemberState
  incarnation: number
}

export type Body =
  | {type: 'ping'; probe: number; target: string}
  | {type: 'ack'; probe: number}
  | {type: 'ping-req'; probe: number; target: string}
  | {type: 'gossip'}

export interface Message {
  /** 16 hex digits. */
  bootId: string
  seq: number
  timestamp: number
  sender: string
  incarnation: number
  body: Body
  updates: Update[]
}

export type DecodeFailure = 'short' | 'magic' | 'version' | 'type' | 'truncated' | 'name' | 'state' | 'number' | 'trailing'

export class MembershipDecodeError extends Error {
  constructor(readonly reason: DecodeFailure, message: string) {
    super(message)
    this.name = 'MembershipDecodeError'
  }
}

const TYPES: MessageType[] = ['ping', 'ack', 'ping-req', 'gossip']
const STATES: MemberState[] = ['alive', 'suspect', 'dead', 'left']
const TWO32 = 2 ** 32

/** Bytes an update takes on the wire (for the piggyback budget). */
export function updateSize(u: Update): number {
  return 1 + 8 + 1 + Buffer.byteLength(u.node)
}

function nameBytes(name: string, what: string): Buffer {
  const b = Buffer.from(name, 'utf8')
  if (b.length < 1 || b.length > MAX_NAME) throw new RangeError(`${what} ${JSON.stringify(name)}: 1–${MAX_NAME} bytes of UTF-8`)
  return b
}

function u64(n: number, what: string): [number, number] {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} ${n}: a non-negative safe integer`)
  return [Math.floor(n / TWO32), n % TWO32]
}

/**
 * The message without its MAC, with MAC_LENGTH zero bytes reserved at the end (auth.seal fills them). Throws RangeError
 * for values the format cannot carry (a programming error, not bad input).
 */
export function encodeMessage(m: Message): Buffer {
  const parts: Buffer[] = []
  const head = Buffer.alloc(FIXED_HEADER)
  head.writeUInt16BE(MAGIC, 0)
  head[2] = VERSION
  head[3] = TYPES.indexOf(m.body.type) + 1
  const boot = Buffer.from(m.bootId, 'hex')
  if (boot.length !== 8) throw new RangeError(`boot id ${m.bootId}: 16 hex digits`)
  boot.copy(head, 4)
  if (!Number.isInteger(m.seq) || m.seq < 0 || m.seq >= TWO32) throw new RangeError(`sequence number ${m.seq}: a u32`)
  head.writeUInt32BE(m.seq, 12)
  const [th, tl] = u64(m.timestamp, 'timestamp')
  head.writeUInt32BE(th, 16)
  head.writeUInt32BE(tl, 20)
  const [ih, il] = u64(m.incarnation, 'incarnation')
  head.writeUInt32BE(ih, 24)
  head.writeUInt32BE(il, 28)
  parts.push(head, withLength(nameBytes(m.sender, 'sender')))
  const b = m.body
  if (b.type === 'ping' || b.type === 'ping-req' || b.type === 'ack') {
    const p = Buffer.alloc(4)
    p.writeUInt32BE(b.probe >>> 0)
    parts.push(p)
    if (b.type !== 'ack') parts.push(withLength(nameBytes(b.target, 'target')))
  }
  if (m.updates.length > 255) throw new RangeError(`${m.updates.length} updates: at most 255`)
  parts.push(Buffer.from([m.updates.length]))
  for (const u of m.updates) {
    const h = Buffer.alloc(9)
    h[0] = STATES.indexOf(u.state) + 1
    const [uh, ul] = u64(u.incarnation, 'incarnation')
    h.writeUInt32BE(uh, 1)
    h.writeUInt32BE(ul, 5)
    parts.push(h, withLength(nameBytes(u.node, 'update node')))
  }
  parts.push(Buffer.alloc(MAC_LENGTH))
  const out = Buffer.concat(parts)
  if (out.length > MAX_DATAGRAM) throw new RangeError(`message of ${out.length} bytes: at most ${MAX_DATAGRAM}`)
  return out
}

function withLength(b: Buffer): Buffer {
  return Buffer.concat([Buffer.from([b.length]), b])
}

/**
 * The cheap checks done before the MAC is computed: long enough, our magic, our version. Lets a keyless node tell
 * "someone runs lbctl gossip here" from noise.
 */
export function checkFraming(buf: Uint8Array): void {
  if (buf.length < MIN_LENGTH) throw new MembershipDecodeError('short', `datagram of ${buf.length} bytes: at least ${MIN_LENGTH}`)
  if (((buf[0] << 8) | buf[1]) !== MAGIC) throw new MembershipDecodeError('magic', 'not an lbctl membership message (magic)')
  if (buf[2] !== VERSION) throw new MembershipDecodeError('version', `membership protocol version ${buf[2]}: this speaker speaks ${VERSION}`)
}

class Reader {
  off: number
  constructor(private readonly b: Buffer, off: number, private readonly end: number) {
    this.off = off
  }

  need(n: number, what: string): void {
    if (this.off + n > this.end) throw new MembershipDecodeError('truncated', `truncated at byte ${this.off}: ${what} needs ${n} bytes`)
  }

  u8(what: string): number {
    this.need(1, what)
    return this.b[this.off++]
  }

  u32(what: string): number {
    this.need(4, what)
    const v = this.b.readUInt32BE(this.off)
    this.off += 4
    return v
  }

  u64(what: string): number {
    const hi = this.u32(what)
    const lo = this.u32(what)
    if (hi >= 2 ** 21) throw new MembershipDecodeError('number', `${what} does not fit a safe integer`)
    return hi * TWO32 + lo
  }

  name(what: string): string {
    const n = this.u8(what)
    if (n < 1) throw new MembershipDecodeError('name', `${what}: empty`)
    this.need(n, what)
    const bytes = this.b.subarray(this.off, this.off + n)
    this.off += n
    let s: string
    try {
      s = new TextDecoder('utf-8', {fatal: true}).decode(bytes)
    } catch {
      throw new MembershipDecodeError('name', `${what}: not UTF-8`)
    }
    return s
  }
}

/** Parse a datagram (MAC included, not checked here: auth.open does that first). */
export function decodeMessage(input: Uint8Array): Message {
  checkFraming(input)
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength)
  const typeCode = buf[3]
  const type = TYPES[typeCode - 1]
  if (!type) throw new MembershipDecodeError('type', `message type ${typeCode} unknown`)
  const r = new Reader(buf, 4, buf.length - MAC_LENGTH)
  r.need(8, 'boot id')
  const bootId = buf.subarray(4, 12).toString('hex')
  r.off = 12
  const seq = r.u32('sequence number')
  const timestamp = r.u64('timestamp')
  const incarnation = r.u64('incarnation')
  const sender = r.name('sender')
  let body: Body
  if (type === 'ack') body = {type, probe: r.u32('probe id')}
  else if (type === 'gossip') body = {type}
  else {
    const probe = r.u32('probe id')
    body = {type, probe, target: r.name('target')}
  }
  const count = r.u8('update count')
  const updates: Update[] = []
  for (let i = 0; i < count; i++) {
    const code = r.u8('update state')
    const state = STATES[code - 1]
    if (!state) throw new MembershipDecodeError('state', `update ${i}: state ${code} unknown`)
    const inc = r.u64('update incarnation')
    updates.push({state, incarnation: inc, node: r.name('update node')})
  }
  if (r.off !== buf.length - MAC_LENGTH) throw new MembershipDecodeError('trailing', `${buf.length - MAC_LENGTH - r.off} bytes after the last update`)
  return {bootId, seq, timestamp, sender, incarnation, body, updates}
}
