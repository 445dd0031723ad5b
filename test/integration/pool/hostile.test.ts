// Cases found by trying lbctl as a hostile user would (issue "Hardening what exists"): pools written by other tools
// with entries that cannot be read, writers racing, names that fit for one object but not the next, inputs that
// would make the overlap report quadratic, IPv4-mapped IPv6.
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {type Cluster, lbService, runBin, snapshot, startCluster} from '../helpers.js'

const KINDS: Array<[string, string]> = [['metallb.io/v1beta1', 'IPAddressPool'], ['metallb.io/v1beta1', 'L2Advertisement'], ['metallb.io/v1beta1', 'BGPAdvertisement']]
const NS = 'metallb-system'

const pool = (name: string, addresses: string[]): Record<string, unknown> => ({
  apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name, namespace: NS}, spec: {addresses},
})

describe('lbctl pool against hostile cluster data and racing writers', () => {
  let c: Cluster
  const lbctl = (...args: string[]) => runBin([...args, '--kubeconfig', c.kubeconfig])
  beforeEach(async () => {
    c = await startCluster()
  })
  afterEach(() => c.close())

  describe('a pool with one entry that cannot be read', () => {
    beforeEach(() => {
      c.server.store.put(pool('mixed', ['198.18.71.0/30', '198.18.71.9 oops']))
      c.server.store.put(lbService('held', '198.18.71.1'))
    })

    it('pool remove refuses (exit 4) because a service holds an address in its readable part', async () => {
      const before = snapshot(c.server, KINDS)
      const r = await lbctl('pool', 'remove', 'mixed', '--json')
      expect(r.code, r.stderr).toBe(4)
      expect(r.stderr + r.stdout).toContain('default/held')
      expect(snapshot(c.server, KINDS)).toEqual(before)
    })

    it('pool set over it refuses (exit 4) instead of overwriting it silently', async () => {
      const before = snapshot(c.server, KINDS)
      const r = await lbctl('pool', 'set', '198.18.99.1', '--name', 'mixed')
      expect(r.code, r.stderr).toBe(4)
      expect(snapshot(c.server, KINDS)).toEqual(before)
    })

    it('pool show counts every entry it can read and names the one it cannot', async () => {
      const r = await lbctl('pool', 'show', 'mixed', '--json')
      expect(r.code, r.stderr).toBe(0)
      expect(r.json).toMatchObject({size: 5, inUse: 1, unreadable: ['oops']})
    })

    it('another pool over its readable addresses is refused, naming the pool', async () => {
      const before = snapshot(c.server, KINDS)
      const r = await lbctl('pool', 'add', 'other', '198.18.71.2')
      expect(r.code).toBe(2)
      expect(r.stderr).toContain('mixed')
      expect(snapshot(c.server, KINDS)).toEqual(before)
    })

    it('no other pool is written while one has an entry nobody can read: the overlap check cannot be sure', async () => {
      const r = await lbctl('pool', 'add', 'far', '198.18.200.1', '--json')
      expect(r.code).toBe(2)
      expect(r.json?.error?.code ?? r.stderr).toMatch(/POOL_UNREADABLE|cannot be read/)
      expect(r.stderr + r.stdout).toContain('"oops"')
      expect(c.server.store.get('metallb.io/v1beta1', 'IPAddressPool', NS, 'far')).toBeUndefined()
    })
  })

  it('a held address that may lie in an unreadable entry keeps that entry from being dropped without --force', async () => {
    c.server.store.put(pool('bad', ['198.18.72.0/24x', '198.18.73.0/30']))
    c.server.store.put(lbService('orphan', '198.18.72.5'))
    const before = snapshot(c.server, KINDS)
    const r = await lbctl('pool', 'remove', 'bad')
    expect(r.code, r.stderr).toBe(4)
    expect(r.stderr).toContain('198.18.72.0/24x')
    expect(r.stderr).toContain('default/orphan')
    expect(snapshot(c.server, KINDS)).toEqual(before)
    const forced = await lbctl('pool', 'remove', 'bad', '--force')
    expect(forced.code, forced.stderr).toBe(0)
    expect(c.server.store.get('metallb.io/v1beta1', 'IPAddressPool', NS, 'bad')).toBeUndefined()
  })

  it('two `pool add` of one new pool at once: both succeed and neither loses its addresses', async () => {
    c.server.faults.delay(400)
    const [a, b] = await Promise.all([lbctl('pool', 'add', 'slow1', '198.18.90.1', '--json'), lbctl('pool', 'add', 'slow1', '198.18.90.2', '--json')])
    c.server.faults.clear()
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    const p = c.server.store.get('metallb.io/v1beta1', 'IPAddressPool', NS, 'slow1')
    expect([...p.spec.addresses].sort()).toEqual(['198.18.90.1/32', '198.18.90.2/32'])
  })

  it('two overlapping pools written at once: at most one writer reports success, and no overlap is left', async () => {
    c.server.faults.delay(400)
    const [a, b] = await Promise.all([
      lbctl('pool', 'add', 'racea', '198.18.91.0/30', '--advertise', 'none', '--json'),
      lbctl('pool', 'add', 'raceb', '198.18.91.2/31', '--advertise', 'none', '--json'),
    ])
    c.server.faults.clear()
    const ok = [a, b].filter((r) => r.code === 0)
    expect(ok.length).toBeLessThanOrEqual(1)
    for (const r of [a, b].filter((x) => x.code !== 0)) expect(r.code, r.stderr).toBe(6)
    const pools = c.server.store.list('metallb.io/v1beta1', 'IPAddressPool').map((p: {metadata: {name: string}}) => p.metadata.name)
    expect(pools.filter((n: string) => n === 'racea' || n === 'raceb').length).toBe(ok.length)
  })

  it('a pool name whose advertisement name would be too long is refused before anything is written (exit 2)', async () => {
    const name = 'p'.repeat(250)
    c.server.store.put({apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: {name, namespace: NS}, spec: {ipAddressPools: ['elsewhere']}})
    const before = snapshot(c.server, KINDS)
    const r = await lbctl('pool', 'set', '198.18.92.1', '--name', name)
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain('L2Advertisement')
    expect(snapshot(c.server, KINDS)).toEqual(before)
  })

  it('the same /16 given 3,000 times is refused with a bounded report (no out-of-memory)', async () => {
    const r = await lbctl('pool', 'set', ...Array.from({length: 3000}, () => '198.18.0.0/16'), '--json')
    expect(r.code, r.stderr.slice(0, 500)).toBe(2)
    expect(r.json.error.code).toBe('OVERLAP_IN_INPUT')
    expect(r.json.error.details.overlaps.length).toBeLessThanOrEqual(10)
  })

  it('an IPv4-mapped IPv6 address is refused, naming the IPv4 address MetalLB would read', async () => {
    c.server.store.put(pool('v4', ['198.18.0.15/32']))
    const r = await lbctl('pool', 'add', 'mapped', '::ffff:198.18.0.15')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('198.18.0.15')
    expect(r.stderr).toMatch(/IPv4-mapped/)
    expect(c.server.store.get('metallb.io/v1beta1', 'IPAddressPool', NS, 'mapped')).toBeUndefined()
  })
})
