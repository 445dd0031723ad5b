// The native addon (native/, node-addon-api), loaded lazily: the CLI installs and runs without a compiler, and only
// the commands that need raw sockets or TCP options fail — with a hint — when the addon was not built.
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {LbctlError, missing} from '../errors.js'

/** Address family as the addon takes it. */
export type NativeFamily = 4 | 6

/** A classic BPF instruction: [code, jt, jf, k] (struct sock_filter). */
export type BpfInstruction = readonly [number, number, number, number]

/** Linux packet types (sll_pkttype) reported with each frame. */
export const PacketType = {HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3} as const

export interface PacketSocket {
  /** Send one whole Ethernet frame (header included) on the bound interface; returns bytes sent. */
  send(frame: Buffer): number
  /** Join/leave a link-layer multicast group (PACKET_ADD/DROP_MEMBERSHIP), e.g. 33:33:ff:xx:xx:xx. */
  addMembership(mac: Buffer): void
  dropMembership(mac: Buffer): void
  /** Kernel counters since the previous call (PACKET_STATISTICS): frames queued, frames dropped on a full queue. */
  stats(): {packets: number; drops: number}
  close(): void
  /** Whether the socket keeps the event loop alive (default: yes). */
  ref(): void
  unref(): void
}

export interface PacketSocketConstructor {
  /**
   * AF_PACKET/SOCK_RAW bound to `ifindex` and `ethertype`, with `filter` attached before the bind. Frames this host sends
   * are not delivered. Frames arrive in batches (one call per readable event): back to back in `data`, frame i ending
   * at `ends[i]`, with sll_pkttype `types[i]`. Use openPacketSocket() for one call per frame. Throws EPERM naming
   * CAP_NET_RAW.
   */
  new (ifindex: number, ethertype: number, filter: readonly BpfInstruction[] | null,
    onFrames: (data: Buffer, ends: Uint32Array, types: Uint8Array) => void): PacketSocket
}

/** A packet socket calling `onFrame` once per received frame (a view into the batch: copy it to keep it). */
export function openPacketSocket(native: NativeModule, ifindex: number, ethertype: number, filter: readonly BpfInstruction[] | null,
  onFrame: (frame: Buffer, pktType: number) => void): PacketSocket {
  return new native.PacketSocket(ifindex, ethertype, filter, (data, ends, types) => {
    let start = 0
    for (let i = 0; i < ends.length; i++) {
      onFrame(data.subarray(start, ends[i]), types[i])
      start = ends[i]
    }
  })
}

export interface UdpSocket {
  bind(address: string, port: number): void
  /** Send with the TTL/hop limit set by setTtl (BFD single hop: 255, RFC 5881 §5). */
  send(data: Buffer, address: string, port: number): number
  setTtl(ttl: number): void
  /** SO_BINDTODEVICE (single-hop BFD runs per interface). */
  bindToDevice(ifname: string): void
  close(): void
  ref(): void
  unref(): void
  readonly fd: number
}

export interface UdpSocketConstructor {
  /** A UDP socket that reports each datagram's received TTL / hop limit (IP_RECVTTL, IPV6_RECVHOPLIMIT); -1 if unknown. */
  new (family: NativeFamily, onMessage: (data: Buffer, address: string, port: number, ttl: number) => void): UdpSocket
}

export interface InterfaceInfo {
  index: number
  mac: Buffer
  /** ARPHRD_* (1 = Ethernet, 772 = loopback). */
  hwType: number
  mtu: number
  /** IFF_* flags (IFF_UP = 1, IFF_LOOPBACK = 8, IFF_NOARP = 0x80, …). */
  flags: number
  /** Driver name as `ethtool -i` reports it (e.g. "veth", "mlx5_core"); "" when the driver does not say. */
  driver: string
}

/** Where an XDP program runs: in the driver (before any skb exists) or in the generic receive path (any device). */
export type XdpMode = 'native' | 'generic'

/** XDP verdicts (enum xdp_action). */
export interface XdpActions {ABORTED: 0; DROP: 1; PASS: 2; TX: 3}

/**
 * lbctl's in-kernel ARP/NDP responder for one interface (native/src/xdp.cc): an XDP program answering ARP requests for
 * the IPv4 addresses and neighbor solicitations for the IPv6 addresses in its maps with `mac`, and passing every
 * other frame on. Needs CAP_BPF + CAP_NET_ADMIN
 * (CAP_SYS_ADMIN before Linux 5.8); errors carry errno fields, and a load failure carries the verifier log.
 */
export interface XdpArpProgram {
  /** Attach through a bpf_link (detached when closed or when the process dies); returns the mode in use. */
  attach(ifindex: number, mode: 'auto' | XdpMode): XdpMode
  /** Detach at once (the maps and the program stay, so it can be attached again). */
  detach(): void
  /** Answer for this address (4 bytes IPv4 or 16 bytes IPv6, network order) in the kernel, or stop at once. */
  set(address: Buffer, present: boolean): void
  /** The addresses the kernel answers for right now: the IPv4 ones (4 bytes) first, then IPv6 (16 bytes). */
  addresses(): Buffer[]
  /**
   * Totals since the program was loaded: ARP requests answered (XDP_TX) and ARP frames passed on to user space;
   * neighbor solicitations answered and passed on.
   */
  stats(): XdpStats
  /** Run the program once on a frame (BPF_PROG_TEST_RUN): the verdict and the frame as the program left it. */
  testRun(frame: Buffer): {action: number; frame: Buffer}
  /** Detach and free the program and its maps. */
  close(): void
  /** The attachment's mode, null when not attached. */
  readonly mode: XdpMode | null
  /** The program's kernel id (`ip link` shows it as prog/xdp id N). */
  readonly progId: number
}

export interface XdpStats {
  answered: number
  passed: number
  ndpAnswered: number
  ndpPassed: number
}

export interface XdpArpConstructor {
  /** Creates the maps (up to `maxAddresses` per family, default 16384) and loads the program for an interface with this MAC. */
  new (mac: Buffer, maxAddresses?: number): XdpArpProgram
}

export interface NativeModule {
  /** A non-blocking TCP socket; adopt with `new net.Socket({fd}).connect(port, host)` or `server.listen({fd})`. */
  tcpSocket(family: NativeFamily): number
  /** TCP_MD5SIG for one peer (works on listening sockets, inherited by accepted ones); `null` removes the key. */
  setMd5(fd: number, peer: string, key: string | null): void
  /** IP_TTL / IPV6_UNICAST_HOPS (1–255) on any socket fd. */
  setTtl(fd: number, family: NativeFamily, ttl: number): void
  getTtl(fd: number, family: NativeFamily): number
  /** IP_MINTTL / IPV6_MINHOPCOUNT (GTSM, RFC 5082); 0 turns it off. The kernel enforces it for TCP only. */
  setMinTtl(fd: number, family: NativeFamily, minTtl: number): void
  bind(fd: number, family: NativeFamily, address: string, port: number): void
  listen(fd: number, backlog: number): void
  setReuseAddr(fd: number): void
  /** Close an fd Node has not adopted (after adoption, destroy the Socket/Server instead). */
  close(fd: number): void
  UdpSocket: UdpSocketConstructor
  PacketSocket: PacketSocketConstructor
  /** Index, MAC, MTU, flags and driver of an interface in the current network namespace. */
  interfaceInfo(name: string): InterfaceInfo
  /** Absent from addons built before the ARP offload existed: callers treat that as "offload unavailable". */
  XdpArp?: XdpArpConstructor
  XDP_ACTION?: XdpActions
  abiVersion: number
}

const ADDON = join('native', 'build', 'Release', 'lbctl_native.node')
const HINT = 'run `npm rebuild` in the lbctl package (needs g++, make and python3: apt-get install g++ make python3)'

let cached: NativeModule | undefined

/** Where the addon may be: $LBCTL_NATIVE_ADDON, then native/build beside any parent folder of this file. */
function candidates(): string[] {
  const out: string[] = []
  if (process.env.LBCTL_NATIVE_ADDON) out.push(process.env.LBCTL_NATIVE_ADDON)
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 8; i++) {
    out.push(join(dir, ADDON))
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  return out
}

/** The native addon, loaded on first use. @throws LbctlError NATIVE_MISSING (exit 5) when it was not built. */
export function loadNative(): NativeModule {
  if (cached) return cached
  const tried = candidates()
  const found = tried.find((p) => existsSync(p))
  if (!found) {
    throw missing('NATIVE_MISSING', 'the native module (raw sockets, TCP MD5, TTL options) is not built', HINT, {searched: tried})
  }
  try {
    cached = createRequire(import.meta.url)(found) as NativeModule
  } catch (e) {
    throw missing('NATIVE_MISSING', `the native module at ${found} does not load: ${(e as Error).message}`, HINT)
  }
  return cached
}

/** Whether the addon can be loaded (for tests and `lbctl doctor`). */
export function nativeAvailable(): boolean {
  try {
    loadNative()
    return true
  } catch (e) {
    if (e instanceof LbctlError) return false
    throw e
  }
}

/** Errors the addon throws carry Node's errno fields. */
export interface NativeError extends Error {
  code?: string
  errno?: number
  syscall?: string
}

/** Map an EPERM/EACCES from a raw socket to a typed error saying which capability is missing. */
export function rawSocketError(e: unknown, what: string): unknown {
  const n = e as NativeError
  if (n && (n.code === 'EPERM' || n.code === 'EACCES')) {
    return missing('CAP_NET_RAW', `${what}: not permitted (${n.message})`,
      'run as root, or grant CAP_NET_RAW (setcap cap_net_raw+ep, or securityContext.capabilities.add: [NET_RAW])')
  }
  return e
}
