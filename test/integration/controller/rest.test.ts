// The lean transport (src/lib/kube/rest.ts) must behave like the client-node seam: same typed errors, retries,
// subresources, preconditions and watch semantics. Checked against the API server harness.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Kinds} from '../../../src/lib/api/constants.js'
import {EventRecorder} from '../../../src/lib/kube/events.js'
import {loadRestTarget, RestKube, resourcePath} from '../../../src/lib/kube/rest.js'
import {type Cluster, startCluster, svcObj, waitFor} from './helpers.js'

describe('loadRestTarget', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-rest-'))
  afterAll(() => rmSync(dir, {recursive: true, force: true}))
  const write = (name: string, user: object, cluster: object = {server: 'https://k:6443/', 'certificate-authority-data': Buffer.from('CA').toString('base64')}) => {
    const p = join(dir, name)
    writeFileSync(p, JSON.stringify({apiVersion: 'v1', kind: 'Config', 'current-context': 'c', clusters: [{name: 'k', cluster}], users: [{name: 'u', user}], contexts: [{name: 'c', context: {cluster: 'k', user: 'u'}}]}))
    return p
  }

  it('reads tokens, client certificates and CA data', () => {
    writeFileSync(join(dir, 'tok'), 'file-token\n')
    const t = loadRestTarget({kubeconfig: write('a', {tokenFile: 'tok'})}, {})!
    expect(t).toMatchObject({server: 'https://k:6443', context: 'c'})
    expect(t.auth()).toBe('Bearer file-token')
    expect(String(t.tls.ca)).toBe('CA')
    const c = loadRestTarget({kubeconfig: write('b', {'client-certificate-data': Buffer.from('CERT').toString('base64'), 'client-key-data': Buffer.from('KEY').toString('base64')})}, {})!
    expect([String(c.tls.cert), String(c.tls.key), c.tls.rejectUnauthorized]).toEqual(['CERT', 'KEY', true])
  })

  it('leaves exec plugins, auth providers, proxies and merged KUBECONFIG lists to client-node', () => {
    expect(loadRestTarget({kubeconfig: write('e', {exec: {command: 'aws'}})}, {})).toBeUndefined()
    expect(loadRestTarget({kubeconfig: write('p', {token: 't'}, {server: 'https://k', 'proxy-url': 'http://proxy:3128'})}, {})).toBeUndefined()
    expect(loadRestTarget({}, {KUBECONFIG: `${join(dir, 'a')}:${join(dir, 'b')}`})).toBeUndefined()
  })

  it('builds resource paths without discovery', () => {
    expect(resourcePath(Kinds.Service, 'default', 's', 'status')).toBe('/api/v1/namespaces/default/services/s/status')
    expect(resourcePath(Kinds.Namespace)).toBe('/api/v1/namespaces')
    expect(resourcePath(Kinds.IPAddressPool, 'metallb-system')).toBe('/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools')
  })
})

describe('RestKube against the harness', () => {
  let c: Cluster
  let kube: RestKube
  beforeAll(async () => {
    c = await startCluster()
    kube = new RestKube(loadRestTarget({kubeconfig: c.kubeconfig}, {})!, {attempts: 3})
  })
  afterAll(() => c?.close())

  it('EventRecorder: one Event per repeated decision, its count and series raised by merge patches', async () => {
    let t = Date.UTC(2026, 10, 28, 12)
    const errors: unknown[] = []
    const rec = new EventRecorder(kube, {component: 'lbctl-controller', instance: 'test', now: () => t, countEveryMs: 1000, onError: (e) => errors.push(e)})
    const target = {kind: 'Service', metadata: {name: 'stuck', namespace: 'default', uid: 'u-stuck'}}
    const events = () => c.server.store.list('v1', 'Event').filter((e: any) => e.involvedObject?.name === 'stuck')
    expect(rec.record(target, 'Warning', 'AllocationFailed', 'poolExhausted: no free address')).toBe(true)
    await waitFor(() => events().length === 1, {what: 'the event'})
    for (let i = 0; i < 3; i++) {
      t += 2000
      expect(rec.record(target, 'Warning', 'AllocationFailed', 'poolExhausted: no free address')).toBe(false)
    }
    const ev = await waitFor(() => (events()[0]?.count === 4 ? events()[0] : undefined), {what: 'count 4'})
    expect(events()).toHaveLength(1)
    expect(ev).toMatchObject({series: {count: 4}, lastTimestamp: '2026-11-28T12:00:06Z', firstTimestamp: '2026-11-28T12:00:00Z'})
    expect(errors).toEqual([])
  })

  it('creates, reads, lists, patches status with preconditions, deletes — with the seam\'s error codes', async () => {
    const created = await kube.create(svcObj('r1'))
    expect(created.metadata?.resourceVersion).toBeTruthy()
    await expect(kube.create(svcObj('r1'))).rejects.toMatchObject({code: 'CONFLICT'})
    expect(await kube.get(Kinds.Service, 'missing', 'default')).toBeUndefined()
    const patched = await kube.mergePatch<any>(Kinds.Service, 'r1', 'default', {metadata: {resourceVersion: created.metadata!.resourceVersion}, status: {loadBalancer: {ingress: [{ip: '192.0.2.1'}]}}}, {subresource: 'status'})
    expect(patched.status.loadBalancer.ingress).toEqual([{ip: '192.0.2.1'}])
    await expect(kube.mergePatch(Kinds.Service, 'r1', 'default', {metadata: {resourceVersion: created.metadata!.resourceVersion}, status: {}}, {subresource: 'status'})).rejects.toMatchObject({code: 'CONFLICT'})
    const list = await kube.list(Kinds.Service, {namespace: 'default'})
    expect(list.items.map((s) => s.metadata?.name)).toContain('r1')
    expect(list.items[0]).toMatchObject({apiVersion: 'v1', kind: 'Service'})
    expect(await kube.delete(Kinds.Service, 'r1', 'default')).toBe(true)
    expect(await kube.delete(Kinds.Service, 'r1', 'default')).toBe(false)
  })

  it('retries 503 and 429, and gives up with UNREACHABLE', async () => {
    c.server.faults.failNext(2, 503, {method: 'GET'})
    expect(await kube.list(Kinds.Namespace)).toBeTruthy()
    c.server.faults.failFor(5000, 503, {method: 'GET'})
    await expect(kube.list(Kinds.Namespace)).rejects.toMatchObject({code: 'UNREACHABLE'})
    c.server.faults.clear()
  })

  it('watches from a version, and reports 410 Gone as an error with code 410', async () => {
    const {resourceVersion} = await kube.list(Kinds.Service)
    const seen: string[] = []
    let ended: unknown = 'open'
    const stop = await kube.watch<any>(Kinds.Service, {resourceVersion}, (t, o) => seen.push(`${t} ${o.metadata.name}`), (err) => (ended = err))
    c.server.store.put(svcObj('w1'))
    await waitFor(() => seen.includes('ADDED w1'), {what: 'the ADDED event'})
    stop()
    for (let i = 0; i < 1100; i++) c.server.store.put(svcObj(`w${i % 3}`))
    let gone: any
    await kube.watch(Kinds.Service, {resourceVersion}, () => undefined, (err) => (gone = err))
    await waitFor(() => gone, {what: 'the watch to end'})
    expect(gone.code).toBe(410)
    expect(ended).toBe('open')
  })
})
