// The legacy configuration (MetalLB v0.9–v0.12, ConfigMap `config`, key `config`) as typed data, read field by field.
// Field names, types and defaults: MetalLB v0.12 internal/config/config.go (`configFile`, `peer`, `nodeSelector`,
// `selectorRequirements`, `addressPool`, `bgpAdvertisement`, `bfdProfile` and their yaml tags; Go fields without a tag,
// like `LocalPref`, are read under their lower-cased name, `localpref`), and the v0.12 configuration page
// (metallb.universe.tf/configuration, "BGP configuration", "Layer 2 configuration", "Advanced BGP configuration").
// Rules about one field live here; rules across fields and objects (overlaps, duplicates, references) in validate.ts.
import {type ParsedRange, parseRange, NetParseError, tryParseIP} from '../../net/index.js'
import {CRD_DURATION, parseGoDuration} from './duration.js'
import {LegacyConfigError} from './errors.js'
import {child, item, readBool, readInt, readList, readMap, readString, readStringList, readStringMap} from './fields.js'
import type {Raw} from './yaml.js'

export interface LegacySelector {
  path: string
  matchLabels: Record<string, string>
  matchExpressions: Array<{key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values: string[]}>
}

export interface LegacyDuration {
  /** As written. */
  text: string
  /** What MetalLB used, in whole milliseconds. */
  ms: number
  /** The text to write into the CRD field. */
  crd: string
  /** Set when `crd` does not say exactly what `text` said (rounded, or re-spelled for the CRD's pattern). */
  changed?: string
}

export interface LegacyPeer {
  path: string
  myASN: number
  peerASN: number
  peerAddress: string
  /** Absent: 179 (`port := uint16(179); if p.Port != 0 {…}`). */
  peerPort?: number
  sourceAddress?: string
  /** Absent: 90s. */
  holdTime?: LegacyDuration
  /** Absent: hold-time / 3. */
  keepaliveTime?: LegacyDuration
  routerID?: string
  /** Empty: every node (`labels.Everything()`). */
  nodeSelectors: LegacySelector[]
  password?: string
  bfdProfile?: {name: string; path: string}
  ebgpMultiHop: boolean
}

export interface LegacyCommunityRef {
  text: string
  path: string
}

export interface LegacyAdvertisement {
  path: string
  /** Absent: 32. */
  aggregationLength?: number
  /** Absent: 128. */
  aggregationLengthV6?: number
  /** Absent: 0 (no LOCAL_PREF preference). */
  localPref?: number
  communities: LegacyCommunityRef[]
}

export interface LegacyAddress {
  path: string
  range: ParsedRange
}

export interface LegacyPool {
  path: string
  name: string
  protocol: 'bgp' | 'layer2'
  addresses: LegacyAddress[]
  /** Default false. */
  avoidBuggyIPs: boolean
  /** Default true (`AutoAssign *bool`, nil means true). */
  autoAssign: boolean
  /** Empty for a bgp pool: one advertisement with the defaults (aggregation 32/128, no localpref, no communities). */
  bgpAdvertisements: LegacyAdvertisement[]
}

export interface LegacyCommunity {
  path: string
  name: string
  value: string
}

export interface LegacyBfdProfile {
  path: string
  name: string
  receiveInterval?: number
  transmitInterval?: number
  detectMultiplier?: number
  echoInterval?: number
  echoMode?: boolean
  passiveMode?: boolean
  minimumTtl?: number
}

export interface LegacyConfig {
  peers: LegacyPeer[]
  pools: LegacyPool[]
  communities: LegacyCommunity[]
  bfdProfiles: LegacyBfdProfile[]
}

const TOP = ['peers', 'bgp-communities', 'address-pools', 'bfd-profiles'] as const
const PEER = ['my-asn', 'peer-asn', 'peer-address', 'source-address', 'peer-port', 'hold-time', 'keepalive-time', 'router-id', 'node-selectors', 'password', 'bfd-profile', 'ebgp-multihop'] as const
const SELECTOR = ['match-labels', 'match-expressions'] as const
const REQUIREMENT = ['key', 'operator', 'values'] as const
const POOL = ['protocol', 'name', 'addresses', 'avoid-buggy-ips', 'auto-assign', 'bgp-advertisements'] as const
const ADVERTISEMENT = ['aggregation-length', 'aggregation-length-v6', 'localpref', 'communities'] as const
const BFD = ['name', 'receive-interval', 'transmit-interval', 'detect-multiplier', 'echo-interval', 'echo-mode', 'passive-mode', 'minimum-ttl'] as const

/** Read a whole configuration. @throws LegacyConfigError naming the first bad field. */
export function readLegacyConfig(raw: Raw | undefined): LegacyConfig {
  const top = readMap(raw, '', TOP, 'the configuration')
  return {
    peers: readList(top.get('peers'), 'peers', 'peers').map((p, i) => readPeer(p, item('peers', i))),
    pools: readList(top.get('address-pools'), 'address-pools', 'address pools').map((p, i) => readPool(p, item('address-pools', i))),
    communities: readStringMap(top.get('bgp-communities'), 'bgp-communities').map((c) => ({path: c.path, name: c.key, value: c.value})),
    bfdProfiles: readList(top.get('bfd-profiles'), 'bfd-profiles', 'BFD profiles').map((b, i) => readBfd(b, item('bfd-profiles', i))),
  }
}

function ip(r: Raw | undefined, path: string, what: string): string | undefined {
  const s = readString(r, path)
  if (s === undefined) return undefined
  // net.ParseIP: a plain address, no prefix, no zone.
  if (!tryParseIP(s) || s.includes('/') || s.includes('%')) throw new LegacyConfigError('LEGACY_VALUE', path, `${JSON.stringify(s)} is not an IP address (${what})`)
  return s
}

function duration(r: Raw | undefined, path: string, field: string): LegacyDuration | undefined {
  const text = readString(r, path)
  if (text === undefined) return undefined
  const ms = parseGoDuration(text)
  // parsePeer: `time.ParseDuration(p.HoldTime)` → "invalid hold time %q: %s".
  if (ms === undefined) throw new LegacyConfigError('LEGACY_VALUE', path, `${JSON.stringify(text)} is not a duration (${field})`, 'Write it like Go does: 90s, 1m30s, 3m.')
  return {text, ms, crd: text}
}

function readPeer(r: Raw, path: string): LegacyPeer {
  const m = readMap(r, path, PEER, 'a peer')
  const f = (k: string) => child(path, k)
  // parsePeer: "missing local ASN" / "missing peer ASN" when 0 (the zero value of uint32 means absent).
  const myASN = readInt(m.get('my-asn'), f('my-asn'), 'uint32')
  if (!myASN) throw new LegacyConfigError('LEGACY_MISSING', f('my-asn'), 'is missing: every peer needs the AS number MetalLB speaks as', 'Add e.g. `my-asn: 64500`.')
  const peerASN = readInt(m.get('peer-asn'), f('peer-asn'), 'uint32')
  if (!peerASN) throw new LegacyConfigError('LEGACY_MISSING', f('peer-asn'), 'is missing: every peer needs the router\'s AS number', 'Add e.g. `peer-asn: 64501`.')
  // parsePeer: `net.ParseIP(p.Addr)` → "invalid peer IP %q".
  const peerAddress = ip(m.get('peer-address'), f('peer-address'), 'the router to connect to')
  if (!peerAddress) throw new LegacyConfigError('LEGACY_MISSING', f('peer-address'), 'is missing: every peer needs the router\'s address', 'Add e.g. `peer-address: 10.0.0.1`.')
  const port = readInt(m.get('peer-port'), f('peer-port'), 'uint16')
  const ebgpMultiHop = readBool(m.get('ebgp-multihop'), f('ebgp-multihop')) ?? false
  // parsePeer: "invalid ebgp-multihop parameter set for an ibgp peer".
  if (ebgpMultiHop && myASN === peerASN) throw new LegacyConfigError('LEGACY_VALUE', f('ebgp-multihop'), `is set on an iBGP peer (my-asn = peer-asn = ${myASN}); MetalLB refused this too`, 'Remove ebgp-multihop, or correct the ASNs.')

  const holdTime = duration(m.get('hold-time'), f('hold-time'), 'hold-time')
  if (holdTime) {
    // parsePeer: the hold time is rounded down to whole seconds, then must be 0 or ≥ 3s (RFC 4271 §4.2).
    const rounded = Math.trunc(holdTime.ms / 1000) * 1000
    if (rounded !== 0 && rounded < 3000) throw new LegacyConfigError('LEGACY_VALUE', f('hold-time'), `${JSON.stringify(holdTime.text)} is not 0 or at least 3s (RFC 4271 §4.2); MetalLB refused it too`)
    if (rounded !== holdTime.ms) {
      holdTime.crd = `${rounded / 1000}s`
      holdTime.changed = `MetalLB rounded ${holdTime.text} down to ${holdTime.crd}; written as ${holdTime.crd}`
    } else if (!CRD_DURATION.test(holdTime.text)) {
      holdTime.crd = `${rounded / 1000}s`
      holdTime.changed = `written as ${holdTime.crd} (the CRD's duration form)`
    }
    holdTime.ms = rounded
  }
  const keepaliveTime = duration(m.get('keepalive-time'), f('keepalive-time'), 'keepalive-time')
  if (keepaliveTime) {
    if (keepaliveTime.ms < 0) throw new LegacyConfigError('LEGACY_VALUE', f('keepalive-time'), `${JSON.stringify(keepaliveTime.text)} is negative`)
    const whole = Math.round(keepaliveTime.ms)
    keepaliveTime.crd = CRD_DURATION.test(keepaliveTime.text) && whole === keepaliveTime.ms ? keepaliveTime.text : whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`
    if (keepaliveTime.crd !== keepaliveTime.text) keepaliveTime.changed = `written as ${keepaliveTime.crd} (the CRD's duration form${whole !== keepaliveTime.ms ? ', whole milliseconds' : ''})`
    keepaliveTime.ms = whole
    // parsePeer: "invalid keepaliveTime %q, must be lower than holdTime %q" (hold-time defaults to 90s).
    const hold = holdTime?.ms ?? 90_000
    if (keepaliveTime.ms > hold) throw new LegacyConfigError('LEGACY_VALUE', f('keepalive-time'), `${keepaliveTime.text} is longer than the hold time (${holdTime?.text ?? '90s, the default'}); MetalLB refused this too`, 'Make keepalive-time at most a third of hold-time.')
  }
  // parsePeer: router ID via net.ParseIP → "invalid router ID %q". A BGP Identifier is 32 bits (RFC 4271 §4.2).
  const routerID = ip(m.get('router-id'), f('router-id'), 'the BGP router ID')
  if (routerID && routerID.includes(':')) throw new LegacyConfigError('LEGACY_VALUE', f('router-id'), `${routerID} is an IPv6 address; a BGP router ID is 32 bits, written as an IPv4 address (RFC 4271 §4.2)`)
  const bfdName = readString(m.get('bfd-profile'), f('bfd-profile'))
  const peer: LegacyPeer = {
    path, myASN, peerASN, peerAddress, ebgpMultiHop,
    // parsePeer: "invalid source IP %q".
    sourceAddress: ip(m.get('source-address'), f('source-address'), 'the local address of the session'),
    routerID,
    password: readString(m.get('password'), f('password')),
    nodeSelectors: readList(m.get('node-selectors'), f('node-selectors'), 'node selectors').map((s, i) => readSelector(s, item(f('node-selectors'), i))),
  }
  if (port) peer.peerPort = port
  if (holdTime) peer.holdTime = holdTime
  if (keepaliveTime) peer.keepaliveTime = keepaliveTime
  if (bfdName) peer.bfdProfile = {name: bfdName, path: f('bfd-profile')}
  return peer
}

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const

// parseNodeSelector → metav1.LabelSelectorAsSelector: In/NotIn need values, Exists/DoesNotExist take none.
function readSelector(r: Raw, path: string): LegacySelector {
  const m = readMap(r, path, SELECTOR, 'a node selector')
  const matchLabels: Record<string, string> = {}
  for (const l of readStringMap(m.get('match-labels'), child(path, 'match-labels'))) matchLabels[l.key] = l.value
  const matchExpressions = readList(m.get('match-expressions'), child(path, 'match-expressions'), 'label requirements').map((e, i) => {
    const p = item(child(path, 'match-expressions'), i)
    const x = readMap(e, p, REQUIREMENT, 'a label requirement')
    const key = readString(x.get('key'), child(p, 'key'))
    if (!key) throw new LegacyConfigError('LEGACY_MISSING', child(p, 'key'), 'is missing: a requirement names a label key')
    const op = readString(x.get('operator'), child(p, 'operator'))
    if (!op || !(OPERATORS as readonly string[]).includes(op)) {
      throw new LegacyConfigError('LEGACY_VALUE', child(p, 'operator'), `${op === undefined ? 'is missing' : `${JSON.stringify(op)} is not an operator`}; use In, NotIn, Exists or DoesNotExist`)
    }
    const values = readStringList(x.get('values'), child(p, 'values'), 'label values').map((v) => v.value)
    if ((op === 'In' || op === 'NotIn') && values.length === 0) throw new LegacyConfigError('LEGACY_VALUE', child(p, 'values'), `must not be empty for operator ${op}`)
    if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) throw new LegacyConfigError('LEGACY_VALUE', child(p, 'values'), `must be empty for operator ${op}`)
    return {key, operator: op as (typeof OPERATORS)[number], values}
  })
  return {path, matchLabels, matchExpressions}
}

function readPool(r: Raw, path: string): LegacyPool {
  const m = readMap(r, path, POOL, 'an address pool')
  const f = (k: string) => child(path, k)
  // parseAddressPool: "missing pool name".
  const name = readString(m.get('name'), f('name'))
  if (!name) throw new LegacyConfigError('LEGACY_MISSING', f('name'), 'is missing: every address pool has a name')
  // parseAddressPool: protocol "bgp" or "layer2"; "" → "missing protocol"; else "unknown protocol %q".
  const protocol = readString(m.get('protocol'), f('protocol'))
  if (protocol === undefined) throw new LegacyConfigError('LEGACY_MISSING', f('protocol'), `is missing: pool "${name}" must say layer2 or bgp`)
  if (protocol !== 'bgp' && protocol !== 'layer2') {
    throw new LegacyConfigError('LEGACY_VALUE', f('protocol'), `${JSON.stringify(protocol)} is not a protocol; use layer2 or bgp`, protocol === 'arp' || protocol === 'ndp' ? 'MetalLB ≥ v0.7 calls this mode `layer2`.' : undefined)
  }
  // parseAddressPool: "pool has no prefixes defined"; each entry a CIDR or a start-end range (ParseCIDR), not a bare IP.
  const items = readStringList(m.get('addresses'), f('addresses'), 'CIDRs or ranges')
  if (items.length === 0) throw new LegacyConfigError('LEGACY_MISSING', f('addresses'), `is missing or empty: pool "${name}" has no addresses`)
  const addresses = items.map(({value, path: p}) => {
    let range: ParsedRange
    try {
      range = parseRange(value)
    } catch (e) {
      if (e instanceof NetParseError) throw new LegacyConfigError('LEGACY_VALUE', p, `${e.message}`, e.hint)
      throw e
    }
    if (range.kind === 'single') throw new LegacyConfigError('LEGACY_VALUE', p, `${JSON.stringify(value)} is a single address; MetalLB v0.12 took only CIDRs and ranges`, `Write ${range.canonical}.`)
    return {path: p, range}
  })
  const advs = readList(m.get('bgp-advertisements'), f('bgp-advertisements'), 'BGP advertisements')
  // parseAddressPool: "cannot have bgp-advertisements configuration element in a layer2 address pool".
  if (protocol === 'layer2' && advs.length > 0) throw new LegacyConfigError('LEGACY_VALUE', f('bgp-advertisements'), `pool "${name}" is layer2; bgp-advertisements belong to bgp pools (MetalLB refused this too)`, 'Remove them or make the pool `protocol: bgp`.')
  return {
    path, name, protocol, addresses,
    avoidBuggyIPs: readBool(m.get('avoid-buggy-ips'), f('avoid-buggy-ips')) ?? false,
    autoAssign: readBool(m.get('auto-assign'), f('auto-assign')) ?? true,
    bgpAdvertisements: advs.map((a, i) => readAdvertisement(a, item(f('bgp-advertisements'), i))),
  }
}

function readAdvertisement(r: Raw, path: string): LegacyAdvertisement {
  const m = readMap(r, path, ADVERTISEMENT, 'a BGP advertisement')
  const f = (k: string) => child(path, k)
  // parseBGPAdvertisements: aggregation-length ≤ 32 ("invalid aggregation length %d for IPv4"), -v6 ≤ 128; int32 fields.
  const agg = readInt(m.get('aggregation-length'), f('aggregation-length'), 'int32')
  if (agg !== undefined && (agg < 0 || agg > 32)) throw new LegacyConfigError('LEGACY_VALUE', f('aggregation-length'), `${agg} is not an IPv4 prefix length (0–32)`)
  const agg6 = readInt(m.get('aggregation-length-v6'), f('aggregation-length-v6'), 'int32')
  if (agg6 !== undefined && (agg6 < 0 || agg6 > 128)) throw new LegacyConfigError('LEGACY_VALUE', f('aggregation-length-v6'), `${agg6} is not an IPv6 prefix length (0–128)`)
  const adv: LegacyAdvertisement = {path, communities: readStringList(m.get('communities'), f('communities'), 'communities').map((c) => ({text: c.value, path: c.path}))}
  if (agg !== undefined) adv.aggregationLength = agg
  if (agg6 !== undefined) adv.aggregationLengthV6 = agg6
  // `LocalPref *uint32`.
  const lp = readInt(m.get('localpref'), f('localpref'), 'uint32')
  if (lp !== undefined) adv.localPref = lp
  return adv
}

// bfdProfile (v0.12, FRR mode only): intervals in ms. Ranges are FRR's, which MetalLB ≥ v0.13's BFDProfile CRD
// enforces (receive/transmit/echo 10–60000, multiplier 2–255, minimum TTL 1–254); defaults 300/300/3/50/off/off/254.
const BFD_RANGES: Record<string, [number, number]> = {
  'receive-interval': [10, 60000], 'transmit-interval': [10, 60000], 'detect-multiplier': [2, 255], 'echo-interval': [10, 60000], 'minimum-ttl': [1, 254],
}

function readBfd(r: Raw, path: string): LegacyBfdProfile {
  const m = readMap(r, path, BFD, 'a BFD profile')
  const f = (k: string) => child(path, k)
  const name = readString(m.get('name'), f('name'))
  if (!name) throw new LegacyConfigError('LEGACY_MISSING', f('name'), 'is missing: every BFD profile has a name')
  const num = (k: string): number | undefined => {
    const v = readInt(m.get(k), f(k), 'uint32')
    const [lo, hi] = BFD_RANGES[k]
    if (v !== undefined && (v < lo || v > hi)) throw new LegacyConfigError('LEGACY_VALUE', f(k), `${v} is outside ${lo}–${hi}`)
    return v
  }
  const out: LegacyBfdProfile = {path, name}
  const set = <K extends keyof LegacyBfdProfile>(k: K, v: LegacyBfdProfile[K] | undefined) => {
    if (v !== undefined) out[k] = v
  }
  set('receiveInterval', num('receive-interval'))
  set('transmitInterval', num('transmit-interval'))
  set('detectMultiplier', num('detect-multiplier'))
  set('echoInterval', num('echo-interval'))
  set('echoMode', readBool(m.get('echo-mode'), f('echo-mode')))
  set('passiveMode', readBool(m.get('passive-mode'), f('passive-mode')))
  set('minimumTtl', num('minimum-ttl'))
  return out
}
