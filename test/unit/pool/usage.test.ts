import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import type {IPAddressPool, Service} from '../../../src/lib/api/types.js'
import {advertisementsFor, computeUsage} from '../../../src/lib/pool/usage.js'

const pool = (name: string, addresses: string[], extra: Partial<NonNullable<IPAddressPool['spec']>> = {}, labels?: Record<string, string>): IPAddressPool => ({
  apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name, namespace: 'metallb-system', labels}, spec: {addresses, ...extra},
})
const svc = (name: string, ...ips: string[]): Service => ({
  apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: 'default'}, spec: {type: 'LoadBalancer'}, status: {loadBalancer: {ingress: ips.map((ip) => ({ip}))}},
})

describe('computeUsage', () => {
  it('counts sizes exactly (an IPv6 /64 is 2^64) and shared addresses once', () => {
    const u = computeUsage(
      [pool('v4', ['203.0.113.0/24'], {avoidBuggyIPs: true}), pool('v6', ['2001:db8:ffff::/64'])],
      [svc('a', '203.0.113.10'), svc('b', '203.0.113.10'), svc('c', '2001:db8:ffff::5', '203.0.113.11'), svc('outside', '198.51.100.1')],
    )
    expect(u.get('v4')!.size[4]).toBe(254n)
    expect(u.get('v4')!.inUse[4]).toBe(2n)
    expect(u.get('v4')!.holders.map((h) => h.name)).toEqual(['a', 'b', 'c'])
    expect(u.get('v6')!.size[6]).toBe(2n ** 64n)
    expect(u.get('v6')!.inUse[6]).toBe(1n)
    expect(u.get('v6')!.holders).toEqual([{namespace: 'default', name: 'c', ips: ['2001:db8:ffff::5']}])
  })

  it('agrees with a linear scan for random pools and services', () => {
    fc.assert(fc.property(fc.array(fc.integer({min: 0, max: 63}), {minLength: 1, maxLength: 20}), fc.array(fc.integer({min: 0, max: 16383}), {maxLength: 60}), (blocks, hosts) => {
      const uniq = [...new Set(blocks)]
      const pools = uniq.map((b) => pool(`p${b}`, [`10.0.${b}.0/24`]))
      const services = hosts.map((h, i) => svc(`s${i}`, `10.0.${h >> 8}.${h & 255}`))
      const u = computeUsage(pools, services)
      for (const b of uniq) {
        const expected = new Set(hosts.filter((h) => h >> 8 === b)).size
        expect(u.get(`p${b}`)!.inUse[4]).toBe(BigInt(expected))
      }
    }))
  })
})

describe('advertisementsFor', () => {
  const ad = (kind: string, name: string, spec: Record<string, unknown>) => ({apiVersion: 'metallb.io/v1beta1', kind, metadata: {name}, spec})
  it('selects by name, by label selector, or all pools when the advertisement selects none', () => {
    const p = pool('web', ['203.0.113.0/28'], {}, {tier: 'public'})
    expect(advertisementsFor(p, [ad('L2Advertisement', 'byname', {ipAddressPools: ['web']}), ad('L2Advertisement', 'other', {ipAddressPools: ['db']})], [])).toEqual(['L2Advertisement/byname'])
    expect(advertisementsFor(p, [], [ad('BGPAdvertisement', 'sel', {ipAddressPoolSelectors: [{matchLabels: {tier: 'public'}}]})])).toEqual(['BGPAdvertisement/sel'])
    expect(advertisementsFor(p, [ad('L2Advertisement', 'all', {})], [])).toEqual(['L2Advertisement/all'])
    expect(advertisementsFor(p, [ad('L2Advertisement', 'nosel', {ipAddressPoolSelectors: [{matchLabels: {tier: 'private'}}]})], [])).toEqual([])
  })
})
