import {PatchStrategy} from '@kubernetes/client-node'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {jsonPatch, mergePatch, strategicMerge} from './patch.js'
import {CRD_POOL, harness, pool, raw, type Harness} from './test-helpers.js'

let h: Harness
beforeAll(async () => {
  h = await harness()
  expect((await raw(h.server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', CRD_POOL)).status).toBe(201)
})
afterAll(async () => h.close())

const CMS = '/api/v1/namespaces/default/configmaps'
const POOLS = '/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools'
const patch = (path: string, body: unknown, type: string, query = '') =>
  raw(h.server, 'PATCH', path + query, typeof body === 'string' ? body : JSON.stringify(body), {'Content-Type': type})
const MERGE = 'application/merge-patch+json'
const JSONP = 'application/json-patch+json'
const SMP = 'application/strategic-merge-patch+json'
const APPLY = 'application/apply-patch+yaml'

describe('patch functions', () => {
  it('merge patch follows RFC 7386 (nulls delete, arrays replace)', () => {
    expect(mergePatch({a: 1, b: {c: 2, d: 3}, l: [1, 2]}, {b: {c: null, e: 4}, l: [3], f: 'x'})).toEqual({a: 1, b: {d: 3, e: 4}, l: [3], f: 'x'})
    expect(mergePatch({a: 1}, 'x')).toBe('x')
  })

  it('JSON patch follows RFC 6902, including move, copy, escapes and append', () => {
    const doc = {a: {'b/c': 1, 'd~e': 2}, l: [1, 2]}
    const out = jsonPatch(doc, [
      {op: 'add', path: '/l/-', value: 3},
      {op: 'add', path: '/l/0', value: 0},
      {op: 'replace', path: '/a/b~1c', value: 10},
      {op: 'move', from: '/a/d~0e', path: '/moved'},
      {op: 'copy', from: '/moved', path: '/copied'},
      {op: 'remove', path: '/l/1'},
      {op: 'test', path: '/copied', value: 2},
    ])
    expect(out).toEqual({a: {'b/c': 10}, l: [0, 2, 3], moved: 2, copied: 2})
    expect(doc.l).toEqual([1, 2])
    expect(() => jsonPatch(doc, [{op: 'test', path: '/l/0', value: 9}])).toThrow(/test failed/)
    expect(() => jsonPatch(doc, [{op: 'replace', path: '/nope', value: 9}])).toThrow()
    expect(() => jsonPatch(doc, [{op: 'remove', path: '/l/5'}])).toThrow()
  })

  it('strategic merge merges keyed lists and honours $patch, $setElementOrder and $deleteFromPrimitiveList', () => {
    const live = {
      metadata: {finalizers: ['a', 'b']},
      spec: {containers: [{name: 'x', image: 'x:1', env: [{name: 'A', value: '1'}]}, {name: 'y', image: 'y:1'}], ports: [{port: 80, name: 'http'}, {port: 443, name: 'https'}]},
    }
    const out: any = strategicMerge(live, {
      metadata: {finalizers: ['c'], '$deleteFromPrimitiveList/finalizers': ['a']},
      spec: {
        containers: [{name: 'x', env: [{name: 'B', value: '2'}]}, {name: 'y', $patch: 'delete'}],
        ports: [{port: 8080, name: 'alt'}],
        '$setElementOrder/ports': [{port: 8080}, {port: 80}, {port: 443}],
      },
    })
    expect(out.metadata.finalizers).toEqual(['b', 'c'])
    expect(out.spec.containers).toEqual([{name: 'x', image: 'x:1', env: [{name: 'A', value: '1'}, {name: 'B', value: '2'}]}])
    expect(out.spec.ports.map((p: any) => p.port)).toEqual([8080, 80, 443])
    expect((strategicMerge({a: {b: 1, c: 2}}, {a: {$patch: 'replace', d: 3}}) as any).a).toEqual({d: 3})
  })
})

describe('PATCH requests', () => {
  it('applies a JSON merge patch', async () => {
    await raw(h.server, 'POST', CMS, {metadata: {name: 'm', labels: {a: '1', b: '2'}}, data: {x: '1'}})
    const res = await patch(`${CMS}/m`, {metadata: {labels: {a: null, c: '3'}}, data: {y: '2'}}, MERGE)
    expect(res.status).toBe(200)
    expect(res.body.metadata.labels).toEqual({b: '2', c: '3'})
    expect(res.body.data).toEqual({x: '1', y: '2'})
  })

  it('applies a JSON patch, and a failing test op is 422 with nothing written', async () => {
    const before = (await raw(h.server, 'GET', `${CMS}/m`)).body
    const ok = await patch(`${CMS}/m`, [{op: 'test', path: '/data/x', value: '1'}, {op: 'replace', path: '/data/x', value: 'one'}], JSONP)
    expect(ok.body.data.x).toBe('one')
    const bad = await patch(`${CMS}/m`, [{op: 'test', path: '/data/x', value: '1'}, {op: 'replace', path: '/data/x', value: 'two'}], JSONP)
    expect(bad.status).toBe(422)
    expect(bad.body).toMatchObject({kind: 'Status', reason: 'Invalid', code: 422})
    expect((await raw(h.server, 'GET', `${CMS}/m`)).body.data.x).toBe('one')
    expect(Number(ok.body.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion))
  })

  it('honours a resourceVersion inside a patch as a precondition', async () => {
    const res = await patch(`${CMS}/m`, {metadata: {resourceVersion: '1'}, data: {z: '1'}}, MERGE)
    expect(res.status).toBe(409)
    expect(res.body.reason).toBe('Conflict')
  })

  it('applies a strategic merge patch to built-in kinds, merging lists by key (client-node default)', async () => {
    await h.apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: {name: 'd'},
        spec: {selector: {matchLabels: {app: 'd'}}, template: {metadata: {labels: {app: 'd'}}, spec: {containers: [{name: 'a', image: 'a:1'}, {name: 'b', image: 'b:1'}]}}},
      },
    })
    const spec = {apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'd', namespace: 'default'}, spec: {template: {spec: {containers: [{name: 'b', image: 'b:2'}]}}}}
    const out = (await h.objects.patch(spec, undefined, undefined, undefined, undefined, PatchStrategy.StrategicMergePatch)) as any
    expect(out.spec.template.spec.containers.map((c: any) => `${c.name}=${c.image}`)).toEqual(['a=a:1', 'b=b:2'])
    expect(out.metadata.generation).toBe(2)
  })

  it('refuses a strategic merge patch for custom resources with 415, as the real server does', async () => {
    await raw(h.server, 'POST', POOLS, pool('p1'))
    const res = await patch(`${POOLS}/p1`, {spec: {autoAssign: false}}, SMP)
    expect(res.status).toBe(415)
    expect(res.body.reason).toBe('UnsupportedMediaType')
    expect((await patch(`${POOLS}/p1`, {spec: {autoAssign: false}}, MERGE)).body.spec.autoAssign).toBe(false)
  })

  it('answers a patch of a missing object with 404 and an unknown patch type with 415', async () => {
    expect((await patch(`${CMS}/ghost`, {data: {}}, MERGE)).status).toBe(404)
    expect((await patch(`${CMS}/m`, {data: {}}, 'application/x-whatever')).status).toBe(415)
  })
})

describe('server-side apply', () => {
  const cfg = (data: Record<string, string>, extra = '') => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n${extra}data:\n${Object.entries(data).map(([k, v]) => `  ${k}: "${v}"`).join('\n')}\n`

  it('requires fieldManager (400)', async () => {
    const res = await patch(`${CMS}/ssa`, cfg({a: '1'}), APPLY)
    expect(res.status).toBe(400)
    expect(res.body.reason).toBe('BadRequest')
  })

  it('creates the object when absent (201), from YAML, recording the manager', async () => {
    const res = await patch(`${CMS}/ssa`, cfg({a: '1', b: '2'}), APPLY, '?fieldManager=lbctl')
    expect(res.status).toBe(201)
    expect(res.body.data).toEqual({a: '1', b: '2'})
    expect(res.body.metadata.managedFields).toEqual([expect.objectContaining({manager: 'lbctl', operation: 'Apply', fieldsType: 'FieldsV1'})])
    expect(res.body.metadata.managedFields[0].fieldsV1).toEqual({'f:data': {'f:a': {}, 'f:b': {}}})
  })

  it('merges into the existing object and removes what the same manager no longer applies', async () => {
    await patch(`${CMS}/ssa`, {data: {other: 'x'}}, MERGE, '?fieldManager=someone')
    const res = await patch(`${CMS}/ssa`, cfg({a: '1', c: '3'}), APPLY, '?fieldManager=lbctl')
    expect(res.status).toBe(200)
    expect(res.body.data).toEqual({a: '1', c: '3', other: 'x'})
  })

  it('accepts JSON bodies too (client-node sends JSON)', async () => {
    const body = {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'ssa'}, data: {a: '1', c: '3', d: '4'}}
    const res = await patch(`${CMS}/ssa`, body, APPLY, '?fieldManager=lbctl')
    expect(res.body.data.d).toBe('4')
    const viaClient = (await h.objects.patch(
      {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'ssa2', namespace: 'default'}, data: {k: 'v'}},
      undefined,
      undefined,
      'lbctl',
      true,
      PatchStrategy.ServerSideApply,
    )) as any
    expect(viaClient.data).toEqual({k: 'v'})
  })

  it('conflicts (409, FieldManagerConflict causes) when changing a field another manager owns, unless forced', async () => {
    await patch(`${CMS}/ssa`, {data: {a: 'edited'}}, MERGE, '?fieldManager=kubectl-edit')
    const res = await patch(`${CMS}/ssa`, cfg({a: '1', c: '3', d: '4'}), APPLY, '?fieldManager=lbctl')
    expect(res.status).toBe(409)
    expect(res.body).toMatchObject({reason: 'Conflict', details: {causes: [{reason: 'FieldManagerConflict', field: '.data.a'}]}})
    expect(res.body.message).toContain('conflict with "kubectl-edit"')
    const forced = await patch(`${CMS}/ssa`, cfg({a: '1', c: '3', d: '4'}), APPLY, '?fieldManager=lbctl&force=true')
    expect(forced.status).toBe(200)
    expect(forced.body.data.a).toBe('1')
    // applying the same value another manager set is not a conflict (shared ownership)
    const shared = await patch(`${CMS}/ssa`, cfg({a: '1', c: '3', d: '4', other: 'x'}), APPLY, '?fieldManager=lbctl')
    expect(shared.status).toBe(200)
  })

  it('merges keyed lists of a custom resource by its list-map keys, and applies to /status', async () => {
    const body = {apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'ap'}, spec: {addresses: ['203.0.113.0/24'], serviceAllocation: {namespaces: ['a']}}}
    expect((await patch(`${POOLS}/ap`, body, APPLY, '?fieldManager=lbctl')).status).toBe(201)
    const other = {...body, spec: {addresses: ['203.0.113.0/24'], serviceAllocation: {namespaces: ['b']}}}
    const merged = await patch(`${POOLS}/ap`, other, APPLY, '?fieldManager=other')
    expect(merged.body.spec.serviceAllocation.namespaces).toEqual(['a', 'b'])
    const st = await patch(`${POOLS}/ap/status`, {apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'ap'}, status: {assignedIPv4: 2}}, APPLY, '?fieldManager=controller')
    expect(st.status).toBe(200)
    expect(st.body.status).toEqual({assignedIPv4: 2})
    expect(st.body.spec.addresses).toEqual(['203.0.113.0/24'])
  })

  it('rejects an apply body whose name differs from the URL', async () => {
    const res = await patch(`${CMS}/ssa`, cfg({a: '1'}).replace('name: ssa', 'name: other'), APPLY, '?fieldManager=lbctl')
    expect(res.status).toBe(400)
  })
})
