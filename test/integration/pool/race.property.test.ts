// Racing writers, as a property: two `pool set`/`pool add` runs at once, on random addresses and pool names, against
// the API harness with every request slowed so their reads and writes interleave. Neither reports success for a
// change the other has silently undone, and no overlap between pools is ever left behind.
import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {IPAddressPool} from '../../../src/lib/api/types.js'
import {Kube} from '../../../src/lib/kube/client.js'
import {tryParseAddressList} from '../../../src/lib/net/index.js'
import {changePool, type PoolChangeResult} from '../../../src/lib/pool/ops.js'
import {type Cluster, startCluster} from '../helpers.js'

const NS = 'metallb-system'
const range = fc.tuple(fc.integer({min: 0, max: 30}), fc.integer({min: 0, max: 4})).map(([a, w]) => `198.18.50.${a}-198.18.50.${a + w}`)
const writer = fc.record({name: fc.constantFrom('ra', 'rb'), mode: fc.constantFrom<'set' | 'add'>('set', 'add'), addresses: range})

const rangesOf = (addresses: string[]) => tryParseAddressList(addresses).ranges
const overlap = (a: string[], b: string[]): boolean => rangesOf(a).some((x) => rangesOf(b).some((y) => x.start <= y.end && y.start <= x.end))

describe('racing pool writers (property)', () => {
  let c: Cluster
  beforeAll(async () => {
    c = await startCluster()
  })
  afterAll(() => c.close())

  it('never both report success for conflicting changes, and never leave overlapping pools', async () => {
    await fc.assert(
      fc.asyncProperty(writer, writer, async (w1, w2) => {
        for (const p of c.server.store.list('metallb.io/v1beta1', 'IPAddressPool')) c.server.store.delete('metallb.io/v1beta1', 'IPAddressPool', NS, p.metadata.name)
        c.server.faults.delay(30)
        const run = (w: typeof w1) => changePool(Kube.connect({kubeconfig: c.kubeconfig}), NS, {...w, addresses: [w.addresses], advertise: 'none', force: false, dryRun: false})
        const [r1, r2] = await Promise.allSettled([run(w1), run(w2)])
        c.server.faults.clear()
        const ok = (r: PromiseSettledResult<PoolChangeResult>) => r.status === 'fulfilled'
        for (const r of [r1, r2]) if (r.status === 'rejected') expect((r.reason as {category?: string}).category, String(r.reason)).toMatch(/conflict|bad-input/)
        const pools = c.server.store.list('metallb.io/v1beta1', 'IPAddressPool') as IPAddressPool[]
        // No two pools overlap, whatever happened.
        for (const a of pools) for (const b of pools) if (a !== b) expect(overlap(a.spec!.addresses, b.spec!.addresses), `${a.metadata.name} ∩ ${b.metadata.name}`).toBe(false)
        if (w1.name !== w2.name && overlap([w1.addresses], [w2.addresses])) expect(ok(r1) && ok(r2)).toBe(false)
        if (w1.name === w2.name && ok(r1) && ok(r2)) {
          // Both created the same pool: one of them would have overwritten the other unseen.
          const actions = [r1, r2].map((r) => (r as PromiseFulfilledResult<PoolChangeResult>).value.action)
          expect(actions.filter((a) => a === 'created').length).toBeLessThanOrEqual(1)
          // Two adds both succeed only if the pool ends up holding what each added.
          const pool = pools.find((p) => p.metadata.name === w1.name)!
          if (w1.mode === 'add' && w2.mode === 'add') for (const w of [w1, w2]) expect(overlap(pool.spec!.addresses, [w.addresses])).toBe(true)
        }
      }),
      {numRuns: 25},
    )
  })
})
