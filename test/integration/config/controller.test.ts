// Issue 16, "Done when": with the controller running, services get addresses as the old rules said — an
// auto-assign: false pool serves only services that ask for it, avoid-buggy-ips skips .0 and .255, and each pool's
// protocol became the right advertisement kind.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {BGPAdvertisement, IPAddressPool, L2Advertisement} from '../../../src/lib/api/types.js'
import {advertisementsFor} from '../../../src/lib/pool/usage.js'
import {runInProcess} from '../helpers.js'
import {type Cluster, type Daemon, eventsFor, ingressOf, poolOf, startCluster, startController, svcObj, waitFor} from '../controller/helpers.js'

const LEGACY = `peers:
- {peer-address: 198.18.0.1, peer-asn: 64501, my-asn: 64500}
address-pools:
- name: buggy
  protocol: layer2
  avoid-buggy-ips: true
  addresses: [203.0.113.0-203.0.113.1, 203.0.113.254-203.0.113.255]
- name: reserved
  protocol: bgp
  auto-assign: false
  addresses: [203.0.113.16/28]
`

describe('imported pools, with the controller running', () => {
  let c: Cluster
  let ctl: Daemon
  beforeAll(async () => {
    c = await startCluster()
    const f = join(c.dir, 'config.yaml')
    writeFileSync(f, LEGACY)
    const r = await runInProcess(['config', 'import', '-f', f, '--yes', '--kubeconfig', c.kubeconfig])
    if (r.code !== 0) throw new Error(`import failed: ${r.stdout}${r.stderr}`)
    ctl = await startController(c.kubeconfig, ['--lease-duration', '2s'])
    for (const n of ['a', 'b', 'c']) c.server.store.put(svcObj(n))
    c.server.store.put(svcObj('d', {annotations: {'metallb.universe.tf/address-pool': 'reserved'}}))
  })
  afterAll(async () => {
    await ctl?.stop()
    await c?.close()
  })

  it('avoid-buggy-ips: the two services get .1 and .254, never .0 or .255; the third waits (auto-assign: false pool untouched)', async () => {
    await waitFor(() => ingressOf(c, 'a').length && ingressOf(c, 'b').length, {what: 'a and b assigned', timeout: 30_000})
    await waitFor(() => eventsFor(c, 'c').some((e) => e.reason === 'AllocationFailed'), {what: 'c to fail allocation', timeout: 30_000})
    expect(new Set([...ingressOf(c, 'a'), ...ingressOf(c, 'b')])).toEqual(new Set(['203.0.113.1', '203.0.113.254']))
    expect(ingressOf(c, 'c')).toEqual([])
    // The controller records the pool in an annotation, written after the status.
    await waitFor(() => poolOf(c, 'a') && poolOf(c, 'b'), {what: 'pool annotations'})
    expect([poolOf(c, 'a'), poolOf(c, 'b')]).toEqual(['buggy', 'buggy'])
  })

  it('a service that names the auto-assign: false pool (old annotation) gets an address from it', async () => {
    await waitFor(() => ingressOf(c, 'd').length, {what: 'd assigned', timeout: 30_000})
    const [ip] = ingressOf(c, 'd')
    expect(ip).toMatch(/^203\.0\.113\.(1[6-9]|2\d|3[01])$/)
    await waitFor(() => poolOf(c, 'd'), {what: 'pool annotation of d'})
    expect(poolOf(c, 'd')).toBe('reserved')
  })

  it('protocol per pool: layer2 → L2Advertisement, bgp → BGPAdvertisement', () => {
    const list = <T>(kind: string) => c.server.store.list('metallb.io/v1beta1', kind) as T[]
    const pools = list<IPAddressPool>('IPAddressPool')
    const by = (name: string) => advertisementsFor(pools.find((p) => p.metadata.name === name)!, list<L2Advertisement>('L2Advertisement'), list<BGPAdvertisement>('BGPAdvertisement'))
    expect(by(poolOf(c, 'a')!)).toEqual(['L2Advertisement/buggy'])
    expect(by(poolOf(c, 'd')!)).toEqual(['BGPAdvertisement/reserved'])
  })
})
