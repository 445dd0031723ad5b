// The node's links without the `ip` binary: /sys/class/net for each link's index, MAC, flags, state, type and master,
// and getifaddrs (os.networkInterfaces) for its addresses. Used when `ip` is not installed (the default distroless
// runtime image has none). /sys/class/net shows the network namespace sysfs was mounted in: a container's own sysfs, or
// `ip netns exec`'s remount — the same places `ip` would look at. getifaddrs (libuv) leaves out links that are not
// running, so those have no addresses here; the selection does not need them.
import {readdirSync, readFileSync, readlinkSync} from 'node:fs'
import {networkInterfaces} from 'node:os'
import {basename, join} from 'node:path'
import type {Link, LinkAddress} from './interfaces.js'

const SYS_NET = '/sys/class/net'

/** dev->flags bits (linux/if.h) by the names `ip -j` prints. */
const FLAG_BITS: ReadonlyArray<[number, string]> = [
  [0x1, 'UP'], [0x2, 'BROADCAST'], [0x8, 'LOOPBACK'], [0x10, 'POINTOPOINT'], [0x80, 'NOARP'], [0x100, 'PROMISC'],
  [0x400, 'MASTER'], [0x800, 'SLAVE'], [0x1000, 'MULTICAST'],
]

/** ARPHRD_* (linux/if_arp.h) by the names `ip -j` prints as link_type. */
const LINK_TYPES: Record<number, string> = {1: 'ether', 772: 'loopback', 776: 'sit', 778: 'gre', 65534: 'none'}

export function flagNames(flags: number): string[] {
  return FLAG_BITS.filter(([bit]) => (flags & bit) !== 0).map(([, name]) => name)
}

export function linkTypeName(type: number): string {
  return LINK_TYPES[type] ?? String(type)
}

function scopeOf(family: 4 | 6, address: string): string {
  if (family === 4) return address.startsWith('127.') ? 'host' : 'global'
  const a = address.toLowerCase()
  if (a === '::1') return 'host'
  return /^fe[89ab]/.test(a) ? 'link' : 'global'
}

export interface SysfsSource {
  /** Names of the links (the entries of /sys/class/net). */
  names(): string[]
  /** One attribute file of a link, trimmed; undefined when it cannot be read. */
  read(name: string, attr: string): string | undefined
  /** The link a link is enslaved to (the `master` symlink), if any. */
  master(name: string): string | undefined
  addresses(): NodeJS.Dict<import('node:os').NetworkInterfaceInfo[]>
}

const tryRead = (p: string): string | undefined => {
  try {
    return readFileSync(p, 'utf8').trim()
  } catch {
    return undefined
  }
}

export const systemSysfs: SysfsSource = {
  names: () => readdirSync(SYS_NET),
  read: (name, attr) => tryRead(join(SYS_NET, name, attr)),
  master: (name) => {
    try {
      return basename(readlinkSync(join(SYS_NET, name, 'master')))
    } catch {
      return undefined
    }
  },
  addresses: () => networkInterfaces(),
}

/** The links as `listLinks` returns them from `ip -j -d addr show`, read from sysfs and getifaddrs. */
export function listLinksSysfs(src: SysfsSource = systemSysfs): Link[] {
  const addrs = src.addresses()
  const links: Link[] = []
  for (const name of src.names()) {
    const index = Number(src.read(name, 'ifindex'))
    // A link that went away between the listing and the read.
    if (!Number.isInteger(index) || index <= 0) continue
    const flags = Number.parseInt(src.read(name, 'flags') ?? '0', 16)
    const addresses: LinkAddress[] = (addrs[name] ?? []).map((a) => {
      const family = a.family === 'IPv4' ? 4 : 6
      const prefixLength = Number((a.cidr ?? '').split('/')[1])
      return {family, address: a.address, prefixLength: Number.isFinite(prefixLength) ? prefixLength : family === 4 ? 32 : 128, scope: scopeOf(family, a.address)}
    })
    links.push({
      index, name,
      mac: src.read(name, 'address') ?? '',
      flags: flagNames(Number.isFinite(flags) ? flags : 0),
      operState: (src.read(name, 'operstate') ?? 'unknown').toUpperCase(),
      linkType: linkTypeName(Number(src.read(name, 'type'))),
      master: src.master(name),
      addresses,
    })
  }
  return links.sort((a, b) => a.index - b.index)
}
