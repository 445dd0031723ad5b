// `lbctl l2 probe`: who answers ARP/NDP for an address on a segment. Sends one request per address, listens until the
// timeout, and lists every distinct MAC that answered (more than one is a conflict: strict ARP off, a split brain, or an
// address used twice). The doctor runs the same function from inside the cluster.
import {badInput, problems} from '../errors.js'
import {formatIP, type IP, parseIP} from '../net/ip.js'
import {loadNative, type NativeModule, openPacketSocket, type PacketSocket, rawSocketError} from '../native/index.js'
import {ARP_REPLY, arpRequestFrame, decodeArp, isArpDecodeError} from './arp.js'
import {BPF} from './bpf.js'
import {ETHERTYPE_ARP, ETHERTYPE_IPV6} from './ethernet.js'
import {type IpRunner, listLinks, runIp} from './interfaces.js'
import {formatMAC} from '../net/mac.js'
import {decodeNdp, ICMPV6_NA, isNdpDecodeError, ND_HOP_LIMIT, nsFrame} from './ndp.js'
import {ipBytes} from './responder.js'

export type ProbeStatus = 'announced' | 'not-announced' | 'conflict'

export interface ProbeAnswer {
  mac: string
  /** The address it answered for. */
  ip: string
  /** Where the answer came in. */
  interface: string
  /** From sending the request to the first answer from this MAC. */
  rttMs: number
  /** Answers seen from this MAC (announcements included). */
  count: number
}

export interface ProbeAddressResult {
  address: string
  family: 4 | 6
  protocol: 'arp' | 'ndp'
  status: ProbeStatus
  answers: ProbeAnswer[]
}

export interface ProbeResult {
  interface: string
  /** The interface's MAC, which the requests came from. */
  sourceMac: string
  timeoutMs: number
  /** Worst status over all addresses: conflict > not-announced > announced. */
  status: ProbeStatus
  results: ProbeAddressResult[]
}

export interface ProbeOptions {
  interface: string
  addresses: readonly string[]
  timeoutMs?: number
  native?: NativeModule
  ip?: IpRunner
}

interface Pending {
  ip: IP
  bytes: Buffer
  sentAt: number
  answers: Map<string, ProbeAnswer>
}

export async function probeL2(opts: ProbeOptions): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 1000
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > 60_000) {
    throw badInput('BAD_TIMEOUT', `timeout ${timeoutMs} ms is out of range`, 'use a value between 1 and 60000 ms')
  }
  if (opts.addresses.length === 0) throw badInput('NO_ADDRESS', 'no address to probe', 'example: lbctl l2 probe --interface eth0 203.0.113.10')
  const ips: IP[] = []
  for (const a of opts.addresses) {
    try {
      ips.push(parseIP(a))
    } catch (e) {
      throw badInput('BAD_ADDRESS', (e as Error).message, 'give IPv4 or IPv6 addresses, e.g. 203.0.113.10 2001:db8:ffff::10')
    }
  }
  const links = await listLinks(opts.ip ?? runIp)
  const link = links.find((l) => l.name === opts.interface)
  if (!link) {
    throw badInput('NO_INTERFACE', `no interface named ${opts.interface}`, `choose one of: ${links.map((l) => l.name).join(', ')}`)
  }
  const native = opts.native ?? loadNative()
  const info = native.interfaceInfo(opts.interface)
  // Sender addresses: the interface's own (ARP probe with 0.0.0.0 when it has none, RFC 5227 §2.1.1); for NDP prefer
  // the link-local address, which every neighbour can answer.
  const v4 = link.addresses.find((a) => a.family === 4)
  const v6 = link.addresses.find((a) => a.family === 6 && a.scope === 'link') ?? link.addresses.find((a) => a.family === 6)
  const src4 = ipBytes(v4 ? parseIP(v4.address) : {family: 4, value: 0n})
  const src6 = ipBytes(v6 ? parseIP(v6.address) : {family: 6, value: 0n})

  const pending = new Map<string, Pending>(ips.map((ip) => {
    const bytes = ipBytes(ip)
    return [bytes.toString('hex'), {ip, bytes, sentAt: 0, answers: new Map()}]
  }))
  const record = (target: Buffer, mac: string): void => {
    const p = pending.get(target.toString('hex'))
    if (!p) return
    const a = p.answers.get(mac)
    if (a) a.count++
    else p.answers.set(mac, {mac, ip: formatIP(p.ip), interface: opts.interface, rttMs: Math.round((performance.now() - p.sentAt) * 1000) / 1000, count: 1})
  }
  const onArp = (frame: Buffer): void => {
    const arp = decodeArp(frame)
    if (!isArpDecodeError(arp) && arp.op === ARP_REPLY) record(arp.senderIp, formatMAC(arp.senderMac))
  }
  const onNd = (frame: Buffer): void => {
    const nd = decodeNdp(frame)
    if (isNdpDecodeError(nd) || nd.type !== ICMPV6_NA || nd.hopLimit !== ND_HOP_LIMIT) return
    record(nd.target, formatMAC(nd.targetLinkAddr ?? frame.subarray(6, 12)))
  }

  const sockets: PacketSocket[] = []
  try {
    try {
      if (ips.some((i) => i.family === 4)) sockets.push(openPacketSocket(native, info.index, ETHERTYPE_ARP, BPF.arpReplies, onArp))
      if (ips.some((i) => i.family === 6)) sockets.push(openPacketSocket(native, info.index, ETHERTYPE_IPV6, BPF.neighborAdvertisements, onNd))
    } catch (e) {
      throw rawSocketError(e, `opening packet sockets on ${opts.interface}`)
    }
    const [arpSock, ndSock] = [ips.some((i) => i.family === 4) ? sockets[0] : undefined, sockets[sockets.length - 1]]
    for (const p of pending.values()) {
      p.sentAt = performance.now()
      try {
        if (p.ip.family === 4) arpSock!.send(arpRequestFrame(info.mac, src4, p.bytes))
        else ndSock.send(nsFrame(info.mac, src6, p.bytes))
      } catch (e) {
        throw problems('SEND_FAILED', `sending on ${opts.interface}: ${(e as Error).message}`, `check that ${opts.interface} is up: ip link show ${opts.interface}`)
      }
    }
    await new Promise((r) => setTimeout(r, timeoutMs))
  } finally {
    for (const s of sockets) s.close()
  }

  const results: ProbeAddressResult[] = [...pending.values()].map((p) => {
    const answers = [...p.answers.values()].sort((a, b) => a.rttMs - b.rttMs)
    return {
      address: formatIP(p.ip), family: p.ip.family, protocol: p.ip.family === 4 ? 'arp' : 'ndp', answers,
      status: answers.length === 0 ? 'not-announced' : answers.length === 1 ? 'announced' : 'conflict',
    }
  })
  const status: ProbeStatus = results.some((r) => r.status === 'conflict') ? 'conflict'
    : results.some((r) => r.status === 'not-announced') ? 'not-announced' : 'announced'
  return {interface: opts.interface, sourceMac: formatMAC(info.mac), timeoutMs, status, results}
}
