import {Watch} from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {CRD_POOL, harness, pool, raw, waitFor, type Harness} from './test-helpers.js'

let h: Harness
beforeAll(async () => {
  h = await harness()
  expect((await raw(h.server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', CRD_POOL)).status).toBe(201)
})
afterAll(async () => h.close())

const POOLS = '/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools'
const CMS = '/api/v1/namespaces/default/configmaps'

describe('delete', () => {
  it('deletes at once without finalizers: a Status for built-ins, the object for custom resources', async () => {
    await raw(h.server, 'POST', CMS, {metadata: {name: 'gone'}})
    const res = await raw(h.server, 'DELETE', `${CMS}/gone`)
    expect(res.body).toMatchObject({kind: 'Status', status: 'Success', details: {name: 'gone', kind: 'configmaps'}})
    expect((await raw(h.server, 'GET', `${CMS}/gone`)).status).toBe(404)
    expect((await raw(h.server, 'DELETE', `${CMS}/gone`)).status).toBe(404)
    await raw(h.server, 'POST', POOLS, pool('p0'))
    const cr = await raw(h.server, 'DELETE', `${POOLS}/p0`)
    expect(cr.body).toMatchObject({kind: 'IPAddressPool', metadata: {name: 'p0'}})
  })

  it('with finalizers, sets deletionTimestamp and keeps the object until the last finalizer is removed', async () => {
    const created = await raw(h.server, 'POST', POOLS, {...pool('fin'), metadata: {name: 'fin', finalizers: ['metallb.io/a', 'metallb.io/b']}})
    const events: string[] = []
    const ctl = await new Watch(h.kc).watch(POOLS, {resourceVersion: created.body.metadata.resourceVersion}, (type, obj) => events.push(`${type} ${obj.metadata.deletionTimestamp ? 'deleting' : ''}`), () => undefined)
    const del = await raw(h.server, 'DELETE', `${POOLS}/fin`, {propagationPolicy: 'Foreground'})
    expect(del.status).toBe(200)
    expect(del.body.metadata.deletionTimestamp).toBeTruthy()
    expect(del.body.metadata.generation).toBe(2)
    expect((await raw(h.server, 'GET', `${POOLS}/fin`)).status).toBe(200)
    // a second DELETE changes nothing
    const again = await raw(h.server, 'DELETE', `${POOLS}/fin`)
    expect(again.body.metadata.resourceVersion).toBe(del.body.metadata.resourceVersion)
    // no new finalizers while deleting
    const add = await raw(h.server, 'PATCH', `${POOLS}/fin`, {metadata: {finalizers: ['metallb.io/a', 'metallb.io/b', 'x.io/c']}}, {'Content-Type': 'application/merge-patch+json'})
    expect(add.status).toBe(422)
    const one = await raw(h.server, 'PATCH', `${POOLS}/fin`, {metadata: {finalizers: ['metallb.io/b']}}, {'Content-Type': 'application/merge-patch+json'})
    expect(one.body.metadata.finalizers).toEqual(['metallb.io/b'])
    expect((await raw(h.server, 'GET', `${POOLS}/fin`)).status).toBe(200)
    const last = await raw(h.server, 'PATCH', `${POOLS}/fin`, [{op: 'remove', path: '/metadata/finalizers'}], {'Content-Type': 'application/json-patch+json'})
    expect(last.status).toBe(200)
    expect((await raw(h.server, 'GET', `${POOLS}/fin`)).status).toBe(404)
    await waitFor(() => events.length >= 3, 5000, 'three events')
    expect(events).toEqual(['MODIFIED deleting', 'MODIFIED deleting', 'DELETED deleting'])
    ctl.abort()
  })

  it('checks DeleteOptions preconditions and honours dryRun', async () => {
    const c = await raw(h.server, 'POST', CMS, {metadata: {name: 'pre'}})
    const bad = await raw(h.server, 'DELETE', `${CMS}/pre`, {preconditions: {resourceVersion: '1'}})
    expect(bad.status).toBe(409)
    const badUid = await raw(h.server, 'DELETE', `${CMS}/pre`, {preconditions: {uid: 'nope'}})
    expect(badUid.status).toBe(409)
    expect((await raw(h.server, 'DELETE', `${CMS}/pre?dryRun=All`)).status).toBe(200)
    expect((await raw(h.server, 'GET', `${CMS}/pre`)).status).toBe(200)
    const ok = await raw(h.server, 'DELETE', `${CMS}/pre`, {preconditions: {uid: c.body.metadata.uid, resourceVersion: c.body.metadata.resourceVersion}})
    expect(ok.status).toBe(200)
  })

  it('deletes a collection by label selector', async () => {
    for (const [n, l] of [['c1', 'x'], ['c2', 'x'], ['c3', 'y']]) await raw(h.server, 'POST', CMS, {metadata: {name: n, labels: {set: l}}})
    const res = await raw(h.server, 'DELETE', `${CMS}?labelSelector=set%3Dx`)
    expect(res.status).toBe(200)
    const left = (await raw(h.server, 'GET', `${CMS}?labelSelector=set`)).body.items.map((i: any) => i.metadata.name)
    expect(left).toEqual(['c3'])
  })

  it('deletes a namespace with its contents, waiting for finalizers; no new content while terminating', async () => {
    await h.core.createNamespace({body: {metadata: {name: 'doomed'}}})
    await h.core.createNamespacedConfigMap({namespace: 'doomed', body: {metadata: {name: 'a'}}})
    await raw(h.server, 'POST', '/apis/metallb.io/v1beta1/namespaces/doomed/ipaddresspools', {...pool('held', undefined, 'doomed'), metadata: {name: 'held', finalizers: ['x.io/hold']}})
    const del = await raw(h.server, 'DELETE', '/api/v1/namespaces/doomed')
    expect(del.body.status.phase).toBe('Terminating')
    expect((await raw(h.server, 'GET', '/api/v1/namespaces/doomed/configmaps/a')).status).toBe(404)
    const held = await raw(h.server, 'GET', '/apis/metallb.io/v1beta1/namespaces/doomed/ipaddresspools/held')
    expect(held.body.metadata.deletionTimestamp).toBeTruthy()
    expect((await raw(h.server, 'GET', '/api/v1/namespaces/doomed')).body.status.phase).toBe('Terminating')
    const refused = await raw(h.server, 'POST', '/api/v1/namespaces/doomed/configmaps', {metadata: {name: 'late'}})
    expect(refused.status).toBe(403)
    await raw(h.server, 'PATCH', '/apis/metallb.io/v1beta1/namespaces/doomed/ipaddresspools/held', {metadata: {finalizers: null}}, {'Content-Type': 'application/merge-patch+json'})
    expect((await raw(h.server, 'GET', '/api/v1/namespaces/doomed')).status).toBe(404)
  })
})
