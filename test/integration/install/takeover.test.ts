// `install --take-over-metallb` on a cluster running MetalLB as its manifests make it: refused without the flag; with
// it, in an order that loses nothing (webhook configuration, then the bgppeers conversion, then MetalLB's workloads and
// their pods, then lbctl's objects), and every pool, peer, advertisement and assigned address is still there.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {crdManifests} from '../../../src/lib/api/crds.js'
import type {InstallResult} from '../../../src/lib/install/install.js'
import {waitUntil} from './rbac-lab.js'
import {type InstallCluster, revision, settle, startInstallCluster} from './setup.js'

const NS = 'metallb-system'
const METALLB_LABELS = {'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/name': 'metallb'}

/** The metallb.io CRDs as MetalLB's chart installs them: its labels, bgppeers converting through its webhook. */
const metallbCrds = () => crdManifests().map((c: any) => ({
  ...c, metadata: {name: c.metadata.name, labels: METALLB_LABELS},
  spec: c.metadata.name === 'bgppeers.metallb.io'
    ? {...c.spec, conversion: {strategy: 'Webhook', webhook: {conversionReviewVersions: ['v1'], clientConfig: {service: {name: 'metallb-webhook-service', namespace: NS, path: '/convert'}}}}}
    : c.spec,
})).filter((c: any) => c.metadata.name.endsWith('.metallb.io'))

const workload = (kind: 'Deployment' | 'DaemonSet', name: string, component: string) => ({
  apiVersion: 'apps/v1', kind, metadata: {name, namespace: NS, labels: {...METALLB_LABELS, 'app.kubernetes.io/component': component}},
  spec: {selector: {matchLabels: {'app.kubernetes.io/name': 'metallb', 'app.kubernetes.io/component': component}},
    template: {metadata: {labels: {'app.kubernetes.io/name': 'metallb', 'app.kubernetes.io/component': component}},
      spec: {hostNetwork: kind === 'DaemonSet', containers: [{name: component, image: `quay.io/metallb/${component}:v0.14.8`, ports: [{containerPort: 7472, name: 'monitoring'}]}]}}},
})
const pod = (name: string, component: string, node: string) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: NS, labels: {'app.kubernetes.io/name': 'metallb', 'app.kubernetes.io/component': component}},
  spec: {nodeName: node, containers: [{name: component, image: `quay.io/metallb/${component}:v0.14.8`}]}, status: {phase: 'Running'},
})
const CONFIG = [
  {apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'lan', namespace: NS}, spec: {addresses: ['203.0.113.0/28']}},
  {apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: {name: 'lan', namespace: NS}, spec: {ipAddressPools: ['lan']}},
  {apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: {name: 'lan', namespace: NS}, spec: {ipAddressPools: ['lan'], communities: ['64512:100']}},
  {apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: {name: 'router', namespace: NS}, spec: {myASN: 64512, peerASN: 64500, peerAddress: '198.18.0.1'}},
]
const SERVICE = {apiVersion: 'v1', kind: 'Service', metadata: {name: 'web', namespace: 'default', annotations: {'metallb.io/ip-allocated-from-pool': 'lan'}},
  spec: {type: 'LoadBalancer', selector: {app: 'web'}, ports: [{port: 80, protocol: 'TCP'}]}, status: {loadBalancer: {ingress: [{ip: '203.0.113.3'}]}}}

describe('lbctl install --take-over-metallb', () => {
  let c: InstallCluster
  const specs = () => CONFIG.map((o) => c.server.store.get(o.apiVersion, o.kind, NS, o.metadata.name)?.spec)
  beforeAll(async () => {
    c = await startInstallCluster({crds: false, objects: [
      ...metallbCrds(),
      {apiVersion: 'v1', kind: 'Namespace', metadata: {name: NS}},
      workload('Deployment', 'metallb-controller', 'controller'), workload('DaemonSet', 'metallb-speaker', 'speaker'),
      pod('metallb-controller-7d9f-x1', 'controller', 'node-1'), ...['node-1', 'node-2', 'node-3'].map((n, i) => pod(`metallb-speaker-${i}`, 'speaker', n)),
      {apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: {name: 'metallb-webhook-configuration', labels: METALLB_LABELS},
        webhooks: [{name: 'ipaddresspoolvalidationwebhook.metallb.io', admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail',
          clientConfig: {service: {name: 'metallb-webhook-service', namespace: NS, path: '/validate-metallb-io-v1beta1-ipaddresspool'}}}]},
      ...CONFIG, SERVICE,
    ]})
    await settle(c.server)
  })
  afterAll(() => c.close())

  it('refuses without the flag, naming it and what it does; nothing written', async () => {
    const before = revision(c.server)
    const r = await c.lbctl(['install', '--mode', 'l2', '--json'])
    expect(r.code).toBe(6)
    expect(r.json.error.message).toContain('MetalLB runs here (Deployment metallb-system/metallb-controller, DaemonSet metallb-system/metallb-speaker)')
    expect(r.json.error.hint).toContain('--take-over-metallb')
    expect(revision(c.server)).toBe(before)
  })

  it('--dry-run says what it would delete and writes nothing', async () => {
    const before = revision(c.server)
    const r = await c.lbctl(['install', '--mode', 'l2', '--take-over-metallb', '--dry-run', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect((r.json as InstallResult).warnings.join('\n')).toContain('--take-over-metallb would delete ValidatingWebhookConfiguration metallb-webhook-configuration, Deployment metallb-system/metallb-controller, DaemonSet metallb-system/metallb-speaker and set the bgppeers CRD\'s conversion to None')
    expect(revision(c.server)).toBe(before)
  })

  it('takes over in the order that loses nothing, and keeps the configuration and the assigned address', async () => {
    const before = specs()
    const from = c.server.requests.length
    // The pods go when their workloads do (the garbage collector and the kubelet's part, played here).
    let gcAt = -1
    const gc = waitUntil(() => !c.server.store.get('apps/v1', 'DaemonSet', NS, 'metallb-speaker') && !c.server.store.get('apps/v1', 'Deployment', NS, 'metallb-controller'), 30_000, 'MetalLB\'s workloads to be deleted')
      .then(async () => {
        await new Promise((r) => setTimeout(r, 1500))
        gcAt = c.server.requests.length
        for (const p of c.server.store.list('v1', 'Pod').filter((p) => p.metadata.labels?.['app.kubernetes.io/name'] === 'metallb')) c.server.store.delete('v1', 'Pod', NS, p.metadata.name)
      })
    const r = await c.lbctl(['install', '--mode', 'l2', '--take-over-metallb', '--json'])
    await gc
    expect(r.code, r.stdout + r.stderr).toBe(0)
    const res = r.json as InstallResult
    expect(res.takeover!.steps.map((s) => `${s.action} ${s.kind} ${s.name}`)).toEqual([
      'deleted ValidatingWebhookConfiguration metallb-webhook-configuration',
      'patched CustomResourceDefinition bgppeers.metallb.io',
      'deleted Deployment metallb-controller',
      'deleted DaemonSet metallb-speaker',
    ])
    // The order, from what the API server was sent.
    const sent = c.server.requests.slice(from).filter((q) => q.method !== 'GET' && q.status < 300).map((q) => `${q.method} ${q.path}`)
    const at = (re: RegExp) => sent.findIndex((s) => re.test(s))
    const hook = at(/^DELETE .*validatingwebhookconfigurations\/metallb-webhook-configuration$/)
    const conversion = at(/^PATCH .*customresourcedefinitions\/bgppeers\.metallb\.io$/)
    const ctrl = at(/^DELETE .*deployments\/metallb-controller$/)
    const spk = at(/^DELETE .*daemonsets\/metallb-speaker$/)
    const firstOurs = at(/^PATCH .*(namespaces\/metallb-system|customresourcedefinitions\/ipaddresspools\.metallb\.io)$/)
    const ourSpeakers = at(/^PATCH .*daemonsets\/lbctl-speaker$/)
    expect(hook).toBeGreaterThanOrEqual(0)
    expect([hook, conversion, ctrl, spk, firstOurs].every((x, i, a) => i === 0 || x > a[i - 1]), sent.join('\n')).toBe(true)
    expect(ourSpeakers).toBeGreaterThan(spk)
    // Install waited for MetalLB's pods to be gone (they hold the host ports) before applying anything of its own: it
    // looked for them until they were deleted, and applied its first object after that.
    expect(gcAt).toBeGreaterThan(from)
    const all = c.server.requests.map((q) => `${q.method} ${q.path}?${q.query}`)
    const podPolls = all.slice(from, gcAt).filter((q) => q.startsWith(`GET /api/v1/namespaces/${NS}/pods`) && q.includes('labelSelector'))
    expect(podPolls.length).toBeGreaterThan(1)
    const firstApply = all.findIndex((q, i) => i >= from && /^PATCH .*(namespaces\/metallb-system|customresourcedefinitions\/ipaddresspools\.metallb\.io)\?/.test(q))
    expect(firstApply).toBeGreaterThan(gcAt)
    // The final objects: MetalLB gone, the CRD ours with conversion None, the configuration and the address kept.
    expect(c.server.store.get('admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration', undefined, 'metallb-webhook-configuration')).toBeUndefined()
    const crd = c.server.store.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'bgppeers.metallb.io')
    expect(crd.spec.conversion).toEqual({strategy: 'None'})
    expect(crd.metadata.labels['app.kubernetes.io/part-of']).toBe('lbctl')
    expect(specs()).toEqual(before)
    const svc = c.server.store.get('v1', 'Service', 'default', 'web')
    expect(svc.status.loadBalancer.ingress).toEqual([{ip: '203.0.113.3'}])
    expect(svc.metadata.annotations['metallb.io/ip-allocated-from-pool']).toBe('lan')
    expect(c.server.store.get('apps/v1', 'DaemonSet', NS, 'lbctl-speaker')).toBeDefined()
  })

  it('afterwards a plain install finds nothing to take over and changes nothing', async () => {
    await settle(c.server)
    const before = revision(c.server)
    const r = await c.lbctl(['install', '--mode', 'l2', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(revision(c.server)).toBe(before)
  })
})
