// `lbctl config import --from-juju`: the Charmed MetalLB operator keeps its addresses in the application's `iprange`
// setting and applies one IPAddressPool and one L2Advertisement named `<model>-<app>` from it
// (charmed-kubernetes/metallb-operator src/charm.py). lbctl adopts that pool rather than making a second, overlapping
// one, and prints the order in which the charm can be removed without losing an address.
import {Kinds, Labels} from '../api/constants.js'
import type {IPAddressPool, KubeObject} from '../api/types.js'
import {CHARM_APPS, charmObjectName, LegacyConfigError, parseCharmIprange, type PoolMapping} from '../api/legacy/index.js'
import {badInput, isLbctlError, missing, type LbctlError} from '../errors.js'
import {jujuArgs, jujuCommandLine, jujuRunner, type JujuRunner} from '../cluster/juju.js'
import type {Kube} from '../kube/client.js'
import {mergeRanges, tryParseAddressList} from '../net/index.js'
import {advertisementsFor} from '../pool/usage.js'
import {covers, legacyBadInput, planObjects, readClusterState, type PlannedObject} from './apply.js'

export const ADOPTED_FROM = 'lbctl.io/adopted-from'

export interface CharmImport {
  charm: {
    app: string
    model?: string
    iprange: string
    pool: string
    /** True when the charm's pool existed and was adopted; false when lbctl creates it. */
    adopted: boolean
    advertisement?: string
    /** The safe order of steps to remove the charm afterwards, as commands and notes. */
    removal: string[]
  }
  planned: PlannedObject[]
  pools: PoolMapping[]
  warnings: string[]
}

/** `juju config [-m M] <app> iprange` for the first charm application that exists. */
async function readIprange(juju: JujuRunner, model: string | undefined): Promise<{app: string; iprange: string}> {
  if (!juju.path) throw missing('JUJU_MISSING', 'the juju CLI is not on PATH, so lbctl cannot read the charm\'s iprange', 'Run lbctl where juju can reach the model, or give the addresses to `lbctl pool set` yourself.')
  const absent: string[] = []
  for (const app of CHARM_APPS) {
    try {
      return {app, iprange: (await juju.run(jujuArgs(model, app, 'iprange'))).replace(/\r?\n$/, '')}
    } catch (e) {
      const stderr = String((e as LbctlError).details && ((e as LbctlError).details as {stderr?: string}).stderr)
      if (isLbctlError(e) && e.code === 'JUJU_FAILED' && /not found/i.test(stderr)) {
        absent.push(app)
        continue
      }
      throw e
    }
  }
  throw badInput('CHARM_NOT_FOUND', `neither ${absent.join(' nor ')} is deployed in ${model ? `model ${model}` : 'the current juju model'}`, 'Name the model the charm runs in: --juju-model MODEL (see `juju models`).')
}

const sameAddresses = (a: string[], b: string[]): boolean => {
  const m = (x: string[]) => JSON.stringify(mergeRanges(tryParseAddressList(x).ranges).map((r) => [r.family, String(r.start), String(r.end)]))
  return m(a) === m(b)
}

export async function planCharmImport(kube: Kube, namespace: string, model: string | undefined, opts: {juju?: JujuRunner; force: boolean; note?: (m: string) => void}): Promise<CharmImport> {
  const juju = opts.juju ?? jujuRunner()
  opts.note?.(`reading the charm's iprange${model ? ` in model ${model}` : ''}`)
  const {app, iprange} = await readIprange(juju, model)
  let addresses: string[]
  try {
    addresses = parseCharmIprange(iprange, app)
  } catch (e) {
    if (e instanceof LegacyConfigError) throw legacyBadInput(e, 'the charm\'s setting')
    throw e
  }
  const state = await readClusterState(kube, namespace)
  const wanted = model ? charmObjectName(model, app) : undefined
  const byName = state.pools.find((p) => (wanted ? p.metadata.name === wanted : p.metadata.name.endsWith(`-${app}`)))
  const found = byName ?? state.pools.find((p) => sameAddresses(p.spec?.addresses ?? [], addresses))
  const warnings: string[] = []
  const who = `juju:${model ?? '(current model)'}/${app}`
  const mark = (o: KubeObject): KubeObject => ({...o, metadata: {name: o.metadata.name, namespace, labels: {...o.metadata.labels, [Labels.managedBy]: 'lbctl'}, annotations: {...o.metadata.annotations, [ADOPTED_FROM]: who}}})
  // Adopting what is already adopted changes nothing.
  const adopt = (existing: KubeObject, from: string): PlannedObject => {
    const object = mark(existing)
    const done = covers(existing.metadata.labels ?? {}, object.metadata.labels) && covers(existing.metadata.annotations ?? {}, object.metadata.annotations)
    return {object, action: done ? 'unchanged' : 'adopt', from, ...(existing.metadata.resourceVersion ? {resourceVersion: existing.metadata.resourceVersion} : {})}
  }
  let planned: PlannedObject[]
  let pool: string
  let advertisement: string | undefined
  if (found) {
    pool = found.metadata.name
    const have = found.spec?.addresses ?? []
    if (!sameAddresses(have, addresses)) warnings.push(`pool "${pool}" has ${have.join(', ')} but the charm's iprange is ${iprange}: the charm has not applied its setting yet; the pool is adopted as it is in the cluster`)
    const adv = advertisementsFor(found, state.l2, state.bgp)[0]
    advertisement = adv?.split('/')[1]
    planned = [adopt({apiVersion: Kinds.IPAddressPool.apiVersion, kind: Kinds.IPAddressPool.kind, metadata: found.metadata, spec: found.spec} as IPAddressPool, `juju config ${app} iprange`)]
    if (adv) {
      const [kind, name] = adv.split('/')
      const obj = (kind === 'L2Advertisement' ? state.l2 : state.bgp).find((a) => a.metadata.name === name)!
      planned.push(adopt({apiVersion: obj.apiVersion ?? Kinds.L2Advertisement.apiVersion, kind, metadata: obj.metadata, spec: obj.spec}, `the charm's ${kind}`))
    } else {
      advertisement = pool
      const l2 = mark({apiVersion: Kinds.L2Advertisement.apiVersion, kind: Kinds.L2Advertisement.kind, metadata: {name: pool}, spec: {ipAddressPools: [pool]}})
      planned.push(...planObjects([{object: l2, from: 'the charm announces in layer 2'}], state, namespace, opts.force).planned)
      warnings.push(`nothing advertised pool "${pool}": an L2Advertisement is created, as the charm does`)
    }
  } else {
    // The older charms (metallb-controller) kept the pool in the legacy ConfigMap; no IPAddressPool exists yet.
    pool = wanted ?? app
    advertisement = pool
    const objs = [
      mark({apiVersion: Kinds.IPAddressPool.apiVersion, kind: Kinds.IPAddressPool.kind, metadata: {name: pool}, spec: {addresses, autoAssign: true, avoidBuggyIPs: false}}),
      mark({apiVersion: Kinds.L2Advertisement.apiVersion, kind: Kinds.L2Advertisement.kind, metadata: {name: pool}, spec: {ipAddressPools: [pool]}}),
    ]
    const p = planObjects(objs.map((object) => ({object, from: `juju config ${app} iprange`})), state, namespace, opts.force)
    planned = p.planned
    warnings.push(`no IPAddressPool of the charm was found: pool "${pool}" is created from its iprange`, ...p.warnings)
  }
  const m = model ? ['-m', model] : []
  const dry = `lbctl config import --from-juju${model ? ` --juju-model ${model}` : ''} -n ${namespace} --dry-run -o yaml > lbctl-${pool}.yaml`
  const removal = [
    `1. Keep the objects: ${dry}`,
    `2. Remove the charm: ${jujuCommandLine(['remove-application', ...m, app])}${app === 'metallb-controller' ? ` (and ${jujuCommandLine(['remove-application', ...m, 'metallb-speaker'])})` : ''}. ${app === 'metallb' ? 'Its remove hook deletes MetalLB\'s manifests, the metallb.io CRDs with them, and so every IPAddressPool; ' : 'This stops MetalLB\'s controller and speakers; '}services keep the addresses they hold (nothing clears status.loadBalancer), but nobody announces them until step 4.`,
    `3. Wait until the CRDs are gone: kubectl get crd ipaddresspools.metallb.io (NotFound)`,
    `4. Install lbctl (CRDs, controller, speakers): lbctl install --mode l2; then put the objects back: kubectl apply --server-side --field-manager lbctl -f lbctl-${pool}.yaml`,
    `5. Check that every service kept its address: lbctl pool show ${pool} (the controller keeps addresses services already hold: it processes them before any pending service)`,
  ]
  const mapping: PoolMapping = {legacy: `${app}.iprange`, name: pool, protocol: 'layer2', addresses: found?.spec?.addresses ?? addresses, autoAssign: found?.spec?.autoAssign ?? true, avoidBuggyIPs: found?.spec?.avoidBuggyIPs ?? false, advertisements: advertisement ? [advertisement] : []}
  return {charm: {app, model, iprange, pool, adopted: found !== undefined, advertisement, removal}, planned, pools: [mapping], warnings}
}
