// The data-loss guard, as a property: over random pools (some with entries another tool wrote that cannot be read)
// and random services holding addresses, no change planPool accepts without --force leaves a held address outside
// every pool — where "inside" also means "possibly inside an entry nobody can read".
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import type {IPAddressPool, Service} from '../../../src/lib/api/types.js'
import {planPool} from '../../../src/lib/pool/plan.js'
import {poolRanges} from '../../../src/lib/pool/usage.js'
import {findOverlaps, overlapsWithin, parseIP, tryParseAddressList} from '../../../src/lib/net/index.js'

const ip = (n: number): string => `198.18.0.${n}`
const entry = fc.oneof(
  fc.integer({min: 0, max: 60}).map((n) => ip(n)),
  fc.tuple(fc.integer({min: 0, max: 60}), fc.integer({min: 0, max: 6})).map(([a, w]) => `${ip(a)}-${ip(Math.min(255, a + w))}`),
)
const unreadable = fc.constantFrom('198.18.0.0/33', 'oops', '198.18.0.300', '198.18.0.7x')
const poolArb = (name: string) =>
  fc.tuple(fc.array(entry, {minLength: 1, maxLength: 4}), fc.array(unreadable, {maxLength: 1})).map(([good, bad]): IPAddressPool => ({
    apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name, namespace: 'ns', resourceVersion: '1'}, spec: {addresses: [...good, ...bad]},
  }))
const svc = (i: number, addr: string): Service => ({apiVersion: 'v1', kind: 'Service', metadata: {name: `s${i}`, namespace: 'default'}, status: {loadBalancer: {ingress: [{ip: addr}]}}})

function covered(addr: string, pools: IPAddressPool[]): boolean {
  const a = parseIP(addr)
  return pools.some((p) => {
    const r = poolRanges(p)
    return r.invalid.length > 0 || r.ranges.some((x) => x.family === a.family && x.start <= a.value && a.value <= x.end)
  })
}

describe('data-loss guard (property)', () => {
  it('no accepted change without --force leaves a held address outside every pool', () => {
    fc.assert(
      fc.property(poolArb('p'), poolArb('q'), fc.array(fc.integer({min: 0, max: 70}), {maxLength: 6}), fc.array(entry, {minLength: 1, maxLength: 3}), fc.boolean(), (p, q, held, next, keepBad) => {
        const services = held.map((n, i) => svc(i, ip(n)))
        const bad = (p.spec!.addresses).filter((a) => tryParseAddressList([a]).problems.length > 0)
        const addresses = [...next, ...(keepBad ? bad : [])]
        let accepted = true
        try {
          planPool({name: 'p', namespace: 'ns', existing: p, addresses, services, pools: [p, q], force: false})
        } catch (e) {
          accepted = false
          expect((e as {code?: string}).code).toMatch(/ADDRESSES_IN_USE|ADDRESSES_MAYBE_IN_USE/)
        }
        if (!accepted) return
        const after: IPAddressPool = {...p, spec: {addresses}}
        for (const s of services) {
          const addr = s.status!.loadBalancer!.ingress![0].ip!
          if (covered(addr, [p, q])) expect(covered(addr, [after, q]), `${addr} lost: ${JSON.stringify(p.spec)} → ${JSON.stringify(addresses)}`).toBe(true)
        }
      }),
      {numRuns: 2000},
    )
  })
})

describe('bounded overlap reports', () => {
  it('findOverlaps and overlapsWithin stop at the limit: n copies of one range do not make n² pairs', () => {
    const r = {family: 4 as const, start: 0n, end: 65535n}
    const items = Array.from({length: 5000}, () => ({range: r}))
    expect(findOverlaps(items, 10)).toHaveLength(10)
    expect(overlapsWithin(Array.from({length: 5000}, () => r), 3)).toHaveLength(3)
    expect(findOverlaps(items.slice(0, 4))).toHaveLength(6)
  })

  it('tryParseAddressList keeps every entry it can read next to the ones it cannot', () => {
    const {ranges, problems} = tryParseAddressList(['198.18.71.0/30', '198.18.71.9 oops'])
    expect(ranges.map((x) => x.canonical)).toEqual(['198.18.71.0/30', '198.18.71.9/32'])
    expect(problems.map((x) => x.token)).toEqual(['oops'])
  })
})
