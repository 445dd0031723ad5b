import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parseAllDocuments} from 'yaml'
import type {InstallResult} from '../../../src/lib/install/install.js'
import {lbService} from '../helpers.js'
import {type InstallCluster, IPVS_NO_STRICT_ARP, revision, settle, startInstallCluster, writeFile} from './setup.js'

const NS = 'metallb-system'

// First: the CRDs' CEL rules are compiled when the harness starts, which needs a shallow stack.
describe('lbctl install refuses bad input and foreign load balancers, applying nothing', () => {
  let c: InstallCluster
  beforeAll(async () => (c = await startInstallCluster({crds: true, objects: [
    {apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'theirs', namespace: NS}, spec: {addresses: ['203.0.113.0/24']}},
  ]})))
  afterAll(() => c.close())

  it.each([
    [['--mode', 'l3'], 2, 'BAD_MODE'],
    [['--mode', 'l2', '--pool', '203.0.113.16/28'], 2, 'POOL_OVERLAP'],
    [['--mode', 'l2', '--pool', '203.0.113.300'], 2, 'BAD_ADDRESS'],
    [['--mode', 'bgp', '--peer-address', '198.18.0.1', '--peer-asn', '4294967296', '--my-asn', '64512'], 2, 'BAD_ASN'],
    [['--mode', 'bgp', '--peer-address', '198.18.0.1', '--peer-asn', '64500', '--my-asn', '0'], 2, 'BAD_ASN'],
    [['--mode', 'bgp', '--peer-address', '198.18.0.1'], 2, 'PEER_INCOMPLETE'],
    [['--mode', 'l2', '--peer-address', '198.18.0.1', '--peer-asn', '1', '--my-asn', '2'], 2, 'PEER_NEEDS_BGP'],
    [['--mode', 'l2', '--image-registry', 'Not A Registry'], 2, 'BAD_REGISTRY'],
  ])('%j → exit %i %s', async (args, code, err) => {
    const before = revision(c.server)
    const r = await c.lbctl(['install', ...args, '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(code)
    expect(r.json.error.code).toBe(err)
    expect(r.json.error.hint).toBeTruthy()
    expect(revision(c.server)).toBe(before)
  })

  it('refuses a running MetalLB, its webhook leftovers and Charmed Kubernetes\' charm, naming what to run', async () => {
    c.server.store.put({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'controller', namespace: NS, labels: {app: 'metallb', component: 'controller'}}, spec: {selector: {matchLabels: {app: 'metallb'}}, template: {metadata: {labels: {app: 'metallb'}}, spec: {containers: [{name: 'c', image: 'quay.io/metallb/controller:v0.14.8'}]}}}})
    c.server.store.put({apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: {name: 'metallb-webhook-configuration'}, webhooks: [{name: 'ipaddresspoolvalidationwebhook.metallb.io'}]})
    c.server.store.put({apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: {name: 'metallb', namespace: 'metallb', labels: {'app.kubernetes.io/name': 'metallb', 'app.kubernetes.io/managed-by': 'juju'}}, spec: {selector: {matchLabels: {a: 'b'}}, template: {metadata: {labels: {a: 'b'}}, spec: {containers: [{name: 'c', image: 'x'}]}}}})
    await settle(c.server)
    const before = revision(c.server)
    const r = await c.lbctl(['install', '--mode', 'l2', '--json'])
    expect(r.code).toBe(6)
    expect(r.json.error.message).toContain('MetalLB runs here (Deployment metallb-system/controller)')
    expect(r.json.error.message).toContain('kubectl delete validatingwebhookconfiguration metallb-webhook-configuration')
    expect(r.json.error.message).toContain('juju remove-application metallb')
    expect(r.json.error.message).toContain('--take-over-metallb')
    expect(revision(c.server)).toBe(before)
  })
})

describe('lbctl install --dry-run -o yaml', () => {
  let c: InstallCluster
  beforeAll(async () => (c = await startInstallCluster({crds: true})))
  afterAll(() => c.close())

  it('prints every object, Secret data redacted, writes nothing, and kubectl accepts all of it', async () => {
    const before = revision(c.server)
    const r = await c.bin(['install', '--mode', 'l2', '--pool', '203.0.113.0/28', '--dry-run', '-o', 'yaml'])
    expect(r.code, r.stderr).toBe(0)
    expect(revision(c.server)).toBe(before)
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS())
    const kinds = docs.map((d) => d.kind)
    // Apply order: namespace, CRDs, access, configuration, controller, speakers, then the pool.
    expect(kinds.indexOf('Namespace')).toBe(0)
    expect(kinds.lastIndexOf('CustomResourceDefinition')).toBeLessThan(kinds.indexOf('ServiceAccount'))
    expect(kinds.indexOf('Deployment')).toBeLessThan(kinds.indexOf('DaemonSet'))
    expect(kinds.slice(-2)).toEqual(['IPAddressPool', 'L2Advertisement'])
    const secret = docs.find((d) => d.kind === 'Secret')
    expect(Buffer.from(secret.data.secretkey, 'base64').toString()).toBe('REDACTED')
    // Async: the harness answers kubectl from this process.
    const k = await execa('kubectl', ['--kubeconfig', c.kubeconfig, 'apply', '--dry-run=client', '-f', '-'], {input: r.stdout, reject: false})
    expect(k.exitCode, k.stderr).toBe(0)
    expect(k.stdout.trim().split('\n')).toHaveLength(docs.length)
    expect(revision(c.server)).toBe(before)
  })
})

describe('lbctl install (l2), again, and upgrade', () => {
  let c: InstallCluster
  beforeAll(async () => (c = await startInstallCluster({objects: [lbService('web', '198.51.100.7')]})))
  afterAll(() => c.close())

  it('installs everything, waits until ready, records the mode', async () => {
    const r = await c.lbctl(['install', '--mode', 'l2', '--pool', '203.0.113.0/28', '--wait', '--timeout', '30s', '-o', 'json'])
    expect(r.code, r.stderr).toBe(0)
    const res = r.json as InstallResult
    expect(res.readiness).toMatchObject({done: true, speaker: {desired: 3, ready: 3}, controller: {desired: 1, ready: 1}})
    const get = (apiVersion: string, kind: string, name: string, ns?: string) => c.server.store.get(apiVersion, kind, ns, name)
    expect(get('v1', 'Namespace', NS).metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged')
    expect(get('v1', 'ConfigMap', 'lbctl-install', NS).data).toMatchObject({mode: 'l2', version: '0.1.0'})
    expect(Buffer.from(get('v1', 'Secret', 'memberlist', NS).data.secretkey, 'base64').length).toBeGreaterThan(100)
    expect(get('metallb.io/v1beta1', 'IPAddressPool', 'default', NS).spec.addresses).toEqual(['203.0.113.0/28'])
    expect(get('metallb.io/v1beta1', 'L2Advertisement', 'default', NS).spec.ipAddressPools).toEqual(['default'])
    const ds = get('apps/v1', 'DaemonSet', 'lbctl-speaker', NS)
    expect(ds.spec.template.spec.hostNetwork).toBe(true)
    expect(ds.spec.template.spec.containers[0].image).toBe('ghcr.io/lbctl/lbctl-speaker:0.1.0')
    const env = Object.fromEntries(ds.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.valueFrom?.fieldRef?.fieldPath ?? e.value]))
    expect(env).toMatchObject({NODE_NAME: 'spec.nodeName', POD_IP: 'status.podIP', METALLB_ML_SECRET_KEY_PATH: '/etc/ml_secret_key'})
    // The progress went to stderr, naming what it waited for.
    expect(r.stderr).toMatch(/waiting for the controller and every speaker/)
  })

  it('a second run changes nothing (and never regenerates the memberlist key)', async () => {
    await settle(c.server)
    const before = revision(c.server)
    const r = await c.lbctl(['install', '--mode', 'l2', '--pool', '203.0.113.0/28', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(revision(c.server)).toBe(before)
    expect((r.json as InstallResult).objects).toContainEqual({kind: 'Secret', name: 'memberlist', namespace: NS, action: 'kept'})
  })

  it('pool set without --advertise creates the advertisement the installed mode calls for', async () => {
    const r = await c.lbctl(['pool', 'set', '203.0.113.64/28', '--name', 'more', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.advertisement).toMatchObject({kind: 'L2Advertisement', name: 'more'})
  })

  it('an upgrade updates CRDs, then the controller (waiting until it is ready), then the speakers', async () => {
    const key = c.server.store.get('v1', 'Secret', NS, 'memberlist').data.secretkey
    const from = c.server.requests.length
    const r = await c.lbctl(['install', '--mode', 'l2', '--version', '0.2.0', '--image-registry', 'registry.lab:5000/lbctl', '--skip-registry-check', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.upgradedFrom).toEqual({version: '0.1.0', mode: 'l2'})
    const writes = c.server.requests.slice(from).filter((q) => q.method === 'PATCH').map((q) => q.path)
    const first = (re: RegExp) => writes.findIndex((p) => re.test(p))
    expect(first(/customresourcedefinitions/)).toBeGreaterThanOrEqual(0)
    expect(first(/customresourcedefinitions/)).toBeLessThan(first(/deployments\/lbctl-controller/))
    expect(first(/deployments\/lbctl-controller/)).toBeLessThan(first(/daemonsets\/lbctl-speaker/))
    const reads = c.server.requests.slice(from).map((q) => `${q.method} ${q.path}`)
    const depPatch = reads.indexOf(`PATCH /apis/apps/v1/namespaces/${NS}/deployments/lbctl-controller`)
    const dsPatch = reads.indexOf(`PATCH /apis/apps/v1/namespaces/${NS}/daemonsets/lbctl-speaker`)
    expect(reads.slice(depPatch, dsPatch)).toContain(`GET /apis/apps/v1/namespaces/${NS}/deployments/lbctl-controller`)
    expect(c.server.store.get('apps/v1', 'DaemonSet', NS, 'lbctl-speaker').spec.template.spec.containers[0].image).toBe('registry.lab:5000/lbctl/lbctl-speaker:0.2.0')
    expect(c.server.store.get('v1', 'ConfigMap', NS, 'lbctl-install').data.version).toBe('0.2.0')
    expect(c.server.store.get('v1', 'Secret', NS, 'memberlist').data.secretkey).toBe(key)
  })
})

describe('lbctl install --mode bgp with a peer', () => {
  let c: InstallCluster
  beforeAll(async () => (c = await startInstallCluster()))
  afterAll(() => c.close())

  it('creates the BGPPeer, its password Secret and a BGPAdvertisement; the password is never printed', async () => {
    const pw = 's3cret-Md5-key'
    const file = writeFile(c.dir, 'pw', `${pw}\n`)
    const r = await c.bin(['install', '--mode', 'bgp', '--pool', '203.0.113.0/27', '--peer-address', '198.18.0.1', '--peer-asn', '64500', '--my-asn', '64512', '--password-file', file, '--json'])
    expect(r.code, r.stderr).toBe(0)
    const peer = c.server.store.get('metallb.io/v1beta2', 'BGPPeer', NS, 'peer-198-18-0-1')
    expect(peer.spec).toMatchObject({myASN: 64512, peerASN: 64500, peerAddress: '198.18.0.1', passwordSecret: {name: 'peer-198-18-0-1-bgp-password'}})
    const secret = c.server.store.get('v1', 'Secret', NS, 'peer-198-18-0-1-bgp-password')
    expect(secret.type).toBe('kubernetes.io/basic-auth')
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe(pw)
    expect(c.server.store.get('metallb.io/v1beta1', 'BGPAdvertisement', NS, 'default').spec.ipAddressPools).toEqual(['default'])
    expect(c.server.store.get('v1', 'ConfigMap', NS, 'lbctl-install').data.mode).toBe('bgp')
    const yaml = await c.bin(['install', '--mode', 'bgp', '--peer-address', '198.18.0.1', '--peer-asn', '64500', '--my-asn', '64512', '--dry-run', '-o', 'yaml'], {LBCTL_BGP_PASSWORD: pw})
    expect(yaml.code, yaml.stderr).toBe(0)
    for (const out of [r.stdout, r.stderr, yaml.stdout, yaml.stderr]) {
      expect(out).not.toContain(pw)
      expect(out).not.toContain(Buffer.from(pw).toString('base64'))
    }
    expect(yaml.stdout).toContain('peer-198-18-0-1-bgp-password: data redacted')
  })

  it('pool set without --advertise follows the recorded bgp mode', async () => {
    const r = await c.lbctl(['pool', 'set', '203.0.113.128/28', '--name', 'second', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.advertisement).toMatchObject({kind: 'BGPAdvertisement', name: 'second'})
  })
})

describe('lbctl install checks kube-proxy for layer 2', () => {
  let c: InstallCluster
  beforeAll(async () => (c = await startInstallCluster({proxyConf: IPVS_NO_STRICT_ARP, objects: [
    {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'config', namespace: NS}, data: {config: 'address-pools:\n- name: default\n  protocol: layer2\n  addresses: [203.0.113.0/28]\n'}},
  ]})))
  afterAll(() => c.close())

  it('IPVS without strict ARP: refuses without a terminal or --yes, and says how to fix it', async () => {
    const before = revision(c.server)
    const r = await c.lbctl(['install', '--mode', 'l2', '--json'])
    expect(r.code).toBe(1)
    expect(r.json.error.code).toBe('KUBE_PROXY_STRICT_ARP')
    expect(r.json.error.hint).toContain('lbctl prepare --ipvs')
    expect(revision(c.server)).toBe(before)
  })

  it('bgp mode does not need strict ARP; a legacy config ConfigMap is pointed at `lbctl config import`', async () => {
    const r = await c.lbctl(['install', '--mode', 'bgp', '--dry-run', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect((r.json as InstallResult).warnings.join('\n')).toContain('lbctl config import')
  })

  it('--yes turns strict ARP on first, then installs', async () => {
    const r = await c.lbctl(['install', '--mode', 'l2', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect((r.json as InstallResult).kubeProxy).toMatchObject({arpHazard: true, fixed: true})
    expect(c.server.store.get('v1', 'ConfigMap', 'kube-system', 'kube-proxy').data['config.conf']).toMatch(/strictARP: true/)
  })
})

describe('lbctl install as the built binary: a bad mode exits 2 with the fix', () => {
  let c: InstallCluster
  beforeAll(async () => (c = await startInstallCluster()))
  afterAll(() => c.close())

  it('unknown mode', async () => {
    const before = revision(c.server)
    const r = await c.bin(['install', '--mode', 'layer2'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--mode layer2 is not a mode lbctl knows')
    expect(r.stderr).toContain('--mode l2')
    expect(revision(c.server)).toBe(before)
  })
})
