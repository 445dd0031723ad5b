// Properties of the BGP planner over random configurations: the order objects arrive in does not matter, a new
// service only adds, and every route covers the address it was made for with the advertised length.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {planBgp} from '../../../../src/speaker/bgp/plan.js'
import {parseIP, prefixRange, rangeContains} from '../../../../src/lib/net/index.js'
import {adv, peer, pool, service, slice, state} from './fixtures.js'

const ip4 = fc.integer({min: 0, max: 255}).map((x) => `203.0.113.${x}`)
const ip6 = fc.integer({min: 0, max: 0xffff}).map((x) => `2001:db8:ffff::${x.toString(16)}`)
const svcArb = fc.record({ip: fc.oneof(ip4, ip6), local: fc.boolean(), eps: fc.subarray(['n1', 'n2', 'n3']), app: fc.constantFrom('web', 'db')})
const advArb = fc.record({
  agg: fc.integer({min: 24, max: 32}), agg6: fc.integer({min: 48, max: 128}), localPref: fc.option(fc.integer({min: 0, max: 1000}), {nil: undefined}),
  communities: fc.subarray(['64512:1', '64512:2', 'large:1:2:3']), peers: fc.subarray(['a', 'b', 'c']), app: fc.option(fc.constantFrom('web', 'db'), {nil: undefined}),
})
const configArb = fc.record({svcs: fc.uniqueArray(svcArb, {selector: (s) => s.ip, maxLength: 8}), advs: fc.array(advArb, {maxLength: 4})})

type Config = {svcs: Array<typeof svcArb extends fc.Arbitrary<infer T> ? T : never>; advs: Array<typeof advArb extends fc.Arbitrary<infer T> ? T : never>}

function build(c: Config) {
  return state({
    pools: [pool('v4', ['203.0.113.0/24']), pool('v6', ['2001:db8:ffff::/48'])],
    bgpPeers: [peer('a', {dualStackAddressFamily: true}), peer('b', {peerASN: 65000, peerAddress: '198.18.0.2', dualStackAddressFamily: true}), peer('c', {peerAddress: '2001:db8::1', dualStackAddressFamily: true})],
    services: c.svcs.map((s, i) => service(`s${i}`, [s.ip], {local: s.local, labels: {app: s.app}})),
    endpointSlices: c.svcs.map((s, i) => slice(`s${i}`, s.eps)),
    bgpAdvertisements: c.advs.map((a, i) => adv(`adv${i}`, {aggregationLength: a.agg, aggregationLengthV6: a.agg6, localPref: a.localPref, communities: a.communities, peers: a.peers,
      serviceSelectors: a.app ? [{matchLabels: {app: a.app}}] : undefined})),
  })
}
const shuffle = <T>(xs: T[], seed: number): T[] => xs.map((x, i) => [((i + 1) * 2654435761 * (seed + 1)) % 4294967296, x] as const).sort((p, q) => p[0] - q[0]).map(([, x]) => x)

describe('BGP planner properties', () => {
  it('the order of objects does not change the plan', () => {
    fc.assert(fc.property(configArb, fc.nat(1000), (c, seed) => {
      const s = build(c)
      const t = {...s, services: shuffle(s.services, seed), bgpAdvertisements: shuffle(s.bgpAdvertisements, seed + 1), bgpPeers: shuffle(s.bgpPeers, seed + 2), endpointSlices: shuffle(s.endpointSlices, seed + 3)}
      const [p, q] = [planBgp(s, []), planBgp(t, [])]
      expect(q.byPeer).toEqual(p.byPeer)
      expect(new Set(q.table.map((r) => JSON.stringify(r)))).toEqual(new Set(p.table.map((r) => JSON.stringify(r))))
      expect(q.announced).toEqual(p.announced)
    }))
  })

  it('every route is a prefix of the advertised length covering an announced service address; localPref only toward iBGP', () => {
    fc.assert(fc.property(configArb, (c) => {
      const s = build(c)
      const p = planBgp(s, [])
      const addrs = s.services.flatMap((x) => x.status!.loadBalancer!.ingress!.map((i) => parseIP(i.ip!)))
      for (const [name, routes] of p.byPeer) {
        for (const r of routes) {
          const [net, len] = r.prefix.split('/')
          const ip = parseIP(net)
          expect(addrs.some((a) => a.family === ip.family && rangeContains(prefixRange(ip, Number(len)), a))).toBe(true)
          if (name === 'b') expect(r.localPref).toBeUndefined()
        }
      }
    }))
  })

  it('adding a service only adds routes: every route planned before is still planned with the same attributes', () => {
    fc.assert(fc.property(configArb, svcArb, (c, extra) => {
      fc.pre(!c.svcs.some((s) => s.ip === extra.ip))
      const before = planBgp(build(c), [])
      const after = planBgp(build({...c, svcs: [...c.svcs, extra]}), [])
      for (const [name, routes] of before.byPeer) {
        const now = new Map((after.byPeer.get(name) ?? []).map((r) => [r.prefix, r]))
        for (const r of routes) {
          const n = now.get(r.prefix)
          expect(n).toBeDefined()
          // Aggregates shared with the new service may gain communities, never lose them.
          for (const x of r.communities ?? []) expect(n!.communities).toContain(x)
        }
      }
    }))
  })
})
