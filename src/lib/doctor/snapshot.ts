// Everything the doctor reads, in one round of parallel lists. A kind the caller may not read (403) or the cluster does
// not serve is recorded, not fatal: the checks that need it say they could not be made.
import type {BGPAdvertisement, BGPPeer, BGPSessionStateStatus, ConfigurationState, IPAddressPool, KubeObject, L2Advertisement, NodeObject, Service, ServiceBGPStatus, ServiceL2Status} from '../api/types.js'
import type {PrepareResult} from '../cluster/types.js'
import {inspectKubeProxy} from '../cluster/prepare.js'
import type {KindRef, Kube} from '../kube/client.js'
import type {EndpointSlice} from '../../speaker/state.js'
import {DoctorKinds, INSTALL_CONFIGMAP} from './kinds.js'

export type BGPPeerSession = KubeObject<undefined, BGPSessionStateStatus>
export type Pod = KubeObject<{nodeName?: string; containers?: Array<{name: string; image?: string; ports?: Array<{name?: string; containerPort: number}>}>}, {phase?: string; podIP?: string; hostIP?: string; conditions?: Array<{type: string; status: string}>; containerStatuses?: Array<{name: string; ready?: boolean; image?: string; restartCount?: number}>}>
export type Workload = KubeObject<{template?: {spec?: {containers?: Array<{name: string; image?: string}>}}; replicas?: number}, {replicas?: number; readyReplicas?: number; desiredNumberScheduled?: number; numberReady?: number; updatedNumberScheduled?: number; observedGeneration?: number}>
export type EventObject = KubeObject & {involvedObject?: {kind?: string; name?: string; namespace?: string}; reason?: string; message?: string; type?: string; lastTimestamp?: string; eventTime?: string; count?: number}
export type CRD = KubeObject<{group?: string; names?: {plural?: string}; versions?: Array<{name: string; served?: boolean; storage?: boolean}>}>
export type WebhookConfiguration = KubeObject & {webhooks?: Array<{name: string; clientConfig?: {service?: {name: string; namespace: string}; url?: string}}>}
export type ConfigMap = KubeObject & {data?: Record<string, string>}

/** Why a read gave nothing: the caller may not read it, or the cluster does not serve the kind. */
export interface Unreadable {
  resource: string
  namespace?: string
  why: 'forbidden' | 'not-served'
  message: string
}

export interface Snapshot {
  namespace: string
  server: string
  context: string
  crds: CRD[]
  pools: IPAddressPool[]
  l2: L2Advertisement[]
  bgpAdvertisements: BGPAdvertisement[]
  peers: BGPPeer[]
  l2Statuses: ServiceL2Status[]
  bgpStatuses: ServiceBGPStatus[]
  configStates: ConfigurationState[]
  sessions: BGPPeerSession[]
  /** Every Service the checks may need (all namespaces, or the ones asked about). */
  services: Service[]
  namespaces: Array<KubeObject>
  nodes: NodeObject[]
  pods: Pod[]
  daemonSets: Workload[]
  deployments: Workload[]
  endpointSlices: EndpointSlice[]
  events: EventObject[]
  webhooks: WebhookConfiguration[]
  /** Services named by webhook configurations (to tell whether they still exist), `namespace/name`. */
  webhookServices: Set<string>
  legacyConfig?: ConfigMap
  install?: ConfigMap
  kubeProxy?: PrepareResult
  kubeProxyError?: string
  unreadable: Unreadable[]
}

export interface SnapshotOptions {
  namespace: string
  /** Namespaces whose services are checked; undefined = all. */
  serviceNamespaces?: string[]
}

const resourceName = (ref: KindRef): string => {
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : ''
  const plural = ref.plural ?? `${ref.kind.toLowerCase()}s`
  return group ? `${plural}.${group}` : plural
}

/** Read the cluster. Only UNREACHABLE/UNAUTHORIZED errors escape (exit 3); everything else is recorded. */
export async function readSnapshot(kube: Kube, opts: SnapshotOptions): Promise<Snapshot> {
  const unreadable: Unreadable[] = []
  const served = new Map<string, Promise<boolean>>()
  const serves = (ref: KindRef): Promise<boolean> => {
    const key = `${ref.apiVersion}/${ref.kind}`
    if (!served.has(key)) served.set(key, kube.serves(ref))
    return served.get(key)!
  }
  const soft = async <T>(ref: KindRef, namespace: string | undefined, fn: () => Promise<T>, empty: T): Promise<T> => {
    if (!(await serves(ref))) {
      unreadable.push({resource: resourceName(ref), namespace, why: 'not-served', message: `the cluster does not serve ${ref.kind} (${ref.apiVersion})`})
      return empty
    }
    try {
      return await fn()
    } catch (err) {
      const e = err as {code?: string; message?: string}
      if (e.code === 'FORBIDDEN') {
        unreadable.push({resource: resourceName(ref), namespace, why: 'forbidden', message: e.message ?? 'forbidden'})
        return empty
      }
      if (e.code === 'NOT_FOUND' || e.code === 'CRDS_MISSING') {
        unreadable.push({resource: resourceName(ref), namespace, why: 'not-served', message: e.message ?? 'not found'})
        return empty
      }
      throw err
    }
  }
  const list = <T>(ref: KindRef, namespace?: string, extra: {labelSelector?: string; fieldSelector?: string} = {}): Promise<T[]> =>
    soft(ref, namespace, async () => (await kube.list<T & {metadata?: {name?: string}}>(ref, {namespace, ...extra})).items as T[], [] as T[])
  const get = <T>(ref: KindRef, name: string, namespace?: string): Promise<T | undefined> =>
    soft(ref, namespace, () => kube.get<T & {metadata?: {name?: string}}>(ref, name, namespace) as Promise<T | undefined>, undefined)
  const perNamespace = async <T>(ref: KindRef, extra: {fieldSelector?: string} = {}): Promise<T[]> =>
    opts.serviceNamespaces ? (await Promise.all(opts.serviceNamespaces.map((n) => list<T>(ref, n, extra)))).flat() : list<T>(ref, undefined, extra)

  const ns = opts.namespace
  // The first call tells whether the cluster answers at all; an unreachable cluster fails here (exit 3).
  await kube.serves(DoctorKinds.Service)
  const [crds, pools, l2, bgpAdvertisements, peers, l2Statuses, bgpStatuses, configStates, sessions, services, namespaces, nodes, pods, daemonSets, deployments, endpointSlices, events, webhooks, legacyConfig, install, kubeProxy] = await Promise.all([
    list<CRD>(DoctorKinds.CRD),
    list<IPAddressPool>(DoctorKinds.IPAddressPool, ns),
    list<L2Advertisement>(DoctorKinds.L2Advertisement, ns),
    list<BGPAdvertisement>(DoctorKinds.BGPAdvertisement, ns),
    list<BGPPeer>(DoctorKinds.BGPPeer, ns),
    list<ServiceL2Status>(DoctorKinds.ServiceL2Status, ns),
    list<ServiceBGPStatus>(DoctorKinds.ServiceBGPStatus, ns),
    list<ConfigurationState>(DoctorKinds.ConfigurationState, ns),
    list<BGPPeerSession>(DoctorKinds.BGPPeerSession, ns),
    perNamespace<Service>(DoctorKinds.Service),
    list<KubeObject>(DoctorKinds.Namespace),
    list<NodeObject>(DoctorKinds.Node),
    list<Pod>(DoctorKinds.Pod, ns),
    list<Workload>(DoctorKinds.DaemonSet, ns),
    list<Workload>(DoctorKinds.Deployment, ns),
    perNamespace<EndpointSlice>(DoctorKinds.EndpointSlice),
    perNamespace<EventObject>(DoctorKinds.Event, {fieldSelector: 'involvedObject.kind=Service'}),
    list<WebhookConfiguration>(DoctorKinds.ValidatingWebhookConfiguration),
    get<ConfigMap>(DoctorKinds.ConfigMap, 'config', ns),
    get<ConfigMap>(DoctorKinds.ConfigMap, INSTALL_CONFIGMAP, ns),
    inspectKubeProxy(kube).then((r) => ({r}), (err: Error & {code?: string}) => ({err})),
  ])
  const webhookServices = new Set<string>()
  const wanted = new Set(webhooks.flatMap((w) => (w.webhooks ?? []).map((h) => h.clientConfig?.service).filter((s) => s !== undefined).map((s) => `${s!.namespace}/${s!.name}`)))
  await Promise.all([...wanted].map(async (key) => {
    const [n, name] = key.split('/')
    if (await get<Service>(DoctorKinds.Service, name, n)) webhookServices.add(key)
  }))
  return {
    namespace: ns, server: kube.server, context: kube.context,
    crds, pools, l2, bgpAdvertisements, peers, l2Statuses, bgpStatuses, configStates, sessions, services, namespaces, nodes, pods,
    daemonSets, deployments, endpointSlices, events, webhooks, webhookServices, legacyConfig, install,
    kubeProxy: 'r' in kubeProxy ? kubeProxy.r : undefined,
    kubeProxyError: 'err' in kubeProxy ? kubeProxy.err.message : undefined,
    unreadable,
  }
}
