// For `lbctl install` (and doctor): is there a legacy configuration that `lbctl config import` would carry over?
import {Kinds} from '../api/constants.js'
import type {IPAddressPool, KubeObject} from '../api/types.js'
import {CHARM_APPS, LegacyConfigError, planLegacyImport} from '../api/legacy/index.js'
import type {Kube} from '../kube/client.js'
import {LEGACY_CONFIGMAP} from './import.js'

export interface LegacyFinding {
  /** The v0.9–v0.12 ConfigMap, when present. */
  configMap?: {namespace: string; name: string; pools: number; peers: number; problem?: string}
  /** IPAddressPools the Charmed MetalLB operator made (named `<model>-metallb`, or applied by its field manager). */
  charmPools: string[]
  /** One line for the operator: what was found and the command that carries it over. */
  message: string
}

/** Undefined when there is nothing to carry over. Reads only; never throws for a malformed ConfigMap. */
export async function findLegacyConfig(kube: Kube, namespace: string): Promise<LegacyFinding | undefined> {
  const cm = await kube.get<KubeObject & {data?: Record<string, string>}>(Kinds.ConfigMap, LEGACY_CONFIGMAP, namespace)
  let configMap: LegacyFinding['configMap']
  if (cm?.data?.config !== undefined) {
    configMap = {namespace, name: LEGACY_CONFIGMAP, pools: 0, peers: 0}
    try {
      const plan = planLegacyImport(JSON.stringify(cm), {namespace, source: 'probe', force: true})
      configMap.pools = plan.pools.length
      configMap.peers = plan.objects.filter((o) => o.kind === 'BGPPeer').length
    } catch (e) {
      if (!(e instanceof LegacyConfigError)) throw e
      configMap.problem = e.message
    }
  }
  const charmPools: string[] = []
  if (await kube.serves(Kinds.IPAddressPool)) {
    const pools = await kube.list<IPAddressPool & {metadata: {managedFields?: Array<{manager?: string}>}}>(Kinds.IPAddressPool, {namespace})
    for (const p of pools.items) {
      const byName = CHARM_APPS.some((app) => p.metadata.name.endsWith(`-${app}`))
      const byManager = (p.metadata.managedFields ?? []).some((f) => (CHARM_APPS as readonly string[]).includes(f.manager ?? ''))
      if (byName || byManager) charmPools.push(p.metadata.name)
    }
  }
  if (!configMap && charmPools.length === 0) return undefined
  const parts: string[] = []
  if (configMap) parts.push(`the legacy MetalLB ConfigMap ${namespace}/${LEGACY_CONFIGMAP} (${configMap.problem ? `not valid: ${configMap.problem}` : `${configMap.pools} pool${configMap.pools === 1 ? '' : 's'}, ${configMap.peers} peer${configMap.peers === 1 ? '' : 's'}`}), which MetalLB ≥ 0.13 and lbctl ignore: carry it over with \`lbctl config import --from-cluster -n ${namespace}\``)
  if (charmPools.length) parts.push(`the Charmed MetalLB operator's pool${charmPools.length === 1 ? '' : 's'} ${charmPools.join(', ')}: adopt ${charmPools.length === 1 ? 'it' : 'them'} with \`lbctl config import --from-juju\``)
  return {...(configMap ? {configMap} : {}), charmPools, message: `Found ${parts.join('; and ')}.`}
}
