// BGPAdvertisement communities as MetalLB reads them: `ASN:VALUE` (two 16-bit numbers), `large:G:L1:L2` (three 32-bit
// numbers), or the name of an alias defined in a Community object. Pure: the caller turns failures into ConfigProblems.
import type {Community} from '../../lib/api/types.js'
import type {LargeCommunity} from '../../lib/bgp/types.js'

export type ParsedCommunity = {kind: 'standard'; value: number; text: string} | {kind: 'large'; value: LargeCommunity; text: string}

const U16 = /^(\d{1,5}):(\d{1,5})$/
const LARGE = /^large:(\d{1,10}):(\d{1,10}):(\d{1,10})$/i

/** A literal community, or undefined when `s` is not one (it may then be an alias). */
export function parseLiteralCommunity(s: string): ParsedCommunity | undefined {
  const t = s.trim()
  const m = U16.exec(t)
  if (m) {
    const [a, b] = [Number(m[1]), Number(m[2])]
    return a <= 0xffff && b <= 0xffff ? {kind: 'standard', value: ((a << 16) | b) >>> 0, text: `${a}:${b}`} : undefined
  }
  const l = LARGE.exec(t)
  if (l) {
    const v = [Number(l[1]), Number(l[2]), Number(l[3])] as LargeCommunity
    return v.every((x) => x <= 0xffffffff) ? {kind: 'large', value: v, text: `large:${v.join(':')}`} : undefined
  }
  return undefined
}

/** Looks like a literal (digits and colons, or `large:`) but is out of range: never an alias name. */
const looksLiteral = (s: string): boolean => /^\d+:\d+$/.test(s.trim()) || /^large:/i.test(s.trim())

export interface CommunityResolution {
  community?: ParsedCommunity
  /** Why it cannot be used, in words. */
  error?: string
}

/** Aliases from every Community object: name → value (the first definition wins; duplicates are reported). */
export function communityAliases(objects: readonly Community[]): {aliases: Map<string, string>; duplicates: string[]} {
  const aliases = new Map<string, string>()
  const duplicates: string[] = []
  for (const o of objects) {
    for (const c of o.spec?.communities ?? []) {
      if (aliases.has(c.name)) duplicates.push(c.name)
      else aliases.set(c.name, c.value)
    }
  }
  return {aliases, duplicates}
}

/** Resolve one entry of BGPAdvertisement.spec.communities. */
export function resolveCommunity(s: string, aliases: ReadonlyMap<string, string>): CommunityResolution {
  const lit = parseLiteralCommunity(s)
  if (lit) return {community: lit}
  if (looksLiteral(s)) return {error: `community ${JSON.stringify(s)} is out of range: ASN:VALUE takes two numbers 0–65535, large:G:L1:L2 three numbers 0–4294967295`}
  const v = aliases.get(s)
  if (v === undefined) return {error: `community ${JSON.stringify(s)} is neither ASN:VALUE, large:G:L1:L2, nor the name of an alias in a Community object`}
  const c = parseLiteralCommunity(v)
  if (!c) return {error: `community alias ${JSON.stringify(s)} has the value ${JSON.stringify(v)}, which is neither ASN:VALUE nor large:G:L1:L2`}
  return {community: c}
}
