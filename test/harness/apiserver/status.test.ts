import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {CRD_POOL, CRD_WIDGET, harness, pool, raw, type Harness} from './test-helpers.js'

let h: Harness
beforeAll(async () => {
  h = await harness()
  for (const crd of [CRD_POOL, CRD_WIDGET]) expect((await raw(h.server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201)
})
afterAll(async () => h.close())

const POOLS = '/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools'

describe('the status subresource', () => {
  it('drops status on create and ignores it on updates of the main resource (Service)', async () => {
    const svc = await h.core.createNamespacedService({
      namespace: 'default',
      body: {metadata: {name: 's'}, spec: {type: 'LoadBalancer', ports: [{port: 80}]}, status: {loadBalancer: {ingress: [{ip: '203.0.113.1'}]}}},
    })
    expect(svc.status?.loadBalancer?.ingress).toBeUndefined()
    const upd = await h.core.replaceNamespacedService({
      name: 's',
      namespace: 'default',
      body: {...svc, metadata: {...svc.metadata, labels: {x: 'y'}}, status: {loadBalancer: {ingress: [{ip: '203.0.113.2'}]}}},
    })
    expect(upd.metadata?.labels).toEqual({x: 'y'})
    expect(upd.status?.loadBalancer?.ingress).toBeUndefined()
  })

  it('changes only status through /status (PUT), ignoring spec and metadata changes', async () => {
    const svc = await h.core.readNamespacedService({name: 's', namespace: 'default'})
    const upd = await h.core.replaceNamespacedServiceStatus({
      name: 's',
      namespace: 'default',
      body: {...svc, metadata: {...svc.metadata, labels: {changed: 'yes'}}, spec: {...svc.spec, type: 'ClusterIP'}, status: {loadBalancer: {ingress: [{ip: '203.0.113.7'}]}}},
    })
    expect(upd.status?.loadBalancer?.ingress?.[0].ip).toBe('203.0.113.7')
    expect(upd.spec?.type).toBe('LoadBalancer')
    expect(upd.metadata?.labels).toEqual({x: 'y'})
  })

  it('patches status through /status with a merge patch', async () => {
    const res = await raw(h.server, 'PATCH', '/api/v1/namespaces/default/services/s/status', {status: {loadBalancer: {ingress: [{ip: '203.0.113.8'}]}}, spec: {type: 'NodePort'}}, {
      'Content-Type': 'application/merge-patch+json',
    })
    expect(res.status).toBe(200)
    expect(res.body.status.loadBalancer.ingress).toEqual([{ip: '203.0.113.8'}])
    expect(res.body.spec.type).toBe('LoadBalancer')
  })

  it('treats status the same way for custom resources that declare the subresource, without bumping generation', async () => {
    const created = await raw(h.server, 'POST', POOLS, {...pool('p'), status: {assignedIPv4: 5}})
    expect(created.body.status).toBeUndefined()
    const st = await raw(h.server, 'PUT', `${POOLS}/p/status`, {...created.body, spec: {addresses: ['198.51.100.0/24']}, status: {assignedIPv4: 3}})
    expect(st.status).toBe(200)
    expect(st.body.status).toEqual({assignedIPv4: 3})
    expect(st.body.spec.addresses).toEqual(['203.0.113.0/24'])
    expect(st.body.metadata.generation).toBe(1)
    const main = await raw(h.server, 'PUT', `${POOLS}/p`, {...st.body, status: {assignedIPv4: 99}})
    expect(main.body.status).toEqual({assignedIPv4: 3})
    // the status is validated against the schema too
    const bad = await raw(h.server, 'PUT', `${POOLS}/p/status`, {...main.body, status: {assignedIPv4: 'many'}})
    expect(bad.status).toBe(422)
    expect(bad.body.details.causes[0]).toMatchObject({field: 'status.assignedIPv4', reason: 'FieldValueTypeInvalid'})
  })

  it('keeps status an ordinary field for a CRD without the subresource (and has no /status)', async () => {
    const w = await raw(h.server, 'POST', '/apis/example.com/v1/widgets', {apiVersion: 'example.com/v1', kind: 'Widget', metadata: {name: 'w'}, status: {ok: true}})
    expect(w.body.status).toEqual({ok: true})
    expect((await raw(h.server, 'GET', '/apis/example.com/v1/widgets/w/status')).status).toBe(404)
  })

  it('serves /status for deployments, daemonsets and nodes', async () => {
    await h.core.createNode({body: {metadata: {name: 'n1'}}})
    const node = await h.core.replaceNodeStatus({name: 'n1', body: {metadata: {name: 'n1'}, status: {conditions: [{type: 'Ready', status: 'True'}]}}})
    expect(node.status?.conditions?.[0].type).toBe('Ready')
    for (const p of ['/apis/apps/v1/namespaces/default/deployments/x/status', '/apis/apps/v1/namespaces/default/daemonsets/x/status'])
      expect((await raw(h.server, 'GET', p)).body.reason).toBe('NotFound')
    expect((await raw(h.server, 'GET', '/api/v1/namespaces/default/configmaps/x/status')).status).toBe(404)
  })
})
