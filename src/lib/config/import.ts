// `lbctl config import`: a legacy MetalLB configuration (file or the cluster's ConfigMap) → metallb.io objects,
// checked like `lbctl pool set`, then applied with server-side apply. Bad input changes nothing (exit 2).
import {readFileSync} from 'node:fs'
import {Kinds} from '../api/constants.js'
import type {KubeObject} from '../api/types.js'
import {IMPORTED_FROM, LegacyConfigError, type PoolMapping, formatWarning, planLegacyImport, redact} from '../api/legacy/index.js'
import {badInput, isLbctlError} from '../errors.js'
import type {JujuRunner} from '../cluster/juju.js'
import type {Kube} from '../kube/client.js'
import {applyPlanned, confirmWrite, legacyBadInput, planObjects, readClusterState, type Action, type ClusterState} from './apply.js'
import {planCharmImport, type CharmImport} from './juju.js'

/** The ConfigMap MetalLB v0.9–v0.12 read (`config` in its namespace). */
export const LEGACY_CONFIGMAP = 'config'

export type ImportSource = {kind: 'file'; path: string} | {kind: 'cluster'} | {kind: 'juju'; model?: string}

export interface ImportOptions {
  source: ImportSource
  dryRun: boolean
  force: boolean
  yes: boolean
  /** Asks the operator (absent without a terminal). */
  confirm?: (question: string) => Promise<boolean>
  note?: (message: string) => void
  /** Shows the planned objects before the question. */
  plan?: (result: ImportResult) => void
  /** The juju CLI (tests and callers may substitute it). */
  juju?: JujuRunner
}

export interface ImportedItem {
  kind: string
  name: string
  action: Action | 'would-create' | 'would-update' | 'would-adopt' | 'created' | 'updated' | 'adopted'
  from: string
}

export interface ImportResult {
  /** What was read: `file:<path>`, `configmap:<ns>/config`, `juju <model>/<app>`. */
  source: string
  namespace: string
  dryRun: boolean
  /** False when the cluster could not be asked (dry run only): the pool checks were skipped. */
  checked: boolean
  objects: ImportedItem[]
  pools: PoolMapping[]
  /** The objects, Secret data redacted. */
  manifests: KubeObject[]
  warnings: string[]
  charm?: CharmImport['charm']
}

function readInput(source: ImportSource): string {
  if (source.kind !== 'file') throw new Error('unreachable')
  try {
    return readFileSync(source.path === '-' ? 0 : source.path, 'utf8')
  } catch (e) {
    const code = (e as {code?: string}).code
    throw badInput('FILE_UNREADABLE', `cannot read ${source.path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 'Give the ConfigMap as a file: `kubectl -n metallb-system get configmap config -o yaml > config.yaml`, then `-f config.yaml`; or use --from-cluster.')
  }
}

/** Run the whole import. `connect` is called only when the cluster is needed. */
export async function importConfig(connect: () => Kube, namespace: string, opts: ImportOptions): Promise<ImportResult> {
  if (opts.source.kind === 'juju') return importFromJuju(connect(), namespace, {...opts, source: opts.source})
  let text: string
  let source: string
  let kube: Kube | undefined
  if (opts.source.kind === 'cluster') {
    kube = connect()
    const cm = await kube.get<KubeObject & {data?: Record<string, string>}>(Kinds.ConfigMap, LEGACY_CONFIGMAP, namespace)
    if (!cm) throw badInput('NO_LEGACY_CONFIG', `there is no ConfigMap "${LEGACY_CONFIGMAP}" in namespace ${namespace}, so there is nothing to import`, 'Name the namespace MetalLB ran in with -n, or give a file with -f.')
    text = JSON.stringify(cm)
    source = `configmap:${namespace}/${LEGACY_CONFIGMAP}`
  } else {
    text = readInput(opts.source)
    source = `file:${opts.source.path}`
  }
  let plan
  try {
    plan = planLegacyImport(text, {namespace, source, force: opts.force})
  } catch (e) {
    if (e instanceof LegacyConfigError) throw legacyBadInput(e, opts.source.kind === 'cluster' ? `ConfigMap ${namespace}/${LEGACY_CONFIGMAP}` : opts.source.kind === 'file' ? opts.source.path : 'input')
    throw e
  }
  if (plan.configMap?.namespace && plan.configMap.namespace !== namespace) {
    plan.warnings.push({path: 'metadata.namespace', message: `the ConfigMap was in namespace ${plan.configMap.namespace}; the objects go to ${namespace} (-n)`})
  }
  const warnings = plan.warnings.map(formatWarning)
  const objects = plan.objects.map((o) => ({object: o as KubeObject, from: (o.metadata.annotations?.[IMPORTED_FROM] ?? '').slice(source.length + 1)}))
  let state: ClusterState | undefined
  try {
    kube ??= connect()
    state = await readClusterState(kube, namespace)
  } catch (e) {
    if (!opts.dryRun || !isLbctlError(e) || (e.code !== 'CRDS_MISSING' && e.category !== 'unreachable')) throw e
    warnings.push(`the cluster could not be checked (${e.message}): overlaps with existing pools and addresses in use were not checked`)
  }
  const base = {source, namespace, dryRun: opts.dryRun, pools: plan.pools, manifests: redact(plan.objects as KubeObject[])}
  if (!state) {
    return {...base, checked: false, objects: objects.map((o) => ({kind: o.object.kind, name: o.object.metadata.name, action: 'would-create', from: o.from})), warnings}
  }
  const {planned, warnings: more} = planObjects(objects, state, namespace, opts.force)
  warnings.push(...more)
  const result: ImportResult = {...base, checked: true, warnings, objects: planned.map((p) => ({kind: p.object.kind, name: p.object.metadata.name, action: p.action, from: p.from}))}
  return finish(kube!, result, planned, opts)
}

async function importFromJuju(kube: Kube, namespace: string, opts: ImportOptions & {source: {kind: 'juju'; model?: string}}): Promise<ImportResult> {
  const charm = await planCharmImport(kube, namespace, opts.source.model, opts)
  const result: ImportResult = {
    source: `juju ${charm.charm.model ?? '(current model)'}/${charm.charm.app}`, namespace, dryRun: opts.dryRun, checked: true, pools: charm.pools,
    manifests: charm.planned.map((p) => p.object), warnings: charm.warnings, charm: charm.charm,
    objects: charm.planned.map((p) => ({kind: p.object.kind, name: p.object.metadata.name, action: p.action, from: p.from})),
  }
  return finish(kube, result, charm.planned, opts)
}

async function finish(kube: Kube, result: ImportResult, planned: Parameters<typeof applyPlanned>[1], opts: ImportOptions): Promise<ImportResult> {
  const changes = planned.filter((p) => p.action !== 'unchanged')
  if (opts.dryRun) {
    result.objects = result.objects.map((o) => ({...o, action: o.action === 'unchanged' ? o.action : (`would-${o.action}` as ImportedItem['action'])}))
    return result
  }
  if (changes.length > 0) {
    if (!opts.yes) opts.plan?.(result)
    await confirmWrite(`${changes.length} object${changes.length === 1 ? '' : 's'} from ${result.source} into namespace ${result.namespace}`, opts)
    await applyPlanned(kube, planned, opts.note)
  }
  const past = {create: 'created', update: 'updated', adopt: 'adopted', unchanged: 'unchanged'} as const
  result.objects = result.objects.map((o) => ({...o, action: past[o.action as Action] ?? o.action}))
  return result
}
