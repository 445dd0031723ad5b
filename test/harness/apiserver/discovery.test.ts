import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {CRD_POOL, CRD_WIDGET, harness, pool, raw, type Harness} from './test-helpers.js'

let h: Harness
beforeAll(async () => {
  h = await harness()
})
afterAll(async () => h.close())

describe('discovery', () => {
  it('serves /api and /api/v1 with verbs, scope, kinds, short names and subresources', async () => {
    const api = await raw(h.server, 'GET', '/api')
    expect(api.body).toMatchObject({kind: 'APIVersions', versions: ['v1']})
    const v1 = (await raw(h.server, 'GET', '/api/v1')).body
    expect(v1).toMatchObject({kind: 'APIResourceList', groupVersion: 'v1'})
    const byName = Object.fromEntries(v1.resources.map((r: any) => [r.name, r]))
    for (const r of ['namespaces', 'services', 'endpoints', 'pods', 'nodes', 'configmaps', 'secrets', 'events', 'serviceaccounts'])
      expect(byName[r], r).toBeDefined()
    expect(byName.services).toMatchObject({singularName: 'service', namespaced: true, kind: 'Service', shortNames: ['svc']})
    expect(byName.services.verbs).toEqual(expect.arrayContaining(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']))
    expect(byName['services/status']).toMatchObject({namespaced: true, kind: 'Service', verbs: ['get', 'patch', 'update']})
    expect(byName.nodes.namespaced).toBe(false)
    expect(byName.namespaces.namespaced).toBe(false)
    expect(byName['configmaps/status']).toBeUndefined()
  })

  it('serves /apis, a group and its versions', async () => {
    const groups = (await raw(h.server, 'GET', '/apis')).body
    expect(groups.kind).toBe('APIGroupList')
    const names = groups.groups.map((g: any) => g.name)
    for (const g of ['apps', 'discovery.k8s.io', 'coordination.k8s.io', 'events.k8s.io', 'apiextensions.k8s.io', 'rbac.authorization.k8s.io'])
      expect(names).toContain(g)
    const apps = (await raw(h.server, 'GET', '/apis/apps')).body
    expect(apps).toMatchObject({kind: 'APIGroup', name: 'apps', preferredVersion: {groupVersion: 'apps/v1', version: 'v1'}})
    const appsV1 = (await raw(h.server, 'GET', '/apis/apps/v1')).body
    const r = appsV1.resources.map((x: any) => x.name)
    expect(r).toEqual(expect.arrayContaining(['deployments', 'deployments/status', 'deployments/scale', 'daemonsets', 'daemonsets/status']))
    const rbac = (await raw(h.server, 'GET', '/apis/rbac.authorization.k8s.io/v1')).body.resources
    expect(rbac.find((x: any) => x.name === 'clusterroles').namespaced).toBe(false)
    expect(rbac.find((x: any) => x.name === 'roles').namespaced).toBe(true)
    expect((await raw(h.server, 'GET', '/apis/nope.example.com/v1')).status).toBe(404)
  })

  it('serves /version and health endpoints', async () => {
    const v = await raw(h.server, 'GET', '/version')
    expect(v.body).toMatchObject({major: '1', minor: '32'})
    expect((await raw(h.server, 'GET', '/healthz')).text).toBe('ok')
  })

  it('serves aggregated discovery when the Accept header asks for it', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json'
    const res = await raw(h.server, 'GET', '/apis', undefined, {Accept: accept})
    expect(res.headers.get('content-type')).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList')
    expect(res.body.kind).toBe('APIGroupDiscoveryList')
    const apps = res.body.items.find((i: any) => i.metadata.name === 'apps')
    const deploy = apps.versions[0].resources.find((r: any) => r.resource === 'deployments')
    expect(deploy).toMatchObject({scope: 'Namespaced', responseKind: {group: 'apps', version: 'v1', kind: 'Deployment'}})
    expect(deploy.subresources.map((s: any) => s.subresource)).toContain('status')
    const core = await raw(h.server, 'GET', '/api', undefined, {Accept: accept})
    expect(core.body.items).toHaveLength(1)
    expect(core.body.items[0].versions[0].resources.some((r: any) => r.resource === 'services' && r.scope === 'Namespaced')).toBe(true)
  })

  it('serves a CRD once created, Established and NamesAccepted, and stops when it is deleted', async () => {
    expect((await raw(h.server, 'GET', '/apis/metallb.io/v1beta1')).status).toBe(404)
    const created = (await h.objects.create(CRD_POOL as any)) as any
    const conds = Object.fromEntries(created.status.conditions.map((c: any) => [c.type, c.status]))
    expect(conds).toEqual({Established: 'True', NamesAccepted: 'True'})
    expect(created.status.acceptedNames.kind).toBe('IPAddressPool')
    expect(created.status.storedVersions).toEqual(['v1beta1'])
    const groups = (await raw(h.server, 'GET', '/apis')).body.groups
    expect(groups.find((g: any) => g.name === 'metallb.io')).toMatchObject({preferredVersion: {version: 'v1beta1'}})
    const list = (await raw(h.server, 'GET', '/apis/metallb.io/v1beta1')).body
    expect(list.resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({name: 'ipaddresspools', kind: 'IPAddressPool', namespaced: true, singularName: 'ipaddresspool'}),
        expect.objectContaining({name: 'ipaddresspools/status'}),
      ]),
    )
    // client-node's generic API resolves the kind through discovery
    const p = (await h.objects.create(pool('d1') as any)) as any
    expect(p.metadata.uid).toBeTruthy()
    await h.objects.delete(CRD_POOL as any)
    expect((await raw(h.server, 'GET', '/apis/metallb.io/v1beta1')).status).toBe(404)
    expect((await raw(h.server, 'GET', '/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools/d1')).status).toBe(404)
  })

  it('serves every served version of a CRD, with the preferred one first, converting apiVersion only', async () => {
    // raw: client-node's model serializer drops wire-form keys such as x-kubernetes-preserve-unknown-fields
    expect((await raw(h.server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', CRD_WIDGET)).status).toBe(201)
    const g = (await raw(h.server, 'GET', '/apis/example.com')).body
    expect(g.versions.map((v: any) => v.version)).toEqual(['v1', 'v1alpha1'])
    expect(g.preferredVersion.version).toBe('v1')
    await raw(h.server, 'POST', '/apis/example.com/v1alpha1/widgets', {apiVersion: 'example.com/v1alpha1', kind: 'Widget', metadata: {name: 'w'}, spec: {a: 1}})
    const v1 = await raw(h.server, 'GET', '/apis/example.com/v1/widgets/w')
    expect(v1.body).toMatchObject({apiVersion: 'example.com/v1', kind: 'Widget', spec: {a: 1}})
    expect(v1.body.metadata.namespace).toBeUndefined()
  })

  it('rejects an invalid CRD with 422', async () => {
    const bad = structuredClone(CRD_POOL) as any
    bad.metadata.name = 'wrong.metallb.io'
    const res = await raw(h.server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', bad)
    expect(res.status).toBe(422)
    expect(res.body.details.causes.map((c: any) => c.field)).toContain('metadata.name')
  })

  it('serves an OpenAPI v3 index whose documents declare the fieldValidation parameter (what kubectl checks)', async () => {
    const idx = (await raw(h.server, 'GET', '/openapi/v3')).body
    expect(idx.paths['api/v1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/api\/v1/)
    const doc = (await raw(h.server, 'GET', idx.paths['apis/apps/v1'].serverRelativeURL)).body
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch
    expect(patch['x-kubernetes-group-version-kind']).toEqual({group: 'apps', version: 'v1', kind: 'Deployment'})
    expect(patch.parameters.map((p: any) => p.name)).toContain('fieldValidation')
    expect((await raw(h.server, 'GET', '/openapi/v2')).status).toBe(404)
  })

  it('returns a NotFound Status for unknown paths and resources', async () => {
    const res = await raw(h.server, 'GET', '/api/v1/namespaces/default/gizmos')
    expect(res.status).toBe(404)
    expect(res.body).toMatchObject({kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404})
  })
})
