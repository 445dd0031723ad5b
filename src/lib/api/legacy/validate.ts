// Rules across fields and objects of the legacy configuration, as MetalLB v0.12's config.Parse applied them after
// reading each item (internal/config/config.go). Pure.
import {findOverlaps, formatRange, intersectRanges, rangeToPrefixes} from '../../net/index.js'
import {LegacyConfigError} from './errors.js'
import type {LegacyCommunityRef, LegacyConfig, LegacyPeer} from './schema.js'

/** `a:b` with two 16-bit halves (parseCommunity; large communities arrived with the CRDs in v0.13). */
export function parseCommunityValue(s: string): string | undefined {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(s)
  if (!m || Number(m[1]) > 65535 || Number(m[2]) > 65535) return undefined
  return `${Number(m[1])}:${Number(m[2])}`
}

/** @throws LegacyConfigError for the first problem, naming its path (and the other path for overlaps/duplicates). */
export function validateLegacyConfig(c: LegacyConfig): void {
  // Parse: "duplicate definition of pool %q".
  const pools = new Map<string, string>()
  for (const p of c.pools) {
    const prev = pools.get(p.name)
    if (prev) throw new LegacyConfigError('LEGACY_DUPLICATE', `${p.path}.name`, `pool "${p.name}" is defined twice (also at ${prev})`, 'Give each pool its own name, or merge their addresses.')
    pools.set(p.name, p.path)
  }
  // Parse: "CIDR %q in pool %q overlaps with already defined CIDR %q" — within a pool as well as across pools.
  const items = c.pools.flatMap((p) => p.addresses.map((a) => ({range: a.range, path: a.path, pool: p.name})))
  const overlaps = findOverlaps(items)
  if (overlaps.length > 0) {
    const [a, b] = overlaps.sort((x, y) => (x[0].path < y[0].path ? -1 : 1))[0]
    const [first, second] = a.path < b.path ? [a, b] : [b, a]
    const common = formatRange(intersectRanges(a.range, b.range)!)
    throw new LegacyConfigError('LEGACY_OVERLAP', second.path, `${JSON.stringify(second.range.token)} overlaps ${JSON.stringify(first.range.token)} at ${first.path}${first.pool !== second.pool ? ` (pool "${first.pool}")` : ''}: ${common} would be in ${first.pool !== second.pool ? 'two pools' : 'the pool twice'}`,
      'Give every address to one pool only.')
  }
  // Parse: "peer #%d already exists" (reflect.DeepEqual of the parsed peers).
  const seen = new Map<string, string>()
  for (const p of c.peers) {
    const key = peerKey(p)
    const prev = seen.get(key)
    if (prev) throw new LegacyConfigError('LEGACY_DUPLICATE', p.path, `is the same peer as ${prev}; MetalLB refused duplicate peers too`, 'Remove one of them.')
    seen.set(key, p.path)
  }
  // Parse: "found duplicate bfd profile name %s"; peers: "peer %s referencing non existing bfd profile %s".
  const bfd = new Map<string, string>()
  for (const b of c.bfdProfiles) {
    if (bfd.has(b.name)) throw new LegacyConfigError('LEGACY_DUPLICATE', `${b.path}.name`, `BFD profile "${b.name}" is defined twice (also at ${bfd.get(b.name)})`)
    bfd.set(b.name, b.path)
  }
  for (const p of c.peers) {
    if (p.bfdProfile && !bfd.has(p.bfdProfile.name)) {
      throw new LegacyConfigError('LEGACY_REFERENCE', p.bfdProfile.path, `names BFD profile "${p.bfdProfile.name}", which bfd-profiles does not define`, bfd.size ? `Profiles: ${[...bfd.keys()].join(', ')}.` : 'Add it under bfd-profiles, or remove bfd-profile.')
    }
  }
  // Parse: bgp-communities values → "parsing community %q".
  const aliases = new Set<string>()
  for (const cm of c.communities) {
    if (!parseCommunityValue(cm.value)) throw new LegacyConfigError('LEGACY_VALUE', cm.path, `${JSON.stringify(cm.value)} is not a BGP community (two numbers 0–65535, like 64512:100)`)
    aliases.add(cm.name)
  }
  for (const p of c.pools) {
    for (const adv of p.bgpAdvertisements) {
      for (const cr of adv.communities) checkCommunityRef(cr, aliases)
      // parseBGPAdvertisements: the aggregation length may not be shorter than a pool prefix ("invalid aggregation
      // length %d: prefix %q in this pool is more specific than the aggregation length"), else routes would cover
      // addresses outside the pool.
      for (const a of p.addresses) {
        const lowest = Math.min(...rangeToPrefixes(a.range).map((x) => x.length))
        const agg = a.range.family === 4 ? adv.aggregationLength ?? 32 : adv.aggregationLengthV6 ?? 128
        const field = a.range.family === 4 ? 'aggregation-length' : 'aggregation-length-v6'
        if (agg < lowest) {
          throw new LegacyConfigError('LEGACY_VALUE', `${adv.path}.${field}`, `${agg} is shorter than the /${lowest} prefix of ${JSON.stringify(a.range.token)} (${a.path}): the aggregate would cover addresses outside pool "${p.name}"; MetalLB refused this too`, `Use ${field}: ${lowest} or longer.`)
        }
      }
    }
  }
}

function checkCommunityRef(cr: LegacyCommunityRef, aliases: Set<string>): void {
  // parseBGPAdvertisements: an alias from bgp-communities, else a literal community ("invalid community %q").
  if (aliases.has(cr.text) || parseCommunityValue(cr.text)) return
  throw new LegacyConfigError('LEGACY_REFERENCE', cr.path, `${JSON.stringify(cr.text)} is neither a name in bgp-communities nor a community like 64512:100`,
    aliases.size ? `Names defined: ${[...aliases].join(', ')}.` : 'Define it under bgp-communities, or write the value.')
}

function peerKey(p: LegacyPeer): string {
  const {path: _path, bfdProfile, nodeSelectors, holdTime, keepaliveTime, ...rest} = p
  return JSON.stringify({...rest, bfd: bfdProfile?.name, hold: holdTime?.ms ?? 90_000, ka: keepaliveTime?.ms, sel: nodeSelectors.map(({path: _p, ...s}) => s)})
}
