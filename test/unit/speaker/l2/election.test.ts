// The layer-2 election (API-COMPAT.md): table tests for each rule, and properties every speaker relies on.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {electionHash, electL2} from '../../../../src/speaker/l2/election.js'
import {l2ad, node, pool, slice, state, svc} from '../fixtures.js'

const ownerOf = (s: ReturnType<typeof state>, ip: string): string | undefined => electL2(s).assignments.get(ip)?.owner
const hashOrder = (nodes: string[], ip: string): string[] => [...nodes].sort((a, b) => (electionHash(a, ip) < electionHash(b, ip) ? -1 : 1))

describe('electL2', () => {
  const ep = slice('web', ['n1', 'n2', 'n3'])

  it('elects the node with the lowest hash of node and address among live nodes', () => {
    const s = state({services: [svc('web', ['203.0.113.10'])], endpointSlices: [ep]})
    const a = electL2(s).assignments.get('203.0.113.10')
    expect(a).toEqual({address: '203.0.113.10', owner: hashOrder(['n1', 'n2', 'n3'], '203.0.113.10')[0], interfaces: undefined, services: ['default/web']})
  })

  it('skips dead speakers, NetworkUnavailable nodes and nodes excluded from load balancers', () => {
    const ip = '203.0.113.10'
    const [first, second, third] = hashOrder(['n1', 'n2', 'n3'], ip)
    const base = {services: [svc('web', [ip])], endpointSlices: [ep]}
    expect(ownerOf(state({...base, live: new Set([second, third])}), ip)).toBe(second)
    const nodes = ['n1', 'n2', 'n3'].map((n) => (n === first ? node(n, {}, [{type: 'NetworkUnavailable', status: 'True'}]) : node(n)))
    expect(ownerOf(state({...base, nodes}), ip)).toBe(second)
    const nodes2 = ['n1', 'n2', 'n3'].map((n) => (n === first ? node(n, {'node.kubernetes.io/exclude-from-external-load-balancers': ''}) : node(n)))
    expect(ownerOf(state({...base, nodes: nodes2}), ip)).toBe(second)
    const nodes3 = ['n1', 'n2', 'n3'].map((n) => (n === first ? node(n, {}, [{type: 'NetworkUnavailable', status: 'False'}]) : node(n)))
    expect(ownerOf(state({...base, nodes: nodes3}), ip)).toBe(first)
    expect(ownerOf(state({...base, live: new Set()}), ip)).toBeUndefined()
    expect(electL2(state({...base, live: new Set()})).notAnnounced).toMatchObject([{service: 'default/web', reason: 'noCandidates'}])
  })

  it('honours nodeSelectors and preferredNodeSelectors weights', () => {
    const ip = '203.0.113.10'
    const nodes = [node('n1', {zone: 'a'}), node('n2', {zone: 'b'}), node('n3', {zone: 'b', fast: 'yes'})]
    const base = {nodes, services: [svc('web', [ip])], endpointSlices: [ep]}
    expect(ownerOf(state({...base, l2Advertisements: [l2ad('a', {nodeSelectors: [{matchLabels: {zone: 'a'}}]})]}), ip)).toBe('n1')
    const pref = l2ad('p', {preferredNodeSelectors: [{weight: 10, preference: {matchLabels: {zone: 'b'}}}, {weight: 5, preference: {matchLabels: {fast: 'yes'}}}]})
    expect(ownerOf(state({...base, l2Advertisements: [pref]}), ip)).toBe('n3')
    const pref2 = l2ad('p', {preferredNodeSelectors: [{weight: 50, preference: {matchLabels: {zone: 'a'}}}, {weight: 5, preference: {matchLabels: {fast: 'yes'}}}]})
    expect(ownerOf(state({...base, l2Advertisements: [pref2]}), ip)).toBe('n1')
  })

  it('applies advertisements by pool name, pool selector and service selector', () => {
    const ip = '203.0.113.10'
    const pools = [pool('blue', ['203.0.113.0/25'], {color: 'blue'}), pool('red', ['203.0.113.128/25'])]
    const web = svc('web', [ip], {labels: {tier: 'front'}})
    const base = {pools, services: [web], endpointSlices: [ep]}
    expect(ownerOf(state({...base, l2Advertisements: [l2ad('x', {ipAddressPools: ['red']})]}), ip)).toBeUndefined()
    expect(electL2(state({...base, l2Advertisements: [l2ad('x', {ipAddressPools: ['red']})]})).notAnnounced[0].reason).toBe('noAdvertisement')
    expect(ownerOf(state({...base, l2Advertisements: [l2ad('x', {ipAddressPools: ['blue']})]}), ip)).toBeDefined()
    expect(ownerOf(state({...base, l2Advertisements: [l2ad('x', {ipAddressPoolSelectors: [{matchLabels: {color: 'blue'}}]})]}), ip)).toBeDefined()
    expect(ownerOf(state({...base, l2Advertisements: [l2ad('x', {serviceSelectors: [{matchLabels: {tier: 'back'}}]})]}), ip)).toBeUndefined()
    expect(ownerOf(state({...base, l2Advertisements: [l2ad('x', {serviceSelectors: [{matchLabels: {tier: 'front'}}]})]}), ip)).toBeDefined()
    expect(electL2(state({...base, services: [svc('web', ['198.51.100.1'])]})).notAnnounced[0].reason).toBe('noPool')
  })

  it('announces on the owner’s advertisement interfaces, or on all when one advertisement names none', () => {
    const ip = '203.0.113.10'
    const nodes = [node('n1', {zone: 'a'}), node('n2', {zone: 'b'})]
    const base = {nodes, services: [svc('web', [ip])], endpointSlices: [ep]}
    const ads = [l2ad('a', {interfaces: ['eth1'], nodeSelectors: [{matchLabels: {zone: 'a'}}]}), l2ad('b', {interfaces: ['eth2', 'eth0']})]
    const a = electL2(state({...base, live: new Set(['n1']), l2Advertisements: ads})).assignments.get(ip)
    expect(a).toMatchObject({owner: 'n1', interfaces: ['eth0', 'eth1', 'eth2']})
    const b = electL2(state({...base, live: new Set(['n2']), l2Advertisements: ads})).assignments.get(ip)
    expect(b).toMatchObject({owner: 'n2', interfaces: ['eth0', 'eth2']})
    const c = electL2(state({...base, live: new Set(['n2']), l2Advertisements: [...ads, l2ad('all')]})).assignments.get(ip)
    expect(c).toMatchObject({owner: 'n2', interfaces: undefined})
  })

  it('externalTrafficPolicy Local: only nodes with a ready local endpoint; no endpoint → no announcement', () => {
    const ip = '203.0.113.10'
    const web = svc('web', [ip], {local: true})
    expect(ownerOf(state({services: [web], endpointSlices: [slice('web', ['n2', '!n3'])]}), ip)).toBe('n2')
    expect(ownerOf(state({services: [web], endpointSlices: [slice('web', ['!n2'])]}), ip)).toBeUndefined()
    expect(electL2(state({services: [web], endpointSlices: [slice('web', ['!n2'])]})).notAnnounced[0].reason).toBe('noEndpoints')
    expect(electL2(state({services: [svc('web', [ip])], endpointSlices: []})).notAnnounced[0].reason).toBe('noEndpoints')
    // A ready endpoint on a dead node does not make it a candidate.
    const s = state({services: [web], endpointSlices: [slice('web', ['n2'])], live: new Set(['n1', 'n3'])})
    expect(electL2(s).notAnnounced[0].reason).toBe('noCandidates')
  })

  it('services sharing an address elect one node, from the nodes they have in common', () => {
    const ip = '203.0.113.20'
    const s = state({services: [svc('a', [ip]), svc('b', [ip], {local: true})], endpointSlices: [slice('a', ['n1']), slice('b', ['n3'])]})
    expect(electL2(s).assignments.get(ip)).toMatchObject({owner: 'n3', services: ['default/a', 'default/b']})
    const s2 = state({services: [svc('a', [ip], {local: true}), svc('b', [ip], {local: true})], endpointSlices: [slice('a', ['n1']), slice('b', ['n3'])]})
    expect(electL2(s2).assignments.size).toBe(0)
    expect(electL2(s2).notAnnounced.map((n) => n.reason)).toEqual(['sharedNoCommonNode', 'sharedNoCommonNode'])
  })

  it('treats IPv6 spellings of one address as one address', () => {
    const s = state({services: [svc('a', ['2001:DB8:FFFF:0::1']), svc('b', ['2001:db8:ffff::1'])], endpointSlices: [slice('a', ['n1']), slice('b', ['n1'])]})
    expect([...electL2(s).assignments.keys()]).toEqual(['2001:db8:ffff::1'])
  })
})

interface World {live: string[]; services: Array<{ip: string; local: boolean; eps: string[]}>; zoneA: string[]; withSelector: boolean}

describe('electL2 properties', () => {
  const NODES = ['n1', 'n2', 'n3', 'n4', 'n5']
  const IPS = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '2001:db8:ffff::1', '2001:db8:ffff::2']
  const world: fc.Arbitrary<World> = fc.record({
    live: fc.subarray(NODES),
    services: fc.array(fc.record({ip: fc.constantFrom(...IPS), local: fc.boolean(), eps: fc.subarray(NODES, {minLength: 1})}), {minLength: 1, maxLength: 8}),
    zoneA: fc.subarray(NODES),
    withSelector: fc.boolean(),
  })
  const build = (w: World, me: string, reverse: boolean) => {
    const nodes = NODES.map((n) => node(n, w.zoneA.includes(n) ? {zone: 'a'} : {}))
    const services = w.services.map((s, i) => svc(`s${i}`, [s.ip], {local: s.local}))
    const endpointSlices = w.services.map((s, i) => slice(`s${i}`, s.eps))
    const ads = w.withSelector ? [l2ad('z', {preferredNodeSelectors: [{weight: 10, preference: {matchLabels: {zone: 'a'}}}]})] : [l2ad('all')]
    const r = <T>(xs: T[]): T[] => (reverse ? [...xs].reverse() : xs)
    return state({node: me, nodes: r(nodes), services: r(services), endpointSlices: r(endpointSlices), l2Advertisements: ads, live: new Set(r(w.live))})
  }

  it('every node computes the same owners, whatever order it saw objects in', () => {
    fc.assert(fc.property(world, (w) => {
      const ref = electL2(build(w, 'n1', false))
      for (const me of NODES) {
        const other = electL2(build(w, me, true))
        expect([...other.assignments.entries()].sort()).toEqual([...ref.assignments.entries()].sort())
      }
    }))
  })

  it('the owner is a live candidate (with a ready local endpoint for Local services), and each address has one owner for all its services', () => {
    fc.assert(fc.property(world, (w) => {
      const e = electL2(build(w, 'n1', false))
      for (const [ip, a] of e.assignments) {
        expect(w.live).toContain(a.owner)
        const users = w.services.map((s, i) => ({...s, key: `default/s${i}`})).filter((s) => s.ip === ip && a.services.includes(s.key))
        expect(users.length).toBe(a.services.length)
        for (const u of users) if (u.local) expect(u.eps).toContain(a.owner)
      }
      // Each service's address is either announced (by the one owner) or the service is told why not.
      w.services.forEach((s, i) => {
        const key = `default/s${i}`
        const announced = e.assignments.get(s.ip)?.services.includes(key) ?? false
        const why = e.notAnnounced.some((n) => n.address === s.ip && n.service === key)
        expect(announced !== why).toBe(true)
      })
    }))
  })
})
