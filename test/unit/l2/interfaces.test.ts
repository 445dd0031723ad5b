import {describe, expect, it} from 'vitest'
import {parseIpAddrJson, selectInterfaces} from '../../../src/lib/l2/interfaces.js'

// Trimmed `ip -j -d addr show` output from a node: loopback, a NIC, a bridge and its member, a down NIC,
// kube-ipvs0 (NOARP dummy), a CNI veth, a wireguard tunnel.
const link = (ifindex: number, ifname: string, extra: Record<string, unknown> = {}) => ({
  ifindex, ifname, flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], operstate: 'UP', link_type: 'ether',
  address: `02:00:00:00:00:${ifindex.toString(16).padStart(2, '0')}`, addr_info: [], ...extra,
})
const JSON_OUT = JSON.stringify([
  link(1, 'lo', {flags: ['LOOPBACK', 'UP', 'LOWER_UP'], link_type: 'loopback', operstate: 'UNKNOWN',
    addr_info: [{family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host'}]}),
  link(2, 'eth0', {addr_info: [{family: 'inet', local: '198.18.30.1', prefixlen: 24, scope: 'global'},
    {family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link'}]}),
  link(3, 'br0', {linkinfo: {info_kind: 'bridge'}}),
  link(4, 'eth1', {master: 'br0', linkinfo: {info_slave_kind: 'bridge'}}),
  link(5, 'eth2', {flags: ['BROADCAST', 'MULTICAST'], operstate: 'DOWN'}),
  link(6, 'kube-ipvs0', {flags: ['BROADCAST', 'NOARP'], operstate: 'DOWN', linkinfo: {info_kind: 'dummy'}}),
  link(7, 'cali12345', {linkinfo: {info_kind: 'veth'}}),
  link(8, 'wg0', {flags: ['POINTOPOINT', 'NOARP', 'UP', 'LOWER_UP'], link_type: 'none', operstate: 'UNKNOWN'}),
  link(9, 'bond0', {flags: ['BROADCAST', 'MULTICAST', 'MASTER', 'UP', 'LOWER_UP'], linkinfo: {info_kind: 'bond'}}),
])

describe('interface selection', () => {
  const links = parseIpAddrJson(JSON_OUT)

  it('parses ip -j output, addresses included', () => {
    expect(links.find((l) => l.name === 'eth0')!.addresses).toEqual([
      {family: 4, address: '198.18.30.1', prefixLength: 24, scope: 'global'},
      {family: 6, address: 'fe80::1', prefixLength: 64, scope: 'link'},
    ])
    expect(links.find((l) => l.name === 'eth1')!.master).toBe('br0')
  })

  it('keeps NICs, bridges and bonds; skips the rest with a reason, like MetalLB', () => {
    const s = selectInterfaces(links)
    expect(s.selected.map((l) => l.name)).toEqual(['eth0', 'br0', 'bond0'])
    expect(Object.fromEntries(s.skipped.map((x) => [x.name, x.reason]))).toEqual({
      lo: 'loopback', eth1: 'member', eth2: 'down', 'kube-ipvs0': 'excluded', cali12345: 'excluded', wg0: 'noarp',
    })
  })

  it('an explicit list wins over the exclude list, but not over down/NOARP', () => {
    const s = selectInterfaces(links, {interfaces: ['cali12345', 'eth2', 'wg0']})
    expect(s.selected.map((l) => l.name)).toEqual(['cali12345'])
    expect(s.skipped.filter((x) => x.reason !== 'notListed')).toEqual([{name: 'eth2', reason: 'down'}, {name: 'wg0', reason: 'noarp'}])
  })

  it('takes a custom exclude list with globs', () => {
    expect(selectInterfaces(links, {exclude: ['eth*', 'b*']}).selected.map((l) => l.name)).toEqual(['cali12345'])
  })
})
