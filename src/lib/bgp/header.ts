// The 19-octet header (RFC 4271 4.1) and the stream splitter that turns TCP reads into whole messages.
import {BgpProtocolError, ErrorCode, HeaderSubcode} from './errors.js'
import {HEADER_LENGTH, MAX_EXTENDED_MESSAGE, MAX_MESSAGE, MessageType} from './types.js'

const MIN_LENGTH: Record<number, number> = {
  [MessageType.OPEN]: 29,
  [MessageType.UPDATE]: 23,
  [MessageType.NOTIFICATION]: 21,
  [MessageType.KEEPALIVE]: 19,
  [MessageType.ROUTE_REFRESH]: 23,
}

/** Prepend the marker, length and type to a body. */
export function frame(type: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length)
  out.fill(0xff, 0, 16)
  out.writeUInt16BE(HEADER_LENGTH + body.length, 16)
  out[18] = type
  body.copy(out, HEADER_LENGTH)
  return out
}

/**
 * Check the header at `off` (at least 19 octets must be there). Returns the message length and type,
 * or the NOTIFICATION the RFC requires: 1/1 for a bad marker, 1/2 with the length as data, 1/3 with the type.
 */
export function checkHeader(buf: Buffer, off: number, maxLength: number): {length: number; type: number} | BgpProtocolError {
  if (buf.length - off < HEADER_LENGTH) {
    return new BgpProtocolError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, 'message shorter than the 19-octet header', {
      data: Buffer.from([0, buf.length - off]),
    })
  }
  for (let i = 0; i < 16; i++) {
    if (buf[off + i] !== 0xff) {
      return new BgpProtocolError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.CONNECTION_NOT_SYNCHRONIZED, 'marker is not all ones')
    }
  }
  const length = buf.readUInt16BE(off + 16)
  const type = buf[off + 18]
  const lengthData = buf.subarray(off + 16, off + 18)
  if (length < HEADER_LENGTH || length > maxLength) {
    return new BgpProtocolError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, `length ${length} outside 19..${maxLength}`, {
      data: Buffer.from(lengthData),
    })
  }
  const min = MIN_LENGTH[type]
  if (min === undefined) {
    return new BgpProtocolError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_TYPE, `unknown message type ${type}`, {
      data: Buffer.from([type]),
    })
  }
  // ROUTE-REFRESH of the wrong length is 7/1 (RFC 7313 5), decided when the body is decoded.
  if (type !== MessageType.ROUTE_REFRESH && (length < min || (type === MessageType.KEEPALIVE && length !== HEADER_LENGTH))) {
    return new BgpProtocolError(ErrorCode.MESSAGE_HEADER, HeaderSubcode.BAD_MESSAGE_LENGTH, `length ${length} too short for message type ${type}`, {
      data: Buffer.from(lengthData),
    })
  }
  return {length, type}
}

/**
 * Splits a TCP byte stream into whole messages, across any partial reads. After a framing error the stream cannot
 * be resynchronised, so the framer stays failed.
 */
export class Framer {
  private pending: Buffer = Buffer.alloc(0)
  private failed?: BgpProtocolError
  /** 4096, or 65535 once the extended message capability is negotiated. */
  maxLength = MAX_MESSAGE

  get error(): BgpProtocolError | undefined {
    return this.failed
  }

  /** Feed bytes; returns the whole messages now available (each a standalone Buffer), then the error if any. */
  push(chunk: Buffer): {messages: Buffer[]; error?: BgpProtocolError} {
    if (this.failed) return {messages: [], error: this.failed}
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
    const messages: Buffer[] = []
    let off = 0
    while (this.pending.length - off >= HEADER_LENGTH) {
      const h = checkHeader(this.pending, off, Math.min(this.maxLength, MAX_EXTENDED_MESSAGE))
      if (h instanceof BgpProtocolError) {
        this.failed = h
        this.pending = Buffer.alloc(0)
        return {messages, error: h}
      }
      if (this.pending.length - off < h.length) break
      messages.push(Buffer.from(this.pending.subarray(off, off + h.length)))
      off += h.length
    }
    this.pending = off === this.pending.length ? Buffer.alloc(0) : Buffer.from(this.pending.subarray(off))
    return {messages}
  }

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.pending.length
  }
}
