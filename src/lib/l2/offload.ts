// ARP/NDP offload: an XDP program per served interface answers ARP requests for owned IPv4 addresses and neighbor
// solicitations for owned IPv6 addresses inside the kernel (native/src/xdp.cc), so a reply costs no wakeup and no
// JavaScript. Everything else — announcements, and every frame the program does not answer — stays with the
// user-space responder, which still counts it. The engine keeps each interface's maps equal to the owned addresses
// allowed there; a map that cannot be kept right is detached, so the kernel never answers for an address the engine
// gave up. (The setting keeps its first name, arpOffload; it covers NDP too.)
import {missing} from '../errors.js'
import {formatIP} from '../net/ip.js'
import type {InterfaceInfo, NativeError, NativeModule, XdpArpProgram, XdpMode} from '../native/index.js'
import {ipFromBytes} from './responder.js'

/** 'auto' (default): XDP where it loads, else user space with the reason in status; 'on': XDP or an error; 'off'. */
export type ArpOffloadSetting = 'auto' | 'on' | 'off'
/** Which XDP mode to ask for; 'auto' picks per driver (chooseXdpMode). */
export type XdpModeSetting = 'auto' | XdpMode

export const ARP_OFFLOAD_SETTINGS: readonly ArpOffloadSetting[] = ['auto', 'on', 'off']
export const XDP_MODE_SETTINGS: readonly XdpModeSetting[] = ['auto', 'native', 'generic']

/**
 * The mode to ask the kernel for. Driver mode is tried first, except on drivers whose XDP_TX silently loses frames
 * unless the other end is set up too: a veth delivers XDP_TX only when its peer has NAPI on (an XDP program or GRO
 * there), which the engine on this end neither controls nor can see.
 */
export function chooseXdpMode(driver: string, requested: XdpModeSetting = 'auto'): 'auto' | XdpMode {
  if (requested !== 'auto') return requested
  return driver === 'veth' ? 'generic' : 'auto'
}

export type InterfaceOffload =
  | {state: 'xdp'; mode: XdpMode; progId: number; answered: number; passed: number; ndpAnswered: number; ndpPassed: number; addresses: number}
  | {state: 'user-space'; reason: string}

export interface ArpOffloadStatus {
  setting: ArpOffloadSetting
  /** Per served interface: whether the kernel answers there, and if not, why. */
  interfaces: Record<string, InterfaceOffload>
  /** ARP requests answered in the kernel, over every interface ever served (closed ones included). */
  answered: number
  /** ARP frames the programs passed on to user space (not answered there). */
  passed: number
  /** Neighbor solicitations answered in the kernel, over every interface ever served. */
  ndpAnswered: number
  /** Neighbor solicitations the programs passed on to user space. */
  ndpPassed: number
  /** Map updates that failed (the address is then answered from user space) or removals that forced a detach. */
  mapErrors: number
}

interface Attached {
  prog: XdpArpProgram
  mode: XdpMode
  owned: Set<string>
}

function validate(setting: string, mode: string): void {
  if (!ARP_OFFLOAD_SETTINGS.includes(setting as ArpOffloadSetting)) throw new RangeError(`arpOffload must be one of ${ARP_OFFLOAD_SETTINGS.join(', ')}; got ${JSON.stringify(setting)}`)
  if (!XDP_MODE_SETTINGS.includes(mode as XdpModeSetting)) throw new RangeError(`xdpMode must be one of ${XDP_MODE_SETTINGS.join(', ')}; got ${JSON.stringify(mode)}`)
}

export class ArpOffload {
  private readonly attached = new Map<string, Attached>()
  private readonly fallback = new Map<string, string>()
  private readonly closed = {answered: 0, passed: 0, ndpAnswered: 0, ndpPassed: 0}
  private mapErrors = 0

  constructor(private readonly native: NativeModule, readonly setting: ArpOffloadSetting = 'auto', private readonly xdpMode: XdpModeSetting = 'auto',
    private readonly onError: (iface: string, e: Error) => void = () => undefined) {
    validate(setting, xdpMode)
  }

  /**
   * Load and attach the program on an interface. 'auto': a failure is recorded as the interface's reason and user
   * space answers. 'on': a failure throws XDP_UNAVAILABLE naming why.
   */
  open(name: string, info: InterfaceInfo): void {
    this.close(name)
    if (this.setting === 'off') {
      this.fallback.set(name, 'arpOffload is off')
      return
    }
    let prog: XdpArpProgram | undefined
    try {
      if (!this.native.XdpArp) throw new Error('the native module was built without XDP support (rebuild it: npm rebuild)')
      prog = new this.native.XdpArp(info.mac)
      const mode = prog.attach(info.index, chooseXdpMode(info.driver ?? '', this.xdpMode))
      this.attached.set(name, {prog, mode, owned: new Set()})
      this.fallback.delete(name)
    } catch (e) {
      prog?.close()
      const why = (e as Error).message
      if (this.setting === 'on') {
        const perm = (e as NativeError).code === 'EPERM'
        throw missing('XDP_UNAVAILABLE', `ARP offload on ${name}: ${why}`, perm
          ? 'run as root, or grant CAP_BPF and CAP_NET_ADMIN (CAP_SYS_ADMIN on Linux < 5.8)'
          : 'use arpOffload "auto" to answer from user space where XDP is unavailable')
      }
      this.fallback.set(name, why)
    }
  }

  /** Detach and free an interface's program (its counts stay in the totals). */
  close(name: string): void {
    const a = this.attached.get(name)
    this.fallback.delete(name)
    if (!a) return
    this.attached.delete(name)
    try {
      const s = a.prog.stats()
      this.closed.answered += s.answered
      this.closed.passed += s.passed
      this.closed.ndpAnswered += s.ndpAnswered
      this.closed.ndpPassed += s.ndpPassed
    } catch { /* counts lost with the program */ }
    a.prog.close()
  }

  closeAll(): void {
    for (const n of [...this.attached.keys(), ...this.fallback.keys()]) this.close(n)
  }

  /** Whether the kernel answers on this interface. */
  active(name: string): boolean {
    return this.attached.has(name)
  }

  /**
   * Make the kernel answer (or stop answering) for an address (4 bytes IPv4, 16 bytes IPv6) on an interface. A failed
   * add leaves the address to user space; a failed removal detaches the program, so nothing answers for it in the
   * kernel.
   */
  set(name: string, address: Buffer, present: boolean): void {
    const a = this.attached.get(name)
    if (!a) return
    const key = address.toString('hex')
    if (present === a.owned.has(key)) return
    try {
      a.prog.set(address, present)
      if (present) a.owned.add(key)
      else a.owned.delete(key)
    } catch (e) {
      this.mapErrors++
      this.onError(name, e as Error)
      if (present) return
      this.close(name)
      this.fallback.set(name, `detached: removing an address from the map failed (${(e as Error).message})`)
    }
  }

  /** The addresses in an interface's maps as the kernel reports them (IPv4 first), or undefined when not attached. */
  addresses(name: string): string[] | undefined {
    return this.attached.get(name)?.prog.addresses().map((b) => formatIP(ipFromBytes(b)))
  }

  status(): ArpOffloadStatus {
    const interfaces: Record<string, InterfaceOffload> = {}
    const total = {...this.closed}
    for (const [name, a] of this.attached) {
      const s = a.prog.stats()
      const c = {answered: s.answered, passed: s.passed, ndpAnswered: s.ndpAnswered, ndpPassed: s.ndpPassed}
      for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += c[k]
      interfaces[name] = {state: 'xdp', mode: a.mode, progId: a.prog.progId, ...c, addresses: a.owned.size}
    }
    for (const [name, reason] of this.fallback) interfaces[name] = {state: 'user-space', reason}
    return {setting: this.setting, interfaces, ...total, mapErrors: this.mapErrors}
  }
}
