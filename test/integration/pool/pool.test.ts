import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type Cluster, type CliResult, lbService, runBin, runInProcess, snapshot, startCluster} from '../helpers.js'
import type {PoolChangeResult, PoolDetail, PoolSummary} from '../../../src/lib/pool/ops.js'

const KINDS: Array<[string, string]> = [['metallb.io/v1beta1', 'IPAddressPool'], ['metallb.io/v1beta1', 'L2Advertisement'], ['metallb.io/v1beta1', 'BGPAdvertisement']]

const runners: Array<[string, (args: string[], kc: string) => Promise<CliResult>]> = [
  ['built binary', (args, kc) => runBin([...args, '--kubeconfig', kc])],
  ['in process', (args, kc) => runInProcess([...args, '--kubeconfig', kc])],
]

describe.each(runners)('lbctl pool (%s)', (_name, lbctl) => {
  let c: Cluster
  beforeAll(async () => {
    c = await startCluster()
    c.server.store.put(lbService('shop', '203.0.113.89'))
    c.server.store.put(lbService('dual', ['203.0.113.88', '2001:db8:ffff::1'], 'web'))
  })
  afterAll(() => c.close())

  it('set creates the pool and an L2Advertisement for it', async () => {
    const r = await lbctl(['pool', 'set', '203.0.113.88-203.0.113.89', '--json'], c.kubeconfig)
    expect(r.code, r.stderr).toBe(0)
    const res = r.json as PoolChangeResult
    expect(res).toMatchObject({pool: 'default', action: 'created', added: ['203.0.113.88/31'], advertisement: {kind: 'L2Advertisement', name: 'default', action: 'created'}})
    const pool = c.server.store.get('metallb.io/v1beta1', 'IPAddressPool', 'metallb-system', 'default')
    expect(pool.spec.addresses).toEqual(['203.0.113.88-203.0.113.89'])
    expect(c.server.store.get('metallb.io/v1beta1', 'L2Advertisement', 'metallb-system', 'default').spec.ipAddressPools).toEqual(['default'])
  })

  it('the same set again changes nothing', async () => {
    const before = snapshot(c.server, KINDS)
    const r = await lbctl(['pool', 'set', '203.0.113.88-203.0.113.89', '--json'], c.kubeconfig)
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.action).toBe('unchanged')
    expect(r.json.advertisement).toBeUndefined()
    expect(snapshot(c.server, KINDS)).toEqual(before)
  })

  it('add creates an IPv6 pool with an exact 2^64 size', async () => {
    const r = await lbctl(['pool', 'add', 'v6', '2001:db8:ffff::/64', '--no-auto-assign', '--json'], c.kubeconfig)
    expect(r.code, r.stderr).toBe(0)
    const list = await lbctl(['pool', 'list', '--json'], c.kubeconfig)
    const pools = (list.json as {pools: PoolSummary[]}).pools
    const v6 = pools.find((p) => p.name === 'v6')!
    expect(v6.size).toBe('18446744073709551616')
    expect(v6.inUse).toBe(1)
    expect(v6.autoAssign).toBe(false)
    const v4 = pools.find((p) => p.name === 'default')!
    expect(v4).toMatchObject({size: 2, inUse: 2, free: 0, advertisedBy: ['L2Advertisement/default']})
  })

  it('show lists which services hold which addresses', async () => {
    const r = await lbctl(['pool', 'show', 'default', '--json'], c.kubeconfig)
    expect(r.code, r.stderr).toBe(0)
    expect((r.json as PoolDetail).services).toEqual([
      {namespace: 'default', name: 'shop', ips: ['203.0.113.89']},
      {namespace: 'web', name: 'dual', ips: ['203.0.113.88']},
    ])
  })

  it('list prints a table', async () => {
    const r = await lbctl(['pool', 'list'], c.kubeconfig)
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+ADDRESSES\s+SIZE\s+IN USE\s+FREE\s+AUTO-ASSIGN\s+ADVERTISED BY$/)
    expect(lines.find((l) => l.startsWith('default'))).toMatch(/203\.0\.113\.88-203\.0\.113\.89\s+2\s+2\s+0\s+true\s+L2Advertisement\/default/)
  })

  it('refuses overlap with another pool, naming it, and writes nothing', async () => {
    const before = snapshot(c.server, KINDS)
    const r = await lbctl(['pool', 'set', '203.0.113.80/28', '--name', 'other', '--json'], c.kubeconfig)
    expect(r.code).toBe(2)
    expect(r.json.error.code).toBe('POOL_OVERLAP')
    expect(r.json.error.message).toContain('pool "default"')
    expect(snapshot(c.server, KINDS)).toEqual(before)
  })

  it('refuses to take held addresses away (exit 4), naming the services; --dry-run and --force', async () => {
    const before = snapshot(c.server, KINDS)
    const r = await lbctl(['pool', 'set', '203.0.113.88', '--json'], c.kubeconfig)
    expect(r.code).toBe(4)
    expect(r.json.error.code).toBe('ADDRESSES_IN_USE')
    expect(r.json.error.message).toContain('default/shop (203.0.113.89)')
    const rm = await lbctl(['pool', 'remove', 'default', '--json'], c.kubeconfig)
    expect(rm.code).toBe(4)
    expect(rm.json.error.details.services).toHaveLength(2)
    const dry = await lbctl(['pool', 'remove', 'default', '--force', '--dry-run', '--json'], c.kubeconfig)
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.json).toMatchObject({action: 'deleted', dryRun: true, advertisement: {action: 'would-delete'}})
    expect(snapshot(c.server, KINDS)).toEqual(before)
  })

  it('remove --force deletes the pool and the advertisement lbctl made', async () => {
    const r = await lbctl(['pool', 'remove', 'v6', '--force', '--json'], c.kubeconfig)
    expect(r.code, r.stderr).toBe(0)
    expect(c.server.store.get('metallb.io/v1beta1', 'IPAddressPool', 'metallb-system', 'v6')).toBeUndefined()
    expect(c.server.store.get('metallb.io/v1beta1', 'L2Advertisement', 'metallb-system', 'v6')).toBeUndefined()
    expect(c.server.store.get('metallb.io/v1beta1', 'L2Advertisement', 'metallb-system', 'default')).toBeDefined()
  })

  it('remove some addresses of a pool', async () => {
    await lbctl(['pool', 'set', '198.51.100.0/28', '--name', 'spare', '--advertise', 'none'], c.kubeconfig)
    const r = await lbctl(['pool', 'remove', 'spare', '198.51.100.8/29', '--json'], c.kubeconfig)
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.removed).toEqual(['198.51.100.8/29'])
    expect(c.server.store.get('metallb.io/v1beta1', 'IPAddressPool', 'metallb-system', 'spare').spec.addresses).toEqual(['198.51.100.0/29'])
    await lbctl(['pool', 'remove', 'spare'], c.kubeconfig)
  })

  it('warns (but proceeds) when a pool holds a node\'s address', async () => {
    c.server.store.put({apiVersion: 'v1', kind: 'Node', metadata: {name: 'worker-1'}, status: {addresses: [{type: 'InternalIP', address: '198.18.7.5'}]}})
    const r = await lbctl(['pool', 'set', '198.18.7.0/29', '--name', 'nodes', '--advertise', 'none', '--json'], c.kubeconfig)
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.warnings).toEqual(['198.18.7.5 is the InternalIP of node worker-1: a service given it would be unreachable'])
    await lbctl(['pool', 'remove', 'nodes'], c.kubeconfig)
  })

  it('show of a missing pool names the pools that exist', async () => {
    const r = await lbctl(['pool', 'show', 'nope', '--json'], c.kubeconfig)
    expect(r.code).toBe(2)
    expect(r.json.error.hint).toContain('default')
  })
})

describe('lbctl pool on clusters that cannot serve it', () => {
  it('says the CRDs are missing and how to install (exit 5)', async () => {
    const c = await startCluster({crds: false})
    try {
      const r = await runBin(['pool', 'list', '--json', '--kubeconfig', c.kubeconfig])
      expect(r.code).toBe(5)
      expect(r.json.error.code).toBe('CRDS_MISSING')
      expect(r.json.error.hint).toContain('lbctl install')
    } finally {
      await c.close()
    }
  })

  it('says the API server is unreachable, naming it (exit 3)', async () => {
    const c = await startCluster()
    await c.server.stop()
    const r = await runBin(['pool', 'list', '--json', '--kubeconfig', c.kubeconfig])
    expect(r.code).toBe(3)
    expect(r.json.error.code).toBe('UNREACHABLE')
    expect(r.json.error.message).toContain(c.server.url)
  })

  it('retries through a short burst of 503s', async () => {
    const c = await startCluster()
    try {
      c.server.faults.failNext(2, 503)
      const r = await runBin(['pool', 'list', '--json', '--kubeconfig', c.kubeconfig])
      expect(r.code, r.stderr).toBe(0)
      expect(r.json.pools).toEqual([])
    } finally {
      await c.close()
    }
  })

  it('names the verb and resource when forbidden (exit 3)', async () => {
    const c = await startCluster()
    try {
      c.server.faults.failNext(10, 403, {path: /ipaddresspools/})
      const r = await runBin(['pool', 'list', '--json', '--kubeconfig', c.kubeconfig])
      expect(r.code).toBe(3)
      expect(r.json.error.code).toBe('FORBIDDEN')
      expect(r.json.error.message).toContain('list ipaddresspools.metallb.io in namespace metallb-system')
    } finally {
      await c.close()
    }
  })
})
