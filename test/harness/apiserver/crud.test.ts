import {ApiException} from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {CRD_POOL, harness, pool, raw, type Harness} from './test-helpers.js'

let h: Harness
beforeAll(async () => {
  h = await harness()
  expect((await raw(h.server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', CRD_POOL)).status).toBe(201)
})
afterAll(async () => h.close())

/** The Status a client-node call failed with. */
async function statusOf(p: Promise<unknown>): Promise<any> {
  try {
    await p
  } catch (e) {
    expect(e).toBeInstanceOf(ApiException)
    const body = (e as ApiException<string>).body
    return typeof body === 'string' ? JSON.parse(body) : body
  }
  throw new Error('expected the request to fail')
}

const cm = (name: string, data: Record<string, string> = {k: 'v'}) => ({metadata: {name}, data})

describe('create, read, update', () => {
  it('starts with the default and kube-system namespaces', async () => {
    const names = (await h.core.listNamespace()).items.map((n) => n.metadata?.name)
    expect(names).toEqual(expect.arrayContaining(['default', 'kube-system']))
    const ns = await h.core.readNamespace({name: 'default'})
    expect(ns.status?.phase).toBe('Active')
  })

  it('sets uid, creationTimestamp and a resourceVersion, and defaults the namespace from the URL', async () => {
    const created = await h.core.createNamespacedConfigMap({namespace: 'default', body: cm('a')})
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date)
    expect(created.metadata?.namespace).toBe('default')
    expect(Number(created.metadata?.resourceVersion)).toBeGreaterThan(0)
    const read = await h.core.readNamespacedConfigMap({name: 'a', namespace: 'default'})
    expect(read.data).toEqual({k: 'v'})
    expect(read.metadata?.uid).toBe(created.metadata?.uid)
  })

  it('keeps one global, increasing resourceVersion across kinds', async () => {
    const a = await h.core.createNamespacedConfigMap({namespace: 'default', body: cm('rv1')})
    const b = await h.core.createNamespacedSecret({namespace: 'default', body: {metadata: {name: 'rv2'}, stringData: {x: 'y'}}})
    const c = await h.core.createNamespace({body: {metadata: {name: 'rv3'}}})
    const rvs = [a, b, c].map((o) => Number(o.metadata?.resourceVersion))
    expect(rvs[1]).toBeGreaterThan(rvs[0])
    expect(rvs[2]).toBeGreaterThan(rvs[1])
    const list = await h.core.listNamespacedConfigMap({namespace: 'default'})
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThanOrEqual(rvs[2])
    expect(b.data).toEqual({x: Buffer.from('y').toString('base64')})
    expect(b.type).toBe('Opaque')
  })

  it('answers a stale PUT with 409 Conflict, and a current one with a new resourceVersion', async () => {
    const v1 = await h.core.createNamespacedConfigMap({namespace: 'default', body: cm('stale')})
    const v2 = await h.core.replaceNamespacedConfigMap({name: 'stale', namespace: 'default', body: {...v1, data: {k: 'v2'}}})
    expect(Number(v2.metadata?.resourceVersion)).toBeGreaterThan(Number(v1.metadata?.resourceVersion))
    const st = await statusOf(h.core.replaceNamespacedConfigMap({name: 'stale', namespace: 'default', body: {...v1, data: {k: 'v3'}}}))
    expect(st).toMatchObject({kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409, details: {name: 'stale', kind: 'configmaps'}})
    expect(st.message).toContain('the object has been modified')
    // without a resourceVersion the update is unconditional
    const v3 = await h.core.replaceNamespacedConfigMap({name: 'stale', namespace: 'default', body: {metadata: {name: 'stale'}, data: {k: 'v4'}}})
    expect(v3.data).toEqual({k: 'v4'})
  })

  it('requires a resourceVersion on PUT of a custom resource (no unconditional updates), and none on create', async () => {
    const created = await raw(h.server, 'POST', '/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools', pool('uncond'))
    const {resourceVersion: _rv, ...meta} = created.body.metadata
    const res = await raw(h.server, 'PUT', '/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools/uncond', {...created.body, metadata: meta})
    expect(res.status).toBe(422)
    expect(res.body.details.causes[0].field).toBe('metadata.resourceVersion')
    const withRv = await raw(h.server, 'POST', '/api/v1/namespaces/default/configmaps', {metadata: {name: 'withrv', resourceVersion: '5'}})
    expect(withRv.status).toBe(500)
    expect(withRv.body.message).toBe('resourceVersion should not be set on objects to be created')
  })

  it('answers a SelfSubjectAccessReview with allowed: true, storing nothing', async () => {
    const res = await raw(h.server, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: {resourceAttributes: {verb: 'patch', group: 'metallb.io', resource: 'ipaddresspools'}},
    })
    expect(res.status).toBe(201)
    expect(res.body.status.allowed).toBe(true)
    expect(res.body.spec.resourceAttributes.verb).toBe('patch')
    expect((await raw(h.server, 'GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews')).status).toBe(405)
  })

  it('answers a create of an existing name with 409 AlreadyExists', async () => {
    await h.core.createNamespacedConfigMap({namespace: 'default', body: cm('dup')})
    const st = await statusOf(h.core.createNamespacedConfigMap({namespace: 'default', body: cm('dup')}))
    expect(st).toMatchObject({reason: 'AlreadyExists', code: 409, details: {name: 'dup', kind: 'configmaps'}, message: 'configmaps "dup" already exists'})
  })

  it('answers an unknown object with 404 NotFound, with group and kind in details', async () => {
    const st = await statusOf(h.core.readNamespacedService({name: 'nope', namespace: 'default'}))
    expect(st).toMatchObject({reason: 'NotFound', code: 404, message: 'services "nope" not found', details: {name: 'nope', kind: 'services'}})
    const cr = await raw(h.server, 'GET', '/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools/nope')
    expect(cr.body).toMatchObject({reason: 'NotFound', details: {name: 'nope', group: 'metallb.io', kind: 'ipaddresspools'}})
    expect(cr.body.message).toBe('ipaddresspools.metallb.io "nope" not found')
  })

  it('rejects a namespace in the body that differs from the URL with 400 BadRequest', async () => {
    const res = await raw(h.server, 'POST', '/api/v1/namespaces/default/configmaps', {metadata: {name: 'x', namespace: 'kube-system'}})
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({kind: 'Status', reason: 'BadRequest', code: 400})
  })

  it('rejects a name in the body that differs from the URL on PUT', async () => {
    await h.core.createNamespacedConfigMap({namespace: 'default', body: cm('n1')})
    const res = await raw(h.server, 'PUT', '/api/v1/namespaces/default/configmaps/n1', {metadata: {name: 'n2'}})
    expect(res.status).toBe(400)
  })

  it('answers a create in a missing namespace with 404 for the namespace', async () => {
    const st = await statusOf(h.core.createNamespacedConfigMap({namespace: 'ghost', body: cm('x')}))
    expect(st).toMatchObject({code: 404, message: 'namespaces "ghost" not found'})
  })

  it('serves cluster-scoped kinds without a namespace', async () => {
    const node = await h.core.createNode({body: {metadata: {name: 'node-a', labels: {role: 'worker'}}}})
    expect(node.metadata?.namespace).toBeUndefined()
    expect((await raw(h.server, 'GET', '/api/v1/nodes/node-a')).status).toBe(200)
    expect((await raw(h.server, 'GET', '/api/v1/namespaces/default/nodes/node-a')).status).toBe(404)
    const cr = await raw(h.server, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {metadata: {name: 'lbctl:controller'}, rules: []})
    expect(cr.status).toBe(201)
  })

  it('supports generateName', async () => {
    const a = await h.core.createNamespacedConfigMap({namespace: 'default', body: {metadata: {generateName: 'gen-'}}})
    const b = await h.core.createNamespacedConfigMap({namespace: 'default', body: {metadata: {generateName: 'gen-'}}})
    expect(a.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/)
    expect(a.metadata?.name).not.toBe(b.metadata?.name)
  })

  it('sets generation 1 on create and bumps it only when the spec changes (CRs, Deployments)', async () => {
    const p = (await h.objects.create(pool('gen') as any)) as any
    expect(p.metadata.generation).toBe(1)
    const labelled = (await h.objects.patch({...pool('gen'), metadata: {name: 'gen', namespace: 'default', labels: {a: 'b'}}} as any, undefined, undefined, undefined, undefined, 'application/merge-patch+json')) as any
    expect(labelled.metadata.generation).toBe(1)
    expect(Number(labelled.metadata.resourceVersion)).toBeGreaterThan(Number(p.metadata.resourceVersion))
    const changed = (await h.objects.replace({...labelled, spec: {addresses: ['203.0.113.0/25']}})) as any
    expect(changed.metadata.generation).toBe(2)
    const dep = await h.apps.createNamespacedDeployment({
      namespace: 'default',
      body: {metadata: {name: 'd'}, spec: {selector: {matchLabels: {app: 'd'}}, template: {metadata: {labels: {app: 'd'}}, spec: {containers: [{name: 'c', image: 'x:1'}]}}}},
    })
    expect(dep.metadata?.generation).toBe(1)
    expect(dep.spec?.replicas).toBe(1)
    const scaled = await h.apps.replaceNamespacedDeployment({name: 'd', namespace: 'default', body: {...dep, spec: {...dep.spec!, replicas: 3}}})
    expect(scaled.metadata?.generation).toBe(2)
  })

  it('does not write when an update changes nothing (same resourceVersion, no event)', async () => {
    const a = await h.core.createNamespacedConfigMap({namespace: 'default', body: cm('noop')})
    const b = await h.core.replaceNamespacedConfigMap({name: 'noop', namespace: 'default', body: a})
    expect(b.metadata?.resourceVersion).toBe(a.metadata?.resourceVersion)
  })

  it('validates names, labels and required built-in fields with 422 Invalid', async () => {
    const bad = await raw(h.server, 'POST', '/api/v1/namespaces/default/configmaps', {metadata: {name: 'Not_Valid'}})
    expect(bad.status).toBe(422)
    expect(bad.body).toMatchObject({reason: 'Invalid', details: {name: 'Not_Valid', kind: 'ConfigMap', causes: [{field: 'metadata.name', reason: 'FieldValueInvalid'}]}})
    const svc = await raw(h.server, 'POST', '/api/v1/namespaces/default/services', {metadata: {name: 'noports'}, spec: {type: 'LoadBalancer'}})
    expect(svc.status).toBe(422)
    expect(svc.body.details.causes[0].field).toBe('spec.ports')
    const noName = await raw(h.server, 'POST', '/api/v1/namespaces/default/configmaps', {metadata: {}})
    expect(noName.status).toBe(422)
  })

  it('defaults and allocates Service fields like a dual-stack cluster', async () => {
    const svc = await h.core.createNamespacedService({
      namespace: 'default',
      body: {metadata: {name: 'lb'}, spec: {type: 'LoadBalancer', ipFamilyPolicy: 'PreferDualStack', ports: [{port: 80}]}},
    })
    expect(svc.spec?.clusterIPs).toHaveLength(2)
    expect(svc.spec?.ipFamilies).toEqual(['IPv4', 'IPv6'])
    expect(svc.spec?.ports?.[0]).toMatchObject({protocol: 'TCP', targetPort: 80})
    expect(svc.spec?.ports?.[0].nodePort).toBeGreaterThanOrEqual(30000)
    expect(svc.spec?.externalTrafficPolicy).toBe('Cluster')
    // a PUT without clusterIP keeps the allocated one
    const again = await h.core.replaceNamespacedService({name: 'lb', namespace: 'default', body: {metadata: {name: 'lb'}, spec: {type: 'LoadBalancer', ports: [{port: 80}]}}})
    expect(again.spec?.clusterIP).toBe(svc.spec?.clusterIP)
    expect(again.spec?.ports?.[0].nodePort).toBe(svc.spec?.ports?.[0].nodePort)
  })

  it('honours dryRun=All: the answer is computed, nothing is stored', async () => {
    const before = h.server.store.resourceVersion
    const res = await raw(h.server, 'POST', '/api/v1/namespaces/default/configmaps?dryRun=All', {metadata: {name: 'dry'}})
    expect(res.status).toBe(201)
    expect(res.body.metadata.name).toBe('dry')
    expect(h.server.store.get('v1', 'ConfigMap', 'default', 'dry')).toBeUndefined()
    expect(h.server.store.resourceVersion).toBe(before)
  })

  it('rejects a wrong bearer token with 401, and accepts none (kubectl sends none over http)', async () => {
    const bad = await fetch(`${h.server.url}/api/v1/namespaces`, {headers: {Authorization: 'Bearer wrong'}})
    expect(bad.status).toBe(401)
    const none = await fetch(`${h.server.url}/api/v1/namespaces`)
    expect(none.status).toBe(200)
  })

  it('exposes a store backdoor that bypasses validation and emits events', async () => {
    const put = h.server.store.put({apiVersion: 'v1', kind: 'Service', metadata: {name: 'raw', namespace: 'default'}, spec: {}, status: {loadBalancer: {ingress: [{ip: '203.0.113.9'}]}}})
    expect(put.metadata.resourceVersion).toBe(h.server.store.resourceVersion)
    const read = await h.core.readNamespacedService({name: 'raw', namespace: 'default'})
    expect(read.status?.loadBalancer?.ingress?.[0].ip).toBe('203.0.113.9')
    expect(h.server.store.list('v1', 'Service').map((s) => s.metadata.name)).toContain('raw')
    h.server.store.delete('v1', 'Service', 'default', 'raw')
    expect(h.server.store.get('v1', 'Service', 'default', 'raw')).toBeUndefined()
  })

  it('logs every request with method, path, status and who sent it', async () => {
    const n = h.server.requests.length
    await h.core.readNamespace({name: 'default'})
    expect(h.server.requests.slice(n)).toEqual([{method: 'GET', path: '/api/v1/namespaces/default', query: '', status: 200, user: 'kubernetes-admin'}])
  })
})
