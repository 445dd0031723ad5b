// `lbctl doctor`: read the cluster once, run the cluster-wide checks and each service's staged verdict, then probe the
// wire through the speakers' diagnostics endpoints.
import type {Service} from '../api/types.js'
import {badInput} from '../cli/errors.js'
import type {Kube} from '../kube/client.js'
import {serviceKey} from '../ipam/index.js'
import {planAllocations} from './allocation.js'
import {accessCheck, advertisementNodeChecks, componentChecks, type Context, crdChecks, kubeProxyCheck, leftoverChecks, nodeChecks, peerChecks, poolChecks} from './cluster-checks.js'
import {componentPods, implementation, liveSpeakerNodes} from './components.js'
import {type DiagnosticsClient, diagnosticsClient} from './diagnostics.js'
import {buildIndexes} from './indexes.js'
import {readSnapshot, type Snapshot} from './snapshot.js'
import {serviceVerdict, stageResult} from './service-checks.js'
import {check, type Check, type DoctorReport, type ServiceVerdict} from './types.js'
import {readSpeakerReports} from './speakers.js'
import {wireChecks} from './wire.js'

export * from './types.js'

export interface ServiceRef {
  namespace: string
  name: string
}

export interface DoctorOptions {
  /** The load balancer's namespace. */
  namespace: string
  /** Services named on the command line (`NAME` or `NAMESPACE/NAME`); none with `all` false: the context namespace's. */
  services: string[]
  all: boolean
  probe: boolean
  /** Per-probe timeout. */
  probeTimeoutMs?: number
  /** Injected diagnostics client (tests of the client itself use the real one). */
  client?: DiagnosticsClient
}

/** `NAMESPACE/NAME` or `NAME` (in the context's namespace), as kubectl reads it. */
export function parseServiceRef(arg: string, contextNamespace: string): ServiceRef {
  const parts = arg.split('/')
  const ok = (s: string): boolean => /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s) && s.length <= 63
  if (parts.length > 2 || parts.some((p) => !ok(p))) {
    throw badInput('BAD_SERVICE', `"${arg}" is not a service: give NAME or NAMESPACE/NAME (lower-case letters, digits and "-")`, 'List services with `kubectl get svc -A --field-selector spec.type=LoadBalancer`.')
  }
  return parts.length === 2 ? {namespace: parts[0], name: parts[1]} : {namespace: contextNamespace, name: parts[0]}
}

export function clusterChecks(c: Context): Check[] {
  return [
    accessCheck(c),
    ...crdChecks(c),
    kubeProxyCheck(c),
    ...componentChecks(c),
    ...poolChecks(c),
    ...advertisementNodeChecks(c),
    ...peerChecks(c),
    ...nodeChecks(c),
    ...leftoverChecks(c),
  ]
}

export function contextOf(s: Snapshot): Context {
  const pods = componentPods(s)
  return {s, pods, impl: implementation(s, pods), live: liveSpeakerNodes(pods), ix: buildIndexes(s)}
}


export async function runDoctor(kube: Kube, opts: DoctorOptions): Promise<DoctorReport> {
  for (const a of opts.services) parseServiceRef(a, 'default')
  if (opts.all && opts.services.length) throw badInput('BAD_ARGS', 'give service names or -A, not both', 'Run `lbctl doctor -A` for every service, or name the services.')
  const ctxNs = await kube.contextNamespace()
  const refs = opts.services.map((a) => parseServiceRef(a, ctxNs))
  const serviceNamespaces = opts.all ? undefined : [...new Set(refs.length ? refs.map((s) => s.namespace) : [ctxNs])]
  const s = await readSnapshot(kube, {namespace: opts.namespace, serviceNamespaces})
  let client = opts.client
  let skip: string | undefined = opts.probe ? undefined : '--no-probe'
  if (opts.probe && !client) {
    const token = await kube.bearerToken().catch(() => undefined)
    if (token) client = diagnosticsClient({token, timeoutMs: opts.probeTimeoutMs})
    else skip = 'the kubeconfig user has no bearer token, which the diagnostics endpoint needs'
  }
  return diagnose(s, {services: refs, all: opts.all, contextNamespace: ctxNs}, {client, skip})
}

/** Everything after the reads; exported for the benchmark and for tests that build a snapshot by hand. */
export async function diagnose(s: Snapshot, opts: {services: ServiceRef[]; all: boolean; contextNamespace: string}, wire: {client?: DiagnosticsClient; skip?: string}): Promise<DoctorReport> {
  const c = contextOf(s)
  // What the speakers say about their nodes (interfaces, MACs): read once, for the advertisement and wire stages.
  c.speakers = await readSpeakerReports(c, wire)
  const checks = clusterChecks(c)
  const alloc = planAllocations(c)
  const byKey = new Map(s.services.map((x) => [serviceKey(x), x]))
  const targets: Array<{svc?: Service; ref: ServiceRef; named: boolean}> = opts.services.length
    ? opts.services.map((ref) => ({svc: byKey.get(`${ref.namespace}/${ref.name}`), ref, named: true}))
    : s.services.filter((x) => x.spec?.type === 'LoadBalancer' && (opts.all || (x.metadata.namespace ?? 'default') === opts.contextNamespace))
      .map((svc) => ({svc, key: serviceKey(svc)}))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({svc}) => svc)
      .map((svc) => ({svc, ref: {namespace: svc.metadata.namespace ?? 'default', name: svc.metadata.name}, named: false}))
  const services: ServiceVerdict[] = []
  const cache = new Map<string, Promise<Check[]>>()
  const pending: Array<Promise<void>> = []
  for (const t of targets) {
    if (!t.svc) {
      const missing = check('service.found', 'Service exists', 'fail', `service ${t.ref.namespace}/${t.ref.name} does not exist`, {subject: `Service ${t.ref.namespace}/${t.ref.name}`, fix: `kubectl -n ${t.ref.namespace} get services`})
      services.push({...t.ref, addresses: [], brokenAt: 'class', stages: [stageResult('class', [missing])]})
      continue
    }
    const v = serviceVerdict(c, alloc, t.svc, t.named)
    services.push(v)
    if (v.brokenAt) {
      v.stages.push(stageResult('wire', [check('wire.single-mac', 'One MAC on the wire', 'skip', `not checked: the ${v.brokenAt} stage failed`, {subject: `Service ${t.ref.namespace}/${t.ref.name}`})]))
      continue
    }
    const svc = t.svc
    const address = v.addresses[0]
    pending.push((async () => {
      const wc = address ? await wireChecks(c, svc, address, wire, cache) : [check('wire.single-mac', 'One MAC on the wire', 'skip', 'no address', {subject: `Service ${t.ref.namespace}/${t.ref.name}`})]
      const r = stageResult('wire', wc)
      v.stages.push(r)
      if (r.status === 'fail') v.brokenAt = 'wire'
    })())
  }
  await Promise.all(pending)
  const all = [...checks, ...services.flatMap((v) => v.stages.flatMap((st) => st.checks))]
  const summary = {pass: 0, fail: 0, warn: 0, skip: 0}
  for (const x of all) summary[x.status]++
  return {
    version: 1,
    cluster: {server: s.server, context: s.context, namespace: s.namespace},
    implementation: c.impl,
    summary, ok: summary.fail === 0, checks, services,
  }
}
