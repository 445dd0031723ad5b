import {describe, expect, it} from 'vitest'
import {LegacyConfigError, planLegacyImport} from '../../../../src/lib/api/legacy/index.js'
import {asConfigMap} from './fixtures.js'

const fail = (text: string): LegacyConfigError => {
  try {
    planLegacyImport(text, {namespace: 'metallb-system', source: 'test'})
  } catch (e) {
    if (e instanceof LegacyConfigError) return e
    throw e
  }
  throw new Error('accepted')
}

const peer = (extra: string) => `peers:\n- {peer-address: 10.0.0.1, peer-asn: 64501, my-asn: 64500${extra}}\n`
const pool = (extra: string, addresses = '[203.0.113.0/24]') => `address-pools:\n- {name: p, protocol: bgp, addresses: ${addresses}${extra}}\n`

describe('bad input → a typed error naming the field path', () => {
  const cases: Array<[string, string, string, string, RegExp?]> = [
    ['not YAML', 'peers: [', 'LEGACY_NOT_YAML', '(input)'],
    ['two documents', 'peers: []\n---\npeers: []\n', 'LEGACY_NOT_YAML', '(input)'],
    ['duplicate keys', 'peers: []\npeers: []\n', 'LEGACY_NOT_YAML', '(input)'],
    ['an anchor and alias', 'address-pools:\n- &p {name: a, protocol: layer2, addresses: [203.0.113.0/24]}\n- *p\n', 'LEGACY_YAML_ALIAS', 'address-pools[0]'],
    ['an alias bomb', 'a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\n', 'LEGACY_YAML_ALIAS', 'a'],
    ['a merge key', 'address-pools:\n- <<: {name: a}\n', 'LEGACY_YAML_ALIAS', 'address-pools[0]."<<"'],
    ['a custom tag', 'peers: !!set {a}\n', 'LEGACY_YAML_TAG', 'peers'],
    ['a local tag', 'address-pools:\n- name: !secret x\n', 'LEGACY_YAML_TAG', 'address-pools[0].name'],
    ['the top level is a list', '- a\n', 'LEGACY_SHAPE', '(top level)'],
    ['peers is a map', 'peers: {a: 1}\n', 'LEGACY_SHAPE', 'peers'],
    ['addresses is a string', pool('', '"203.0.113.0/24"'), 'LEGACY_SHAPE', 'address-pools[0].addresses'],
    ['an unknown top-level field', 'pools: []\n', 'LEGACY_UNKNOWN_FIELD', 'pools'],
    ['the pre-v0.7 cidr field', 'address-pools:\n- {name: a, protocol: layer2, cidr: [203.0.113.0/24]}\n', 'LEGACY_UNKNOWN_FIELD', 'address-pools[0].cidr', /addresses/],
    ['a misspelt field', peer(', peer_port: 1'), 'LEGACY_UNKNOWN_FIELD', 'peers[0].peer_port', /peer-port/],
    ['a peer without a peer ASN', 'peers:\n- {peer-address: 10.0.0.1, my-asn: 64500}\n', 'LEGACY_MISSING', 'peers[0].peer-asn'],
    ['a peer without my ASN', 'peers:\n- {peer-address: 10.0.0.1, peer-asn: 64500}\n', 'LEGACY_MISSING', 'peers[0].my-asn'],
    ['a peer without an address', 'peers:\n- {peer-asn: 1, my-asn: 2}\n', 'LEGACY_MISSING', 'peers[0].peer-address'],
    ['a quoted ASN', 'peers:\n- {peer-address: 10.0.0.1, peer-asn: "64501", my-asn: 64500}\n', 'LEGACY_SHAPE', 'peers[0].peer-asn', /without quotes/],
    ['an ASN beyond 32 bits', 'peers:\n- {peer-address: 10.0.0.1, peer-asn: 4294967296, my-asn: 64500}\n', 'LEGACY_VALUE', 'peers[0].peer-asn'],
    ['a bad peer address', 'peers:\n- {peer-address: 10.0.0.300, peer-asn: 1, my-asn: 2}\n', 'LEGACY_VALUE', 'peers[0].peer-address'],
    ['a port beyond 16 bits', peer(', peer-port: 70000'), 'LEGACY_VALUE', 'peers[0].peer-port'],
    ['a bad source address', peer(', source-address: nope'), 'LEGACY_VALUE', 'peers[0].source-address'],
    ['a hold time without unit', peer(', hold-time: 90'), 'LEGACY_VALUE', 'peers[0].hold-time'],
    ['a hold time of 2s', peer(', hold-time: 2s'), 'LEGACY_VALUE', 'peers[0].hold-time', /RFC 4271/],
    ['a keepalive longer than the hold time', peer(', hold-time: 30s, keepalive-time: 31s'), 'LEGACY_VALUE', 'peers[0].keepalive-time'],
    ['a keepalive longer than the default hold time', peer(', keepalive-time: 2m'), 'LEGACY_VALUE', 'peers[0].keepalive-time'],
    ['an IPv6 router ID', peer(', router-id: "2001:db8::1"'), 'LEGACY_VALUE', 'peers[0].router-id'],
    ['ebgp-multihop on an iBGP peer', 'peers:\n- {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 1, ebgp-multihop: true}\n', 'LEGACY_VALUE', 'peers[0].ebgp-multihop'],
    ['a bad selector operator', peer(', node-selectors: [{match-expressions: [{key: a, operator: Gt, values: ["1"]}]}]'), 'LEGACY_VALUE', 'peers[0].node-selectors[0].match-expressions[0].operator'],
    ['In without values', peer(', node-selectors: [{match-expressions: [{key: a, operator: In}]}]'), 'LEGACY_VALUE', 'peers[0].node-selectors[0].match-expressions[0].values'],
    ['an unknown BFD profile', peer(', bfd-profile: nope'), 'LEGACY_REFERENCE', 'peers[0].bfd-profile'],
    ['a duplicate peer', 'peers:\n- {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2}\n- {peer-address: 10.0.0.1, peer-asn: 1, my-asn: 2}\n', 'LEGACY_DUPLICATE', 'peers[1]'],
    ['a pool without name', 'address-pools:\n- {protocol: layer2, addresses: [203.0.113.0/24]}\n', 'LEGACY_MISSING', 'address-pools[0].name'],
    ['a pool without protocol', 'address-pools:\n- {name: a, addresses: [203.0.113.0/24]}\n', 'LEGACY_MISSING', 'address-pools[0].protocol'],
    ['the old arp protocol', 'address-pools:\n- {name: a, protocol: arp, addresses: [203.0.113.0/24]}\n', 'LEGACY_VALUE', 'address-pools[0].protocol', /layer2/],
    ['a pool without addresses', 'address-pools:\n- {name: a, protocol: layer2}\n', 'LEGACY_MISSING', 'address-pools[0].addresses'],
    ['a bad CIDR', pool('', '[203.0.113.0/33]'), 'LEGACY_VALUE', 'address-pools[0].addresses[0]'],
    ['a single address', pool('', '[203.0.113.7]'), 'LEGACY_VALUE', 'address-pools[0].addresses[0]', /203\.0\.113\.7\/32/],
    ['an address in two pools', 'address-pools:\n- {name: a, protocol: layer2, addresses: [203.0.113.0/24]}\n- {name: b, protocol: layer2, addresses: [203.0.112.0/23]}\n', 'LEGACY_OVERLAP', 'address-pools[1].addresses[0]', /pool "a"/],
    ['an address twice in one pool', pool('', '[203.0.113.0/24, 203.0.113.9-203.0.113.10]'), 'LEGACY_OVERLAP', 'address-pools[0].addresses[1]'],
    ['two pools with one name', 'address-pools:\n- {name: a, protocol: layer2, addresses: [203.0.113.0/25]}\n- {name: a, protocol: layer2, addresses: [203.0.113.128/25]}\n', 'LEGACY_DUPLICATE', 'address-pools[1].name'],
    ['bgp-advertisements on a layer2 pool', 'address-pools:\n- {name: a, protocol: layer2, addresses: [203.0.113.0/24], bgp-advertisements: [{}]}\n', 'LEGACY_VALUE', 'address-pools[0].bgp-advertisements'],
    ['aggregation-length 33', pool(', bgp-advertisements: [{aggregation-length: 33}]'), 'LEGACY_VALUE', 'address-pools[0].bgp-advertisements[0].aggregation-length'],
    ['aggregation shorter than the pool prefix', pool(', bgp-advertisements: [{aggregation-length: 16}]'), 'LEGACY_VALUE', 'address-pools[0].bgp-advertisements[0].aggregation-length', /\/24/],
    ['aggregation-length-v6 129', pool(', bgp-advertisements: [{aggregation-length-v6: 129}]'), 'LEGACY_VALUE', 'address-pools[0].bgp-advertisements[0].aggregation-length-v6'],
    ['a negative localpref', pool(', bgp-advertisements: [{localpref: -1}]'), 'LEGACY_VALUE', 'address-pools[0].bgp-advertisements[0].localpref'],
    ['an undefined community alias', pool(', bgp-advertisements: [{communities: [nope]}]'), 'LEGACY_REFERENCE', 'address-pools[0].bgp-advertisements[0].communities[0]'],
    ['a community half beyond 16 bits', pool(', bgp-advertisements: [{communities: ["65536:1"]}]'), 'LEGACY_REFERENCE', 'address-pools[0].bgp-advertisements[0].communities[0]'],
    ['a bad bgp-communities value', 'bgp-communities: {a: "1:2:3"}\n', 'LEGACY_VALUE', 'bgp-communities.a'],
    ['a BFD profile without name', 'bfd-profiles: [{receive-interval: 100}]\n', 'LEGACY_MISSING', 'bfd-profiles[0].name'],
    ['a BFD interval below 10 ms', 'bfd-profiles: [{name: a, receive-interval: 5}]\n', 'LEGACY_VALUE', 'bfd-profiles[0].receive-interval'],
    ['a BFD multiplier of 1', 'bfd-profiles: [{name: a, detect-multiplier: 1}]\n', 'LEGACY_VALUE', 'bfd-profiles[0].detect-multiplier'],
    ['a BFD minimum TTL of 255', 'bfd-profiles: [{name: a, minimum-ttl: 255}]\n', 'LEGACY_VALUE', 'bfd-profiles[0].minimum-ttl'],
    ['two BFD profiles with one name', 'bfd-profiles: [{name: a}, {name: a}]\n', 'LEGACY_DUPLICATE', 'bfd-profiles[1].name'],
    ['a bool that is not one', pool(', auto-assign: maybe'), 'LEGACY_SHAPE', 'address-pools[0].auto-assign'],
    ['a quoted "no" (a string in YAML 1.1 too)', pool(', auto-assign: "no"'), 'LEGACY_SHAPE', 'address-pools[0].auto-assign'],
    ['a ConfigMap without data.config', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config}\ndata: {other: x}\n', 'LEGACY_MISSING', 'data.config'],
    ['a ConfigMap whose config is not YAML', asConfigMap('peers: ['), 'LEGACY_NOT_YAML', 'data.config'],
    ['another kind', 'apiVersion: apps/v1\nkind: Deployment\n', 'LEGACY_SHAPE', 'kind'],
    ['more than 1 MiB', `# ${'x'.repeat(1024 * 1024)}\n`, 'LEGACY_TOO_LARGE', '(input)'],
    ['nesting deeper than the format', `${'['.repeat(40)}${']'.repeat(40)}`, 'LEGACY_SHAPE', expect.any(String) as unknown as string],
  ]
  it.each(cases)('%s', (_name, text, code, path, message) => {
    const e = fail(text)
    expect({code: e.code, path: e.path}).toEqual({code, path})
    expect(e.message.startsWith(`${e.path}: `)).toBe(true)
    if (message) expect(`${e.message} ${e.hint ?? ''}`).toMatch(message)
  })
})
