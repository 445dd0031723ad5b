// Capability names for people (the probe's steps and --json): the IANA "Capability Codes" registry
// (https://www.iana.org/assignments/capability-codes), so an FQDN capability reads "FQDN (73)", not "capability 73".
import {capabilityCode, describeCapability} from './open.js'
import type {Capability} from './types.js'

/** IANA's names, shortened; the codes a router may send us, whether or not we speak them. */
export const CAPABILITY_NAMES: Readonly<Record<number, string>> = {
  1: 'multiprotocol',
  2: 'route refresh',
  3: 'outbound route filtering',
  4: 'multiple routes to a destination',
  5: 'extended next hop (RFC 8950)',
  6: 'extended messages (RFC 8654)',
  7: 'BGPsec',
  8: 'multiple labels',
  9: 'BGP role',
  64: 'graceful restart',
  65: '4-octet AS numbers',
  67: 'dynamic capability',
  68: 'multisession',
  69: 'ADD-PATH',
  70: 'enhanced route refresh',
  71: 'long-lived graceful restart',
  72: 'routing policy distribution',
  73: 'FQDN',
  74: 'BFD',
  75: 'software version',
  76: 'paths limit',
  128: 'route refresh (pre-standard, Cisco)',
  129: 'outbound route filtering (pre-standard)',
  130: 'outbound route filtering (pre-standard)',
  131: 'multisession (pre-standard)',
  184: 'FQDN (pre-standard)',
  185: 'operational message (pre-standard)',
}

/** A capability code in words: "extended messages (RFC 8654)", or "capability 200" for one IANA has not named. */
export function capabilityName(code: number): string {
  return CAPABILITY_NAMES[code] ?? `capability ${code}`
}

/** A received capability in words: the codec's description where it decodes the value, else its IANA name. */
export function describeReceivedCapability(c: Capability): string {
  switch (c.kind) {
    case 'multiprotocol': case 'four-octet-as': case 'extended-next-hop': case 'graceful-restart': return describeCapability(c)
    // One lbctl does not speak: its name and code ("FQDN (73)"), so it can be looked up.
    case 'unknown': return CAPABILITY_NAMES[c.code] ? `${CAPABILITY_NAMES[c.code]} (${c.code})` : `capability ${c.code}`
    default: return CAPABILITY_NAMES[capabilityCode(c)] ?? describeCapability(c)
  }
}
