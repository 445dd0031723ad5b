// `lbctl uninstall`: remove what install made, in the safe order — speakers first (announcements stop), then the
// controller, the configuration kinds, the CRDs, access, and last the namespace install created.
import {BuiltinKinds, Kinds} from '../api/constants.js'
import {crdNames} from '../api/crds.js'
import type {IPAddressPool, Service} from '../api/types.js'
import {dataLoss} from '../errors.js'
import type {Kube, KindRef, KubernetesObject} from '../kube/client.js'
import {computeUsage, type Holder} from '../pool/usage.js'
import {Names, PART_OF} from './names.js'
import {clusterRoleName} from './rbac.js'

export interface UninstallInput {
  namespace: string
  force: boolean
  keepCrds: boolean
  dryRun: boolean
}

export interface UninstallResult {
  namespace: string
  dryRun: boolean
  keptCrds: boolean
  removed: Array<{kind: string; name: string; namespace?: string}>
  /** Services that held addresses (only non-empty with --force). */
  servicesLosingAddresses: Holder[]
}

type Obj = KubernetesObject & {metadata?: {name?: string; namespace?: string; labels?: Record<string, string>}}

const rbac = (kind: string, plural: string): KindRef => ({apiVersion: 'rbac.authorization.k8s.io/v1', kind, plural})
const SELECTOR = `app.kubernetes.io/part-of=${PART_OF['app.kubernetes.io/part-of']}`
const CONFIG_KINDS = [Kinds.L2Advertisement, Kinds.BGPAdvertisement, Kinds.BGPPeer, Kinds.Community, Kinds.BFDProfile, Kinds.IPAddressPool,
  Kinds.ServiceL2Status, Kinds.ServiceBGPStatus, Kinds.ConfigurationState]

export async function uninstall(kube: Kube, input: UninstallInput, io: {note?: (m: string) => void} = {}): Promise<UninstallResult> {
  const ns = input.namespace
  const result: UninstallResult = {namespace: ns, dryRun: input.dryRun, keptCrds: input.keepCrds, removed: [], servicesLosingAddresses: []}
  const served = await kube.serves(Kinds.IPAddressPool)
  if (served) {
    const [pools, services] = await Promise.all([kube.list<IPAddressPool>(Kinds.IPAddressPool, {namespace: ns}), kube.list<Service>(Kinds.Service)])
    const holders = [...computeUsage(pools.items, services.items).values()].flatMap((u) => u.holders)
    const unique = [...new Map(holders.map((h) => [`${h.namespace}/${h.name}`, h])).values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))
    if (unique.length > 0 && !input.force) {
      const list = unique.slice(0, 10).map((h) => `  ${h.namespace}/${h.name} (${h.ips.join(', ')})`)
      if (unique.length > 10) list.push(`  … and ${unique.length - 10} more`)
      throw dataLoss('ADDRESSES_IN_USE', `refusing to uninstall: ${unique.length} service${unique.length === 1 ? ' holds' : 's hold'} addresses from the load balancer's pools:\n${list.join('\n')}`,
        'Delete those services (or change them to another type) first, or pass --force: they keep their address in status but nothing announces it any more.', {services: unique})
    }
    result.servicesLosingAddresses = unique
  }

  // Collect first (so --dry-run lists exactly what would go), in the order of removal.
  const plan: Array<{ref: KindRef; name: string; namespace?: string}> = []
  const add = (ref: KindRef, o: Obj | undefined): void => {
    if (o?.metadata?.name) plan.push({ref, name: o.metadata.name, namespace: o.metadata.namespace})
  }
  add(BuiltinKinds.DaemonSet, await kube.get<Obj>(BuiltinKinds.DaemonSet, Names.speaker, ns))
  add(BuiltinKinds.Deployment, await kube.get<Obj>(BuiltinKinds.Deployment, Names.controller, ns))
  const crds = (await kube.list<Obj>(BuiltinKinds.CRD)).items.filter((c) => crdNames().includes(c.metadata?.name ?? ''))
  if (!input.keepCrds) {
    if (served) {
      for (const k of CONFIG_KINDS) for (const o of (await kube.list<Obj>(k, {namespace: ns})).items) add(k, o)
    }
    for (const c of crds) add(BuiltinKinds.CRD, c)
  }
  const mine = (o: Obj): boolean => o.metadata?.labels?.['app.kubernetes.io/part-of'] === PART_OF['app.kubernetes.io/part-of']
  for (const k of [rbac('ClusterRoleBinding', 'clusterrolebindings'), rbac('ClusterRole', 'clusterroles')]) {
    for (const o of (await kube.list<Obj>(k, {labelSelector: SELECTOR})).items.filter((o) => ([clusterRoleName('controller', ns), clusterRoleName('speaker', ns)] as Array<string | undefined>).includes(o.metadata?.name))) add(k, o)
  }
  for (const k of [rbac('RoleBinding', 'rolebindings'), rbac('Role', 'roles'), BuiltinKinds.ServiceAccount]) {
    for (const o of (await kube.list<Obj>(k, {namespace: ns, labelSelector: SELECTOR})).items) add(k, o)
  }
  // BGP passwords stay with their peers when the configuration is kept.
  for (const o of (await kube.list<Obj>(BuiltinKinds.Secret, {namespace: ns, labelSelector: SELECTOR})).items) {
    if (!input.keepCrds || o.metadata?.name === Names.memberlistSecret) add(BuiltinKinds.Secret, o)
  }
  add(Kinds.ConfigMap, await kube.get<Obj>(Kinds.ConfigMap, Names.installRecord, ns))
  const namespace = await kube.get<Obj>(Kinds.Namespace, ns)
  if (!input.keepCrds && namespace && mine(namespace)) add(Kinds.Namespace, namespace)

  for (const p of plan) {
    if (!input.dryRun) {
      io.note?.(`deleting ${p.ref.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name}`)
      if (!(await kube.delete(p.ref, p.name, p.namespace))) continue
    }
    result.removed.push({kind: p.ref.kind, name: p.name, ...(p.namespace ? {namespace: p.namespace} : {})})
  }
  return result
}
