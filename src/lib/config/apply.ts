// Checking and applying imported objects: the checks `lbctl pool set` makes (overlaps with pools that exist, addresses
// services hold), then server-side apply (field manager lbctl) in a safe order. Shared by the ConfigMap and juju paths.
import {Kinds, Labels} from '../api/constants.js'
import type {BGPAdvertisement, IPAddressPool, KubeObject, L2Advertisement, Service} from '../api/types.js'
import {LbctlError, badInput, isLbctlError, missing} from '../errors.js'
import type {LegacyConfigError} from '../api/legacy/index.js'
import type {Kube} from '../kube/client.js'
import {tryParseAddressList} from '../net/index.js'
import {checkOverlapWithPools, planPool} from '../pool/plan.js'

export const SECRET_KIND = {apiVersion: 'v1', kind: 'Secret', plural: 'secrets'} as const
const KIND_REFS = [Kinds.IPAddressPool, Kinds.L2Advertisement, Kinds.BGPAdvertisement, Kinds.BGPPeer, Kinds.Community, Kinds.BFDProfile, SECRET_KIND]

export type Action = 'create' | 'update' | 'unchanged' | 'adopt'

export interface PlannedObject {
  object: KubeObject & {data?: Record<string, string>; type?: string}
  action: Action
  /** The legacy field path (or juju setting) it comes from. */
  from: string
  /** The resourceVersion read, for an object that exists: applied as a precondition, so a concurrent change fails. */
  resourceVersion?: string
}

export interface ClusterState {
  /** Existing objects by `kind/name`, in the namespace. */
  existing: Map<string, KubeObject & {data?: Record<string, string>; type?: string}>
  pools: IPAddressPool[]
  l2: L2Advertisement[]
  bgp: BGPAdvertisement[]
  services: Service[]
}

/** Read what the checks need. MISSING (exit 5) when the metallb.io CRDs are absent. */
export async function readClusterState(kube: Kube, namespace: string): Promise<ClusterState> {
  if (!(await kube.serves(Kinds.IPAddressPool))) {
    throw missing('CRDS_MISSING', `the cluster behind context "${kube.context}" (${kube.server}) has no IPAddressPool kind: the metallb.io CRDs are not installed`,
      'Install the load balancer first (`lbctl install`), then import; or see the objects offline with --dry-run -o yaml.')
  }
  const lists = await Promise.all(KIND_REFS.map((k) => kube.list<KubeObject>(k, {namespace})))
  const services = await kube.list<Service>(Kinds.Service)
  const existing = new Map<string, KubeObject>()
  lists.forEach((l, i) => l.items.forEach((o) => existing.set(`${KIND_REFS[i].kind}/${o.metadata.name}`, o)))
  return {existing, pools: lists[0].items as IPAddressPool[], l2: lists[1].items as L2Advertisement[], bgp: lists[2].items as BGPAdvertisement[], services: services.items}
}

/**
 * Whether the object in the cluster already says everything `want` says. Fields `want` leaves out are not compared:
 * the API server fills defaults in (aggregationLengthV6: 128, BFD intervals), and server-side apply would not touch them.
 */
export function covers(have: unknown, want: unknown): boolean {
  if (Array.isArray(want)) return Array.isArray(have) && have.length === want.length && want.every((w, i) => covers(have[i], w))
  if (want && typeof want === 'object') {
    if (!have || typeof have !== 'object' || Array.isArray(have)) return false
    return Object.entries(want).every(([k, v]) => covers((have as Record<string, unknown>)[k], v))
  }
  return have === want
}

/**
 * Decide create/update/unchanged per object and run the pool checks; throws (nothing written) on an overlap with a
 * pool that exists (BAD_INPUT) or when addresses services hold would go away (DATA_LOSS, unless force).
 */
export function planObjects(objects: Array<{object: PlannedObject['object']; from: string}>, state: ClusterState, namespace: string, force: boolean): {planned: PlannedObject[]; warnings: string[]} {
  const warnings: string[] = []
  const importedPools = new Set(objects.filter((o) => o.object.kind === 'IPAddressPool').map((o) => o.object.metadata.name))
  const planned = objects.map(({object, from}) => {
    const old = state.existing.get(`${object.kind}/${object.metadata.name}`)
    if (object.kind === 'IPAddressPool') {
      const pool = object as IPAddressPool
      const ranges = tryParseAddressList(pool.spec!.addresses).ranges
      // Pools of this import replace their namesakes; they are checked against every other existing pool.
      checkOverlapWithPools(pool.metadata.name, ranges, state.pools.filter((p) => p.metadata.name === pool.metadata.name || !importedPools.has(p.metadata.name)))
      planPool({name: pool.metadata.name, namespace, existing: old as IPAddressPool | undefined, addresses: pool.spec!.addresses, autoAssign: pool.spec!.autoAssign, avoidBuggyIPs: pool.spec!.avoidBuggyIPs, services: state.services, force})
    }
    if (old && old.metadata.labels?.[Labels.managedBy] !== 'lbctl') warnings.push(`${object.kind} "${object.metadata.name}" exists already and was not made by lbctl: the import takes it over and sets it as shown`)
    const same = old !== undefined && (object.kind === 'Secret' ? covers(old.data, object.data) && old.type === object.type : covers(old.spec ?? {}, object.spec ?? {}))
      && covers(old.metadata.labels ?? {}, object.metadata.labels ?? {}) && covers(old.metadata.annotations ?? {}, object.metadata.annotations ?? {})
    return {object, from, action: (old === undefined ? 'create' : same ? 'unchanged' : 'update') as Action, ...(old?.metadata.resourceVersion ? {resourceVersion: old.metadata.resourceVersion} : {})}
  })
  return {planned, warnings}
}

/** Apply in order; a failure part-way names what was already applied. */
export async function applyPlanned(kube: Kube, planned: PlannedObject[], note?: (m: string) => void): Promise<void> {
  const done: string[] = []
  for (const p of planned) {
    if (p.action === 'unchanged') continue
    note?.(`${p.action === 'create' ? 'creating' : p.action === 'adopt' ? 'adopting' : 'updating'} ${p.object.kind} ${p.object.metadata.name}`)
    try {
      await kube.apply(p.resourceVersion ? {...p.object, metadata: {...p.object.metadata, resourceVersion: p.resourceVersion}} : p.object)
    } catch (err) {
      if (!done.length || !isLbctlError(err)) throw err
      throw new LbctlError(`${err.message} (already applied: ${done.join(', ')})`, {code: err.code, category: err.category, details: err.details,
        hint: 'Run the same import again: it is idempotent, and finishes what is left.'})
    }
    done.push(`${p.object.kind}/${p.object.metadata.name}`)
  }
}

/** Ask before writing, unless --yes; without a terminal, --yes is required. */
export async function confirmWrite(what: string, opts: {yes?: boolean; confirm?: (q: string) => Promise<boolean>}): Promise<void> {
  if (opts.yes) return
  if (!opts.confirm) throw badInput('CONFIRMATION_REQUIRED', `lbctl config import would ${what}, and there is no terminal to ask for confirmation`, 'Pass --yes to apply without asking, or --dry-run to only see the objects.')
  if (!(await opts.confirm(`Apply: ${what}?`))) throw new LbctlError('nothing was changed: the import was not confirmed', {code: 'DECLINED', category: 'problems', hint: 'Run again and answer yes, or pass --yes.'})
}

/** Map the pure reader's error to BAD_INPUT (exit 2), keeping the field path. */
export function legacyBadInput(e: LegacyConfigError, where: string): LbctlError {
  return badInput(e.code, `${where}: ${e.message}`, e.hint, {path: e.path, reason: e.reason, ...(e.more.length ? {fields: e.more} : {})})
}
