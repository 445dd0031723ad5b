// The controller's pool counters must agree with `lbctl pool list/show`, which count from status (src/lib/pool/usage.ts).
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import type {Service} from '../../../src/lib/api/types.js'
import {Allocator, compilePools} from '../../../src/lib/ipam/index.js'
import {formatIP} from '../../../src/lib/net/index.js'
import {computeUsage} from '../../../src/lib/pool/usage.js'
import {poolObj, req, svcObj} from './fixtures.js'

describe('pool counters agree with computeUsage', () => {
  it('for random pools (with avoidBuggyIPs) and allocations', () => {
    fc.assert(fc.property(
      fc.integer({min: 0, max: 600}), fc.integer({min: 0, max: 700}), fc.boolean(), fc.integer({min: 0, max: 40}), fc.integer({min: 0, max: 3}),
      (start, len, avoid, n, shareEvery) => {
        const lo = 0xcb007000 + start
        const fmt = (v: number) => formatIP({family: 4, value: BigInt(v)})
        const objs = [poolObj('v4', [`${fmt(lo)}-${fmt(lo + len)}`], {avoidBuggyIPs: avoid}), poolObj('v6', ['2001:db8:ffff::/64'])]
        const a = new Allocator(compilePools(objs).pools)
        const services: Service[] = []
        for (let i = 0; i < n; i++) {
          const sharing = shareEvery && i % shareEvery === 0 ? {'metallb.io/allow-shared-ip': 'k'} : undefined
          const o = {annotations: sharing, ports: [['TCP', 1000 + i] as [string, number]], spec: i % 3 === 0 ? {ipFamilies: ['IPv6']} : {}}
          const r = a.ensure(req(`s${i}`, o))
          services.push(svcObj(`s${i}`, {...o, ingress: r.ok ? r.assignment.ips.map(formatIP) : []}))
        }
        const usage = computeUsage(objs, services)
        for (const name of ['v4', 'v6']) {
          const c = a.counts(name)!
          const u = usage.get(name)!
          expect({size: c.size, inUse: c.assigned}).toEqual({size: u.size, inUse: u.inUse})
          expect(c.available[4] + c.assigned[4]).toBe(c.size[4])
        }
      }), {numRuns: 150})
  })
})
