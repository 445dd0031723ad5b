// Allocation invariants (issue 3): no address is ever held by two services that may not share it; release then
// allocate never loses an address; results do not depend on the order events arrive in.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {Allocator, planAll, type Outcome, type PlanItem, type ServiceRequest} from '../../../src/lib/ipam/index.js'
import {formatIP, parseIP} from '../../../src/lib/net/index.js'
import {poolObj, pools, req} from './fixtures.js'

const DEFS = pools(
  poolObj('small', ['203.0.113.0/30']),
  poolObj('buggy', ['203.0.113.254-203.0.114.1'], {avoidBuggyIPs: true}),
  poolObj('dual', ['198.51.100.8/30', '2001:db8:ffff::/126']),
  poolObj('pinned', ['192.0.2.0/31'], {serviceAllocation: {namespaces: ['team'], priority: 1}}),
  poolObj('manual', ['198.18.0.0/31'], {autoAssign: false}),
)
const CANDIDATE_IPS = ['203.0.113.1', '203.0.113.3', '203.0.114.1', '203.0.113.255', '198.51.100.9', '2001:db8:ffff::1', '192.0.2.1', '198.18.0.1', '10.0.0.1']

/** A random service request drawn from a small space, so collisions, sharing and exhaustion happen often. */
const request = (): fc.Arbitrary<ServiceRequest> =>
  fc.record({
    name: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
    ns: fc.constantFrom('default', 'team'),
    key: fc.constantFrom('', '', 'k1', 'k2'),
    ports: fc.subarray([80, 443, 53], {minLength: 1}),
    local: fc.boolean(),
    sel: fc.constantFrom('x', 'y'),
    policy: fc.constantFrom('SingleStack', 'SingleStack', 'PreferDualStack', 'RequireDualStack'),
    v6first: fc.boolean(),
    ip: fc.option(fc.constantFrom(...CANDIDATE_IPS), {freq: 3}),
    pool: fc.option(fc.constantFrom('small', 'dual', 'manual', 'missing'), {freq: 4}),
  }).map((r) => req(r.name, {
    ns: r.ns,
    ports: r.ports.map((p) => ['TCP', p] as [string, number]),
    annotations: {
      ...(r.key ? {'metallb.io/allow-shared-ip': r.key} : {}),
      ...(r.pool ? {'metallb.io/address-pool': r.pool} : {}),
    },
    spec: {
      externalTrafficPolicy: r.local ? 'Local' : 'Cluster',
      selector: {app: r.sel},
      ipFamilyPolicy: r.policy as ServiceRequest['policy'],
      ipFamilies: r.v6first ? ['IPv6', 'IPv4'] : ['IPv4', 'IPv6'],
      ...(r.ip ? {loadBalancerIP: r.ip} : {}),
    },
  }))

type Op = {kind: 'ensure'; req: ServiceRequest} | {kind: 'release'; name: string}
const op = (): fc.Arbitrary<Op> => fc.oneof(
  {weight: 3, arbitrary: request().map((r) => ({kind: 'ensure' as const, req: r}))},
  {weight: 1, arbitrary: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h').map((n) => ({kind: 'release' as const, name: `default/${n}`}))},
)

/** Checks every address's holders pairwise, and that the pools' counts add up, from the assignments alone. */
function checkInvariants(a: Allocator, reqs: Map<string, ServiceRequest>): void {
  const byIP = new Map<string, string[]>()
  for (const as of a.assignments()) {
    const pool = a.pool(as.pool)!
    for (const ip of as.ips) {
      expect(a.poolOf(ip)?.def.name).toBe(as.pool)
      expect(pool.free[ip.family].has(ip.value)).toBe(false)
      const k = formatIP(ip)
      byIP.set(k, [...(byIP.get(k) ?? []), as.key])
    }
  }
  for (const [ip, holders] of byIP) {
    for (let i = 0; i < holders.length; i++) {
      for (let j = i + 1; j < holders.length; j++) {
        const x = a.assignment(holders[i])!
        const y = a.assignment(holders[j])!
        const why = `${ip} held by ${x.key} and ${y.key}`
        expect(x.sharingKey, why).not.toBe('')
        expect(x.sharingKey, why).toBe(y.sharingKey)
        expect(x.backendKey, why).toBe(y.backendKey)
        expect(x.ports.filter((p) => y.ports.includes(p)), why).toEqual([])
      }
    }
  }
  for (const p of a.pools) {
    for (const f of [4, 6] as const) {
      const used = [...byIP.keys()].filter((k) => (k.includes(':') ? 6 : 4) === f && a.poolOf(parseIP(k)) === p).length
      expect(p.free[f].size + BigInt(used)).toBe(p.def.size[f])
    }
  }
  void reqs
}

describe('allocator properties', () => {
  it('never lets two services hold an address they may not share, and never leaks an address', () => {
    fc.assert(fc.property(fc.array(op(), {maxLength: 60}), (ops) => {
      const a = new Allocator(DEFS)
      const reqs = new Map<string, ServiceRequest>()
      for (const o of ops) {
        if (o.kind === 'ensure') {
          reqs.set(o.req.key, o.req)
          a.ensure(o.req)
        } else a.release(o.name)
        checkInvariants(a, reqs)
      }
      for (const k of [...reqs.keys()]) a.release(k)
      for (const p of a.pools) for (const f of [4, 6] as const) expect(p.free[f].size).toBe(p.def.size[f])
    }), {numRuns: 400})
  })

  it('release then allocate gets the released address back when it is the only free one', () => {
    fc.assert(fc.property(fc.integer({min: 1, max: 30}), fc.integer({min: 0, max: 29}), (n, pickIdx) => {
      const a = new Allocator(pools(poolObj('p', [`203.0.113.0-203.0.113.${n - 1}`])))
      const held: string[] = []
      for (let i = 0; i < n; i++) held.push(...(a.ensure(req(`s${i}`)) as Extract<Outcome, {ok: true}>).assignment.ips.map(formatIP))
      expect(new Set(held).size).toBe(n)
      expect(a.ensure(req('late')).ok).toBe(false)
      const victim = `default/s${pickIdx % n}`
      const freed = a.assignment(victim)!.ips.map(formatIP)
      a.release(victim)
      const o = a.ensure(req('late'))
      expect(o.ok && o.assignment.ips.map(formatIP)).toEqual(freed)
    }), {numRuns: 100})
  })

  it('a pass gives the same result whatever order the services arrive in', () => {
    const item = fc.tuple(request(), fc.option(fc.constantFrom(...CANDIDATE_IPS), {freq: 2}), fc.constantFrom('2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', ''))
      .map(([r, held, created]): PlanItem => ({req: r, held: held ? [parseIP(held)] : [], created}))
    const unique = fc.uniqueArray(item, {selector: (i) => i.req.key, maxLength: 12})
    fc.assert(fc.property(unique.chain((items) => fc.tuple(fc.constant(items), fc.shuffledSubarray(items, {minLength: items.length, maxLength: items.length}))), ([items, shuffled]) => {
      const show = (m: Map<string, Outcome>): Record<string, unknown> =>
        Object.fromEntries([...m].sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, o]) => [k, o.ok ? o.assignment.ips.map(formatIP) : o.failure]))
      const a = planAll(DEFS, items)
      const b = planAll(DEFS, shuffled)
      expect(show(b.outcomes)).toEqual(show(a.outcomes))
      checkInvariants(a.allocator, new Map())
    }), {numRuns: 300})
  })

  it('a pass never takes a legally held address from its holder', () => {
    fc.assert(fc.property(fc.uniqueArray(request(), {selector: (r) => r.key, maxLength: 10}), (reqs) => {
      // First pass: whatever it assigns becomes the held state (what a restarted controller reads from status).
      const first = planAll(DEFS, reqs.map((r) => ({req: r, held: [], created: ''})))
      const held = (k: string) => first.allocator.assignment(k)?.ips ?? []
      // Older services that claim an address outside every pool must be moved, and must not land on a holder's address.
      const intruders: PlanItem[] = ['p', 'q', 'r'].map((n) => ({req: req(n), held: [parseIP('10.0.0.1')], created: '2000-01-01T00:00:00Z'}))
      const second = planAll(DEFS, [...intruders, ...[...reqs].reverse().map((r) => ({req: r, held: held(r.key), created: '2024-01-01T00:00:00Z'}))])
      for (const r of reqs) {
        const before = held(r.key).map(formatIP)
        if (before.length === 0) continue
        expect(second.allocator.assignment(r.key)?.ips.map(formatIP)).toEqual(before)
      }
    }), {numRuns: 300})
  })
})
