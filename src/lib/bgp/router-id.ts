// The default BGP identifier (RFC 6286: a 32-bit number unique in the AS, written as an IPv4 address). FRR and BIRD
// take one of the router's IPv4 addresses, whatever the session's family, so an IPv6-only session still gets one.
import {isIPv4} from 'node:net'

/** An IPv4 address that can name a router: not 0/8, loopback 127/8, link-local 169.254/16, multicast or reserved. */
export function usableRouterId(a: string | undefined): a is string {
  if (!a || !isIPv4(a)) return false
  const [x, y] = a.split('.').map(Number)
  return x !== 0 && x !== 127 && x < 224 && !(x === 169 && y === 254)
}

const value = (a: string): number => a.split('.').reduce((n, p) => n * 256 + Number(p), 0)

/**
 * The router ID from candidate addresses in tiers of preference (e.g. the session's source address, then the Node's
 * InternalIP, then the host's other addresses): the first tier with a usable IPv4 address wins, and within it the
 * highest address, as FRR's zebra picks. Undefined when no tier has one.
 */
export function routerIdFrom(tiers: ReadonlyArray<ReadonlyArray<string | undefined>>): string | undefined {
  for (const tier of tiers) {
    const ok = tier.filter(usableRouterId)
    if (ok.length) return ok.reduce((a, b) => (value(b) > value(a) ? b : a))
  }
  return undefined
}
