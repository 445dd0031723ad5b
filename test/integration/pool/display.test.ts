// Issue 17: a pool's addresses are shown merged (adjacent and overlapping entries as one range or CIDR) while the spec
// stays as written; a pool advertised over BGP with no BGPPeer to tell says so (stderr, exit 0). The built binary
// against the API harness.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'
import {type Cluster, runBin, startCluster} from '../helpers.js'

describe('pool addresses shown merged, stored as written', () => {
  let c: Cluster
  const lbctl = (...args: string[]) => runBin([...args, '--kubeconfig', c.kubeconfig])
  const stored = (name: string): string[] => c.server.store.get('metallb.io/v1beta1', 'IPAddressPool', 'metallb-system', name).spec.addresses
  beforeAll(async () => {
    c = await startCluster()
  })
  afterAll(() => c.close())

  it('set with adjacent entries: the change summary, list, show and their -o wide/json/yaml forms merge; the spec keeps them', async () => {
    const set = await lbctl('pool', 'set', 'm', '203.0.113.4/30', '203.0.113.0/30', '203.0.113.20', '--advertise', 'none')
    expect(set.code, set.stderr).toBe(0)
    expect(set.stdout).toContain('+ 203.0.113.0/29')
    expect(set.stdout).not.toContain('203.0.113.4/30')
    expect(stored('m')).toEqual(['203.0.113.4/30', '203.0.113.0/30', '203.0.113.20/32'])

    const list = await lbctl('pool', 'list', '--json')
    expect(list.json.pools[0]).toMatchObject({name: 'm', addresses: ['203.0.113.0/29', '203.0.113.20/32'], addressesAsStored: ['203.0.113.4/30', '203.0.113.0/30', '203.0.113.20/32']})
    const table = await lbctl('pool', 'list')
    expect(table.stdout).toMatch(/^m\s+203\.0\.113\.0\/29,203\.0\.113\.20\/32\s/m)
    const wide = await lbctl('pool', 'list', '-o', 'wide')
    expect(wide.stdout).toContain('AS STORED')
    expect(wide.stdout).toContain('203.0.113.4/30,203.0.113.0/30,203.0.113.20/32')
    const show = await lbctl('pool', 'show', 'm')
    expect(show.stdout).toMatch(/^Addresses:\s+203\.0\.113\.0\/29, 203\.0\.113\.20\/32$/m)
    expect(show.stdout).toMatch(/^As stored:\s+203\.0\.113\.4\/30, 203\.0\.113\.0\/30, 203\.0\.113\.20\/32$/m)
    const yaml = parseYaml((await lbctl('pool', 'show', 'm', '-o', 'yaml')).stdout)
    expect(yaml.addresses).toEqual(['203.0.113.0/29', '203.0.113.20/32'])
  })

  it('add an adjacent block: one range where the entries touch, an entry nothing touches as written', async () => {
    const add = await lbctl('pool', 'add', 'm', '203.0.113.8-203.0.113.19', '--json')
    expect(add.code, add.stderr).toBe(0)
    expect(add.json.added).toEqual(['203.0.113.8-203.0.113.19'])
    const list = await lbctl('pool', 'list', '--json')
    expect(list.json.pools[0].addresses).toEqual(['203.0.113.0-203.0.113.20'])
    await lbctl('pool', 'set', 'n', '198.51.100.10-198.51.100.12', '198.51.100.40', '--advertise', 'none')
    const n = await lbctl('pool', 'show', 'n', '--json')
    // Nothing merges: shown as the user wrote it, and no "As stored" line in the text form.
    expect(n.json.addresses).toEqual(n.json.addressesAsStored)
    expect((await lbctl('pool', 'show', 'n')).stdout).not.toContain('As stored')
  })
})

describe('pool set/add --advertise bgp without a BGPPeer', () => {
  let c: Cluster
  const lbctl = (...args: string[]) => runBin([...args, '--kubeconfig', c.kubeconfig])
  beforeAll(async () => {
    c = await startCluster()
  })
  afterAll(() => c.close())

  it('warns on stderr naming `lbctl peer add`, exit 0, the pool written; stdout stays the result', async () => {
    const r = await lbctl('pool', 'set', 'b', '203.0.113.64/28', '--advertise', 'bgp')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toMatch(/Warning: pool "b" is advertised over BGP, but namespace metallb-system has no BGPPeer/)
    expect(r.stderr).toContain('lbctl peer add')
    expect(r.stdout).not.toContain('BGPPeer')
    expect(c.server.store.get('metallb.io/v1beta1', 'BGPAdvertisement', 'metallb-system', 'b')).toBeDefined()
    const j = await lbctl('pool', 'add', 'b', '203.0.113.80/28', '--advertise', 'bgp', '--json')
    expect(j.code).toBe(0)
    expect(j.json.warnings.join()).toContain('no BGPPeer')
  })

  it('says nothing once a BGPPeer exists, nor for layer 2', async () => {
    const peer = await lbctl('peer', 'add', '--peer-address', '198.18.0.1', '--peer-asn', '64513', '--my-asn', '64512')
    expect(peer.code, peer.stderr).toBe(0)
    const r = await lbctl('pool', 'add', 'b', '203.0.113.96/28', '--advertise', 'bgp')
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toContain('BGPPeer')
    const l2 = await lbctl('pool', 'set', 'l', '203.0.113.128/28', '--advertise', 'l2')
    expect(l2.stderr).not.toContain('BGPPeer')
  })
})
