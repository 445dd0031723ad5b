// Which pools, services and nodes an L2Advertisement or BGPAdvertisement covers (MetalLB's rules, API-COMPAT.md):
// one definition for the CLI (pool list's "advertised by"), doctor, and both halves of the speaker. Pure.
import {anySelectorMatches} from './selectors.js'
import type {LabelSelector} from './types.js'

/** What L2Advertisement and BGPAdvertisement have in common. */
export interface AdvertisementSelectors {
  ipAddressPools?: string[]
  ipAddressPoolSelectors?: LabelSelector[]
  serviceSelectors?: LabelSelector[]
  nodeSelectors?: LabelSelector[]
}

interface Labelled {
  metadata: {name: string; labels?: Record<string, string>}
}

/** The advertisement names this pool (by name or selector), or names no pool at all (then it covers every pool). */
export function advertisesPool(ad: AdvertisementSelectors | undefined, pool: Labelled): boolean {
  const names = ad?.ipAddressPools ?? []
  const sels = ad?.ipAddressPoolSelectors ?? []
  if (names.length === 0 && sels.length === 0) return true
  return names.includes(pool.metadata.name) || anySelectorMatches(sels, pool.metadata.labels)
}

/** No serviceSelectors: every service; else any selector matching the service's labels. */
export function advertisesService(ad: AdvertisementSelectors | undefined, svc: {metadata: {labels?: Record<string, string>}}): boolean {
  const sels = ad?.serviceSelectors ?? []
  return sels.length === 0 || anySelectorMatches(sels, svc.metadata.labels)
}

/** No nodeSelectors: every node; else any selector matching the node's labels. */
export function advertisesFromNode(ad: AdvertisementSelectors | undefined, node: {metadata: {labels?: Record<string, string>}}): boolean {
  const sels = ad?.nodeSelectors ?? []
  return sels.length === 0 || anySelectorMatches(sels, node.metadata.labels)
}
