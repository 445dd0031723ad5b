// Layer 2 in effect on this node: the election's winners own their addresses in the L2 engine (with the gratuitous
// burst on takeover), losers release at once. Level-triggered: each apply() is the whole desired state.
import {selectInterfaces, type Link} from '../../lib/l2/interfaces.js'
import type {L2Election} from './election.js'

/** What the manager needs of src/lib/l2 L2Engine. */
export interface L2EngineLike {
  own(address: string, interfaces?: readonly string[]): unknown
  release(address: string): boolean
  setInterfaces(names: readonly string[]): void
}

export interface OwnedL2 {
  address: string
  /** Interfaces announced on (resolved: the default selection when the advertisement names none). */
  interfaces: string[]
  services: string[]
}

export interface L2ManagerOptions {
  node: string
  engine: L2EngineLike
  /** Interface name globs left out of "every interface" (default: src/lib/l2 DEFAULT_EXCLUDE). */
  exclude?: readonly string[]
  /** Called after each change of what is owned (take-overs and releases), with the addresses gained and lost. */
  onChange?: (gained: string[], lost: string[]) => void
}

export class L2Manager {
  private links: Link[] = []
  private election: L2Election | undefined
  private readonly owned = new Map<string, OwnedL2>()
  private stopped = false

  constructor(private readonly opts: L2ManagerOptions) {}

  /** The node's links changed (from watchInterfaces): serve what is now eligible, re-own where interfaces changed. */
  setLinks(links: readonly Link[]): void {
    this.links = [...links]
    this.reconcile()
  }

  /** A new election result. */
  apply(election: L2Election): void {
    this.election = election
    this.reconcile()
  }

  /** What this node announces now, by address. */
  ownedAddresses(): OwnedL2[] {
    return [...this.owned.values()].sort((a, b) => (a.address < b.address ? -1 : 1))
  }

  /** Give up every address (graceful hand-over, shutdown). Nothing is owned afterwards, whatever apply() is called. */
  releaseAll(): string[] {
    this.stopped = true
    const lost = [...this.owned.keys()]
    for (const a of lost) this.opts.engine.release(a)
    this.owned.clear()
    if (lost.length > 0) this.opts.onChange?.([], lost)
    return lost
  }

  private defaults(): string[] {
    return selectInterfaces(this.links, this.opts.exclude ? {exclude: this.opts.exclude} : {}).selected.map((l) => l.name)
  }

  private reconcile(): void {
    if (this.stopped) return
    const defaults = this.defaults()
    const named = new Set<string>()
    const want = new Map<string, OwnedL2>()
    for (const a of this.election?.assignments.values() ?? []) {
      if (a.owner !== this.opts.node) continue
      let ifs = defaults
      if (a.interfaces) {
        // Named interfaces bypass the exclude list but must still be up, ARP-capable Ethernet links.
        ifs = selectInterfaces(this.links, {interfaces: a.interfaces}).selected.map((l) => l.name)
        for (const i of ifs) named.add(i)
      }
      want.set(a.address, {address: a.address, interfaces: [...ifs].sort(), services: a.services})
    }
    // Open sockets first, so a new owner answers from the first request.
    this.opts.engine.setInterfaces([...new Set([...defaults, ...named])].sort())
    const gained: string[] = []
    const lost: string[] = []
    for (const [address] of this.owned) {
      if (want.has(address)) continue
      this.opts.engine.release(address)
      this.owned.delete(address)
      lost.push(address)
    }
    for (const [address, w] of want) {
      const cur = this.owned.get(address)
      if (cur && sameList(cur.interfaces, w.interfaces)) {
        cur.services = w.services
        continue
      }
      this.opts.engine.own(address, w.interfaces)
      this.owned.set(address, w)
      if (!cur) gained.push(address)
    }
    if (gained.length > 0 || lost.length > 0) this.opts.onChange?.(gained, lost)
  }
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])
