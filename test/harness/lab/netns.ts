// The network lab (TESTING.md §2): namespaces joined by veth pairs and bridges, created by a test and always removed.
// Lab links use 198.18.0.0/15 and 2001:db8::/32, service addresses 203.0.113.0/24 and 2001:db8:ffff::/48. Nothing
// gets a default route, so no packet leaves the namespaces a lab created.
import {execFile, spawn, type ChildProcess, type SpawnOptions} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {forgetNamespace, removeNamespaceSync, trackChild, trackNamespace, untrackChild} from './cleanup.js'

export {cleanupStale, listNamespaces} from './cleanup.js'

export interface ExecResult {
  stdout: string
  stderr: string
  exitCode: number
}

export interface ExecOptions {
  /** Kill the command after this long (default 30 s). */
  timeoutMs?: number
  /** Throw when the exit code is not 0 (default false: the result carries it). */
  check?: boolean
  input?: string
  env?: NodeJS.ProcessEnv
}

/** Run a command in the root namespace (only `ip` plumbing; never to send packets). */
export function sh(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, {timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 << 20, env: opts.env ?? process.env, encoding: 'utf8'},
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & {code?: number | string}) | null
        if (e && typeof e.code === 'string') return reject(new Error(`${cmd}: ${e.message}`))
        const exitCode = e ? (typeof e.code === 'number' ? e.code : 128) : 0
        if (opts.check && exitCode !== 0) {
          return reject(new Error(`${cmd} ${args.join(' ')} exited ${exitCode}: ${stderr.trim() || stdout.trim()}`))
        }
        resolve({stdout, stderr, exitCode})
      })
    if (opts.input !== undefined) child.stdin?.end(opts.input)
  })
}

const ip = (args: string[]): Promise<ExecResult> => sh('ip', args, {check: true})

export interface NodeOptions {
  /** Attach the node's `eth0` to this bridge. */
  bridge?: Bridge
  /** Address of eth0 in CIDR form, e.g. 198.18.30.2/24. */
  ipv4?: string
  /** e.g. 2001:db8:30::2/64 (added with nodad). */
  ipv6?: string
  /** MAC of eth0 (default: random, locally administered). */
  mac?: string
  /** Interface name inside the node (default eth0). */
  ifname?: string
}

export interface LinkOptions {
  aIp?: string
  bIp?: string
  aIp6?: string
  bIp6?: string
  /** Interface names (default: `to-<other node>`). */
  aIfname?: string
  bIfname?: string
}

export interface LinkEnd {
  node: LabNode
  ifname: string
  mac: string
}

/** A random unicast, locally administered MAC (02:xx:…). */
export function randomMac(): string {
  const b = randomBytes(5)
  return ['02', ...[...b].map((x) => x.toString(16).padStart(2, '0'))].join(':')
}

const addrOnly = (cidr: string | undefined): string | undefined => cidr?.split('/')[0]

/** A namespace with processes of its own. Shared base of nodes and bridges. */
class Namespace {
  private readonly children = new Set<ChildProcess>()
  constructor(readonly lab: Lab, readonly name: string, readonly ns: string) {}

  /** Run a command inside the namespace. Resolves with the exit code; `check` makes non-zero reject. */
  exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return sh('ip', ['netns', 'exec', this.ns, cmd, ...args], opts)
  }

  /** Start a long-running process inside the namespace; it is killed on destroy. */
  spawn(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
    // `ip netns exec` execs the command in place, so the child's pid is the command's.
    const child = spawn('ip', ['netns', 'exec', this.ns, cmd, ...args], {stdio: ['pipe', 'pipe', 'pipe'], ...opts})
    this.children.add(child)
    trackChild(child)
    child.once('exit', () => this.children.delete(child))
    return child
  }

  async sysctl(key: string, value: string | number): Promise<void> {
    await this.exec('sysctl', ['-qw', `${key}=${value}`], {check: true})
  }

  /** MAC of an interface in this namespace. */
  async macOf(ifname: string): Promise<string> {
    const r = await ip(['-n', this.ns, '-j', 'link', 'show', 'dev', ifname])
    return (JSON.parse(r.stdout) as {address: string}[])[0].address
  }

  /** Stop this namespace's processes: SIGTERM, then SIGKILL after `graceMs`. */
  async stopChildren(graceMs = 1000): Promise<void> {
    await Promise.all([...this.children].map((c) => new Promise<void>((resolve) => {
      if (c.exitCode !== null || c.signalCode !== null) return resolve()
      const t = setTimeout(() => c.kill('SIGKILL'), graceMs)
      c.once('exit', () => {
        clearTimeout(t)
        untrackChild(c)
        resolve()
      })
      c.kill('SIGTERM')
    })))
  }
}

/** A bridge (the LAN) living in a namespace of its own, so the root namespace never sees lab traffic. */
export class Bridge extends Namespace {
  readonly ifname = 'br0'
}

/** A simulated machine: one namespace, optionally an `eth0` on a bridge, plus veth links to other nodes. */
export class LabNode extends Namespace {
  private primary?: LinkEnd
  ipv4?: string
  ipv6?: string

  /** The interface on the bridge (or the first link). */
  get ifname(): string {
    return this.need().ifname
  }

  get mac(): string {
    return this.need().mac
  }

  setPrimary(end: LinkEnd): void {
    this.primary ??= end
  }

  private need(): LinkEnd {
    if (!this.primary) throw new Error(`lab node ${this.name} has no interface yet (give it a bridge or link it)`)
    return this.primary
  }

  /** Add an address (CIDR) to an interface; IPv6 without DAD so it is usable at once. */
  async addAddress(cidr: string, ifname = this.ifname): Promise<void> {
    const extra = cidr.includes(':') ? ['nodad'] : []
    await ip(['-n', this.ns, 'addr', 'add', cidr, 'dev', ifname, ...extra])
  }

  async delAddress(cidr: string, ifname = this.ifname): Promise<void> {
    await ip(['-n', this.ns, 'addr', 'del', cidr, 'dev', ifname])
  }

  /** A route to `dest` (CIDR) via a gateway, or directly on `dev`. Default routes are refused: the lab stays closed. */
  async addRoute(dest: string, via?: string, opts: {dev?: string} = {}): Promise<void> {
    if (dest === 'default' || /\/0$/.test(dest)) throw new Error('the lab never gets a default route')
    const args = ['-n', this.ns, ...(dest.includes(':') ? ['-6'] : []), 'route', 'add', dest]
    if (via) args.push('via', via)
    if (opts.dev) args.push('dev', opts.dev)
    await ip(args)
  }

  /** Make this node a router (for a routed hop, e.g. eBGP multihop). */
  async enableForwarding(): Promise<void> {
    await this.sysctl('net.ipv4.ip_forward', 1)
    await this.sysctl('net.ipv6.conf.all.forwarding', 1)
  }

  async setLink(ifname: string, state: 'up' | 'down'): Promise<void> {
    await ip(['-n', this.ns, 'link', 'set', 'dev', ifname, state])
  }
}

let counter = 0

export class Lab {
  private readonly namespaces: Namespace[] = []
  private destroyed = false

  private constructor(readonly id: string) {}

  /**
   * A new lab. Namespaces are named `<prefix><3 random chars>-<name>` and must fit 15 characters, so keep the prefix
   * short (≤ 6) and node names shorter than 15 − prefix − 4.
   */
  static async create(prefix: string): Promise<Lab> {
    if (!/^[a-z][a-z0-9]{0,5}$/.test(prefix)) throw new Error(`lab prefix ${JSON.stringify(prefix)}: 1–6 lowercase letters/digits`)
    const rand = ((randomBytes(2).readUInt16BE(0) ^ (process.pid << 3) ^ counter++) >>> 0).toString(36).slice(-3).padStart(3, '0')
    return new Lab(prefix + rand)
  }

  private nsName(name: string): string {
    const ns = `${this.id}-${name}`
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`lab name ${JSON.stringify(name)}: lowercase letters, digits, '-'`)
    if (ns.length > 15) throw new Error(`namespace name ${ns} is longer than 15 characters; use a shorter name or prefix`)
    if (this.destroyed) throw new Error(`lab ${this.id} is destroyed`)
    return ns
  }

  private async newNamespace(ns: string): Promise<void> {
    trackNamespace(ns)
    await ip(['netns', 'add', ns])
    const q = (k: string, v: number): Promise<ExecResult> => sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `${k}=${v}`], {check: true})
    // Set before any interface exists: new interfaces copy `default`. DAD off so IPv6 addresses work at once;
    // no router solicitations or RAs, nothing that would wait or wander.
    for (const scope of ['all', 'default']) {
      await q(`net.ipv6.conf.${scope}.accept_dad`, 0)
      await q(`net.ipv6.conf.${scope}.dad_transmits`, 0)
      await q(`net.ipv6.conf.${scope}.accept_ra`, 0)
      await q(`net.ipv6.conf.${scope}.router_solicitations`, 0)
    }
    await ip(['-n', ns, 'link', 'set', 'lo', 'up'])
  }

  /** A bridge as the LAN: STP off, no forwarding delay, multicast snooping off (responders join groups without MLD). */
  async addBridge(name: string): Promise<Bridge> {
    const ns = this.nsName(name)
    await this.newNamespace(ns)
    const b = new Bridge(this, name, ns)
    this.namespaces.push(b)
    await ip(['-n', ns, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0'])
    await ip(['-n', ns, 'link', 'set', 'br0', 'up'])
    return b
  }

  async addNode(name: string, opts: NodeOptions = {}): Promise<LabNode> {
    const ns = this.nsName(name)
    await this.newNamespace(ns)
    const node = new LabNode(this, name, ns)
    this.namespaces.push(node)
    if (opts.bridge) {
      const ifname = opts.ifname ?? 'eth0'
      const mac = opts.mac ?? randomMac()
      // Created directly inside the two namespaces, so names never collide in the root namespace.
      await ip(['link', 'add', 'name', ifname, 'netns', ns, 'address', mac, 'type', 'veth', 'peer', 'name', name, 'netns', opts.bridge.ns])
      await ip(['-n', opts.bridge.ns, 'link', 'set', 'dev', name, 'master', 'br0', 'up'])
      await ip(['-n', ns, 'link', 'set', 'dev', ifname, 'up'])
      node.setPrimary({node, ifname, mac})
      if (opts.ipv4) await node.addAddress(opts.ipv4, ifname)
      if (opts.ipv6) await node.addAddress(opts.ipv6, ifname)
      node.ipv4 = addrOnly(opts.ipv4)
      node.ipv6 = addrOnly(opts.ipv6)
    }
    return node
  }

  /** A veth pair between two nodes, with optional addresses on each end. */
  async link(a: LabNode, b: LabNode, opts: LinkOptions = {}): Promise<{a: LinkEnd; b: LinkEnd}> {
    const aIf = opts.aIfname ?? `to-${b.name}`.slice(0, 15)
    const bIf = opts.bIfname ?? `to-${a.name}`.slice(0, 15)
    const aMac = randomMac()
    const bMac = randomMac()
    await ip(['link', 'add', 'name', aIf, 'netns', a.ns, 'address', aMac, 'type', 'veth', 'peer', 'name', bIf, 'netns', b.ns, 'address', bMac])
    await ip(['-n', a.ns, 'link', 'set', 'dev', aIf, 'up'])
    await ip(['-n', b.ns, 'link', 'set', 'dev', bIf, 'up'])
    for (const [n, ifn, addrs] of [[a, aIf, [opts.aIp, opts.aIp6]], [b, bIf, [opts.bIp, opts.bIp6]]] as const) {
      for (const c of addrs) if (c) await n.addAddress(c, ifn)
    }
    const ends = {a: {node: a, ifname: aIf, mac: aMac}, b: {node: b, ifname: bIf, mac: bMac}}
    a.setPrimary(ends.a)
    b.setPrimary(ends.b)
    return ends
  }

  get nodes(): LabNode[] {
    return this.namespaces.filter((n): n is LabNode => n instanceof LabNode)
  }

  /** Stop every process (SIGTERM, then SIGKILL) and delete every namespace. Safe to call twice. */
  async destroy(): Promise<void> {
    if (this.destroyed) return
    this.destroyed = true
    await Promise.all(this.namespaces.map((n) => n.stopChildren()))
    for (const n of [...this.namespaces].reverse()) {
      removeNamespaceSync(n.ns)
      forgetNamespace(n.ns)
    }
  }
}

/** Run `fn` with a fresh lab that is destroyed afterwards, whether `fn` returns or throws. */
export async function withLab<T>(prefix: string, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const lab = await Lab.create(prefix)
  try {
    return await fn(lab)
  } finally {
    await lab.destroy()
  }
}
