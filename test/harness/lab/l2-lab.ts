// The layer-2 lab shared by the l2 lab tests and bench/l2.bench.ts: a LAN bridge, two speaker nodes and a client.
import {Lab, type LabNode} from './index.js'
import {poll} from '../poll.js'
import {L2Responder, type L2ResponderOptions} from './l2-responder.js'

export const VIP4 = '203.0.113.10'
export const VIP6 = '2001:db8:ffff::10'
export const UNOWNED4 = '203.0.113.99'
export const UNOWNED6 = '2001:db8:ffff::99'

export interface L2Lab {
  lab: Lab
  a: LabNode
  b: LabNode
  client: LabNode
  ra: L2Responder
  rb: L2Responder
  destroy(): Promise<void>
}

/** Nodes a and b (each running a responder) and a client on one bridge, 198.18.30.0/24 and 2001:db8:30::/64. */
export async function l2Lab(prefix: string, opts: L2ResponderOptions = {}): Promise<L2Lab> {
  const lab = await Lab.create(prefix)
  try {
    const lan = await lab.addBridge('lan')
    const a = await lab.addNode('a', {bridge: lan, ipv4: '198.18.30.1/24', ipv6: '2001:db8:30::1/64'})
    const b = await lab.addNode('b', {bridge: lan, ipv4: '198.18.30.2/24', ipv6: '2001:db8:30::2/64'})
    const client = await lab.addNode('c', {bridge: lan, ipv4: '198.18.30.100/24', ipv6: '2001:db8:30::100/64'})
    // The client reaches service addresses on the LAN itself, as a router on the segment would.
    await client.addRoute('203.0.113.0/24', undefined, {dev: 'eth0'})
    await client.addRoute('2001:db8:ffff::/48', undefined, {dev: 'eth0'})
    const [ra, rb] = await Promise.all([L2Responder.start(a, opts), L2Responder.start(b, opts)])
    return {lab, a, b, client, ra, rb, destroy: () => lab.destroy()}
  } catch (e) {
    await lab.destroy()
    throw e
  }
}

/**
 * arping once from the client; the distinct MACs that replied (lower case). Debian's `arping` is Thomas Habets'
 * ("60 bytes from MAC (IP)"); iputils' prints "[MAC]": both are read.
 */
export async function arping(client: LabNode, address: string, timeoutS = 1): Promise<string[]> {
  const r = await client.exec('arping', ['-c1', '-w', String(timeoutS), '-i', client.ifname, address])
  const macs = [...r.stdout.matchAll(/from ([0-9a-fA-F:]{17}) \(|\[([0-9a-fA-F:]{17})\]/g)].map((m) => (m[1] ?? m[2]).toLowerCase())
  return [...new Set(macs)]
}

/**
 * ndisc6 once from the client (one solicitation); the target link-layer addresses it reported (lower case). `all`:
 * wait the whole timeout and report every answer (`-m`), not just the first.
 */
export async function ndisc(client: LabNode, address: string, timeoutMs = 1000, all = false): Promise<string[]> {
  const r = await client.exec('ndisc6', [all ? '-m' : '-1', '-r1', `-w${timeoutMs}`, address, client.ifname])
  return [...r.stdout.matchAll(/Target link-layer address:\s*([0-9A-Fa-f:]{17})/g)].map((m) => m[1].toLowerCase())
}

/** The client's neighbour entry for an address: its MAC, or undefined. */
export async function neighbor(client: LabNode, address: string): Promise<string | undefined> {
  const r = await client.exec('ip', ['-j', 'neigh', 'show', address, 'dev', client.ifname], {check: true})
  const e = (JSON.parse(r.stdout || '[]') as {lladdr?: string}[])[0]
  return e?.lladdr?.toLowerCase()
}

/** Poll until `fn` returns a value that `ok` accepts, or fail after `ms`. */
export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms: number, what: string): Promise<T> {
  return poll(fn, {ok, timeoutMs: ms, what, intervalMs: 20, retryErrors: false})
}

/** Make the client's kernel resolve `address` (one UDP datagram to the discard port), so it has a neighbour entry. */
export async function touch(client: LabNode, address: string): Promise<void> {
  const fam = address.includes(':') ? 'udp6' : 'udp4'
  await client.exec(process.execPath, ['-e',
    `const s=require('dgram').createSocket('${fam}');s.send('x',9,'${address}',()=>s.close())`], {check: true})
}

/** Seconds since the client's neighbour entry for `address` last changed (the kernel's `updated`). */
export async function neighborAge(client: LabNode, address: string): Promise<number> {
  const r = await client.exec('ip', ['-s', '-j', 'neigh', 'show', address, 'dev', client.ifname], {check: true})
  return (JSON.parse(r.stdout || '[]') as {updated?: number}[])[0]?.updated ?? -1
}
