// Which BGPPeers apply to this node and the session each one asks for, from every field the engine can honour.
// What it cannot honour is a ConfigProblem naming the field; such a peer gets no session. Pure: no I/O, no clock.
import {isIP} from 'node:net'
import {anySelectorMatches} from '../../lib/api/selectors.js'
import type {BFDProfile, BGPPeer, NodeObject} from '../../lib/api/types.js'
import {durationMs} from '../../lib/duration.js'
import type {Family} from '../../lib/net/ip.js'
import {routerIdFrom, usableRouterId} from '../../lib/bgp/router-id.js'
import type {ConfigProblem, SpeakerState} from '../state.js'
import {BgpProblem as P, problem} from './problems.js'

export interface BfdPlan {
  profile: string
  /** Milliseconds. */
  transmitInterval: number
  receiveInterval: number
  detectMultiplier: number
  passive: boolean
}

/** One session as the engine runs it. Two plans that compare equal (peerKey) need no restart. */
export interface PeerPlan {
  name: string
  address: string
  port: number
  myAsn: number
  /** A number, or 'external' (dynamicASN: external; internal becomes myAsn). */
  peerAsn: number | 'external'
  routerId: string
  sourceAddress?: string
  /** Seconds. */
  holdTime: number
  keepaliveTime?: number
  connectTime?: number
  password?: string
  bfd?: BfdPlan
  gracefulRestart: boolean
  /** eBGP multihop: send with TTL 255. */
  ebgpMultiHop: boolean
  families: Family[]
}

export const isIbgp = (p: Pick<PeerPlan, 'myAsn' | 'peerAsn'>): boolean => p.peerAsn === p.myAsn
/** Equal keys: the same session; any difference restarts it. */
export const peerKey = (p: PeerPlan): string => JSON.stringify(p)

const MAX_ASN = 0xffffffff
const validAsn = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1 && (n as number) <= MAX_ASN
const familyOf = (a: string): Family => (isIP(a) === 6 ? 6 : 4)

/** The labels of this node (empty when the Node object is not known yet). */
export function nodeLabels(state: Pick<SpeakerState, 'node' | 'nodes'>): Record<string, string> {
  return state.nodes.find((n) => n.metadata.name === state.node)?.metadata.labels ?? {}
}

/** MetalLB's rule: a peer without nodeSelectors applies to every node. */
export function peerSelectsNode(peer: BGPPeer, labels: Record<string, string>): boolean {
  const sels = peer.spec?.nodeSelectors ?? []
  return sels.length === 0 || anySelectorMatches(sels, labels)
}

function seconds(field: string, v: string | undefined, obj: string, problems: ConfigProblem[]): number | undefined | null {
  if (v === undefined || v === '') return undefined
  const ms = durationMs(v)
  if (ms === undefined) {
    problems.push(problem(P.TIMER, obj, `${field} ${JSON.stringify(v)} is not a duration (e.g. "90s", "1m30s")`))
    return null
  }
  if (ms % 1000 !== 0) {
    problems.push(problem(P.TIMER, obj, `${field} ${JSON.stringify(v)} is not a whole number of seconds (BGP timers are in seconds)`))
    return null
  }
  return ms / 1000
}

function bfdPlan(peer: BGPPeer, profiles: readonly BFDProfile[], multihop: boolean, obj: string, problems: ConfigProblem[]): BfdPlan | undefined | null {
  const name = peer.spec?.bfdProfile
  if (!name) return undefined
  const prof = profiles.find((b) => b.metadata.name === name)
  if (!prof) {
    problems.push(problem(P.BFD_PROFILE_NOT_FOUND, obj, `bfdProfile ${JSON.stringify(name)} does not exist: create the BFDProfile or remove the field`))
    return null
  }
  const s = prof.spec ?? {}
  const pobj = `BFDProfile/${name}`
  const tx = s.transmitInterval ?? 300
  const rx = s.receiveInterval ?? 300
  const mult = s.detectMultiplier ?? 3
  const bad: string[] = []
  // MetalLB's ranges (BFDProfile CRD).
  if (!Number.isInteger(tx) || tx < 10 || tx > 60000) bad.push(`transmitInterval ${tx} (10–60000 ms)`)
  if (!Number.isInteger(rx) || rx < 10 || rx > 60000) bad.push(`receiveInterval ${rx} (10–60000 ms)`)
  if (!Number.isInteger(mult) || mult < 2 || mult > 255) bad.push(`detectMultiplier ${mult} (2–255)`)
  if (bad.length) {
    problems.push(problem(P.BFD_PROFILE_INVALID, pobj, `out of range: ${bad.join(', ')}`))
    return null
  }
  if (s.echoMode) problems.push(problem(P.BFD_ECHO_UNSUPPORTED, pobj, 'echoMode is not supported by lbctl\'s BFD; the session runs in asynchronous mode without echo'))
  if (multihop) {
    problems.push(problem(P.BFD_MULTIHOP_UNSUPPORTED, obj, `bfdProfile ${JSON.stringify(name)} with ebgpMultiHop: lbctl's BFD is single hop (RFC 5881); the session runs without BFD`))
    return undefined
  }
  return {profile: name, transmitInterval: tx, receiveInterval: rx, detectMultiplier: mult, passive: s.passiveMode ?? false}
}

function password(peer: BGPPeer, state: Pick<SpeakerState, 'secrets' | 'namespace'>, obj: string, problems: ConfigProblem[]): string | undefined | null {
  const spec = peer.spec!
  if (spec.password && spec.passwordSecret) {
    problems.push(problem(P.PASSWORD_BOTH, obj, 'both password and passwordSecret are set: keep one'))
    return null
  }
  let pw = spec.password || undefined
  const ref = spec.passwordSecret
  if (ref?.name) {
    if (ref.namespace && ref.namespace !== state.namespace) {
      problems.push(problem(P.PASSWORD_SECRET_INVALID, obj, `passwordSecret ${ref.namespace}/${ref.name}: the Secret must be in the speaker's namespace ${state.namespace}`))
      return null
    }
    const sec = state.secrets.get(ref.name)
    if (!sec) {
      problems.push(problem(P.PASSWORD_SECRET_NOT_FOUND, obj, `passwordSecret ${JSON.stringify(ref.name)} does not exist in ${state.namespace}`))
      return null
    }
    // MetalLB's contract: a basic-auth Secret, key `password`.
    if (sec.type !== 'kubernetes.io/basic-auth' || sec.data?.password === undefined) {
      problems.push(problem(P.PASSWORD_SECRET_INVALID, obj, `Secret ${ref.name} must be of type kubernetes.io/basic-auth with the key "password"`))
      return null
    }
    pw = Buffer.from(sec.data.password, 'base64').toString('utf8')
  }
  if (pw !== undefined && (pw.length === 0 || Buffer.byteLength(pw) > 80)) {
    problems.push(problem(P.PASSWORD_INVALID, obj, 'the password must be 1–80 bytes (a TCP MD5 key, RFC 2385)'))
    return null
  }
  return pw
}

export interface PeersInput {
  state: Pick<SpeakerState, 'node' | 'nodes' | 'namespace' | 'bgpPeers' | 'bfdProfiles' | 'secrets'>
  /** This host's addresses, service addresses left out (candidates for the router ID, and local source addresses). */
  hostAddresses: readonly string[]
}

/** This node's InternalIP / ExternalIP addresses from its Node object. */
export function nodeObjectAddresses(node: NodeObject | undefined): string[] {
  const a = node?.status?.addresses ?? []
  return [...a.filter((x) => x.type === 'InternalIP'), ...a.filter((x) => x.type === 'ExternalIP')].map((x) => x.address)
}

/** The sessions this node runs, by peer name, and the problems of the peers that apply to it. */
export function planPeers({state, hostAddresses}: PeersInput): {peers: PeerPlan[]; problems: ConfigProblem[]} {
  const labels = nodeLabels(state)
  const node = state.nodes.find((n) => n.metadata.name === state.node)
  const problems: ConfigProblem[] = []
  const peers: PeerPlan[] = []
  for (const peer of [...state.bgpPeers].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    if (!peerSelectsNode(peer, labels)) continue
    const plan = planPeer(peer, state, node, hostAddresses, problems)
    if (plan) peers.push(plan)
  }
  return {peers, problems}
}

function planPeer(peer: BGPPeer, state: PeersInput['state'], node: NodeObject | undefined, hostAddresses: readonly string[], problems: ConfigProblem[]): PeerPlan | undefined {
  const obj = `BGPPeer/${peer.metadata.name}`
  const spec = peer.spec
  const before = problems.length
  if (!spec) {
    problems.push(problem(P.PEER_ADDRESS, obj, 'has no spec'))
    return undefined
  }
  if (spec.vrf) problems.push(problem(P.VRF_UNSUPPORTED, obj, `vrf ${JSON.stringify(spec.vrf)}: lbctl's speaker runs sessions in the default VRF only; remove the field or use MetalLB's FRR mode`))
  if (spec.interface) problems.push(problem(P.INTERFACE_UNSUPPORTED, obj, `interface ${JSON.stringify(spec.interface)} (unnumbered BGP) is not supported; give peerAddress instead`))
  else if (!spec.peerAddress || !isIP(spec.peerAddress)) problems.push(problem(P.PEER_ADDRESS, obj, `peerAddress ${JSON.stringify(spec.peerAddress ?? '')} is not an IP address`))
  if (!validAsn(spec.myASN)) problems.push(problem(P.ASN, obj, `myASN ${spec.myASN} is not an AS number (1–4294967295)`))
  let peerAsn: number | 'external' = 0
  if (spec.peerASN !== undefined && spec.peerASN !== 0 && spec.dynamicASN) problems.push(problem(P.ASN, obj, 'peerASN and dynamicASN are both set: keep one'))
  else if (spec.dynamicASN === 'internal') peerAsn = spec.myASN
  else if (spec.dynamicASN === 'external') peerAsn = 'external'
  else if (spec.dynamicASN) problems.push(problem(P.ASN, obj, `dynamicASN ${JSON.stringify(spec.dynamicASN)}: must be internal or external`))
  else if (!validAsn(spec.peerASN)) problems.push(problem(P.ASN, obj, `peerASN ${spec.peerASN ?? '(none)'} is not an AS number (1–4294967295); or set dynamicASN`))
  else peerAsn = spec.peerASN
  const port = spec.peerPort ?? 179
  if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(problem(P.PORT, obj, `peerPort ${port}: must be 1–65535`))
  const src = spec.sourceAddress || undefined
  if (src && (!isIP(src) || (spec.peerAddress && isIP(src) !== isIP(spec.peerAddress)))) {
    problems.push(problem(P.SOURCE_ADDRESS, obj, `sourceAddress ${JSON.stringify(src)} is not an address of the peerAddress's family`))
  }
  const hold = seconds('holdTime', spec.holdTime, obj, problems)
  const keepalive = seconds('keepaliveTime', spec.keepaliveTime, obj, problems)
  const connect = seconds('connectTime', spec.connectTime, obj, problems)
  const holdTime = hold ?? 90
  if (hold !== null && !(holdTime === 0 || (holdTime >= 3 && holdTime <= 65535))) problems.push(problem(P.TIMER, obj, `holdTime ${holdTime} s: must be 0 or 3–65535 s (RFC 4271 4.2)`))
  if (typeof keepalive === 'number' && holdTime > 0 && keepalive >= holdTime) problems.push(problem(P.TIMER, obj, `keepaliveTime ${keepalive} s must be lower than holdTime ${holdTime} s`))
  if (connect === 0) problems.push(problem(P.TIMER, obj, 'connectTime must be at least 1 s'))
  let routerId: string | undefined
  if (spec.routerID) {
    if (usableRouterId(spec.routerID)) routerId = spec.routerID
    else problems.push(problem(P.ROUTER_ID, obj, `routerID ${JSON.stringify(spec.routerID)} is not a usable IPv4 address`))
  } else {
    routerId = routerIdFrom([[src], nodeObjectAddresses(node), hostAddresses])
    if (!routerId) problems.push(problem(P.ROUTER_ID_UNKNOWN, obj, `node ${state.node} has no IPv4 address to take a router ID from (needed for IPv6 sessions too): set routerID`))
  }
  if (spec.disableMP && spec.dualStackAddressFamily) problems.push(problem(P.FAMILIES, obj, 'disableMP and dualStackAddressFamily contradict each other: keep one'))
  const pw = password(peer, state, obj, problems)
  const multihop = spec.ebgpMultiHop ?? false
  const bfd = bfdPlan(peer, state.bfdProfiles, multihop, obj, problems)
  // Problems that only warn (echo, BFD with multihop) leave a usable plan; any other stops this peer.
  const fatal = problems.slice(before).some((p) => p.code !== P.BFD_ECHO_UNSUPPORTED && p.code !== P.BFD_MULTIHOP_UNSUPPORTED)
  if (fatal || pw === null || bfd === null || !routerId) return undefined
  const address = spec.peerAddress!
  const plan: PeerPlan = {
    name: peer.metadata.name, address, port, myAsn: spec.myASN, peerAsn, routerId, holdTime,
    gracefulRestart: spec.enableGracefulRestart ?? false, ebgpMultiHop: multihop,
    // MetalLB ≥ 0.15: one family per session unless dualStackAddressFamily (disableMP is the old spelling of the default).
    families: spec.dualStackAddressFamily ? [4, 6] : [familyOf(address)],
  }
  if (src) plan.sourceAddress = src
  if (typeof keepalive === 'number') plan.keepaliveTime = keepalive
  if (typeof connect === 'number') plan.connectTime = connect
  if (pw !== undefined) plan.password = pw
  if (bfd) plan.bfd = bfd
  return plan
}
