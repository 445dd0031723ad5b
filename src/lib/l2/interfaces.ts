// Which interfaces the layer-2 engine serves: discovered with `ip -j -d addr`, watched with `ip monitor` (restarted
// when it dies), filtered like MetalLB's speaker (skip down, NOARP, loopback, bond/bridge members and the default
// exclude list). Where `ip` is not installed (the distroless runtime image), the links come from sysfs and getifaddrs
// (sysfs-links.ts) and are re-read every `pollMs` instead of on `ip monitor`'s events.
import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {accessSync, constants} from 'node:fs'
import {delimiter, join} from 'node:path'
import {type Clock, systemClock} from '../clock.js'
import {listLinksSysfs} from './sysfs-links.js'

/** MetalLB's default: interfaces of container runtimes, CNIs and kube-proxy never carry service ARP/NDP. */
export const DEFAULT_EXCLUDE: readonly string[] = ['docker*', 'cbr*', 'dummy*', 'virbr*', 'lxcbr*', 'veth*', 'lo', 'cali*',
  'tunl*', 'flannel*', 'kube-ipvs*', 'cni*', 'nodelocaldns*', 'lxc*']

export interface LinkAddress {
  family: 4 | 6
  address: string
  prefixLength: number
  scope: string
}

export interface Link {
  index: number
  name: string
  mac: string
  flags: string[]
  operState: string
  linkType: string
  /** Set when the link is enslaved to a bond or bridge. */
  master?: string
  kind?: string
  addresses: LinkAddress[]
}

export type SkipReason = 'down' | 'noarp' | 'loopback' | 'member' | 'notEthernet' | 'excluded' | 'notListed'

export interface InterfaceSelection {
  selected: Link[]
  skipped: {name: string; reason: SkipReason}[]
}

export interface SelectOptions {
  /** Explicit list: only these, and the exclude list does not apply to them. */
  interfaces?: readonly string[]
  /** Name globs (`*` only) to leave out; default DEFAULT_EXCLUDE. */
  exclude?: readonly string[]
}

/** Parse `ip -j -d addr show` output. Unknown fields are ignored; missing ones default. */
export function parseIpAddrJson(json: string): Link[] {
  const raw = JSON.parse(json) as Record<string, any>[]
  return raw.map((l) => ({
    index: Number(l.ifindex),
    name: String(l.ifname),
    mac: String(l.address ?? ''),
    flags: Array.isArray(l.flags) ? l.flags.map(String) : [],
    operState: String(l.operstate ?? 'UNKNOWN'),
    linkType: String(l.link_type ?? ''),
    master: typeof l.master === 'string' ? l.master : undefined,
    kind: typeof l.linkinfo?.info_kind === 'string' ? l.linkinfo.info_kind : undefined,
    addresses: (Array.isArray(l.addr_info) ? l.addr_info : [])
      .filter((a: any) => a.family === 'inet' || a.family === 'inet6')
      .map((a: any) => ({family: a.family === 'inet' ? 4 : 6, address: String(a.local), prefixLength: Number(a.prefixlen), scope: String(a.scope ?? '')})),
  }))
}

const globRe = (g: string): RegExp => new RegExp('^' + g.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$')

/** Pure selection, with the reason for every link left out. */
export function selectInterfaces(links: readonly Link[], opts: SelectOptions = {}): InterfaceSelection {
  const exclude = (opts.exclude ?? DEFAULT_EXCLUDE).map(globRe)
  const listed = opts.interfaces ? new Set(opts.interfaces) : undefined
  const out: InterfaceSelection = {selected: [], skipped: []}
  for (const l of links) {
    const skip = (reason: SkipReason): void => {
      out.skipped.push({name: l.name, reason})
    }
    if (listed && !listed.has(l.name)) skip('notListed')
    else if (l.flags.includes('LOOPBACK')) skip('loopback')
    else if (!listed && exclude.some((r) => r.test(l.name))) skip('excluded')
    else if (!l.flags.includes('UP') || l.operState === 'DOWN') skip('down')
    else if (l.flags.includes('NOARP')) skip('noarp')
    else if (l.linkType !== 'ether') skip('notEthernet')
    // A bond or bridge member: its frames belong to the master, which is the interface to serve.
    else if (l.master !== undefined) skip('member')
    else out.selected.push(l)
  }
  return out
}

/** Run `ip` in the current network namespace. */
export type IpRunner = (args: string[]) => Promise<string>

export const runIp: IpRunner = (args) => new Promise((resolve, reject) => {
  execFile('ip', args, {encoding: 'utf8', maxBuffer: 16 << 20}, (err, stdout, stderr) => err ? reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || err.message}`)) : resolve(stdout))
})

let ipFound: boolean | undefined
/** Whether the `ip` binary is on PATH (looked up once). */
export function ipInstalled(): boolean {
  if (ipFound === undefined) {
    ipFound = (process.env.PATH ?? '').split(delimiter).filter(Boolean).some((d) => {
      try {
        accessSync(join(d, 'ip'), constants.X_OK)
        return true
      } catch {
        return false
      }
    })
  }
  return ipFound
}

/** The node's links: from `ip` (a runner tests can replace), or from sysfs when `ip` is not installed. */
export async function listLinks(ip: IpRunner = runIp): Promise<Link[]> {
  if (ip === runIp && !ipInstalled()) return listLinksSysfs()
  return parseIpAddrJson(await ip(['-j', '-d', 'addr', 'show']))
}

export interface InterfaceWatch {
  close(): void
  /** The pid of the running `ip monitor`, undefined while it is down (waiting to be restarted). */
  readonly monitorPid: number | undefined
  /** How many times `ip monitor` was restarted after it died. */
  readonly restarts: number
}

export interface WatchOptions extends SelectOptions {
  debounceMs?: number
  ip?: IpRunner
  /** A failure that did not stop the watch: a re-scan that failed, or `ip monitor` dying (it is restarted). */
  onError?: (e: Error) => void
  /** Starts the event source (default `ip monitor link address`); tests pass a fake. */
  monitor?: () => ChildProcess
  /** Restart delay after `ip monitor` dies: `initialMs` doubling up to `maxMs`; back to `initialMs` once it ran `stableMs`. */
  backoff?: {initialMs?: number; maxMs?: number; stableMs?: number}
  /** A second full re-scan this long after a restart: covers events between the re-scan and the new monitor listening. */
  settleMs?: number
  /** Without `ip` (no monitor to run): how often the links are re-read; onChange is called only when they changed. */
  pollMs?: number
  clock?: Clock
}

const spawnMonitor = (): ChildProcess => spawn('ip', ['monitor', 'link', 'address'], {stdio: ['ignore', 'pipe', 'ignore']})

/**
 * Call `onChange` with the full selection now and after every link/address change (level-triggered: each call is the
 * whole current state, so a missed event costs nothing). Changes are coalesced for `debounceMs`. When `ip monitor`
 * dies it is restarted with exponential backoff, followed by a full re-scan, so changes made while it was down are
 * seen too.
 */
export function watchInterfaces(onChange: (sel: InterfaceSelection, links: Link[]) => void, opts: WatchOptions = {}): InterfaceWatch {
  const ip = opts.ip ?? runIp
  const clock = opts.clock ?? systemClock
  const initialMs = opts.backoff?.initialMs ?? 100
  const maxMs = opts.backoff?.maxMs ?? 10_000
  const stableMs = opts.backoff?.stableMs ?? 10_000
  let closed = false
  let debounce: unknown
  const timers = new Set<unknown>()
  let running = false
  let again = false
  let mon: ChildProcess | undefined
  let failures = 0
  let restarts = 0
  const later = (fn: () => void, ms: number): void => {
    const t = clock.setTimeout(() => {
      timers.delete(t)
      fn()
    }, ms)
    timers.add(t)
  }
  const relist = async (): Promise<void> => {
    if (running) {
      again = true
      return
    }
    running = true
    try {
      do {
        again = false
        const links = await listLinks(ip)
        if (!closed) onChange(selectInterfaces(links, opts), links)
      } while (again && !closed)
    } catch (e) {
      opts.onError?.(e as Error)
    } finally {
      running = false
    }
  }
  const changed = (): void => {
    if (debounce !== undefined) clock.clearTimeout(debounce)
    debounce = clock.setTimeout(() => {
      debounce = undefined
      void relist()
    }, opts.debounceMs ?? 50)
  }
  const start = (): void => {
    const child = (opts.monitor ?? spawnMonitor)()
    const startedAt = clock.now()
    mon = child
    let down = false
    const died = (why: string): void => {
      if (down) return
      down = true
      if (mon === child) mon = undefined
      if (closed) return
      if (clock.now() - startedAt >= stableMs) failures = 0
      const delay = Math.min(maxMs, initialMs * 2 ** failures)
      failures++
      opts.onError?.(new Error(`ip monitor ${why}; restarting it in ${delay} ms`))
      later(() => {
        if (closed) return
        restarts++
        start()
        void relist()
        later(() => void relist(), opts.settleMs ?? 1000)
      }, delay)
    }
    child.on('error', (e) => died(`failed: ${e.message}`))
    child.on('exit', (code, signal) => died(`exited (${signal ?? `code ${code}`})`))
    child.stdout?.on('data', changed)
  }
  if (!opts.monitor && opts.ip === undefined && !ipInstalled()) {
    // No `ip monitor`: poll, and report only changes (the level-triggered contract holds: each call is the whole state).
    let last = ''
    const poll = async (): Promise<void> => {
      try {
        const links = await listLinks(ip)
        const now = JSON.stringify(links)
        if (!closed && now !== last) {
          last = now
          onChange(selectInterfaces(links, opts), links)
        }
      } catch (e) {
        opts.onError?.(e as Error)
      }
      if (!closed) later(() => void poll(), opts.pollMs ?? 1000)
    }
    void poll()
  } else {
    start()
    void relist()
  }
  return {
    close(): void {
      closed = true
      if (debounce !== undefined) clock.clearTimeout(debounce)
      for (const t of timers) clock.clearTimeout(t)
      timers.clear()
      mon?.kill()
    },
    get monitorPid(): number | undefined {
      return mon?.pid
    },
    get restarts(): number {
      return restarts
    },
  }
}
