// Authentication and replay protection of membership datagrams. HMAC-SHA256 over every byte before the trailer, with
// the current key; a receiver accepts the current or the previous key (rotation). Replay: per sender, the boot id and
// a sliding window over sequence numbers (as IPsec's anti-replay window, RFC 4303 §3.4.3), plus a timestamp bound so
// captures cannot be replayed to a receiver that forgot the sender's window (restarted).
import {createHash, createHmac, timingSafeEqual} from 'node:crypto'
import {MAC_LENGTH} from './codec.js'

export interface KeyRing {
  /** Sent with, and accepted. */
  current: Buffer
  /** The Secret's previoussecretkey: accepted on receive. */
  previous?: Buffer
  /** Further keys accepted on receive (a one-step rotation's old or new key, rotation.ts); counted as 'previous'. */
  accepted?: Buffer[]
}

const KEY_CONTEXT = Buffer.from('lbctl memberlist key v1\n')

/**
 * The HMAC key from a key file's bytes: SHA-256 of a context string and the content without surrounding whitespace.
 * Any length and any text (MetalLB's install writes `openssl rand -base64 128`) gives a 32-byte key; files that differ
 * only by a trailing newline give the same key. Returns undefined for an empty file.
 */
export function deriveKey(content: Uint8Array): Buffer | undefined {
  let start = 0
  let end = content.length
  const ws = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d
  while (start < end && ws(content[start])) start++
  while (end > start && ws(content[end - 1])) end--
  if (end === start) return undefined
  return createHash('sha256').update(KEY_CONTEXT).update(content.subarray(start, end)).digest()
}

/** A short, non-secret fingerprint of a key for logs and status (first 8 hex digits of SHA-256 of the key). */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8)
}

function mac(key: Buffer, buf: Buffer): Buffer {
  return createHmac('sha256', key).update(buf.subarray(0, buf.length - MAC_LENGTH)).digest()
}

/** Write the MAC into the last MAC_LENGTH bytes (reserved by encodeMessage). */
export function seal(buf: Buffer, key: Buffer): Buffer {
  mac(key, buf).copy(buf, buf.length - MAC_LENGTH)
  return buf
}

/** Which key authenticates the datagram, or undefined when none does. */
export function open(buf: Buffer, keys: KeyRing): 'current' | 'previous' | undefined {
  return openWith(buf, keys)?.which
}

/** The key that authenticates the datagram and whether it is the one we send with, or undefined when none does. */
export function openWith(buf: Buffer, keys: KeyRing): {which: 'current' | 'previous'; key: Buffer} | undefined {
  if (buf.length < MAC_LENGTH) return undefined
  const got = buf.subarray(buf.length - MAC_LENGTH)
  if (timingSafeEqual(mac(keys.current, buf), got)) return {which: 'current', key: keys.current}
  for (const k of [...(keys.previous ? [keys.previous] : []), ...(keys.accepted ?? [])]) {
    if (timingSafeEqual(mac(k, buf), got)) return {which: 'previous', key: k}
  }
  return undefined
}

/** Whether `key` is one of the ring's keys. */
export function inRing(key: Buffer, keys: KeyRing): boolean {
  return key.equals(keys.current) || !!keys.previous?.equals(key) || (keys.accepted ?? []).some((k) => k.equals(key))
}

export type ReplayVerdict = 'ok' | 'replay' | 'stale'

export interface ReplayOptions {
  /** Width of the sliding window of sequence numbers (default 64). */
  window?: number
  /** Messages whose timestamp is further than this from the receiver's wall clock are dropped (default 60 s: node clocks
   * further apart than that break gossip, which shows as `stale` drops and every speaker leaving itself out). */
  maxSkewMs?: number
}

interface SenderWindow {
  bootId: string
  top: number
  /** Bit i set: sequence number top − i was seen. */
  seen: bigint
}

/** Remembers, per sender, what it has accepted; answers whether a new message is fresh. */
export class ReplayGuard {
  private readonly senders = new Map<string, SenderWindow>()
  /** Boot ids a sender has moved on from, per sender (bounded): their messages are replays. */
  private readonly retired = new Map<string, string[]>()
  private readonly width: number
  private readonly maxSkewMs: number

  constructor(opts: ReplayOptions = {}) {
    this.width = opts.window ?? 64
    this.maxSkewMs = opts.maxSkewMs ?? 60_000
  }

  /** Check and, when fresh, record. `now` is the receiver's wall clock in ms. */
  accept(sender: string, bootId: string, seq: number, timestamp: number, now: number): ReplayVerdict {
    if (Math.abs(now - timestamp) > this.maxSkewMs) return 'stale'
    const w = this.senders.get(sender)
    if (!w || w.bootId !== bootId) {
      const old = this.retired.get(sender) ?? []
      if (old.includes(bootId)) return 'replay'
      if (w) {
        old.push(w.bootId)
        if (old.length > 16) old.shift()
        this.retired.set(sender, old)
      }
      this.senders.set(sender, {bootId, top: seq, seen: 1n})
      return 'ok'
    }
    if (seq > w.top) {
      const shift = seq - w.top
      w.seen = shift >= this.width ? 1n : ((w.seen << BigInt(shift)) | 1n) & ((1n << BigInt(this.width)) - 1n)
      w.top = seq
      return 'ok'
    }
    const back = w.top - seq
    if (back >= this.width) return 'replay'
    const bit = 1n << BigInt(back)
    if (w.seen & bit) return 'replay'
    w.seen |= bit
    return 'ok'
  }
}
