// The legacy configuration → metallb.io objects (MetalLB ≥ v0.13 API, as lbctl serves it). Every field either maps
// one-to-one, or is reported (warnings, with the old path and what was done), or is refused (uncarried) unless forced.
// Pure: no I/O; the caller applies the objects.
import {Kinds, Labels} from '../constants.js'
import type {BFDProfile, BGPAdvertisement, BGPPeer, Community, IPAddressPool, KubeObject, L2Advertisement, LabelSelector} from '../types.js'
import {formatIP} from '../../net/index.js'
import {objectName, peerBaseName, uniqueNames} from './naming.js'
import type {ImportWarning, Uncarried} from './report.js'
import type {LegacyAdvertisement, LegacyConfig, LegacyPeer, LegacyPool, LegacySelector} from './schema.js'

/** Annotation on every produced object: where it came from (`<source>#<path>`). */
export const IMPORTED_FROM = 'lbctl.io/imported-from'
/** The Community object that carries `bgp-communities` (its names are the aliases advertisements use). */
export const COMMUNITY_OBJECT = 'bgp-communities'

export interface SecretObject extends KubeObject {
  type: string
  data: Record<string, string>
}

export type ImportedObject = IPAddressPool | L2Advertisement | BGPAdvertisement | BGPPeer | Community | BFDProfile | SecretObject

export interface PoolMapping {
  /** The name in the ConfigMap. */
  legacy: string
  name: string
  protocol: 'bgp' | 'layer2'
  addresses: string[]
  autoAssign: boolean
  avoidBuggyIPs: boolean
  /** Names of the L2Advertisement or BGPAdvertisements that announce it. */
  advertisements: string[]
}

export interface ImportPlan {
  /** In a safe apply order: Secrets, BFDProfiles, Community, IPAddressPools, BGPPeers, advertisements. */
  objects: ImportedObject[]
  pools: PoolMapping[]
  warnings: ImportWarning[]
  uncarried: Uncarried[]
}

export interface ConvertOptions {
  namespace: string
  /** Names the input in the imported-from annotation, e.g. `configmap/metallb-system/config` or `file/config.yaml`. */
  source: string
}

const SECRET = {apiVersion: 'v1', kind: 'Secret'}

export function convertLegacy(c: LegacyConfig, opts: ConvertOptions): ImportPlan {
  const warnings: ImportWarning[] = []
  const uncarried: Uncarried[] = []
  const meta = (name: string, path: string) => ({
    name, namespace: opts.namespace,
    labels: {[Labels.managedBy]: 'lbctl'},
    annotations: {[IMPORTED_FROM]: `${opts.source}#${path || '(top level)'}`},
  })

  // BFD profiles first: peers refer to them by their new names.
  const bfdNames = new Map<string, string>()
  const bfdObjs: BFDProfile[] = []
  const bfdClaims = c.bfdProfiles.map((b) => {
    const n = objectName(b.name)
    if (n.renamed) warnings.push({path: `${b.path}.name`, message: `"${b.name}" is not a valid object name; the BFDProfile is named "${n.name}"`})
    return {key: `bfd|${b.name}`, want: n.name}
  })
  uniqueNames(bfdClaims).forEach((name, i) => {
    const b = c.bfdProfiles[i]
    bfdNames.set(b.name, name)
    const spec: NonNullable<BFDProfile['spec']> = {}
    if (b.receiveInterval !== undefined) spec.receiveInterval = b.receiveInterval
    if (b.transmitInterval !== undefined) spec.transmitInterval = b.transmitInterval
    if (b.detectMultiplier !== undefined) spec.detectMultiplier = b.detectMultiplier
    if (b.echoInterval !== undefined) spec.echoInterval = b.echoInterval
    if (b.echoMode !== undefined) spec.echoMode = b.echoMode
    if (b.passiveMode !== undefined) spec.passiveMode = b.passiveMode
    if (b.minimumTtl !== undefined) spec.minimumTtl = b.minimumTtl
    // lbctl's BFD (src/lib/bgp/bfd-session.ts) runs asynchronous mode only: no echo function, no passive role.
    if (b.echoMode) uncarried.push({path: `${b.path}.echo-mode`, reason: 'lbctl\'s BFD does not implement the echo function (RFC 5880 §6.4)', forced: 'kept in the BFDProfile, where lbctl ignores it: sessions run without echo'})
    if (b.passiveMode) uncarried.push({path: `${b.path}.passive-mode`, reason: 'lbctl\'s BFD does not implement the passive role (RFC 5880 §6.1)', forced: 'kept in the BFDProfile, where lbctl ignores it: lbctl starts the session itself'})
    bfdObjs.push({apiVersion: Kinds.BFDProfile.apiVersion, kind: Kinds.BFDProfile.kind, metadata: meta(name, b.path), spec})
  })

  // Community aliases keep their names: advertisements refer to them as before.
  const communityObjs: Community[] = c.communities.length === 0 ? [] : [{
    apiVersion: Kinds.Community.apiVersion, kind: Kinds.Community.kind, metadata: meta(COMMUNITY_OBJECT, 'bgp-communities'),
    spec: {communities: c.communities.map((cm) => ({name: cm.name, value: cm.value}))},
  }]

  // Pools keep valid names (services' annotations name them); L2Advertisements take the pool's name.
  const poolClaims = c.pools.map((p) => {
    const n = objectName(p.name)
    if (n.renamed) warnings.push({path: `${p.path}.name`, message: `"${p.name}" is not a valid object name; the IPAddressPool is named "${n.name}": services annotated metallb.universe.tf/address-pool: ${p.name} must name "${n.name}" instead`})
    return {key: `pool|${p.name}`, want: n.name}
  })
  const poolNames = uniqueNames(poolClaims)
  const poolObjs: IPAddressPool[] = []
  const l2Objs: L2Advertisement[] = []
  const bgpAdvClaims: Array<{key: string; want: string; pool: number; adv: LegacyAdvertisement | undefined}> = []
  const mappings: PoolMapping[] = []
  c.pools.forEach((p, i) => {
    const name = poolNames[i]
    const addresses = p.addresses.map((a) => (a.range.kind === 'range' ? `${formatIP({family: a.range.family, value: a.range.start})}-${formatIP({family: a.range.family, value: a.range.end})}` : a.range.canonical))
    p.addresses.forEach((a, j) => {
      if (addresses[j] !== a.range.token) warnings.push({path: a.path, message: `written as ${addresses[j]} (the same addresses, in canonical form)`})
    })
    poolObjs.push({
      apiVersion: Kinds.IPAddressPool.apiVersion, kind: Kinds.IPAddressPool.kind, metadata: meta(name, p.path),
      spec: {addresses, autoAssign: p.autoAssign, avoidBuggyIPs: p.avoidBuggyIPs},
    })
    mappings.push({legacy: p.name, name, protocol: p.protocol, addresses, autoAssign: p.autoAssign, avoidBuggyIPs: p.avoidBuggyIPs, advertisements: []})
    if (p.protocol === 'layer2') {
      l2Objs.push({apiVersion: Kinds.L2Advertisement.apiVersion, kind: Kinds.L2Advertisement.kind, metadata: meta(name, p.path), spec: {ipAddressPools: [name]}})
      mappings[i].advertisements.push(name)
      return
    }
    if (c.peers.length === 0) warnings.push({path: `${p.path}.protocol`, message: `pool "${p.name}" is bgp but the configuration has no peers: its BGPAdvertisement is created, and nothing is announced until a BGPPeer exists`})
    for (const adv of dedupeAdvertisements(p, warnings)) {
      const count = Math.max(1, p.bgpAdvertisements.length)
      bgpAdvClaims.push({key: `adv|${p.name}|${JSON.stringify(adv && advKey(adv))}`, want: count === 1 ? name : `${name}-${adv ? p.bgpAdvertisements.indexOf(adv) + 1 : 1}`, pool: i, adv})
    }
  })
  const bgpAdvObjs: BGPAdvertisement[] = []
  uniqueNames(bgpAdvClaims).forEach((name, k) => {
    const {pool, adv} = bgpAdvClaims[k]
    const spec: NonNullable<BGPAdvertisement['spec']> = {ipAddressPools: [poolNames[pool]]}
    if (adv?.aggregationLength !== undefined) spec.aggregationLength = adv.aggregationLength
    if (adv?.aggregationLengthV6 !== undefined) spec.aggregationLengthV6 = adv.aggregationLengthV6
    if (adv?.localPref !== undefined) spec.localPref = adv.localPref
    if (adv && adv.communities.length > 0) {
      const seen = new Set<string>()
      spec.communities = []
      for (const cr of adv.communities) {
        if (seen.has(cr.text)) {
          warnings.push({path: cr.path, message: `community ${cr.text} is listed twice in this advertisement; written once`})
          continue
        }
        seen.add(cr.text)
        spec.communities.push(cr.text)
      }
    }
    bgpAdvObjs.push({apiVersion: Kinds.BGPAdvertisement.apiVersion, kind: Kinds.BGPAdvertisement.kind, metadata: meta(name, adv?.path ?? c.pools[pool].path), spec})
    mappings[pool].advertisements.push(name)
  })

  const {peers, secrets} = convertPeers(c.peers, bfdNames, meta, warnings, uncarried)
  return {
    objects: [...secrets, ...bfdObjs, ...communityObjs, ...poolObjs, ...peers, ...l2Objs, ...bgpAdvObjs],
    pools: mappings, warnings, uncarried,
  }
}

const advKey = (a: LegacyAdvertisement) => ({agg: a.aggregationLength ?? 32, agg6: a.aggregationLengthV6 ?? 128, lp: a.localPref ?? 0, c: [...new Set(a.communities.map((x) => x.text))].sort()})

/** A bgp pool's advertisements; none means one with the defaults (undefined). Exact repeats are dropped. */
function dedupeAdvertisements(p: LegacyPool, warnings: ImportWarning[]): Array<LegacyAdvertisement | undefined> {
  if (p.bgpAdvertisements.length === 0) return [undefined]
  const seen = new Map<string, string>()
  const out: LegacyAdvertisement[] = []
  for (const a of p.bgpAdvertisements) {
    const k = JSON.stringify(advKey(a))
    if (seen.has(k)) {
      warnings.push({path: a.path, message: `is the same advertisement as ${seen.get(k)}; one BGPAdvertisement is written`})
      continue
    }
    seen.set(k, a.path)
    out.push(a)
  }
  return out
}

function selector(s: LegacySelector): LabelSelector {
  const out: LabelSelector = {}
  if (Object.keys(s.matchLabels).length > 0) out.matchLabels = {...s.matchLabels}
  if (s.matchExpressions.length > 0) out.matchExpressions = s.matchExpressions.map((e) => (e.values.length > 0 ? {key: e.key, operator: e.operator, values: [...e.values]} : {key: e.key, operator: e.operator}))
  return out
}

function convertPeers(list: LegacyPeer[], bfdNames: Map<string, string>, meta: (name: string, path: string) => KubeObject['metadata'], warnings: ImportWarning[], uncarried: Uncarried[]): {peers: BGPPeer[]; secrets: SecretObject[]} {
  const names = uniqueNames(list.map((p) => {
    const {path: _p, password: _pw, ...rest} = p
    return {key: `peer|${JSON.stringify({...rest, bfdProfile: p.bfdProfile?.name, nodeSelectors: p.nodeSelectors.map(selector)})}`, want: peerBaseName(p.peerAddress)}
  }))
  const peers: BGPPeer[] = []
  const secrets: SecretObject[] = []
  list.forEach((p, i) => {
    const name = names[i]
    const spec: BGPPeer['spec'] = {myASN: p.myASN, peerASN: p.peerASN, peerAddress: p.peerAddress}
    if (p.peerPort !== undefined) spec.peerPort = p.peerPort
    if (p.sourceAddress) spec.sourceAddress = p.sourceAddress
    if (p.holdTime?.ms === 0) {
      // MetalLB ≥ v0.13 (peerFromCR: `if holdTime == 0 { holdTime = 90 * time.Second }`) reads a zero holdTime as
      // "not set"; v0.12 honoured hold-time 0 (no keepalives, RFC 4271 §4.4). The metallb.io API cannot say it.
      uncarried.push({path: `${p.path}.hold-time`, reason: 'a hold time of 0 (no keepalives) cannot be expressed: in the metallb.io API a zero holdTime means the default, 90s', forced: 'left out: the session uses the default 90s hold time'})
    } else if (p.holdTime) {
      spec.holdTime = p.holdTime.crd
      if (p.holdTime.changed) warnings.push({path: `${p.path}.hold-time`, message: p.holdTime.changed})
    }
    if (p.keepaliveTime) {
      spec.keepaliveTime = p.keepaliveTime.crd
      if (p.keepaliveTime.changed) warnings.push({path: `${p.path}.keepalive-time`, message: p.keepaliveTime.changed})
    }
    if (p.routerID) spec.routerID = p.routerID
    if (p.nodeSelectors.length > 0) spec.nodeSelectors = p.nodeSelectors.map(selector)
    if (p.bfdProfile) spec.bfdProfile = bfdNames.get(p.bfdProfile.name)!
    if (p.ebgpMultiHop) spec.ebgpMultiHop = true
    if (p.password !== undefined) {
      // MetalLB ≥ v0.13 reads a peer's password from a Secret of type kubernetes.io/basic-auth, key `password`.
      const secret = `${name}-password`
      secrets.push({...SECRET, type: 'kubernetes.io/basic-auth', metadata: meta(secret, `${p.path}.password`), data: {password: Buffer.from(p.password, 'utf8').toString('base64')}})
      spec.passwordSecret = {name: secret, namespace: meta(secret, '').namespace}
      warnings.push({path: `${p.path}.password`, message: `moved into Secret "${secret}" (type kubernetes.io/basic-auth, key password), which BGPPeer "${name}" references as passwordSecret`})
    }
    peers.push({apiVersion: Kinds.BGPPeer.apiVersion, kind: Kinds.BGPPeer.kind, metadata: meta(name, p.path), spec})
  })
  return {peers, secrets}
}

/** The objects with Secret data replaced by `<redacted>`, for printing. */
export function redact<T extends KubeObject>(objects: T[]): T[] {
  return objects.map((o) => (o.kind === 'Secret' ? {...o, data: Object.fromEntries(Object.keys((o as unknown as SecretObject).data ?? {}).map((k) => [k, '<redacted>']))} : o))
}
