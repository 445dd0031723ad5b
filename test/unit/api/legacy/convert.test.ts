import {describe, expect, it} from 'vitest'
import {charmObjectName, LegacyConfigError, parseCharmIprange, planLegacyImport, redact} from '../../../../src/lib/api/legacy/index.js'
import {asConfigMap, DOCS_BGP, DOCS_BGP_ADVANCED, DOCS_LAYER2, EVERY_FIELD} from './fixtures.js'

const opts = {namespace: 'metallb-system', source: 'file/config.yaml'}
const plan = (text: string, force = false) => planLegacyImport(text, {...opts, force})
/** kind/name → spec (Secrets: type and data), the part of each object a table can state. */
const objects = (text: string) => Object.fromEntries(plan(text).objects.map((o) => [`${o.kind}/${o.metadata.name}`, o.kind === 'Secret' ? {type: (o as any).type, data: (o as any).data} : o.spec]))
const b64 = (s: string) => Buffer.from(s).toString('base64')

describe('legacy ConfigMap → metallb.io objects (table)', () => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    ['the docs\' layer2 example (seed)', DOCS_LAYER2, {
      'IPAddressPool/default': {addresses: ['192.168.1.240-192.168.1.250'], autoAssign: true, avoidBuggyIPs: false},
      'L2Advertisement/default': {ipAddressPools: ['default']},
    }],
    ['the docs\' BGP example (seed): no bgp-advertisements means one with the defaults', DOCS_BGP, {
      'IPAddressPool/default': {addresses: ['192.168.10.0/24'], autoAssign: true, avoidBuggyIPs: false},
      'BGPPeer/peer-10-0-0-1': {myASN: 64500, peerASN: 64501, peerAddress: '10.0.0.1'},
      'BGPAdvertisement/default': {ipAddressPools: ['default']},
    }],
    ['the docs\' advanced BGP example: two advertisements, a community alias', DOCS_BGP_ADVANCED, {
      'Community/bgp-communities': {communities: [{name: 'no-advertise', value: '65535:65282'}]},
      'IPAddressPool/default': {addresses: ['198.51.100.0/24'], autoAssign: true, avoidBuggyIPs: false},
      'BGPPeer/peer-10-0-0-1': {myASN: 64500, peerASN: 64501, peerAddress: '10.0.0.1'},
      'BGPAdvertisement/default-1': {ipAddressPools: ['default'], aggregationLength: 32, localPref: 100, communities: ['no-advertise']},
      'BGPAdvertisement/default-2': {ipAddressPools: ['default'], aggregationLength: 24},
    }],
    ['every field of the format', EVERY_FIELD, {
      'Secret/peer-198-18-0-1-password': {type: 'kubernetes.io/basic-auth', data: {password: b64('yourPassword')}},
      'BFDProfile/fast': {receiveInterval: 100, transmitInterval: 150, detectMultiplier: 5, echoInterval: 60, echoMode: false, passiveMode: false, minimumTtl: 200},
      'Community/bgp-communities': {communities: [{name: 'edge', value: '64500:100'}]},
      'IPAddressPool/public-v4': {addresses: ['203.0.113.0/24'], autoAssign: false, avoidBuggyIPs: true},
      'IPAddressPool/public-v6': {addresses: ['2001:db8:ffff::/64'], autoAssign: true, avoidBuggyIPs: false},
      'IPAddressPool/lan': {addresses: ['198.51.100.10-198.51.100.20'], autoAssign: true, avoidBuggyIPs: false},
      'BGPPeer/peer-198-18-0-1': {
        myASN: 64500, peerASN: 64501, peerAddress: '198.18.0.1', peerPort: 1179, sourceAddress: '198.18.0.10', holdTime: '120s', keepaliveTime: '30s',
        routerID: '10.10.10.10', bfdProfile: 'fast', ebgpMultiHop: true, passwordSecret: {name: 'peer-198-18-0-1-password', namespace: 'metallb-system'},
        nodeSelectors: [{matchLabels: {'kubernetes.io/hostname': 'node-1'}, matchExpressions: [{key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64']}, {key: 'example.com/edge', operator: 'DoesNotExist'}]}],
      },
      'L2Advertisement/lan': {ipAddressPools: ['lan']},
      'BGPAdvertisement/public-v4': {ipAddressPools: ['public-v4'], aggregationLength: 28, localPref: 200, communities: ['edge', '64500:7']},
      'BGPAdvertisement/public-v6': {ipAddressPools: ['public-v6'], aggregationLengthV6: 120},
    }],
    ['YAML 1.1 booleans, as gopkg.in/yaml.v2 read them', `address-pools:
- {name: a, protocol: layer2, auto-assign: no, avoid-buggy-ips: on, addresses: [203.0.113.0/28]}
- {name: b, protocol: layer2, auto-assign: Yes, avoid-buggy-ips: OFF, addresses: [203.0.113.16/28]}
`, {
      'IPAddressPool/a': {addresses: ['203.0.113.0/28'], autoAssign: false, avoidBuggyIPs: true},
      'IPAddressPool/b': {addresses: ['203.0.113.16/28'], autoAssign: true, avoidBuggyIPs: false},
      'L2Advertisement/a': {ipAddressPools: ['a']},
      'L2Advertisement/b': {ipAddressPools: ['b']},
    }],
    ['a numeric password is the string as written; ranges with spaces are normalised', `peers:
- {peer-address: "2001:db8::1", peer-asn: 65001, my-asn: 65000, password: 0x10}
address-pools:
- {name: v6, protocol: bgp, addresses: ["2001:db8:ffff::10 - 2001:db8:ffff::20"]}
`, {
      'Secret/peer-2001-db8-1-password': {type: 'kubernetes.io/basic-auth', data: {password: b64('0x10')}},
      'IPAddressPool/v6': {addresses: ['2001:db8:ffff::10-2001:db8:ffff::20'], autoAssign: true, avoidBuggyIPs: false},
      'BGPPeer/peer-2001-db8-1': {myASN: 65000, peerASN: 65001, peerAddress: '2001:db8::1', passwordSecret: {name: 'peer-2001-db8-1-password', namespace: 'metallb-system'}},
      'BGPAdvertisement/v6': {ipAddressPools: ['v6']},
    }],
  ]
  it.each(cases)('%s', (_name, text, expected) => {
    expect(objects(text)).toEqual(expected)
  })

  it('a ConfigMap object (YAML or JSON) gives the same objects as its config; other data keys are reported', () => {
    expect(objects(asConfigMap(EVERY_FIELD))).toEqual(objects(EVERY_FIELD))
    const json = JSON.stringify({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'config', namespace: 'metallb-system'}, data: {config: DOCS_BGP, notes: 'x'}})
    const p = plan(json)
    expect(p.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['IPAddressPool/default', 'BGPPeer/peer-10-0-0-1', 'BGPAdvertisement/default'])
    expect(p.warnings).toContainEqual({path: 'data.notes', message: 'ignored: MetalLB read only the `config` key, and so does the import'})
    expect(p.configMap).toEqual({namespace: 'metallb-system', name: 'config'})
  })

  it('every object is labelled, annotated with its source path, in the namespace, in apply order', () => {
    const p = plan(EVERY_FIELD)
    expect(p.objects.map((o) => o.kind)).toEqual(['Secret', 'BFDProfile', 'Community', 'IPAddressPool', 'IPAddressPool', 'IPAddressPool', 'BGPPeer', 'L2Advertisement', 'BGPAdvertisement', 'BGPAdvertisement'])
    for (const o of p.objects) {
      expect(o.metadata.namespace).toBe('metallb-system')
      expect(o.metadata.labels).toEqual({'app.kubernetes.io/managed-by': 'lbctl'})
    }
    expect(p.objects.find((o) => o.kind === 'BGPAdvertisement')!.metadata.annotations).toEqual({'lbctl.io/imported-from': 'file/config.yaml#address-pools[0].bgp-advertisements[0]'})
    expect(p.pools.map((x) => [x.legacy, x.name, x.protocol, x.advertisements])).toEqual([['public-v4', 'public-v4', 'bgp', ['public-v4']], ['public-v6', 'public-v6', 'bgp', ['public-v6']], ['lan', 'lan', 'layer2', ['lan']]])
  })

  it('what does not map one-to-one is a warning with the old path', () => {
    const p = plan(`peers:
- {peer-address: 10.0.0.1, peer-asn: 64501, my-asn: 64500, hold-time: 4500ms, keepalive-time: .5s, password: pw}
address-pools:
- {name: Public_Pool, protocol: bgp, addresses: [203.0.113.0/24], bgp-advertisements: [{communities: ["1:1", "1:1"]}, {communities: ["1:1"]}]}
- {name: lonely, protocol: layer2, addresses: ["203.0.112.0 - 203.0.112.9"]}
`)
    const renamed = p.pools[0].name
    expect(renamed).toMatch(/^public-pool-[0-9a-f]{6}$/)
    expect(p.warnings).toEqual([
      {path: 'address-pools[0].name', message: `"Public_Pool" is not a valid object name; the IPAddressPool is named "${renamed}": services annotated metallb.universe.tf/address-pool: Public_Pool must name "${renamed}" instead`},
      {path: 'address-pools[0].bgp-advertisements[1]', message: 'is the same advertisement as address-pools[0].bgp-advertisements[0]; one BGPAdvertisement is written'},
      {path: 'address-pools[1].addresses[0]', message: 'written as 203.0.112.0-203.0.112.9 (the same addresses, in canonical form)'},
      {path: 'address-pools[0].bgp-advertisements[0].communities[1]', message: 'community 1:1 is listed twice in this advertisement; written once'},
      {path: 'peers[0].hold-time', message: 'MetalLB rounded 4500ms down to 4s; written as 4s'},
      {path: 'peers[0].keepalive-time', message: 'written as 500ms (the CRD\'s duration form)'},
      {path: 'peers[0].password', message: 'moved into Secret "peer-10-0-0-1-password" (type kubernetes.io/basic-auth, key password), which BGPPeer "peer-10-0-0-1" references as passwordSecret'},
    ])
    expect(p.objects.find((o) => o.kind === 'BGPPeer')!.spec).toMatchObject({holdTime: '4s', keepaliveTime: '500ms'})
  })

  it('a bgp pool without peers is carried, with a warning', () => {
    const p = plan('address-pools: [{name: p, protocol: bgp, addresses: [203.0.113.0/24]}]')
    expect(p.warnings).toEqual([{path: 'address-pools[0].protocol', message: 'pool "p" is bgp but the configuration has no peers: its BGPAdvertisement is created, and nothing is announced until a BGPPeer exists'}])
  })

  it('an empty configuration imports nothing and says so', () => {
    expect(plan('').objects).toEqual([])
    expect(plan('{}').warnings).toEqual([{path: '(input)', message: 'the configuration is empty: there is nothing to import'}])
  })

  it('names are stable, DNS-1123 and collision-free: same-address peers, a pool named like another\'s advertisement', () => {
    const text = `peers:
- {peer-address: 10.0.0.1, peer-asn: 64501, my-asn: 64500, node-selectors: [{match-labels: {rack: a}}]}
- {peer-address: 10.0.0.1, peer-asn: 64502, my-asn: 64500, node-selectors: [{match-labels: {rack: b}}]}
address-pools:
- {name: x, protocol: bgp, addresses: [203.0.113.0/25], bgp-advertisements: [{localpref: 1}, {localpref: 2}]}
- {name: x-1, protocol: bgp, addresses: [203.0.113.128/25]}
`
    const names = plan(text).objects.map((o) => `${o.kind}/${o.metadata.name}`)
    expect(new Set(names).size).toBe(names.length)
    for (const n of names) expect(n.split('/')[1]).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
    expect(names.filter((n) => n.startsWith('BGPPeer/'))).toEqual(['BGPPeer/peer-10-0-0-1', expect.stringMatching(/^BGPPeer\/peer-10-0-0-1-[0-9a-f]{6}$/)])
    expect(names.filter((n) => n.startsWith('BGPAdvertisement/'))).toEqual(['BGPAdvertisement/x-1', 'BGPAdvertisement/x-2', expect.stringMatching(/^BGPAdvertisement\/x-1-[0-9a-f]{6}$/)])
    expect(plan(text).objects.map((o) => o.metadata.name)).toEqual(plan(text).objects.map((o) => o.metadata.name))
    const long = plan(`address-pools: [{name: "${'A'.repeat(300)}", protocol: layer2, addresses: [203.0.113.0/24]}]`).pools[0].name
    expect(long.length).toBeLessThanOrEqual(253)
    expect(long).toMatch(/^a+-[0-9a-f]{6}$/)
  })

  it('redact replaces Secret data for printing and leaves the rest', () => {
    const p = plan(EVERY_FIELD)
    const r = redact(p.objects)
    expect((r[0] as any).data).toEqual({password: '<redacted>'})
    expect(r.slice(1)).toEqual(p.objects.slice(1))
    expect((p.objects[0] as any).data.password).toBe(b64('yourPassword'))
  })
})

describe('what cannot be carried is refused unless forced', () => {
  const text = `bfd-profiles:
- {name: echo, echo-mode: true, passive-mode: true}
`
  it('refused, naming every field', () => {
    const e = (() => {
      try {
        plan(text)
      } catch (err) {
        return err as LegacyConfigError
      }
      throw new Error('not refused')
    })()
    expect(e).toBeInstanceOf(LegacyConfigError)
    expect(e.code).toBe('LEGACY_UNCARRIED')
    expect(e.path).toBe('bfd-profiles[0].echo-mode')
    expect(e.more.map((m) => m.path)).toEqual(['bfd-profiles[0].echo-mode', 'bfd-profiles[0].passive-mode'])
  })
  it('with force: carried and reported', () => {
    const p = plan(text, true)
    expect(p.objects[0].spec).toEqual({echoMode: true, passiveMode: true})
    expect(p.warnings.map((w) => w.path)).toEqual(['bfd-profiles[0].echo-mode', 'bfd-profiles[0].passive-mode'])
    expect(p.warnings[0].message).toMatch(/does not implement the echo function.*--force: kept in the BFDProfile/)
  })
})

describe('the Charmed operator\'s iprange (parsed as the charm does)', () => {
  it.each([
    // The seed's two examples.
    ['192.168.1.88-192.168.1.89', ['192.168.1.88-192.168.1.89']],
    ['192.168.1.240/28, 10.0.0.0/28', ['192.168.1.240/28', '10.0.0.0/28']],
    [' 2001:db8:ffff::/64 ,203.0.113.7 ', ['2001:db8:ffff::/64', '203.0.113.7/32']],
  ])('%s', (value, expected) => {
    expect(parseCharmIprange(value, 'metallb')).toEqual(expected)
  })
  it.each([['', 'LEGACY_MISSING', 'juju config metallb iprange'], ['192.168.1.5/24', 'LEGACY_VALUE', 'juju config metallb iprange[0]'], ['10.0.0.0/28,,', 'LEGACY_VALUE', 'juju config metallb iprange[1]']])('refuses %j', (value, code, path) => {
    expect(() => parseCharmIprange(value, 'metallb')).toThrow(expect.objectContaining({code, path}))
  })
  it('the charm names its pool and advertisement <model>-<app>', () => {
    expect(charmObjectName('metallb-system', 'metallb')).toBe('metallb-system-metallb')
  })
})

describe('hold-time 0 (no keepalives) has no metallb.io form', () => {
  const text = 'peers:\n- {peer-address: 10.0.0.1, peer-asn: 64501, my-asn: 64500, hold-time: 0s}\n'
  it('refused without force; with force the BGPPeer has no holdTime and the warning says so', () => {
    expect(() => plan(text)).toThrow(expect.objectContaining({code: 'LEGACY_UNCARRIED', path: 'peers[0].hold-time'}))
    const p = plan(text, true)
    expect(p.objects[0].spec).toEqual({myASN: 64500, peerASN: 64501, peerAddress: '10.0.0.1'})
    expect(p.warnings).toEqual([{path: 'peers[0].hold-time', message: 'a hold time of 0 (no keepalives) cannot be expressed: in the metallb.io API a zero holdTime means the default, 90s; --force: left out: the session uses the default 90s hold time'}])
  })
})
