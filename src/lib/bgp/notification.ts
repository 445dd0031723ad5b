// NOTIFICATION (RFC 4271 4.5) with the shutdown communication (RFC 8203/9003), KEEPALIVE and ROUTE-REFRESH (RFC 2918/7313).
import {BgpProtocolError, CeaseSubcode, ErrorCode, notificationName} from './errors.js'
import {frame} from './header.js'
import {HEADER_LENGTH, MessageType, type NotificationMessage, type RouteRefreshMessage} from './types.js'

export function encodeNotification(m: Omit<NotificationMessage, 'type'>): Buffer {
  return frame(MessageType.NOTIFICATION, Buffer.concat([Buffer.from([m.code, m.subcode]), m.data]))
}

export function decodeNotificationBody(buf: Buffer, start: number, end: number): NotificationMessage | BgpProtocolError {
  if (end - start < 2) return new BgpProtocolError(ErrorCode.MESSAGE_HEADER, 2, 'NOTIFICATION shorter than 21 octets')
  return {type: 'notification', code: buf[start], subcode: buf[start + 1], data: Buffer.from(buf.subarray(start + 2, end))}
}

const MAX_SHUTDOWN = 255

/** Cease/Administrative Shutdown (or Reset) carrying a reason: length octet + UTF-8, at most 255 octets (RFC 9003). */
export function shutdownMessage(reason = '', subcode: number = CeaseSubcode.ADMINISTRATIVE_SHUTDOWN): Omit<NotificationMessage, 'type'> {
  let text = Buffer.from(reason, 'utf8')
  if (text.length > MAX_SHUTDOWN) {
    // Cut on a character boundary.
    let cut = MAX_SHUTDOWN
    while (cut > 0 && (text[cut] & 0xc0) === 0x80) cut--
    text = text.subarray(0, cut)
  }
  const data = reason ? Buffer.concat([Buffer.from([text.length]), text]) : Buffer.alloc(0)
  return {code: ErrorCode.CEASE, subcode, data}
}

/** shutdownMessage, encoded. */
export const shutdownNotification = (reason = '', subcode: number = CeaseSubcode.ADMINISTRATIVE_SHUTDOWN): Buffer => encodeNotification(shutdownMessage(reason, subcode))

/** The shutdown communication in a Cease 6/2 or 6/4, when well-formed UTF-8 of the stated length. */
export function shutdownReason(m: NotificationMessage): string | undefined {
  if (m.code !== ErrorCode.CEASE || (m.subcode !== 2 && m.subcode !== 4) || m.data.length < 1) return undefined
  const len = m.data[0]
  if (len === 0 || len + 1 > m.data.length) return undefined
  try {
    return new TextDecoder('utf-8', {fatal: true}).decode(m.data.subarray(1, 1 + len))
  } catch {
    return undefined
  }
}

/** "6/2 Cease: Administrative Shutdown ("maintenance")". */
export function describeNotification(m: NotificationMessage): string {
  const r = shutdownReason(m)
  return `${notificationName(m.code, m.subcode)}${r ? ` (${JSON.stringify(r)})` : ''}`
}

const KEEPALIVE = frame(MessageType.KEEPALIVE, Buffer.alloc(0))
export function encodeKeepalive(): Buffer {
  return KEEPALIVE
}

export function encodeRouteRefresh(m: Omit<RouteRefreshMessage, 'type'>): Buffer {
  return frame(MessageType.ROUTE_REFRESH, Buffer.from([m.afi >> 8, m.afi & 0xff, m.subtype, m.safi]))
}

export function decodeRouteRefreshBody(buf: Buffer, start: number, end: number): RouteRefreshMessage | BgpProtocolError {
  if (end - start !== 4) {
    // RFC 7313 5: wrong length is 7/1 with the whole message as data.
    return new BgpProtocolError(ErrorCode.ROUTE_REFRESH, 1, `ROUTE-REFRESH length ${end - start + HEADER_LENGTH}, expected 23`, {
      data: Buffer.from(buf.subarray(start - HEADER_LENGTH, end)),
    })
  }
  return {type: 'route-refresh', afi: buf.readUInt16BE(start), subtype: buf[start + 2], safi: buf[start + 3]}
}
