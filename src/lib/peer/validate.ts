// BGPPeer input: the same standards as pools — every problem named with its value and the fix, before any write.
import {Kinds} from '../api/constants.js'
import {validObjectName} from '../api/selectors.js'
import type {BGPPeer} from '../api/types.js'
import {badInput} from '../errors.js'
import {parseDuration} from '../duration.js'
import {formatIP, tryParseIP} from '../net/index.js'

export interface PeerInput {
  name?: string
  address: string
  asn: string | number
  myAsn: string | number
  port?: string | number
  holdTime?: string
  keepaliveTime?: string
  ebgpMultiHop?: boolean
  sourceAddress?: string
  /** The password itself (from a file, the environment or a prompt); never a plain flag. */
  password?: string
}

export interface ValidPeer {
  name: string
  address: string
  asn: number
  myAsn: number
  port?: number
  holdTime?: string
  keepaliveTime?: string
  ebgpMultiHop?: boolean
  sourceAddress?: string
  password?: string
}

/** RFC 6793 four-octet ASNs; 0 (RFC 7607), AS_TRANS 23456 (RFC 6793) and 4294967295 (RFC 7300) are reserved. */
export function parseAsn(flag: string, v: string | number): number {
  const s = String(v).trim()
  const n = /^\d+$/.test(s) ? Number(s) : /^(\d+)\.(\d+)$/.test(s) ? Number(s.split('.')[0]) * 65536 + Number(s.split('.')[1]) : NaN
  if (!Number.isSafeInteger(n) || n < 1 || n > 4294967294 || (s.includes('.') && (Number(s.split('.')[0]) > 65535 || Number(s.split('.')[1]) > 65535))) {
    throw badInput('BAD_ASN', `${flag} ${s} is not a valid AS number: it must be from 1 to 4294967294`, `Give a 2- or 4-byte ASN, e.g. ${flag} 64512 (private ranges: 64512-65534, 4200000000-4294967294).`)
  }
  if (n === 23456) throw badInput('BAD_ASN', `${flag} 23456 is AS_TRANS (RFC 6793), which no router may use as its own`, `Use the peer's real 4-byte ASN.`)
  return n
}

function seconds(flag: string, v: string): number {
  const ms = parseDuration(v, {name: flag, bare: 's'})
  if (ms % 1000 !== 0) throw badInput('BAD_DURATION', `${flag} ${v} is not a whole number of seconds`, `Write e.g. ${flag} 90s.`)
  return ms / 1000
}

const peerName = (address: string): string => `peer-${address.replace(/[.:]/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '')}`

export function validatePeer(input: PeerInput): ValidPeer {
  const ip = tryParseIP(input.address.trim())
  if (!ip) throw badInput('BAD_PEER_ADDRESS', `--peer-address ${input.address} is not an IPv4 or IPv6 address`, 'Give the router\'s address, e.g. --peer-address 192.168.1.1.')
  const address = formatIP(ip)
  const name = input.name ?? peerName(address)
  const why = validObjectName(name)
  if (why) throw badInput('BAD_PEER_NAME', `peer name "${name}" ${why}`, 'Use a name like "router-1".')
  const out: ValidPeer = {name, address, asn: parseAsn('--peer-asn', input.asn), myAsn: parseAsn('--my-asn', input.myAsn)}
  if (input.port !== undefined) {
    const p = Number(input.port)
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw badInput('BAD_PORT', `--peer-port ${input.port} is not a TCP port`, 'Give 1-65535 (BGP uses 179).')
    out.port = p
  }
  let hold: number | undefined
  if (input.holdTime !== undefined) {
    hold = seconds('--hold-time', input.holdTime)
    // RFC 4271 §4.2: the hold time is 0 or at least 3 seconds (and fits the OPEN's 16 bits).
    if ((hold !== 0 && hold < 3) || hold > 65535) throw badInput('BAD_HOLD_TIME', `--hold-time ${input.holdTime} is not allowed: BGP's hold time is 0 or from 3 s to 65535 s (RFC 4271 §4.2)`, 'Use e.g. --hold-time 90s (the default).')
    out.holdTime = `${hold}s`
  }
  if (input.keepaliveTime !== undefined) {
    const ka = seconds('--keepalive-time', input.keepaliveTime)
    const h = hold ?? 90
    if (ka < 1 || (h > 0 && ka >= h)) throw badInput('BAD_KEEPALIVE_TIME', `--keepalive-time ${input.keepaliveTime} must be at least 1 s and less than the hold time (${h} s)`, `Use a third of the hold time, e.g. --keepalive-time ${Math.max(1, Math.floor(h / 3))}s.`)
    out.keepaliveTime = `${ka}s`
  }
  if (input.sourceAddress !== undefined) {
    const src = tryParseIP(input.sourceAddress.trim())
    if (!src || src.family !== ip.family) throw badInput('BAD_SOURCE_ADDRESS', `--source-address ${input.sourceAddress} is not an IPv${ip.family} address (the peer's family)`, 'Give one of the nodes\' own addresses, or leave it out.')
    out.sourceAddress = formatIP(src)
  }
  if (input.ebgpMultiHop !== undefined) out.ebgpMultiHop = input.ebgpMultiHop
  if (input.password !== undefined) {
    const pw = input.password.replace(/\r?\n$/, '')
    // TCP MD5 (RFC 2385) keys are at most 80 bytes in Linux (TCP_MD5SIG_MAXKEYLEN).
    if (pw.length === 0) throw badInput('EMPTY_PASSWORD', 'the BGP password is empty', 'Put the password in the file (one line), or leave out --password-file.')
    if (Buffer.byteLength(pw) > 80) throw badInput('PASSWORD_TOO_LONG', `the BGP password is ${Buffer.byteLength(pw)} bytes; TCP MD5 keys are at most 80`, 'Use a shorter password on both sides.')
    out.password = pw
  }
  return out
}

/** The Secret that holds a peer's password (MetalLB reads passwordSecret as type basic-auth, key "password"). */
export const passwordSecretName = (peer: string): string => `${peer}-bgp-password`.slice(0, 253)

export function peerManifests(p: ValidPeer, namespace: string, labels: Record<string, string>): {peer: BGPPeer; secret?: {apiVersion: string; kind: string; type: string; metadata: {name: string; namespace: string; labels: Record<string, string>}; data: Record<string, string>}} {
  const spec: NonNullable<BGPPeer['spec']> = {myASN: p.myAsn, peerASN: p.asn, peerAddress: p.address}
  if (p.port !== undefined) spec.peerPort = p.port
  if (p.holdTime) spec.holdTime = p.holdTime
  if (p.keepaliveTime) spec.keepaliveTime = p.keepaliveTime
  if (p.sourceAddress) spec.sourceAddress = p.sourceAddress
  if (p.ebgpMultiHop !== undefined) spec.ebgpMultiHop = p.ebgpMultiHop
  const out: ReturnType<typeof peerManifests> = {peer: {apiVersion: Kinds.BGPPeer.apiVersion, kind: Kinds.BGPPeer.kind, metadata: {name: p.name, namespace, labels}, spec}}
  if (p.password !== undefined) {
    const name = passwordSecretName(p.name)
    spec.passwordSecret = {name, namespace}
    out.secret = {apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/basic-auth', metadata: {name, namespace, labels}, data: {password: Buffer.from(p.password).toString('base64')}}
  }
  return out
}
