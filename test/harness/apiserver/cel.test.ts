import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {crdManifests} from '../../../src/lib/api/crds.js'
import {celCauses, escapeProperty, toCel} from './cel.js'
import {harness, raw, type Harness} from './test-helpers.js'

describe('CEL values as the apiserver builds them', () => {
  it.each([
    ['interface', 'interface'],
    ['if', '__if__'],
    ['namespace', '__namespace__'],
    ['peerASN', 'peerASN'],
    ['a__b', 'a__underscores__b'],
    ['x.y', 'x__dot__y'],
    ['my-key', 'my__dash__key'],
    ['a/b', 'a__slash__b'],
    ['1abc', undefined],
    ['with space', undefined],
  ])('escapes %s as %s', (name, want) => {
    expect(escapeProperty(name)).toBe(want)
  })

  it('makes integers CEL ints and leaves numbers doubles, following the schema', () => {
    const schema = {type: 'object', properties: {i: {type: 'integer'}, d: {type: 'number'}, l: {type: 'array', items: {type: 'integer'}}, m: {type: 'object', additionalProperties: {type: 'integer'}}}}
    expect(toCel(schema, {i: 3, d: 3, l: [1, 2], m: {'a-b': 4}, interface: 'x', var: 1})).toEqual({i: 3n, d: 3, l: [1n, 2n], m: {'a-b': 4n}, interface: 'x', __var__: 1})
    expect(celCauses({...schema, 'x-kubernetes-validations': [{rule: 'self.i + 1 == 4 && self.l.all(x, x > 0)'}]}, {i: 3, l: [1]}, undefined, 'spec')).toEqual([])
  })

  it('reports a rule that fails to evaluate as invalid, with the rule', () => {
    const causes = celCauses({type: 'object', 'x-kubernetes-validations': [{rule: 'self.missing == 1'}]}, {}, undefined, 'spec')
    expect(causes).toEqual([{field: 'spec', reason: 'FieldValueInvalid', message: expect.stringMatching(/^Invalid value: "object": .* evaluating rule: self\.missing == 1$/)}])
  })

  it('correlates oldSelf through map lists by key and skips transition rules where nothing correlates', async () => {
    const {validate} = await import('./schema.js')
    const schema = {
      type: 'object',
      properties: {
        items: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          items: {type: 'object', properties: {name: {type: 'string'}, v: {type: 'integer'}}, 'x-kubernetes-validations': [{rule: 'self.v >= oldSelf.v', message: 'v may only grow'}]},
        },
      },
    }
    const old = {items: [{name: 'a', v: 5}, {name: 'b', v: 1}]}
    expect(validate(schema, {items: [{name: 'b', v: 0}, {name: 'a', v: 6}, {name: 'c', v: 0}]}, '', [], old)).toEqual([
      {field: 'items[0]', reason: 'FieldValueInvalid', message: 'Invalid value: "object": v may only grow'},
    ])
  })
})

describe("the metallb.io CRDs' CEL rules, enforced by the harness", () => {
  let h: Harness
  const PEERS = '/apis/metallb.io/v1beta2/namespaces/default/bgppeers'
  const peer = (name: string, spec: Record<string, unknown>) => ({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: {name}, spec: {myASN: 64512, ...spec}})
  beforeAll(async () => {
    h = await harness()
    for (const crd of crdManifests()) expect((await raw(h.server, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201)
  })
  afterAll(async () => h.close())

  it.each([
    ['peerASN and dynamicASN', {peerASN: 64513, dynamicASN: 'external', peerAddress: '198.18.0.1'}, 'peerASN and dynamicASN are mutually exclusive'],
    ['neither ASN', {peerAddress: '198.18.0.1'}, 'one of peerASN or dynamicASN is required'],
    ['peerAddress and interface', {peerASN: 64513, peerAddress: '198.18.0.1', interface: 'eth0'}, 'exactly one of peerAddress or interface is required'],
    ['neither address', {peerASN: 64513}, 'exactly one of peerAddress or interface is required'],
    ['password and passwordSecret', {peerASN: 64513, peerAddress: '198.18.0.1', password: 'x', passwordSecret: {name: 's'}}, 'password and passwordSecret are mutually exclusive'],
  ])('refuses %s', async (_name, spec, message) => {
    const res = await raw(h.server, 'POST', PEERS, peer('p', spec))
    expect(res.status).toBe(422)
    expect(res.body.details.causes).toEqual([{field: 'spec', reason: 'FieldValueInvalid', message: `Invalid value: "object": ${message}`}])
  })

  it.each([
    ['peerAddress', {peerASN: 64513, peerAddress: '198.18.0.1'}],
    ['interface (unnumbered)', {dynamicASN: 'internal', interface: 'eth0'}],
  ])('accepts %s', async (name, spec) => {
    const res = await raw(h.server, 'POST', PEERS, peer(name.toLowerCase().replace(/\W+/g, '-').replace(/-$/, ''), spec))
    expect(res.status).toBe(201)
  })
})
