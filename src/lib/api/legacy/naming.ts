// Names of the produced objects, derived from the legacy ones: deterministic (same input, same names), valid
// DNS-1123 subdomains, and collision-free within a kind. A valid legacy pool name is kept unchanged, because services
// name their pool in the metallb.universe.tf/address-pool annotation. Pure.
import {createHash} from 'node:crypto'
import {validObjectName} from '../selectors.js'

export const shortHash = (s: string, n = 6): string => createHash('sha256').update(s).digest('hex').slice(0, n)

/** Longest name part kept before a hash suffix, so `<part>-<hash>-<suffix>` stays far below 253. */
const MAX_BASE = 200

/** The name itself when it is a valid object name, else a sanitised form plus a hash of the original. */
export function objectName(legacy: string): {name: string; renamed: boolean} {
  if (!validObjectName(legacy) && legacy.length <= MAX_BASE) return {name: legacy, renamed: false}
  const base = legacy.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/[-.]{2,}/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '').slice(0, MAX_BASE).replace(/[^a-z0-9]+$/, '')
  return {name: `${base || 'x'}-${shortHash(legacy)}`, renamed: true}
}

/** `peer-10-0-0-1`, `peer-2001-db8-1` for a peer address. */
export function peerBaseName(address: string): string {
  return `peer-${address.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')}`
}

/**
 * Make names unique: the first claimant (in input order) keeps its wanted name, later ones get `-<hash of key>`
 * (a longer hash if that is taken too). `key` identifies the claimant by content, so names do not depend on position.
 */
export function uniqueNames(claims: Array<{key: string; want: string}>): string[] {
  const taken = new Set<string>()
  return claims.map(({key, want}) => {
    let name = want
    for (let n = 6; taken.has(name); n += 2) name = `${want}-${shortHash(`${key}|${n}`, n)}`
    taken.add(name)
    return name
  })
}
