import {describe, expect, it} from 'vitest'
import type {IPAddressPool, Service} from '../../../src/lib/api/types.js'
import {checkOverlapWithPools, nodeAddressWarnings, parseAddresses, planPool, specForm} from '../../../src/lib/pool/plan.js'

const pool = (name: string, addresses: string[]): IPAddressPool => ({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name, namespace: 'metallb-system', resourceVersion: '7'}, spec: {addresses}})
const svc = (name: string, ip: string): Service => ({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: 'web'}, status: {loadBalancer: {ingress: [{ip}]}}})

function caught(f: () => unknown): {code: string; category: string; message: string; hint?: string} {
  try {
    f()
  } catch (e) {
    return e as ReturnType<typeof caught>
  }
  throw new Error('expected an error')
}

describe('parseAddresses', () => {
  it('accepts lists separated by commas and spaces, across arguments', () => {
    expect(parseAddresses(['192.168.1.240/28, 10.0.0.0/28', '192.168.1.88 - 192.168.1.89', '2001:DB8::1']).map(specForm)).toEqual(['192.168.1.240/28', '10.0.0.0/28', '192.168.1.88-192.168.1.89', '2001:db8::1/128'])
  })
  it('reports every bad token at once, as bad input', () => {
    const e = caught(() => parseAddresses(['1.2.3.4/24', 'foo']))
    expect(e.category).toBe('bad-input')
    expect(e.code).toBe('BAD_ADDRESS')
    expect(e.message).toContain('"1.2.3.4/24"')
    expect(e.message).toContain('"foo"')
  })
  it('refuses overlaps within the input, naming both tokens', () => {
    const e = caught(() => parseAddresses(['10.0.0.0/24', '10.0.0.128-10.0.1.5']))
    expect(e.code).toBe('OVERLAP_IN_INPUT')
    expect(e.message).toContain('"10.0.0.0/24"')
    expect(e.message).toContain('"10.0.0.128-10.0.1.5"')
  })
  it('refuses an empty list', () => expect(caught(() => parseAddresses(['  '])).category).toBe('bad-input'))
})

describe('checkOverlapWithPools', () => {
  it('names the other pool and its range; ignores the pool being changed', () => {
    const ranges = parseAddresses(['203.0.113.8/29'])
    const e = caught(() => checkOverlapWithPools('new', ranges, [pool('old', ['203.0.113.0-203.0.113.9'])]))
    expect(e.code).toBe('POOL_OVERLAP')
    expect(e.message).toBe('203.0.113.8/29 overlaps pool "old" (203.0.113.0-203.0.113.9)')
    expect(() => checkOverlapWithPools('old', ranges, [pool('old', ['203.0.113.0/24'])])).not.toThrow()
  })
})

describe('planPool', () => {
  const base = {name: 'p', namespace: 'metallb-system', services: [] as Service[], force: false}
  it('creates, with the addresses as given', () => {
    const plan = planPool({...base, addresses: ['203.0.113.0/28']})
    expect(plan.action).toBe('create')
    expect(plan.added).toEqual(['203.0.113.0/28'])
    expect(plan.manifest.metadata.resourceVersion).toBeUndefined()
  })
  it('is unchanged when the same addresses are set again (idempotent)', () => {
    const plan = planPool({...base, existing: pool('p', ['203.0.113.0/28']), addresses: ['203.0.113.0/28']})
    expect(plan.action).toBe('unchanged')
  })
  it('updates with the read resourceVersion as precondition, listing added and removed ranges', () => {
    const plan = planPool({...base, existing: pool('p', ['203.0.113.0/28']), addresses: ['203.0.113.8/29', '203.0.113.16/29']})
    expect(plan.action).toBe('update')
    expect(plan.manifest.metadata.resourceVersion).toBe('7')
    expect(plan.added).toEqual(['203.0.113.16/29'])
    expect(plan.removed).toEqual(['203.0.113.0/29'])
  })
  it('refuses to take away addresses services hold (exit 4), listing them; --force allows it', () => {
    const args = {...base, existing: pool('p', ['203.0.113.0/28']), addresses: ['203.0.113.8/29'], services: [svc('shop', '203.0.113.3'), svc('blog', '203.0.113.9')]}
    const e = caught(() => planPool(args))
    expect(e.category).toBe('data-loss')
    expect(e.code).toBe('ADDRESSES_IN_USE')
    expect(e.message).toContain('web/shop (203.0.113.3)')
    expect(e.message).not.toContain('blog')
    const forced = planPool({...args, force: true})
    expect(forced.affected.map((h) => h.name)).toEqual(['shop'])
  })
})

describe('nodeAddressWarnings', () => {
  it('warns when a pool contains a node address', () => {
    const w = nodeAddressWarnings(parseAddresses(['198.18.0.0/24']), [{apiVersion: 'v1', kind: 'Node', metadata: {name: 'n1'}, status: {addresses: [{type: 'InternalIP', address: '198.18.0.5'}, {type: 'Hostname', address: 'n1'}]}}])
    expect(w).toEqual(['198.18.0.5 is the InternalIP of node n1: a service given it would be unreachable'])
  })
})
