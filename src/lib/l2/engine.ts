// The layer-2 engine at runtime: packet sockets per interface feeding the Responder, the Announcer sending
// gratuitous ARP / unsolicited NA for owned addresses, and the offload (XDP) answering ARP requests and neighbor
// solicitations in the kernel where it can. The speaker drives it with own()/release()/setInterfaces().
import {loadNative, type NativeModule, openPacketSocket, type PacketSocket, rawSocketError} from '../native/index.js'
import {type AnnounceSchedule, Announcer} from './announcer.js'
import {garpReplyFrame, garpRequestFrame} from './arp.js'
import {BPF} from './bpf.js'
import {type Clock, systemClock} from '../clock.js'
import {ETHERTYPE_ARP, ETHERTYPE_IPV6} from './ethernet.js'
import {ipv6MulticastMAC} from '../net/mac.js'
import {solicitedNodeAddress, unsolicitedNaFrame} from './ndp.js'
import {ArpOffload, type ArpOffloadSetting, type ArpOffloadStatus, type XdpModeSetting} from './offload.js'
import {type HandleResult, type OwnedAddress, Responder, type ResponderStats} from './responder.js'

export interface L2EngineOptions {
  native?: NativeModule
  schedule?: AnnounceSchedule
  clock?: Clock
  /**
   * 'requests' (default): the kernel passes only ARP requests and neighbor solicitations. 'all': every ARP and IPv6
   * frame reaches the responder, so replies and other ignored frames are counted too (diagnostics, tests).
   */
  filter?: 'requests' | 'all'
  /** Every responder decision (for logs and metrics). */
  onResult?: (iface: string, r: HandleResult) => void
  /** A send or socket error that did not stop the engine. */
  onError?: (iface: string, e: Error) => void
  /**
   * ARP requests and neighbor solicitations for owned addresses answered in the kernel by XDP (offload.ts). 'auto' (default): where the
   * program loads, else from user space with the reason in stats().offload; 'on': failing to load is an error
   * (XDP_UNAVAILABLE); 'off': user space only.
   */
  arpOffload?: ArpOffloadSetting
  /** XDP mode for the offload (default 'auto': driver mode where it works, else generic). */
  xdpMode?: XdpModeSetting
}

interface Served {
  name: string
  index: number
  mac: Buffer
  arp: PacketSocket
  ip6: PacketSocket
  /** Solicited-node group MAC (hex) → number of owned addresses needing it. */
  groups: Map<string, number>
}

export interface L2EngineStats extends ResponderStats {
  announcements: number
  sendErrors: number
  /** Frames the kernel dropped because a socket queue was full: the responder fell behind a flood. */
  kernelDrops: number
  interfaces: string[]
  /** The ARP/NDP offload: per interface XDP or user space (and why), and the requests answered in the kernel. */
  offload: ArpOffloadStatus
}

export class L2Engine {
  readonly responder = new Responder()
  private readonly native: NativeModule
  private readonly served = new Map<string, Served>()
  private readonly announcer: Announcer
  private readonly offload: ArpOffload
  private announcements = 0
  private sendErrors = 0
  private kernelDrops = 0

  constructor(private readonly opts: L2EngineOptions = {}) {
    this.native = opts.native ?? loadNative()
    this.offload = new ArpOffload(this.native, opts.arpOffload ?? 'auto', opts.xdpMode ?? 'auto', (i, e) => this.opts.onError?.(i, e))
    this.announcer = new Announcer((key) => this.announce(key), opts.schedule, opts.clock ?? systemClock)
  }

  /** Serve exactly these interfaces (level-triggered: opens the new ones, closes the ones gone). */
  setInterfaces(names: readonly string[]): void {
    const want = new Set(names)
    for (const n of [...this.served.keys()]) if (!want.has(n)) this.closeInterface(n)
    for (const n of want) if (!this.served.has(n)) this.openInterface(n)
  }

  interfaces(): string[] {
    return [...this.served.keys()]
  }

  /** Take ownership: answer at once, and announce now and on the schedule. */
  own(address: string, interfaces?: readonly string[]): OwnedAddress {
    const prev = this.responder.lookup(address)
    if (prev) this.leaveGroups(prev)
    const o = this.responder.own(address, interfaces)
    this.syncOffload(o)
    this.joinGroups(o)
    this.announcer.start(o.text)
    return o
  }

  /** Give up ownership: the very next request goes unanswered, and announcements stop. */
  release(address: string): boolean {
    const o = this.responder.lookup(address)
    if (!o) return false
    // The kernel first: once the address is out of every map, only user space could answer, and it stops next.
    this.syncOffload(o, false)
    this.responder.release(o.ip)
    this.announcer.stop(o.text)
    this.leaveGroups(o)
    return true
  }

  stats(): L2EngineStats {
    for (const s of this.served.values()) this.collectDrops(s)
    return {...this.responder.stats(), announcements: this.announcements, sendErrors: this.sendErrors, kernelDrops: this.kernelDrops,
      interfaces: this.interfaces(), offload: this.offload.status()}
  }

  /** The addresses an interface's XDP program answers for right now (read back from the kernel); undefined if none. */
  offloadedAddresses(iface: string): string[] | undefined {
    return this.offload.addresses(iface)
  }

  // PACKET_STATISTICS resets on every read, so the engine accumulates.
  private collectDrops(s: Served): void {
    for (const sock of [s.arp, s.ip6]) {
      try {
        this.kernelDrops += sock.stats().drops
      } catch { /* closed */ }
    }
  }

  close(): void {
    this.announcer.stopAll()
    for (const n of [...this.served.keys()]) this.closeInterface(n)
    this.offload.closeAll()
  }

  private openInterface(name: string): void {
    let info
    try {
      info = this.native.interfaceInfo(name)
    } catch (e) {
      this.opts.onError?.(name, e as Error)
      return
    }
    const all = this.opts.filter === 'all'
    const s = {name, index: info.index, mac: info.mac, groups: new Map<string, number>()} as Served
    const onFrame = (frame: Buffer): void => this.onFrame(s, frame)
    try {
      s.arp = openPacketSocket(this.native, info.index, ETHERTYPE_ARP, all ? BPF.allArp : BPF.arpRequests, onFrame)
      s.ip6 = openPacketSocket(this.native, info.index, ETHERTYPE_IPV6, all ? BPF.allIpv6 : BPF.neighborSolicitations, onFrame)
    } catch (e) {
      s.arp?.close()
      throw rawSocketError(e, `opening packet sockets on ${name}`)
    }
    try {
      this.offload.open(name, info)
    } catch (e) {
      s.arp.close()
      s.ip6.close()
      throw e
    }
    this.served.set(name, s)
    for (const o of this.responder.ownedAddresses()) {
      if (!this.allowed(o, name)) continue
      this.join(s, o)
      this.offload.set(name, o.bytes, true)
    }
  }

  private closeInterface(name: string): void {
    const s = this.served.get(name)
    if (!s) return
    this.collectDrops(s)
    this.offload.close(name)
    s.arp.close()
    s.ip6.close()
    this.served.delete(name)
  }

  private onFrame(s: Served, frame: Buffer): void {
    const r = this.responder.handle(frame, s)
    if ('answer' in r) this.send(s, r.protocol === 'arp' ? s.arp : s.ip6, r.answer)
    this.opts.onResult?.(s.name, r)
  }

  private send(s: Served, sock: PacketSocket, frame: Buffer): void {
    try {
      sock.send(frame)
    } catch (e) {
      this.sendErrors++
      this.opts.onError?.(s.name, e as Error)
    }
  }

  private allowed(o: OwnedAddress, iface: string): boolean {
    return !o.interfaces || o.interfaces.has(iface)
  }

  /** Each served interface's maps hold an owned address exactly where it is announced (`owned`: still owned). */
  private syncOffload(o: OwnedAddress, owned = true): void {
    for (const s of this.served.values()) this.offload.set(s.name, o.bytes, owned && this.allowed(o, s.name))
  }

  private announce(key: string): void {
    const o = this.responder.lookup(key)
    if (!o) return
    for (const s of this.served.values()) {
      if (!this.allowed(o, s.name)) continue
      if (o.ip.family === 4) {
        this.send(s, s.arp, garpRequestFrame(o.bytes, s.mac))
        this.send(s, s.arp, garpReplyFrame(o.bytes, s.mac))
      } else {
        this.send(s, s.ip6, unsolicitedNaFrame(o.bytes, s.mac))
      }
      this.announcements++
    }
  }

  // RFC 4861 §7.2.1: solicitations go to the target's solicited-node group, which the kernel has not joined for an
  // address it does not carry.
  private join(s: Served, o: OwnedAddress): void {
    if (o.ip.family !== 6) return
    const mac = ipv6MulticastMAC(solicitedNodeAddress(o.bytes))
    const k = mac.toString('hex')
    const n = s.groups.get(k) ?? 0
    if (n === 0) {
      try {
        s.ip6.addMembership(mac)
      } catch (e) {
        this.opts.onError?.(s.name, e as Error)
      }
    }
    s.groups.set(k, n + 1)
  }

  private joinGroups(o: OwnedAddress): void {
    for (const s of this.served.values()) if (this.allowed(o, s.name)) this.join(s, o)
  }

  private leaveGroups(o: OwnedAddress): void {
    if (o.ip.family !== 6) return
    const mac = ipv6MulticastMAC(solicitedNodeAddress(o.bytes))
    const k = mac.toString('hex')
    for (const s of this.served.values()) {
      const n = s.groups.get(k) ?? 0
      if (n === 0 || !this.allowed(o, s.name)) continue
      if (n === 1) {
        s.groups.delete(k)
        try {
          s.ip6.dropMembership(mac)
        } catch (e) {
          this.opts.onError?.(s.name, e as Error)
        }
      } else s.groups.set(k, n - 1)
    }
  }
}
