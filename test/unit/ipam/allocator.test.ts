import {describe, expect, it} from 'vitest'
import {Allocator, parseService, type Outcome} from '../../../src/lib/ipam/index.js'
import {formatIP, parseIP} from '../../../src/lib/net/index.js'
import {poolObj, pools, req, svcObj} from './fixtures.js'

const ips = (o: Outcome): string[] => (o.ok ? o.assignment.ips.map(formatIP) : [])
const reason = (o: Outcome): string => (o.ok ? 'ok' : o.failure.reason)
const ip = parseIP

describe('Allocator: basic allocation', () => {
  it('hands out the lowest free address and frees it again on release', () => {
    const a = new Allocator(pools(poolObj('p', ['203.0.113.0/30'])))
    expect(ips(a.ensure(req('a')))).toEqual(['203.0.113.0'])
    expect(ips(a.ensure(req('b')))).toEqual(['203.0.113.1'])
    expect(a.isFree(ip('203.0.113.0'))).toBe(false)
    a.release('default/a')
    expect(a.isFree(ip('203.0.113.0'))).toBe(true)
    expect(ips(a.ensure(req('c')))).toEqual(['203.0.113.0'])
  })

  it('reports poolExhausted when every candidate pool is full', () => {
    const a = new Allocator(pools(poolObj('p', ['203.0.113.7/32'])))
    expect(reason(a.ensure(req('a')))).toBe('ok')
    const o = a.ensure(req('b'))
    expect(o).toMatchObject({ok: false, failure: {reason: 'poolExhausted', pools: ['p'], family: 'IPv4'}})
  })

  it('keeps an assignment on a repeated ensure (idempotent)', () => {
    const a = new Allocator(pools(poolObj('p', ['203.0.113.0/29'])))
    const first = ips(a.ensure(req('a')))
    const again = a.ensure(req('a'))
    expect(ips(again)).toEqual(first)
    expect(again).toMatchObject({ok: true, kept: true})
  })

  it('counts exactly, also for an IPv6 /64', () => {
    const a = new Allocator(pools(poolObj('v6', ['2001:db8:ffff::/64'])))
    a.ensure(req('a', {spec: {ipFamilies: ['IPv6']}}))
    expect(a.counts('v6')).toMatchObject({assigned: {4: 0n, 6: 1n}, size: {6: 1n << 64n}, available: {6: (1n << 64n) - 1n}})
  })
})

describe('Allocator: requested addresses', () => {
  const defs = pools(poolObj('p', ['203.0.113.0/24']), poolObj('q', ['198.51.100.0/24']))

  it('assigns spec.loadBalancerIP and the loadBalancerIPs annotation', () => {
    const a = new Allocator(defs)
    expect(ips(a.ensure(req('a', {spec: {loadBalancerIP: '203.0.113.50'}})))).toEqual(['203.0.113.50'])
    expect(ips(a.ensure(req('b', {annotations: {'metallb.io/loadBalancerIPs': '198.51.100.9'}})))).toEqual(['198.51.100.9'])
  })

  it('refuses both fields at once', () => {
    const r = req('a', {spec: {loadBalancerIP: '203.0.113.50'}, annotations: {'metallb.io/loadBalancerIPs': '203.0.113.51'}})
    expect(reason(new Allocator(defs).ensure(r))).toBe('bothIPFieldsSet')
  })

  it('refuses an address outside every pool, and an invalid one', () => {
    const a = new Allocator(defs)
    expect(reason(a.ensure(req('a', {spec: {loadBalancerIP: '192.0.2.1'}})))).toBe('requestedIPNotInAnyPool')
    expect(reason(a.ensure(req('b', {spec: {loadBalancerIP: '203.0.113.300'}})))).toBe('invalidRequestedIP')
  })

  it('refuses an address in use by a service that does not share', () => {
    const a = new Allocator(defs)
    a.ensure(req('a', {spec: {loadBalancerIP: '203.0.113.50'}}))
    const o = a.ensure(req('b', {spec: {loadBalancerIP: '203.0.113.50'}}))
    expect(o).toMatchObject({ok: false, failure: {reason: 'requestedIPInUse', by: ['default/a']}})
  })

  it('with the address-pool annotation, the address must be in that pool', () => {
    const a = new Allocator(defs)
    const o = a.ensure(req('a', {spec: {loadBalancerIP: '203.0.113.50'}, annotations: {'metallb.io/address-pool': 'q'}}))
    expect(o).toMatchObject({ok: false, failure: {reason: 'requestedIPNotInPool', pool: 'q', actualPool: 'p'}})
  })

  it('requested addresses may come from an autoAssign: false pool', () => {
    const a = new Allocator(pools(poolObj('manual', ['203.0.113.0/24'], {autoAssign: false})))
    expect(reason(a.ensure(req('auto')))).toBe('noPoolMatches')
    expect(ips(a.ensure(req('x', {spec: {loadBalancerIP: '203.0.113.5'}})))).toEqual(['203.0.113.5'])
    expect(ips(a.ensure(req('y', {annotations: {'metallb.io/address-pool': 'manual'}})))).toEqual(['203.0.113.0'])
  })

  it('moves a service to its new requested address and frees the old one', () => {
    const a = new Allocator(defs)
    a.ensure(req('a', {spec: {loadBalancerIP: '203.0.113.50'}}))
    expect(ips(a.ensure(req('a', {spec: {loadBalancerIP: '203.0.113.60'}})))).toEqual(['203.0.113.60'])
    expect(a.isFree(ip('203.0.113.50'))).toBe(true)
  })
})

describe('Allocator: pools', () => {
  it('takes the named pool and reports a missing one', () => {
    const a = new Allocator(pools(poolObj('a', ['203.0.113.0/24']), poolObj('b', ['198.51.100.0/24'])))
    expect(ips(a.ensure(req('x', {annotations: {'metallb.io/address-pool': 'b'}})))).toEqual(['198.51.100.0'])
    expect(reason(a.ensure(req('y', {annotations: {'metallb.io/address-pool': 'nope'}})))).toBe('poolNotFound')
  })

  it('serviceAllocation: namespaces, namespace selectors, service selectors, priority', () => {
    const a = new Allocator(pools(
      poolObj('general', ['192.0.2.0/24']),
      poolObj('team', ['198.51.100.0/24'], {serviceAllocation: {namespaces: ['team-a']}}),
      poolObj('prod-low', ['203.0.113.0/25'], {serviceAllocation: {priority: 20, namespaceSelectors: [{matchLabels: {env: 'prod'}}]}}),
      poolObj('prod-high', ['203.0.113.128/25'], {serviceAllocation: {priority: 10, namespaceSelectors: [{matchLabels: {env: 'prod'}}]}}),
      poolObj('web', ['198.18.0.0/24'], {serviceAllocation: {serviceSelectors: [{matchLabels: {tier: 'web'}}]}}),
    ))
    expect(ips(a.ensure(req('x', {ns: 'team-a'})))).toEqual(['198.51.100.0'])
    expect(ips(a.ensure(req('y', {ns: 'shop'}, {env: 'prod'})))).toEqual(['203.0.113.128'])
    expect(ips(a.ensure(req('z', {labels: {tier: 'web'}})))).toEqual(['198.18.0.0'])
    expect(ips(a.ensure(req('w')))).toEqual(['192.0.2.0'])
  })

  it('a pool whose serviceAllocation excludes the service refuses even explicit requests', () => {
    const a = new Allocator(pools(poolObj('team', ['198.51.100.0/24'], {serviceAllocation: {namespaces: ['team-a']}})))
    expect(reason(a.ensure(req('x', {annotations: {'metallb.io/address-pool': 'team'}})))).toBe('poolNotAllowed')
    expect(reason(a.ensure(req('y', {spec: {loadBalancerIP: '198.51.100.7'}})))).toBe('poolNotAllowed')
  })

  it('falls back from full pinned pools to autoAssign pools', () => {
    const a = new Allocator(pools(
      poolObj('general', ['192.0.2.0/24']),
      poolObj('team', ['198.51.100.1/32'], {serviceAllocation: {namespaces: ['team-a']}}),
    ))
    expect(ips(a.ensure(req('x', {ns: 'team-a'})))).toEqual(['198.51.100.1'])
    expect(ips(a.ensure(req('y', {ns: 'team-a'})))).toEqual(['192.0.2.0'])
  })

  it('avoidBuggyIPs skips .0 and .255', () => {
    const a = new Allocator(pools(poolObj('p', ['203.0.113.255-203.0.114.1'], {avoidBuggyIPs: true})))
    expect(ips(a.ensure(req('x')))).toEqual(['203.0.114.1'])
    expect(reason(a.ensure(req('y')))).toBe('poolExhausted')
    expect(reason(a.ensure(req('z', {spec: {loadBalancerIP: '203.0.114.0'}})))).toBe('requestedIPNotInAnyPool')
  })
})

describe('Allocator: sharing', () => {
  const share = (name: string, key: string, port: number, extra: Parameters<typeof req>[1] = {}) =>
    req(name, {...extra, ports: [['TCP', port]], annotations: {'metallb.io/allow-shared-ip': key, ...extra.annotations}})

  it('shares an address between services with the same key and different ports', () => {
    const a = new Allocator(pools(poolObj('p', ['203.0.113.0/24'])))
    expect(ips(a.ensure(share('a', 'k', 80)))).toEqual(['203.0.113.0'])
    const o = a.ensure(share('b', 'k', 443))
    expect(ips(o)).toEqual(['203.0.113.0'])
    expect(o).toMatchObject({sharedWith: ['default/a']})
    expect(a.holdersOf(ip('203.0.113.0'))).toEqual(['default/a', 'default/b'])
  })

  it('does not share across keys, overlapping ports, or Local services selecting different pods', () => {
    const a = new Allocator(pools(poolObj('p', ['203.0.113.0/24'])))
    a.ensure(share('a', 'k', 80, {spec: {loadBalancerIP: '203.0.113.1'}}))
    const at = (name: string, key: string, port: number, spec: object = {}) =>
      a.ensure(share(name, key, port, {spec: {loadBalancerIP: '203.0.113.1', ...spec}}))
    expect(at('b', 'other', 443)).toMatchObject({ok: false, failure: {reason: 'sharingRefused', why: 'keyMismatch'}})
    expect(at('c', 'k', 80)).toMatchObject({ok: false, failure: {reason: 'sharingRefused', why: 'portConflict'}})
    expect(at('d', 'k', 443, {externalTrafficPolicy: 'Local'})).toMatchObject({ok: false, failure: {reason: 'sharingRefused', why: 'backendMismatch'}})
    expect(reason(a.ensure(req('e', {spec: {loadBalancerIP: '203.0.113.1'}})))).toBe('requestedIPInUse')
  })

  it('Local services that select the same pods may share', () => {
    const a = new Allocator(pools(poolObj('p', ['203.0.113.0/24'])))
    const local = {externalTrafficPolicy: 'Local' as const, selector: {app: 'web'}}
    expect(ips(a.ensure(share('a', 'k', 80, {spec: local})))).toEqual(['203.0.113.0'])
    expect(ips(a.ensure(share('b', 'k', 443, {spec: local})))).toEqual(['203.0.113.0'])
  })

  it('the address is free again only when its last holder lets go', () => {
    const a = new Allocator(pools(poolObj('p', ['203.0.113.0/24'])))
    a.ensure(share('a', 'k', 80))
    a.ensure(share('b', 'k', 443))
    a.release('default/a')
    expect(a.isFree(ip('203.0.113.0'))).toBe(false)
    a.release('default/b')
    expect(a.isFree(ip('203.0.113.0'))).toBe(true)
  })

  it('honours the deprecated metallb.universe.tf spelling and flags it', () => {
    const r = req('a', {annotations: {'metallb.universe.tf/allow-shared-ip': 'k', 'metallb.universe.tf/address-pool': 'p'}})
    expect(r.sharingKey).toBe('k')
    expect(r.pool).toBe('p')
    expect(r.deprecated.sort()).toEqual(['metallb.universe.tf/address-pool', 'metallb.universe.tf/allow-shared-ip'])
  })
})

describe('Allocator: dual stack', () => {
  const dual = pools(poolObj('d', ['203.0.113.0/24', '2001:db8:ffff::/64']))
  const v4only = poolObj('v4', ['192.0.2.0/24'])

  it('RequireDualStack gets one address per family from one pool', () => {
    const a = new Allocator(dual)
    expect(ips(a.ensure(req('a', {spec: {ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6', 'IPv4']}})))).toEqual(['2001:db8:ffff::', '203.0.113.0'])
  })

  it('RequireDualStack fails where no pool has both families; PreferDualStack settles for one', () => {
    const a = new Allocator(pools(v4only))
    expect(reason(a.ensure(req('a', {spec: {ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6']}})))).toBe('poolExhausted')
    expect(ips(a.ensure(req('b', {spec: {ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6']}})))).toEqual(['192.0.2.0'])
  })

  it('SingleStack IPv6 ignores IPv4 pools', () => {
    const a = new Allocator(pools(v4only))
    expect(reason(a.ensure(req('a', {spec: {ipFamilies: ['IPv6']}})))).toBe('noPoolMatches')
  })

  it('a requested address must fit the family policy', () => {
    const a = new Allocator(dual)
    expect(reason(a.ensure(req('a', {spec: {loadBalancerIP: '2001:db8:ffff::5'}})))).toBe('familyMismatch')
    expect(reason(a.ensure(req('b', {annotations: {'metallb.io/loadBalancerIPs': '203.0.113.1,203.0.113.2'}})))).toBe('tooManyRequestedIPs')
    const both = req('c', {annotations: {'metallb.io/loadBalancerIPs': '203.0.113.1, 2001:db8:ffff::1'}, spec: {ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4', 'IPv6']}})
    expect(ips(a.ensure(both))).toEqual(['203.0.113.1', '2001:db8:ffff::1'])
  })
})

describe('Allocator: holders', () => {
  it('restore keeps held addresses, and a later pending service cannot take them', () => {
    const a = new Allocator(pools(poolObj('p', ['203.0.113.0/30'])))
    expect(a.restore(req('old'), [ip('203.0.113.0')])).toBeUndefined()
    expect(ips(a.ensure(req('new')))).toEqual(['203.0.113.1'])
    expect(a.ensure(req('old'), [ip('203.0.113.0')])).toMatchObject({ok: true, kept: true})
  })

  it('a held address outside the pools is dropped and replaced, with the reason', () => {
    const a = new Allocator(pools(poolObj('p', ['203.0.113.0/30'])))
    const o = a.ensure(req('a'), [ip('192.0.2.1')])
    expect(ips(o)).toEqual(['203.0.113.0'])
    expect(o).toMatchObject({dropped: {reason: 'requestedIPNotInAnyPool'}})
  })

  it('an annotation naming another pool moves the service', () => {
    const a = new Allocator(pools(poolObj('p', ['203.0.113.0/30']), poolObj('q', ['198.51.100.0/30'])))
    a.ensure(req('a'))
    const o = a.ensure(req('a', {annotations: {'metallb.io/address-pool': 'q'}}))
    expect(ips(o)).toEqual(['198.51.100.0'])
    expect(a.isFree(ip('203.0.113.0'))).toBe(true)
  })

  it('parseService reads families, ports and backend key', () => {
    const r = parseService(svcObj('s', {spec: {ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv6'], externalTrafficPolicy: 'Local', selector: {b: '2', a: '1'}}, ports: [['UDP', 53], ['TCP', 53]]}))
    expect(r).toMatchObject({families: [6, 4], policy: 'RequireDualStack', backendKey: 'a=1,b=2', ports: ['UDP/53', 'TCP/53']})
  })
})
