// The codec's entry points: decode(bytes) → message | BgpProtocolError, encode(message) → bytes. Pure.
import {BgpProtocolError, ErrorCode} from './errors.js'
import {checkHeader} from './header.js'
import {decodeNotificationBody, decodeRouteRefreshBody, encodeKeepalive, encodeNotification, encodeRouteRefresh} from './notification.js'
import {decodeOpenBody, encodeOpen} from './open.js'
import {type BgpMessage, type CodecContext, HEADER_LENGTH, MAX_EXTENDED_MESSAGE, MAX_MESSAGE, MessageType} from './types.js'
import {decodeUpdateBody, encodeUpdate} from './update.js'

/**
 * Decode one whole message (header included, as the Framer delivers it). Never throws: anything wrong comes back
 * as a BgpProtocolError with the NOTIFICATION code/subcode/data and the RFC 7606 action.
 */
export function decode(bytes: Buffer, ctx: CodecContext = {}): BgpMessage | BgpProtocolError {
  try {
    const h = checkHeader(bytes, 0, ctx.extendedMessage ? MAX_EXTENDED_MESSAGE : MAX_MESSAGE)
    if (h instanceof BgpProtocolError) return h
    if (h.length !== bytes.length) {
      return new BgpProtocolError(ErrorCode.MESSAGE_HEADER, 2, `length field ${h.length} but ${bytes.length} octets given`, {
        data: Buffer.from(bytes.subarray(16, 18)),
      })
    }
    switch (h.type) {
      case MessageType.OPEN: return decodeOpenBody(bytes, HEADER_LENGTH, h.length)
      case MessageType.UPDATE: return decodeUpdateBody(bytes, HEADER_LENGTH, h.length, ctx)
      case MessageType.NOTIFICATION: return decodeNotificationBody(bytes, HEADER_LENGTH, h.length)
      case MessageType.KEEPALIVE: return {type: 'keepalive'}
      default: return decodeRouteRefreshBody(bytes, HEADER_LENGTH, h.length)
    }
  } catch (err) {
    // Unreachable when every read is bounds-checked; kept so a bug is a session reset, not a crash.
    return new BgpProtocolError(ErrorCode.MESSAGE_HEADER, 0, `decoder fault: ${(err as Error).message}`)
  }
}

export function encode(m: BgpMessage, ctx: CodecContext = {}): Buffer {
  switch (m.type) {
    case 'open': return encodeOpen(m)
    case 'update': return encodeUpdate(m, ctx)
    case 'notification': return encodeNotification(m)
    case 'keepalive': return encodeKeepalive()
    case 'route-refresh': return encodeRouteRefresh(m)
  }
}
