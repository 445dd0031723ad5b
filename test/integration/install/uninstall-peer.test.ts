import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {UninstallResult} from '../../../src/lib/install/uninstall.js'
import type {PeerDetail, PeerSummary} from '../../../src/lib/peer/ops.js'
import {lbService} from '../helpers.js'
import {type InstallCluster, revision, settle, startInstallCluster, writeFile} from './setup.js'

const NS = 'metallb-system'

describe('lbctl peer add|list|show|remove', () => {
  let c: InstallCluster
  beforeAll(async () => {
    c = await startInstallCluster({crds: true})
    c.server.store.put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: NS}})
  })
  afterAll(() => c.close())

  it('adds a peer with its password in a Secret; list and show say where the password is, never what', async () => {
    const pw = 'peer-pw-0123'
    const r = await c.bin(['peer', 'add', '--peer-name', 'tor', '--peer-address', '198.18.0.1', '--peer-asn', '64500', '--my-asn', '64512', '--hold-time', '30s', '--json'], {LBCTL_BGP_PASSWORD: pw})
    expect(r.code, r.stderr).toBe(0)
    expect(r.json).toMatchObject({peer: 'tor', action: 'created', passwordSecret: {name: 'tor-bgp-password', action: 'applied'}})
    expect(c.server.store.get('metallb.io/v1beta2', 'BGPPeer', NS, 'tor').spec).toMatchObject({holdTime: '30s', passwordSecret: {name: 'tor-bgp-password'}})
    const list = await c.lbctl(['peer', 'list', '--json'])
    expect((list.json.peers as PeerSummary[])[0]).toMatchObject({name: 'tor', address: '198.18.0.1', asn: 64500, myAsn: 64512, password: 'secret tor-bgp-password'})
    const table = await c.lbctl(['peer', 'list'])
    expect(table.stdout).toMatch(/^NAME\s+ADDRESS\s+PEER ASN\s+MY ASN\s+PASSWORD/)
    const show = await c.lbctl(['peer', 'show', 'tor', '-o', 'yaml'])
    expect((await c.lbctl(['peer', 'show', 'tor', '--json'])).json as PeerDetail).toMatchObject({holdTime: '30s'})
    for (const out of [r.stdout, r.stderr, list.stdout, table.stdout, show.stdout]) {
      expect(out).not.toContain(pw)
      expect(out).not.toContain(Buffer.from(pw).toString('base64'))
    }
  })

  it('the same add again changes nothing; a second peer on the same address is refused', async () => {
    const before = revision(c.server)
    const again = await c.lbctl(['peer', 'add', '--peer-name', 'tor', '--peer-address', '198.18.0.1', '--peer-asn', '64500', '--my-asn', '64512', '--hold-time', '30s', '--json'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.json.action).toBe('unchanged')
    const dup = await c.lbctl(['peer', 'add', '--peer-address', '198.18.0.1', '--peer-asn', '64501', '--my-asn', '64512', '--json'])
    expect(dup.code).toBe(6)
    expect(dup.json.error.message).toContain('"tor" already has address 198.18.0.1')
    expect(revision(c.server)).toBe(before)
  })

  it.each([
    [['--peer-asn', '0'], 'BAD_ASN'], [['--peer-asn', '4294967295'], 'BAD_ASN'], [['--hold-time', '2s'], 'BAD_HOLD_TIME'],
    [['--keepalive-time', '90s'], 'BAD_KEEPALIVE_TIME'], [['--password-file', '/nonexistent/pw'], 'PASSWORD_FILE'],
  ])('refuses %j with %s, writing nothing', async (extra, code) => {
    const before = revision(c.server)
    const args = ['peer', 'add', '--peer-address', '198.18.0.9', '--peer-asn', '64500', '--my-asn', '64512']
    const i = args.indexOf(extra[0])
    if (i >= 0) args.splice(i, 2)
    const r = await c.lbctl([...args, ...extra, '--json'])
    expect(r.code).toBe(2)
    expect(r.json.error.code).toBe(code)
    expect(revision(c.server)).toBe(before)
  })

  it('remove deletes the peer and the Secret lbctl made for it; an unknown peer is named', async () => {
    const missing = await c.lbctl(['peer', 'remove', 'nope', '--json'])
    expect(missing.code).toBe(2)
    expect(missing.json.error.hint).toContain('tor')
    const r = await c.lbctl(['peer', 'remove', 'tor', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.passwordSecret).toEqual({name: 'tor-bgp-password', action: 'deleted'})
    expect(c.server.store.get('metallb.io/v1beta2', 'BGPPeer', NS, 'tor')).toBeUndefined()
    expect(c.server.store.get('v1', 'Secret', NS, 'tor-bgp-password')).toBeUndefined()
  })
})

describe('lbctl uninstall', () => {
  let c: InstallCluster
  beforeAll(async () => {
    c = await startInstallCluster()
    const pw = writeFile(c.dir, 'pw', 'x')
    const r = await c.lbctl(['install', '--mode', 'bgp', '--pool', '203.0.113.0/28', '--peer-address', '198.18.0.1', '--peer-asn', '64500', '--my-asn', '64512', '--password-file', pw, '--json'])
    if (r.code !== 0) throw new Error(r.stderr)
    c.server.store.put(lbService('shop', '203.0.113.3'))
    c.server.store.put(lbService('elsewhere', '198.51.100.1'))
    await settle(c.server)
  })
  afterAll(() => c.close())

  it('refuses while services hold addresses, listing them (exit 4), removing nothing', async () => {
    const before = revision(c.server)
    const r = await c.bin(['uninstall', '--json'])
    expect(r.code).toBe(4)
    expect(r.json.error.message).toContain('default/shop (203.0.113.3)')
    expect(r.json.error.message).not.toContain('elsewhere')
    expect(revision(c.server)).toBe(before)
  })

  it('--dry-run --force lists everything in the safe order and removes nothing', async () => {
    const before = revision(c.server)
    const r = await c.lbctl(['uninstall', '--dry-run', '--force', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const kinds = (r.json as UninstallResult).removed.map((o) => o.kind)
    expect(kinds.slice(0, 2)).toEqual(['DaemonSet', 'Deployment'])
    expect(kinds.indexOf('IPAddressPool')).toBeLessThan(kinds.indexOf('CustomResourceDefinition'))
    expect(kinds.at(-1)).toBe('Namespace')
    expect(r.json.servicesLosingAddresses).toEqual([{namespace: 'default', name: 'shop', ips: ['203.0.113.3']}])
    expect(revision(c.server)).toBe(before)
  })

  it('--keep-crds --force removes the workloads and access, keeping CRDs, pools, peers and their passwords', async () => {
    const r = await c.lbctl(['uninstall', '--keep-crds', '--force', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(c.server.store.get('apps/v1', 'DaemonSet', NS, 'lbctl-speaker')).toBeUndefined()
    expect(c.server.store.get('rbac.authorization.k8s.io/v1', 'ClusterRole', undefined, 'lbctl-metallb-system-speaker')).toBeUndefined()
    expect(c.server.store.get('v1', 'Secret', NS, 'memberlist')).toBeUndefined()
    expect(c.server.store.get('metallb.io/v1beta1', 'IPAddressPool', NS, 'default')).toBeDefined()
    expect(c.server.store.get('v1', 'Secret', NS, 'peer-198-18-0-1-bgp-password')).toBeDefined()
    expect(c.server.store.get('apiextensions.k8s.io/v1', 'CustomResourceDefinition', undefined, 'ipaddresspools.metallb.io')).toBeDefined()
  })

  it('--force removes everything lbctl made; install works again afterwards', async () => {
    const r = await c.lbctl(['uninstall', '--force', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const left = ['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'].flatMap((k) =>
      c.server.store.list(k === 'CustomResourceDefinition' ? 'apiextensions.k8s.io/v1' : 'rbac.authorization.k8s.io/v1', k).map((o: any) => o.metadata.name))
    expect(left.filter((n: string) => /lbctl|metallb/.test(n))).toEqual([])
    expect(c.server.store.get('v1', 'Namespace', undefined, NS)?.metadata.deletionTimestamp ?? 'gone').toBeTruthy()
    const again = await c.lbctl(['uninstall', '--json'])
    expect(again.code, again.stderr).toBe(0)
  })
})

describe('lbctl pool set on a cluster lbctl did not install (upstream MetalLB: no lbctl-install record)', () => {
  let c: InstallCluster
  beforeAll(async () => (c = await startInstallCluster({crds: true, objects: [
    {apiVersion: 'v1', kind: 'Namespace', metadata: {name: NS}},
    {apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: {name: 'theirs', namespace: NS}, spec: {ipAddressPools: ['old']}},
  ]})))
  afterAll(() => c.close())

  it('follows the advertisements that exist (only BGP ones → a BGPAdvertisement)', async () => {
    const r = await c.lbctl(['pool', 'set', '203.0.113.0/28', '--name', 'fresh', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.advertisement).toMatchObject({kind: 'BGPAdvertisement', name: 'fresh'})
  })

  it('with both kinds present it uses layer 2 and says so', async () => {
    c.server.store.put({apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: {name: 'l2', namespace: NS}, spec: {ipAddressPools: ['old']}})
    const r = await c.lbctl(['pool', 'set', '203.0.113.32/28', '--name', 'fresh2', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.advertisement).toMatchObject({kind: 'L2Advertisement'})
    expect(r.json.warnings.join('\n')).toContain('choose with --advertise')
  })
})
