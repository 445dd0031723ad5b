import {execFile, spawn} from 'node:child_process'
import {writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {stringify} from 'yaml'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {CRD_POOL, harness, pool, waitFor, type Harness} from './test-helpers.js'

const KUBECTL = '/usr/bin/kubectl'
let h: Harness
let base: string[]

beforeAll(async () => {
  h = await harness()
  base = ['--kubeconfig', h.kubeconfigPath, '--cache-dir', join(h.dir, 'cache')]
})
afterAll(async () => h.close())

interface Run {
  code: number
  stdout: string
  stderr: string
}

const kubectl = (...args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    execFile(KUBECTL, [...base, ...args], {timeout: 20_000, env: {...process.env, HOME: h.dir}}, (err, stdout, stderr) => {
      resolve({code: err ? ((err as any).code ?? 1) : 0, stdout, stderr})
    })
  })

const manifest = async (name: string, ...docs: object[]): Promise<string> => {
  const path = join(h.dir, name)
  await writeFile(path, docs.map((d) => stringify(d)).join('---\n'))
  return path
}

const svc = (port: number) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {name: 'web', namespace: 'default', labels: {app: 'web'}},
  spec: {type: 'LoadBalancer', selector: {app: 'web'}, ports: [{name: 'http', port, targetPort: 8080}]},
})
const cfg = (v: string) => ({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cfg', namespace: 'default'}, data: {v}})

describe('kubectl v1.32 against the harness', () => {
  it('gets namespaces as a table', async () => {
    const r = await kubectl('get', 'namespaces')
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^NAME\s+STATUS\s+AGE\n/)
    expect(r.stdout).toMatch(/\ndefault\s+Active\s+\d+s\n/)
    expect(r.stdout).toContain('kube-system')
  })

  it('applies a CRD, then a custom resource, with default (server-side) validation', async () => {
    const crd = await kubectl('apply', '-f', await manifest('crd.yaml', CRD_POOL))
    expect(crd.stderr).toBe('')
    expect(crd.stdout.trim()).toBe('customresourcedefinition.apiextensions.k8s.io/ipaddresspools.metallb.io created')
    const cr = await kubectl('apply', '-f', await manifest('cr.yaml', pool('pool1')))
    expect(cr.stderr).toBe('')
    expect(cr.stdout.trim()).toBe('ipaddresspool.metallb.io/pool1 created')
    const got = await kubectl('get', 'ipaddresspools', '-o', 'json')
    const list = JSON.parse(got.stdout)
    expect(list.items.map((i: any) => i.metadata.name)).toEqual(['pool1'])
    expect(list.items[0].spec.autoAssign).toBe(true)
    const changed = await kubectl('apply', '-f', await manifest('cr2.yaml', pool('pool1', {addresses: ['203.0.113.0/25']})))
    expect(changed.stdout.trim()).toBe('ipaddresspool.metallb.io/pool1 configured')
    expect(h.server.store.get('metallb.io/v1beta1', 'IPAddressPool', 'default', 'pool1').spec.addresses).toEqual(['203.0.113.0/25'])
  })

  it('reports schema errors and unknown fields from the server', async () => {
    const bad = await kubectl('apply', '-f', await manifest('bad.yaml', pool('bad', {addresses: ['no way']})))
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain('spec.addresses[0]')
    const unknown = await kubectl('apply', '-f', await manifest('unknown.yaml', pool('bad', {addresses: ['203.0.113.0/24'], nope: 1})))
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toContain('unknown field "spec.nope"')
  })

  it('applies a Service and a ConfigMap from one file, and re-applies changes (strategic merge)', async () => {
    const first = await kubectl('apply', '-f', await manifest('app.yaml', svc(80), cfg('1')))
    expect(first.stderr).toBe('')
    expect(first.stdout).toBe('service/web created\nconfigmap/cfg created\n')
    const second = await kubectl('apply', '-f', await manifest('app2.yaml', svc(81), cfg('2')))
    expect(second.stdout).toBe('service/web configured\nconfigmap/cfg configured\n')
    const s = h.server.store.get('v1', 'Service', 'default', 'web')
    expect(s.spec.ports.map((p: any) => p.port)).toEqual([81])
    expect(h.server.store.get('v1', 'ConfigMap', 'default', 'cfg').data).toEqual({v: '2'})
    const unchanged = await kubectl('apply', '-f', await manifest('app3.yaml', svc(81), cfg('2')))
    expect(unchanged.stdout).toBe('service/web unchanged\nconfigmap/cfg unchanged\n')
    const table = await kubectl('get', 'svc', 'web')
    expect(table.stdout).toMatch(/web\s+LoadBalancer\s+10\.96\.\d+\.\d+\s+<pending>\s+81:\d+\/TCP/)
  })

  it('applies server-side, with conflicts against the client-side apply manager unless forced', async () => {
    const file = await manifest('ssa.yaml', cfg('3'))
    const c = await kubectl('apply', '--server-side', '--field-manager=lbctl-test', '-f', file)
    expect(c.code).not.toBe(0)
    expect(c.stderr).toContain('conflict with "kubectl-client-side-apply" using v1: .data.v')
    const r = await kubectl('apply', '--server-side', '--field-manager=lbctl-test', '--force-conflicts', '-f', file)
    expect(r.stderr).toBe('')
    expect(r.stdout.trim()).toBe('configmap/cfg serverside-applied')
    const managers = h.server.store.get('v1', 'ConfigMap', 'default', 'cfg').metadata.managedFields.map((m: any) => `${m.manager}/${m.operation}`)
    expect(managers).toContain('lbctl-test/Apply')
  })

  it('streams changes with get --watch', async () => {
    const child = spawn(KUBECTL, [...base, 'get', 'configmaps', '--watch', '--output-watch-events'], {env: {...process.env, HOME: h.dir}})
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    try {
      await waitFor(() => out.includes('cfg'), 10_000, 'the initial list')
      await waitFor(() => h.server.openWatches > 0, 10_000, 'kubectl to open its watch')
      await h.core.createNamespacedConfigMap({namespace: 'default', body: {metadata: {name: 'watched'}}})
      await h.core.deleteNamespacedConfigMap({name: 'watched', namespace: 'default'})
      await waitFor(() => /DELETED\s+watched/.test(out), 10_000, 'the DELETED line')
      expect(out).toMatch(/ADDED\s+watched/)
    } finally {
      child.kill('SIGTERM')
    }
  })

  it('creates built-in kinds with kubectl create, which sends them as protobuf', async () => {
    const runs = [
      await kubectl('create', 'namespace', 'made-by-kubectl'),
      await kubectl('create', 'configmap', 'pb-cm', '--from-literal=a=b', '--from-literal=empty='),
      await kubectl('create', 'secret', 'generic', 'pb-secret', '--from-literal=password=s3cret'),
      await kubectl('create', 'service', 'loadbalancer', 'pb-web', '--tcp=80', '--tcp=443:8443'),
    ]
    for (const r of runs) expect(r.stderr).toBe('')
    expect(runs.map((r) => r.stdout.trim())).toEqual([
      'namespace/made-by-kubectl created',
      'configmap/pb-cm created',
      'secret/pb-secret created',
      'service/pb-web created',
    ])
    const posts = h.server.requests.filter((r) => r.method === 'POST' && r.status === 201)
    expect(posts.length).toBeGreaterThanOrEqual(4)
    expect(h.server.store.get('v1', 'Namespace', undefined, 'made-by-kubectl').status.phase).toBe('Active')
    expect(h.server.store.get('v1', 'ConfigMap', 'default', 'pb-cm').data).toEqual({a: 'b', empty: ''})
    const secret = h.server.store.get('v1', 'Secret', 'default', 'pb-secret')
    expect(secret.type).toBe('Opaque')
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('s3cret')
    const svc = h.server.store.get('v1', 'Service', 'default', 'pb-web')
    expect(svc.spec.type).toBe('LoadBalancer')
    expect(svc.spec.selector).toEqual({app: 'pb-web'})
    expect(svc.spec.ports.map((p: any) => [p.name, p.port, p.targetPort])).toEqual([['80', 80, 80], ['443-8443', 443, 8443]])
    expect(svc.metadata.managedFields.map((m: any) => m.manager)).toEqual(['kubectl-create'])
  })

  it('deletes what a file describes, and custom resources by kind', async () => {
    const r = await kubectl('delete', '-f', join(h.dir, 'app3.yaml'))
    expect(r.stdout).toBe('service "web" deleted\nconfigmap "cfg" deleted\n')
    expect(h.server.store.get('v1', 'Service', 'default', 'web')).toBeUndefined()
    const cr = await kubectl('delete', 'ipaddresspool', 'pool1')
    expect(cr.stdout.trim()).toBe('ipaddresspool.metallb.io "pool1" deleted')
    const missing = await kubectl('get', 'configmap', 'cfg')
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain('configmaps "cfg" not found')
  })
})
