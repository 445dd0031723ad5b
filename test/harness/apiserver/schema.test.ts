import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {normalize, validate} from './schema.js'
import {CRD_POOL, harness, pool, raw, type Harness} from './test-helpers.js'

const fields = (schema: any, value: any) => validate(schema, value).map((c) => `${c.field} ${c.reason}`)

describe('structural schema validation', () => {
  const s = {
    type: 'object',
    required: ['name'],
    properties: {
      name: {type: 'string', minLength: 1, maxLength: 5, pattern: '^[a-z]+$'},
      mode: {type: 'string', enum: ['a', 'b']},
      port: {type: 'integer', format: 'int32', minimum: 1, maximum: 65535},
      ratio: {type: 'number', exclusiveMinimum: true, minimum: 0},
      big: {type: 'integer', format: 'int32'},
      ip: {type: 'string', format: 'ipv4'},
      cidr: {type: 'string', format: 'cidr'},
      on: {type: 'boolean'},
      list: {type: 'array', minItems: 1, maxItems: 2, items: {type: 'string'}},
      set: {type: 'array', items: {type: 'string'}, 'x-kubernetes-list-type': 'set'},
      map: {type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['k'], items: {type: 'object', properties: {k: {type: 'string'}}}},
      ios: {'x-kubernetes-int-or-string': true, anyOf: [{type: 'integer'}, {type: 'string'}]},
      labels: {type: 'object', additionalProperties: {type: 'string'}},
      maybe: {type: 'string', nullable: true},
    },
  }
  const cases: Array<[string, any, string[]]> = [
    ['valid', {name: 'ab', mode: 'a', port: 80, ratio: 0.5, ip: '10.0.0.1', cidr: '2001:db8::/32', on: true, list: ['x'], ios: '25%', labels: {a: 'b'}, maybe: null}, []],
    ['required', {}, ['name FieldValueRequired']],
    ['pattern', {name: 'AB'}, ['name FieldValueInvalid']],
    ['minLength', {name: ''}, ['name FieldValueInvalid', 'name FieldValueInvalid']],
    ['maxLength', {name: 'abcdef'}, ['name FieldValueTooLong']],
    ['enum', {name: 'a', mode: 'c'}, ['mode FieldValueNotSupported']],
    ['type', {name: 'a', port: '80'}, ['port FieldValueTypeInvalid']],
    ['integer', {name: 'a', port: 1.5}, ['port FieldValueTypeInvalid']],
    ['maximum', {name: 'a', port: 70000}, ['port FieldValueInvalid']],
    ['minimum', {name: 'a', port: 0}, ['port FieldValueInvalid']],
    ['exclusiveMinimum', {name: 'a', ratio: 0}, ['ratio FieldValueInvalid']],
    ['int32 range', {name: 'a', big: 2 ** 31}, ['big FieldValueInvalid']],
    ['ipv4 format', {name: 'a', ip: '300.1.1.1'}, ['ip FieldValueInvalid']],
    ['cidr format', {name: 'a', cidr: '10.0.0.0/33'}, ['cidr FieldValueInvalid']],
    ['minItems', {name: 'a', list: []}, ['list FieldValueInvalid']],
    ['maxItems', {name: 'a', list: ['a', 'b', 'c']}, ['list FieldValueTooMany']],
    ['item type', {name: 'a', list: [1]}, ['list[0] FieldValueTypeInvalid']],
    ['set duplicates', {name: 'a', set: ['x', 'x']}, ['set[1] FieldValueDuplicate']],
    ['map duplicates', {name: 'a', map: [{k: 'x'}, {k: 'x'}]}, ['map[1] FieldValueDuplicate']],
    ['int-or-string', {name: 'a', ios: true}, ['ios FieldValueTypeInvalid']],
    ['additionalProperties', {name: 'a', labels: {a: 1}}, ['labels.a FieldValueTypeInvalid']],
    ['null not nullable', {name: null}, ['name FieldValueTypeInvalid']],
  ]
  it.each(cases)('%s', (_name, value, want) => {
    expect(fields(s, value)).toEqual(want)
  })

  it('prunes unknown fields (except apiVersion/kind/metadata at the root), keeps preserved ones, applies defaults', () => {
    const schema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: {
            a: {type: 'string', default: 'x'},
            nested: {type: 'object', default: {}, properties: {b: {type: 'integer', default: 3}}},
            free: {type: 'object', 'x-kubernetes-preserve-unknown-fields': true},
            items: {type: 'array', items: {type: 'object', properties: {c: {type: 'boolean', default: true}}}},
            gone: {type: 'string', default: 'd'},
          },
        },
      },
    }
    const obj: any = {apiVersion: 'v', kind: 'K', metadata: {name: 'n', x: 1}, spec: {unknown: 1, free: {any: {thing: 1}}, items: [{}, {c: false, z: 1}], gone: null}, extra: true}
    const pruned = normalize(schema, obj)
    expect(pruned.sort()).toEqual(['extra', 'spec.items[1].z', 'spec.unknown'])
    expect(obj).toEqual({
      apiVersion: 'v',
      kind: 'K',
      metadata: {name: 'n', x: 1},
      spec: {a: 'x', nested: {b: 3}, free: {any: {thing: 1}}, items: [{c: true}, {c: false}], gone: 'd'},
    })
  })
})

describe('custom resources against their CRD schema', () => {
  let h: Harness
  const POOLS = '/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools'
  beforeAll(async () => {
    h = await harness()
    expect((await raw(h.server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', CRD_POOL)).status).toBe(201)
  })
  afterAll(async () => h.close())

  it('answers 422 Invalid with field paths, reasons and a summary message', async () => {
    const res = await raw(h.server, 'POST', POOLS, pool('bad', {addresses: ['203.0.113.0/24', 'not an ip!'], autoAssign: 'yes'}))
    expect(res.status).toBe(422)
    expect(res.body).toMatchObject({kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422, details: {name: 'bad', group: 'metallb.io', kind: 'IPAddressPool'}})
    expect(res.body.details.causes).toEqual([
      {field: 'spec.addresses[1]', reason: 'FieldValueInvalid', message: expect.stringContaining("spec.addresses[1] in body should match '^[0-9a-fA-F.:/-]+$'")},
      {field: 'spec.autoAssign', reason: 'FieldValueTypeInvalid', message: expect.stringContaining('must be of type boolean')},
    ])
    expect(res.body.message).toMatch(/^IPAddressPool\.metallb\.io "bad" is invalid: \[spec\.addresses\[1\]: Invalid value/)
    const missing = await raw(h.server, 'POST', POOLS, pool('bad2', {}))
    expect(missing.body.details.causes).toEqual([{field: 'spec.addresses', reason: 'FieldValueRequired', message: 'Required value'}])
    expect(h.server.store.get('metallb.io/v1beta1', 'IPAddressPool', 'default', 'bad')).toBeUndefined()
  })

  it('applies defaults on create and on update', async () => {
    const created = await raw(h.server, 'POST', POOLS, pool('d'))
    expect(created.body.spec).toEqual({addresses: ['203.0.113.0/24'], autoAssign: true, avoidBuggyIPs: false})
    const upd = await raw(h.server, 'PUT', `${POOLS}/d`, {...created.body, spec: {addresses: ['203.0.113.0/25']}})
    expect(upd.body.spec).toEqual({addresses: ['203.0.113.0/25'], autoAssign: true, avoidBuggyIPs: false})
  })

  it('prunes unknown fields with a warning, or refuses them under fieldValidation=Strict', async () => {
    const res = await raw(h.server, 'POST', POOLS, pool('pr', {addresses: ['203.0.113.0/24'], bogus: 1}))
    expect(res.status).toBe(201)
    expect(res.body.spec.bogus).toBeUndefined()
    expect(res.headers.get('warning')).toContain('unknown field \\"spec.bogus\\"')
    const strict = await raw(h.server, 'POST', `${POOLS}?fieldValidation=Strict`, pool('pr2', {addresses: ['203.0.113.0/24'], bogus: 1}))
    expect(strict.status).toBe(400)
    expect(strict.body.message).toBe('strict decoding error: unknown field "spec.bogus"')
  })

  it('validates updates and patches too, leaving the stored object unchanged', async () => {
    const bad = await raw(h.server, 'PATCH', `${POOLS}/d`, {spec: {serviceAllocation: {priority: -1}}}, {'Content-Type': 'application/merge-patch+json'})
    expect(bad.status).toBe(422)
    expect(bad.body.details.causes[0].field).toBe('spec.serviceAllocation.priority')
    expect(h.server.store.get('metallb.io/v1beta1', 'IPAddressPool', 'default', 'd').spec.serviceAllocation).toBeUndefined()
  })

  it('evaluates CEL rules (x-kubernetes-validations) on create, update and patch, with message, reason and fieldPath', async () => {
    const crd = structuredClone(CRD_POOL) as any
    crd.metadata.name = 'celpools.metallb.io'
    crd.spec.names = {kind: 'CelPool', plural: 'celpools'}
    const spec = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec
    spec.properties.limit = {type: 'integer'}
    spec['x-kubernetes-validations'] = [
      {rule: 'self.addresses.size() <= 2', message: 'at most two ranges'},
      {rule: '!has(self.limit) || self.limit > 0', reason: 'FieldValueForbidden', fieldPath: '.limit', messageExpression: '"limit must be positive, not " + string(self.limit)'},
      {rule: 'self.autoAssign == oldSelf.autoAssign', message: 'autoAssign is immutable'},
    ]
    expect((await raw(h.server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201)
    const URL = '/apis/metallb.io/v1beta1/namespaces/default/celpools'
    const celPool = (name: string, s: Record<string, unknown>) => ({apiVersion: 'metallb.io/v1beta1', kind: 'CelPool', metadata: {name}, spec: s})
    const three = await raw(h.server, 'POST', URL, celPool('c3', {addresses: ['203.0.113.0/28', '203.0.113.16/28', '203.0.113.32/28']}))
    expect(three.status).toBe(422)
    expect(three.body.details.causes).toEqual([{field: 'spec', reason: 'FieldValueInvalid', message: 'Invalid value: "object": at most two ranges'}])
    const neg = await raw(h.server, 'POST', URL, celPool('cn', {addresses: ['203.0.113.0/28'], limit: -3}))
    expect(neg.body.details?.causes).toEqual([{field: 'spec.limit', reason: 'FieldValueForbidden', message: 'Forbidden: limit must be positive, not -3'}])
    // the transition rule is not evaluated on create; on update oldSelf is the stored spec
    const ok = await raw(h.server, 'POST', URL, celPool('c', {addresses: ['203.0.113.0/24'], limit: 5}))
    expect(ok.status).toBe(201)
    const flip = await raw(h.server, 'PATCH', `${URL}/c`, {spec: {autoAssign: false}}, {'Content-Type': 'application/merge-patch+json'})
    expect(flip.status).toBe(422)
    expect(flip.body.details.causes).toEqual([{field: 'spec', reason: 'FieldValueInvalid', message: 'Invalid value: "object": autoAssign is immutable'}])
    const same = await raw(h.server, 'PATCH', `${URL}/c`, {spec: {limit: 6}}, {'Content-Type': 'application/merge-patch+json'})
    expect(same.status).toBe(200)
    expect(h.server.store.get('metallb.io/v1beta1', 'CelPool', 'default', 'c').spec).toMatchObject({autoAssign: true, limit: 6})
  })

  it('refuses a CRD whose CEL rule does not compile, naming the rule', async () => {
    const crd = structuredClone(CRD_POOL) as any
    crd.metadata.name = 'badcels.metallb.io'
    crd.spec.names = {kind: 'BadCel', plural: 'badcels'}
    crd.spec.versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'] = [{rule: 'self.addresses.size() >'}]
    const res = await raw(h.server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)
    expect(res.status).toBe(422)
    expect(res.body.details.causes).toEqual([
      {field: 'spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule', reason: 'FieldValueInvalid', message: expect.stringMatching(/^Invalid value: "self.addresses.size\(\) >": compilation failed: /)},
    ])
    // a field the schema does not declare does not compile either (the apiserver type-checks against the schema)
    crd.spec.versions[0].schema.openAPIV3Schema.properties.spec['x-kubernetes-validations'] = [{rule: 'has(self.adresses) && self.addresses.size() > 0'}]
    const typo = await raw(h.server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)
    expect(typo.status).toBe(422)
    expect(typo.body.details.causes.map((c: any) => c.message)).toEqual([`Invalid value: "has(self.adresses) && self.addresses.size() > 0": compilation failed: undefined field 'adresses'`])
    expect(h.server.store.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'badcels.metallb.io')).toBeUndefined()
  })
})
