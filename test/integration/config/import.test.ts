// Issue 16: `lbctl config import` against the API server harness with the metallb.io CRDs — the produced objects pass
// the CRD schemas, the import is idempotent, bad input exits 2 naming the field and applies nothing.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import {parseAllDocuments} from 'yaml'
import {type Cluster, lbService, runBin, runInProcess, snapshot, startCluster} from '../helpers.js'
import {asConfigMap, DOCS_BGP_ADVANCED, EVERY_FIELD} from '../../unit/api/legacy/fixtures.js'

const KINDS: Array<[string, string]> = [
  ['metallb.io/v1beta1', 'IPAddressPool'], ['metallb.io/v1beta1', 'L2Advertisement'], ['metallb.io/v1beta1', 'BGPAdvertisement'], ['metallb.io/v1beta2', 'BGPPeer'],
  ['metallb.io/v1beta1', 'Community'], ['metallb.io/v1beta1', 'BFDProfile'], ['v1', 'Secret'],
]
const NS = 'metallb-system'

describe('lbctl config import (API harness with CRDs)', () => {
  let c: Cluster
  const file = (name: string, text: string) => {
    const p = join(c.dir, name)
    writeFileSync(p, text)
    return p
  }
  const lbctl = (args: string[]) => runInProcess(['config', 'import', ...args, '--kubeconfig', c.kubeconfig, '--json'])
  const get = (apiVersion: string, kind: string, name: string) => c.server.store.get(apiVersion, kind, NS, name)
  // One harness for the file: creating the CRDs again after an in-process oclif run overflows the stack in the
  // harness's CEL compiler, so each test removes what it made instead.
  beforeAll(async () => {
    c = await startCluster()
  })
  afterAll(() => c.close())
  afterEach(() => {
    for (const [apiVersion, kind] of [...KINDS, ['v1', 'ConfigMap'], ['v1', 'Service']] as Array<[string, string]>) {
      for (const o of c.server.store.list(apiVersion, kind)) c.server.store.delete(apiVersion, kind, o.metadata.namespace, o.metadata.name)
    }
  })

  it('applies every field\'s objects (the CRD schemas accept them); a second run changes nothing', async () => {
    const f = file('config.yaml', asConfigMap(EVERY_FIELD))
    const r = await lbctl(['-f', f, '--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.objects.map((o: {kind: string; name: string; action: string}) => `${o.kind}/${o.name}:${o.action}`)).toEqual([
      'Secret/peer-198-18-0-1-password:created', 'BFDProfile/fast:created', 'Community/bgp-communities:created', 'IPAddressPool/public-v4:created',
      'IPAddressPool/public-v6:created', 'IPAddressPool/lan:created', 'BGPPeer/peer-198-18-0-1:created', 'L2Advertisement/lan:created',
      'BGPAdvertisement/public-v4:created', 'BGPAdvertisement/public-v6:created',
    ])
    expect(get('metallb.io/v1beta2', 'BGPPeer', 'peer-198-18-0-1').spec).toMatchObject({myASN: 64500, peerASN: 64501, peerPort: 1179, holdTime: '120s', bfdProfile: 'fast', passwordSecret: {name: 'peer-198-18-0-1-password'}})
    const secret = get('v1', 'Secret', 'peer-198-18-0-1-password')
    expect(secret.type).toBe('kubernetes.io/basic-auth')
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe('yourPassword')
    expect(get('metallb.io/v1beta1', 'IPAddressPool', 'public-v4').spec).toEqual({addresses: ['203.0.113.0/24'], autoAssign: false, avoidBuggyIPs: true})
    expect(get('metallb.io/v1beta1', 'BGPAdvertisement', 'public-v4').spec).toEqual({ipAddressPools: ['public-v4'], aggregationLength: 28, localPref: 200, communities: ['edge', '64500:7'], aggregationLengthV6: 128})
    // The password is never printed, not even in --json.
    expect(r.stdout).not.toContain(Buffer.from('yourPassword').toString('base64'))

    const before = snapshot(c.server, KINDS)
    const again = await lbctl(['-f', f, '--yes'])
    expect(again.code, again.stderr).toBe(0)
    expect(new Set(again.json.objects.map((o: {action: string}) => o.action))).toEqual(new Set(['unchanged']))
    expect(snapshot(c.server, KINDS)).toEqual(before)
  })

  it('the harness does enforce the schemas: an object the import would never make is refused (422)', async () => {
    const f = file('bad.yaml', `---\napiVersion: metallb.io/v1beta1\nkind: BGPAdvertisement\nmetadata: {name: x, namespace: ${NS}}\nspec: {aggregationLength: 33}\n`)
    const {execFile} = await import('node:child_process')
    const out = await new Promise<{code: number; err: string}>((resolve) => execFile('kubectl', ['apply', '--server-side', '-f', f], {env: {...process.env, KUBECONFIG: c.kubeconfig}}, (e, _o, err) => resolve({code: e ? Number(e.code ?? 1) : 0, err})))
    expect(out.code).not.toBe(0)
    expect(out.err).toMatch(/aggregationLength/)
  })

  it('--dry-run -o yaml prints the objects, Secret data redacted, and applies nothing', async () => {
    const f = file('config.yaml', EVERY_FIELD)
    const r = await runInProcess(['config', 'import', '-f', f, '--dry-run', '-o', 'yaml', '--kubeconfig', c.kubeconfig])
    expect(r.code, r.stderr).toBe(0)
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS())
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toContain('IPAddressPool/public-v4')
    expect(docs.find((d) => d.kind === 'Secret').data).toEqual({password: '<redacted>'})
    expect(r.stdout).not.toContain('yourPassword')
    const json = await runInProcess(['config', 'import', '-f', f, '--dry-run', '-o', 'json', '--kubeconfig', c.kubeconfig])
    expect(JSON.parse(json.stdout)).toMatchObject({apiVersion: 'v1', kind: 'List', items: docs})
    expect(snapshot(c.server, KINDS)).toEqual({})
  })

  it('--from-cluster reads ConfigMap config from the namespace', async () => {
    c.server.store.put({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'config', namespace: NS}, data: {config: DOCS_BGP_ADVANCED}})
    const r = await lbctl(['--from-cluster', '--yes'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.source).toBe(`configmap:${NS}/config`)
    expect(get('metallb.io/v1beta1', 'Community', 'bgp-communities').spec).toEqual({communities: [{name: 'no-advertise', value: '65535:65282'}]})
    expect(get('metallb.io/v1beta1', 'BGPAdvertisement', 'default-2').spec).toMatchObject({ipAddressPools: ['default'], aggregationLength: 24})
    expect(get('metallb.io/v1beta1', 'BGPAdvertisement', 'default-1').metadata.annotations).toEqual({'lbctl.io/imported-from': `configmap:${NS}/config#address-pools[0].bgp-advertisements[0]`})
  })

  it('bad input → exit 2 naming the field path, nothing applied (the built binary)', async () => {
    c.server.store.put({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'other', namespace: NS}, spec: {addresses: ['203.0.113.128/25']}})
    const before = snapshot(c.server, KINDS)
    const cases: Array<[string, string, string]> = [
      ['peers: [\n', 'LEGACY_NOT_YAML', ''],
      ['peers:\n- {peer-address: 10.0.0.1, my-asn: 64500}\naddress-pools: [{name: a, protocol: bgp, addresses: [203.0.113.0/26]}]\n', 'LEGACY_MISSING', 'peers[0].peer-asn'],
      ['address-pools:\n- {name: a, protocol: layer2, addresses: [203.0.113.0/26]}\n- {name: b, protocol: layer2, addresses: [203.0.113.32/27]}\n', 'LEGACY_OVERLAP', 'address-pools[1].addresses[0]'],
      ['address-pools: {name: a}\n', 'LEGACY_SHAPE', 'address-pools'],
      ['x: &a 1\ny: *a\n', 'LEGACY_YAML_ALIAS', 'x'],
      ['address-pools:\n- {name: a, protocol: layer2, addresses: [203.0.113.0/26]}\n- {name: b, protocol: layer2, addresses: [203.0.113.200/29]}\n', 'POOL_OVERLAP', ''],
    ]
    for (const [i, [text, code, path]] of cases.entries()) {
      // The first through the built binary, as a user runs it; the rest in process (the same bundle), for speed.
      const args = ['config', 'import', '-f', file('in.yaml', text), '--yes', '--json', '--kubeconfig', c.kubeconfig]
      const r = i === 1 ? await runBin(args) : await runInProcess(args)
      expect(r.code, `${code}: ${r.stdout}${r.stderr}`).toBe(2)
      expect(r.json.error.code).toBe(code)
      if (path) expect(r.json.error.details.path).toBe(path)
      if (path) expect(r.json.error.message).toContain(path)
    }
    const human = await runBin(['config', 'import', '-f', file('in.yaml', cases[1][0]), '--yes', '--kubeconfig', c.kubeconfig])
    expect(human.code).toBe(2)
    expect(human.stderr).toContain('peers[0].peer-asn: is missing')
    expect(snapshot(c.server, KINDS)).toEqual(before)
  })

  it('refuses to take addresses services hold (exit 4) unless --force; refuses BFD echo unless --force', async () => {
    c.server.store.put({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'default', namespace: NS}, spec: {addresses: ['203.0.113.0/24']}})
    c.server.store.put(lbService('web', '203.0.113.200'))
    const f = file('in.yaml', 'address-pools: [{name: default, protocol: layer2, addresses: [203.0.113.0/25]}]\n')
    const before = snapshot(c.server, KINDS)
    const r = await lbctl(['-f', f, '--yes'])
    expect(r.code).toBe(4)
    expect(r.json.error.code).toBe('ADDRESSES_IN_USE')
    expect(snapshot(c.server, KINDS)).toEqual(before)
    const forced = await lbctl(['-f', f, '--yes', '--force'])
    expect(forced.code, forced.stderr).toBe(0)
    expect(get('metallb.io/v1beta1', 'IPAddressPool', 'default').spec.addresses).toEqual(['203.0.113.0/25'])
    expect(forced.json.warnings.join('\n')).toContain('IPAddressPool "default" exists already and was not made by lbctl')

    const echo = file('echo.yaml', 'bfd-profiles: [{name: e, echo-mode: true}]\n')
    const refused = await lbctl(['-f', echo, '--yes'])
    expect(refused.code).toBe(2)
    expect(refused.json.error).toMatchObject({code: 'LEGACY_UNCARRIED', details: {path: 'bfd-profiles[0].echo-mode'}})
    const carried = await lbctl(['-f', echo, '--yes', '--force'])
    expect(carried.code, carried.stderr).toBe(0)
    expect(get('metallb.io/v1beta1', 'BFDProfile', 'e').spec).toMatchObject({echoMode: true})
  })

  it('without a terminal and without --yes it asks for --yes and changes nothing', async () => {
    const r = await lbctl(['-f', file('in.yaml', 'address-pools: [{name: a, protocol: layer2, addresses: [203.0.113.0/26]}]\n')])
    expect(r.code).toBe(2)
    expect(r.json.error.code).toBe('CONFIRMATION_REQUIRED')
    expect(snapshot(c.server, KINDS)).toEqual({})
  })
})

describe('lbctl config import on a cluster without the metallb.io CRDs', () => {
  it('--dry-run still shows the objects (checks skipped, said so); applying needs the CRDs (exit 5)', async () => {
    const c = await startCluster({crds: false})
    try {
      const f = join(c.dir, 'config.yaml')
      writeFileSync(f, DOCS_BGP_ADVANCED)
      const dry = await runInProcess(['config', 'import', '-f', f, '--dry-run', '--json', '--kubeconfig', c.kubeconfig])
      expect(dry.code, dry.stderr).toBe(0)
      expect(dry.json).toMatchObject({checked: false, dryRun: true})
      expect(dry.json.warnings.join('\n')).toMatch(/could not be checked.*CRDs are not installed/)
      const real = await runInProcess(['config', 'import', '-f', f, '--yes', '--json', '--kubeconfig', c.kubeconfig])
      expect(real.code).toBe(5)
      expect(real.json.error.code).toBe('CRDS_MISSING')
    } finally {
      await c.close()
    }
  })
})
