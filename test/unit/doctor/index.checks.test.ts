// The checks as pure functions of a snapshot built by hand (no API server): one table row per finding.
import {describe, expect, it} from 'vitest'
import {diagnose} from '../../../src/lib/doctor/index.js'
import type {Snapshot} from '../../../src/lib/doctor/snapshot.js'
import type {Check, DoctorReport} from '../../../src/lib/doctor/types.js'

const NS = 'metallb-system'
const labels = {'app.kubernetes.io/name': 'lbctl', 'app.kubernetes.io/component': 'speaker'}
const pod = (node: string, image = 'lbctl:v1') => ({apiVersion: 'v1', kind: 'Pod', metadata: {name: `lbctl-speaker-${node}`, namespace: NS, labels},
  spec: {nodeName: node, containers: [{name: 'speaker', image}]}, status: {phase: 'Running', podIP: '198.18.0.1', conditions: [{type: 'Ready', status: 'True'}]}})
const crd = (plural: string, group: string, versions: string[]) => ({apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: {name: `${plural}.${group}`}, spec: {group, names: {plural}, versions: versions.map((name) => ({name, served: true, storage: true}))}})
const allCrds = () => [
  ...['ipaddresspools', 'l2advertisements', 'bgpadvertisements', 'communities', 'bfdprofiles', 'servicel2statuses', 'servicebgpstatuses', 'configurationstates'].map((p) => crd(p, 'metallb.io', ['v1beta1'])),
  crd('bgppeers', 'metallb.io', ['v1beta1', 'v1beta2']), crd('bgppeersessions', 'lbctl.io', ['v1alpha1']),
]
const svc = (name: string, ip?: string, extra: Record<string, any> = {}) => ({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: 'web', labels: {app: name}},
  spec: {type: 'LoadBalancer', selector: {app: name}, ports: [{port: 80}]}, status: {loadBalancer: ip ? {ingress: [{ip}]} : {}}, ...extra})
const slice = (name: string, node: string) => ({metadata: {name: `${name}-1`, namespace: 'web', labels: {'kubernetes.io/service-name': name}}, endpoints: [{addresses: ['10.0.0.1'], conditions: {ready: true}, nodeName: node}]})
const l2s = (name: string, node: string) => ({apiVersion: 'metallb.io/v1beta1', kind: 'ServiceL2Status', metadata: {name: `l2-${name}-${node}`, namespace: NS}, status: {node, serviceName: name, serviceNamespace: 'web'}})

function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  return {
    namespace: NS, server: 'https://198.18.0.10:6443', context: 'lab', crds: allCrds() as any,
    pools: [{apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'default', namespace: NS}, spec: {addresses: ['203.0.113.0/28']}}],
    l2: [{apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: {name: 'default', namespace: NS}, spec: {}}],
    bgpAdvertisements: [], peers: [], l2Statuses: [l2s('shop', 'n1')] as any, bgpStatuses: [], configStates: ['controller', 'speaker-n1', 'speaker-n2'].map((name) => ({apiVersion: 'metallb.io/v1beta1', kind: 'ConfigurationState', metadata: {name, namespace: NS}, status: {result: 'Valid'}})) as any, sessions: [],
    services: [svc('shop', '203.0.113.1')] as any, namespaces: [],
    nodes: ['n1', 'n2'].map((name) => ({apiVersion: 'v1', kind: 'Node', metadata: {name, labels: {'kubernetes.io/hostname': name}}})) as any,
    pods: [pod('n1'), pod('n2')] as any, daemonSets: [], deployments: [{apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'lbctl-controller', namespace: NS}, spec: {replicas: 1}, status: {readyReplicas: 1}}] as any,
    endpointSlices: [slice('shop', 'n2')] as any, events: [], webhooks: [], webhookServices: new Set(), unreadable: [],
    kubeProxy: {kubeProxy: {runs: 'daemonset', description: 'DaemonSet'}, current: {effectiveMode: 'ipvs', strictARP: true, source: 'ConfigMap kube-system/kube-proxy'}, arpHazard: false, evidence: []} as any,
    ...over,
  }
}

const run = (s: Snapshot): Promise<DoctorReport> => diagnose(s, {services: [], all: true, contextNamespace: 'default'}, {skip: '--no-probe'})
const all = (r: DoctorReport): Check[] => [...r.checks, ...r.services.flatMap((v) => v.stages.flatMap((st) => st.checks))]
const notPassing = (r: DoctorReport): string[] => [...new Set(all(r).filter((c) => c.status === 'fail' || c.status === 'warn').map((c) => `${c.id}:${c.status}`))].sort()
const one = (r: DoctorReport, id: string): Check => all(r).find((c) => c.id === id && (c.status === 'fail' || c.status === 'warn'))!

describe('doctor checks on hand-made snapshots', () => {
  it('a healthy snapshot has nothing to say', async () => {
    expect(notPassing(await run(snapshot({configStates: []})))).toEqual(['components.configuration:warn'])
    expect(notPassing(await run(snapshot()))).toEqual([])
  })

  it.each<[string, Partial<Snapshot> | ((s: Snapshot) => void), string, RegExp]>([
    ['overlapping pools', (s) => s.pools.push({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'other', namespace: NS}, spec: {addresses: ['203.0.113.8-203.0.113.20']}} as any), 'pools.overlap:fail', /pools default and other share 203\.0\.113\.8\/29/],
    ['a configuration rejected by a speaker', (s) => (s.configStates[1].status = {result: 'Invalid', errorSummary: 'L2Advertisement default: interface eth9 not found'}), 'components.configuration:fail', /speaker-n1 rejected the configuration .*interface eth9 not found/],
    ['BGPPeer served only as v1beta1', (s) => (s.crds = s.crds.map((d) => (d.metadata.name === 'bgppeers.metallb.io' ? crd('bgppeers', 'metallb.io', ['v1beta1']) : d)) as any), 'crds.installed:fail', /bgppeers\.metallb\.io does not serve v1beta2/],
    ['a legacy config ConfigMap', {legacyConfig: {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'config', namespace: NS}, data: {config: 'address-pools: []'}}}, 'leftovers.legacy-config:warn', /MetalLB ≤ v0\.12 format/],
    ['speakers of two versions', (s) => (s.pods = [pod('n1'), pod('n2', 'lbctl:v2')] as any), 'components.version:warn', /2 versions: v1, v2/],
    ['a node excluded from load balancers', (s) => (s.nodes[1].metadata.labels = {'node.kubernetes.io/exclude-from-external-load-balancers': ''}), 'nodes.excluded:warn', /n2 is labelled/],
    ['no node with its network available', (s) => s.nodes.forEach((n: any) => (n.status = {conditions: [{type: 'NetworkUnavailable', status: 'True'}]})), 'advertisement.nodes:fail', /every node it selects has the condition NetworkUnavailable/],
    ['two nodes claiming one layer-2 address', (s) => s.l2Statuses.push(l2s('shop', 'n2') as any), 'announcement.node:fail', /2 nodes announce it in layer 2 \(n1, n2\)/],
    ['an advertisement whose serviceSelectors leave the service out', (s) => (s.l2[0].spec = {serviceSelectors: [{matchLabels: {tier: 'edge'}}]}), 'advertisement.pool-selected:fail', /select other services/],
    ['no ready endpoint', (s) => (s.endpointSlices = [{...slice('shop', 'n2'), endpoints: [{addresses: ['10.0.0.1'], conditions: {ready: false}, nodeName: 'n2'}]}] as any), 'endpoints.ready:fail', /no ready endpoint/],
    ['a named pool that does not exist', (s) => s.services.push(svc('api', undefined, {metadata: {name: 'api', namespace: 'web', annotations: {'metallb.io/address-pool': 'gold'}}}) as any), 'allocation.pool-exists:fail', /pool gold/],
    ['a load balancer class of another implementation', (s) => s.services.push(svc('ext', undefined, {spec: {type: 'LoadBalancer', loadBalancerClass: 'example.com/lb', selector: {app: 'ext'}, ports: [{port: 80}]}}) as any), 'service.class:fail', /example\.com\/lb/],
  ])('%s', async (_name, change, expected, message) => {
    const s = snapshot(typeof change === 'function' ? {} : change)
    if (typeof change === 'function') change(s)
    const r = await run(s)
    expect(notPassing(r)).toEqual([expected])
    expect(one(r, expected.split(':')[0]).message).toMatch(message)
  })

  it('a BGP-only service skips the wire stage, saying the routers carry it', async () => {
    const s = snapshot({l2: [], l2Statuses: [], bgpAdvertisements: [{apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: {name: 'b', namespace: NS}, spec: {}}],
      bgpStatuses: [{apiVersion: 'metallb.io/v1beta1', kind: 'ServiceBGPStatus', metadata: {name: 'bgp-1', namespace: NS}, status: {node: 'n1', serviceName: 'shop', serviceNamespace: 'web', peers: []}}] as any})
    const r = await diagnose(s, {services: [], all: true, contextNamespace: 'default'}, {client: {probe: () => Promise.reject(new Error('must not be called')), get: () => Promise.reject(new Error('no')), l2: () => Promise.reject(new Error('no'))}})
    const wire = r.services[0].stages.find((x) => x.stage === 'wire')!.checks[0]
    expect(wire).toMatchObject({status: 'skip', message: 'announced with BGP only: the routers carry it (see bgp.sessions)'})
  })
})
