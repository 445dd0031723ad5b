import {describe, expect, it} from 'vitest'
import {crdManifests, crdNames} from '../../../src/lib/api/crds.js'
import {Kinds} from '../../../src/lib/api/constants.js'
import {selectorMatches, validObjectName, anySelectorMatches} from '../../../src/lib/api/selectors.js'

describe('CRDs', () => {
  const crds = crdManifests() as Array<{metadata: {name: string}; spec: {group: string; names: {kind: string; plural: string}; versions: Array<{name: string; storage: boolean; schema: {openAPIV3Schema: {properties: Record<string, unknown>}}}>}}>
  it('cover every metallb.io kind of API-COMPAT.md, with exactly one storage version each', () => {
    const kinds = crds.filter((c) => c.spec.group === 'metallb.io').map((c) => c.spec.names.kind).sort()
    expect(kinds).toEqual(['BFDProfile', 'BGPAdvertisement', 'BGPPeer', 'Community', 'ConfigurationState', 'IPAddressPool', 'L2Advertisement', 'ServiceBGPStatus', 'ServiceL2Status'])
    for (const c of crds) expect(c.spec.versions.filter((v) => v.storage)).toHaveLength(1)
    expect(crdNames()).toContain('ipaddresspools.metallb.io')
  })
  it('match the kinds the seam addresses (apiVersion and plural)', () => {
    for (const k of Object.values(Kinds).filter((k) => k.apiVersion.includes('.io/'))) {
      const crd = crds.find((c) => c.spec.names.kind === k.kind)!
      expect(crd, k.kind).toBeDefined()
      expect(crd.spec.names.plural).toBe(k.plural)
      const storage = crd.spec.versions.find((v) => v.storage)!
      expect(`${crd.spec.group}/${storage.name}`).toBe(k.apiVersion)
    }
  })
  it('BGPPeer v1beta2 carries the one-object rules as CEL', () => {
    const peer = crds.find((c) => c.spec.names.kind === 'BGPPeer')!
    const v2 = peer.spec.versions.find((v) => v.name === 'v1beta2')!
    const spec = v2.schema.openAPIV3Schema.properties.spec as {'x-kubernetes-validations': Array<{rule: string}>}
    expect(spec['x-kubernetes-validations'].map((r) => r.rule).join(' ')).toContain('dynamicASN')
  })
})

describe('selectors', () => {
  it('implement matchLabels and every matchExpressions operator', () => {
    const l = {app: 'web', tier: 'front'}
    expect(selectorMatches({matchLabels: {app: 'web'}}, l)).toBe(true)
    expect(selectorMatches({matchLabels: {app: 'db'}}, l)).toBe(false)
    expect(selectorMatches({matchExpressions: [{key: 'tier', operator: 'In', values: ['front', 'x']}]}, l)).toBe(true)
    expect(selectorMatches({matchExpressions: [{key: 'tier', operator: 'NotIn', values: ['front']}]}, l)).toBe(false)
    expect(selectorMatches({matchExpressions: [{key: 'zone', operator: 'NotIn', values: ['a']}]}, l)).toBe(true)
    expect(selectorMatches({matchExpressions: [{key: 'zone', operator: 'Exists'}]}, l)).toBe(false)
    expect(selectorMatches({matchExpressions: [{key: 'zone', operator: 'DoesNotExist'}]}, l)).toBe(true)
    expect(selectorMatches({}, undefined)).toBe(true)
    expect(anySelectorMatches([], l)).toBe(false)
  })
  it('validate object names (DNS-1123 subdomain)', () => {
    expect(validObjectName('default')).toBeUndefined()
    expect(validObjectName('pool.v4-a')).toBeUndefined()
    expect(validObjectName('Bad_Name')).toMatch(/lower case/)
    expect(validObjectName('')).toBe('is empty')
    expect(validObjectName('-x')).toBeDefined()
  })
})
