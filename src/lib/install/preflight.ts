// Checks before anything is written: may the user install at all, is another load balancer here, what did one leave.
import {findLegacyConfig} from '../config/find.js'
import {crdNames} from '../api/crds.js'
import {conflict, type LbctlError, unreachable} from '../errors.js'
import type {Kube, KubernetesObject} from '../kube/client.js'
import {PART_OF} from './names.js'
import type {MetallbWorkload} from './takeover.js'

type Obj = KubernetesObject & {metadata?: {name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>}}

export const SSAR = {apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews'}
export const WEBHOOKS = {apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', plural: 'validatingwebhookconfigurations'}
const WORKLOAD_KINDS = [
  {apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments'},
  {apiVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets'},
  {apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets'},
]
const CRD = {apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions'}

export interface AccessCheck {
  group: string
  resource: string
  verb: string
  namespace?: string
}

/** What install must be allowed to do (cluster-scoped objects first: they are what a namespace admin lacks). */
export const requiredAccess = (namespace: string): AccessCheck[] => [
  {group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', verb: 'create'},
  {group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', verb: 'patch'},
  {group: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'create'},
  {group: 'rbac.authorization.k8s.io', resource: 'clusterrolebindings', verb: 'create'},
  {group: '', resource: 'namespaces', verb: 'create'},
  {group: 'apps', resource: 'daemonsets', verb: 'create', namespace},
  {group: 'apps', resource: 'deployments', verb: 'create', namespace},
  {group: '', resource: 'secrets', verb: 'create', namespace},
]

/** SelfSubjectAccessReview for each check; throws naming every refused permission. */
export async function checkAccess(kube: Kube, checks: AccessCheck[]): Promise<void> {
  const allowed = await Promise.all(checks.map(async (c) => {
    const r = await kube.create<{status?: {allowed?: boolean}} & KubernetesObject>({
      ...SSAR, metadata: {},
      spec: {resourceAttributes: {group: c.group, resource: c.resource, verb: c.verb, ...(c.namespace ? {namespace: c.namespace} : {})}},
    } as KubernetesObject)
    return r.status?.allowed === true
  }))
  const refusal = accessRefusal(kube.context, checks, allowed)
  if (refusal) throw refusal
}

/** The error for the checks the cluster refused (undefined when all were allowed). */
export function accessRefusal(context: string, checks: AccessCheck[], allowed: boolean[]): LbctlError | undefined {
  const denied = checks.filter((_, i) => !allowed[i])
  if (denied.length === 0) return undefined
  const list = denied.map((c) => `  ${c.verb} ${c.group ? `${c.resource}.${c.group}` : c.resource}${c.namespace ? ` in namespace ${c.namespace}` : ' (cluster-wide)'}`)
  return unreachable('FORBIDDEN', `you may not install the load balancer on context "${context}": the cluster refuses:\n${list.join('\n')}`,
    'Installing needs a cluster administrator (it creates CRDs and cluster roles). Ask one to run it, or to bind you to cluster-admin.', {denied})
}

export interface Finding {
  code: string
  message: string
  /** What to run about it. */
  fix: string
}

const mentionsMetallb = (o: Obj): boolean => {
  const l = o.metadata?.labels ?? {}
  return /metallb/i.test(o.metadata?.name ?? '') || [l.app, l['app.kubernetes.io/name'], l['juju-app'], l['app.kubernetes.io/part-of']].some((v) => /metallb/i.test(v ?? ''))
}
const jujuApp = (o: Obj): string | undefined => {
  const l = o.metadata?.labels ?? {}
  const a = o.metadata?.annotations ?? {}
  if (l['juju-app']) return l['juju-app']
  if (l['app.kubernetes.io/managed-by'] === 'juju' || Object.keys(a).some((k) => k.startsWith('juju.is/') || k.startsWith('app.juju.is/'))) return l['app.kubernetes.io/name'] ?? o.metadata?.name
  return undefined
}
const ours = (o: Obj): boolean => o.metadata?.labels?.['app.kubernetes.io/part-of'] === PART_OF['app.kubernetes.io/part-of']

/** Another MetalLB (upstream, Helm, or Charmed Kubernetes' charms), and what MetalLB leaves behind. */
export async function findOtherLoadBalancers(kube: Kube, namespace: string, o: {takeOver?: boolean} = {}): Promise<{refusals: Finding[]; warnings: string[]; metallb: {workloads: MetallbWorkload[]; webhooks: string[]}}> {
  const refusals: Finding[] = []
  const warnings: string[] = []
  const metallb: {workloads: MetallbWorkload[]; webhooks: string[]} = {workloads: [], webhooks: []}
  const lists = await Promise.all(WORKLOAD_KINDS.map(async (k) => (await kube.list<Obj>(k)).items.map((o) => ({...o, kind: k.kind, apiVersion: k.apiVersion, plural: k.plural}))))
  const theirs = lists.flat().filter((o) => mentionsMetallb(o) && !ours(o))
  const charms = theirs.filter((o) => jujuApp(o))
  if (charms.length > 0) {
    const apps = [...new Set(charms.map((o) => jujuApp(o)!))]
    refusals.push({
      code: 'METALLB_CHARM',
      message: `Charmed Kubernetes' MetalLB charm${apps.length > 1 ? 's run' : ' runs'} here (${charms.map((o) => `${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}`).join(', ')})`,
      fix: `Remove ${apps.length > 1 ? 'them' : 'it'} with juju first: ${apps.map((a) => `\`juju remove-application ${a}\``).join(', ')} (in the model that holds ${apps.length > 1 ? 'them' : 'it'}, e.g. \`juju switch <model>\` first).`,
    })
  }
  const upstream = theirs.filter((o) => !jujuApp(o))
  metallb.workloads = upstream.map((w) => ({apiVersion: w.apiVersion, kind: w.kind, plural: w.plural, name: w.metadata!.name!, namespace: w.metadata!.namespace!,
    selector: (w as {spec?: {selector?: {matchLabels?: Record<string, string>}}}).spec?.selector?.matchLabels ?? {}}))
  if (upstream.length > 0 && !o.takeOver) {
    refusals.push({
      code: 'METALLB_INSTALLED',
      message: `MetalLB runs here (${upstream.map((o) => `${o.kind} ${o.metadata?.namespace}/${o.metadata?.name}`).join(', ')}); its speakers hold the same host ports (7472, 7946) and both would answer for the same addresses`,
      fix: 'Pass --take-over-metallb to replace it, keeping every pool, peer, advertisement and assigned address (install removes its webhook configuration, sets the bgppeers CRD\'s conversion to None, deletes its controller and speakers, waits until their pods are gone, then installs lbctl). Or remove MetalLB yourself first (`helm uninstall metallb -n metallb-system`, or `kubectl delete -f` the manifest it came from, keeping the CRDs), then run install again.',
    })
  }
  if (await kube.serves(WEBHOOKS)) {
    const hooks = (await kube.list<Obj & {webhooks?: Array<{name?: string}>}>(WEBHOOKS)).items
    for (const h of hooks.filter((h) => !ours(h) && (/metallb/i.test(h.metadata?.name ?? '') || (h.webhooks ?? []).some((w) => /metallb\.io/.test(w.name ?? ''))))) {
      metallb.webhooks.push(h.metadata!.name!)
      if (o.takeOver) continue
      refusals.push({
        code: 'METALLB_WEBHOOK',
        message: `MetalLB's validating webhook configuration ${h.metadata?.name} is still registered; with its service gone, every write to a metallb.io object fails`,
        fix: `Delete it: \`kubectl delete validatingwebhookconfiguration ${h.metadata?.name}\` (--take-over-metallb does).`,
      })
    }
  }
  const crds = (await kube.list<Obj>(CRD)).items.filter((c) => crdNames().includes(c.metadata?.name ?? '') && !ours(c))
  if (crds.length > 0 && upstream.length === 0 && charms.length === 0) {
    warnings.push(`the metallb.io CRDs exist without MetalLB (${crds.map((c) => c.metadata?.name).join(', ')}); install takes them over, keeping the objects in them`)
  }
  // One rule for "is there a legacy configuration to carry over" (the same one doctor and config import use).
  const legacy = await findLegacyConfig(kube, namespace)
  if (legacy?.configMap) warnings.push(legacy.message)
  return {refusals, warnings, metallb}
}

export function refuse(findings: Finding[]): LbctlError {
  const first = findings[0]
  const text = findings.map((f) => `  ${f.message}.\n    ${f.fix}`).join('\n')
  return conflict(first.code, `refusing to install: ${findings.length === 1 ? 'another load balancer is (or was) here' : `${findings.length} problems`}:\n${text}`, first.fix, {findings})
}
