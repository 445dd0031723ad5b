// What /v1/l2 reports about the node's interfaces: every link with its MAC, and whether an advertisement naming it
// would be served there (the L2 engine's rule, excludes bypassed as for named interfaces).
import {describe, expect, it} from 'vitest'
import type {Link} from '../../../../src/lib/l2/interfaces.js'
import {describeLinks} from '../../../../src/speaker/diagnostics/interfaces.js'

const link = (name: string, mac: string, more: Partial<Link> = {}): Link =>
  ({index: 1, name, mac, flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], operState: 'UP', linkType: 'ether', addresses: [], ...more})

describe('describeLinks', () => {
  it('names each link with its MAC (lower case) and why one could not be served', () => {
    expect(describeLinks([
      link('eth0', '02:AA:00:00:00:01'),
      link('lo', '00:00:00:00:00:00', {flags: ['LOOPBACK', 'UP'], linkType: 'loopback'}),
      link('eth1', '02:aa:00:00:00:02', {flags: ['BROADCAST'], operState: 'DOWN'}),
      link('eth2', '02:aa:00:00:00:03', {master: 'br0'}),
      link('docker0', '02:aa:00:00:00:04'),
      link('wg0', '', {flags: ['POINTOPOINT', 'NOARP', 'UP'], linkType: 'none'}),
    ])).toEqual([
      {name: 'docker0', mac: '02:aa:00:00:00:04', state: 'usable'},
      {name: 'eth0', mac: '02:aa:00:00:00:01', state: 'usable'},
      {name: 'eth1', mac: '02:aa:00:00:00:02', state: 'down'},
      {name: 'eth2', mac: '02:aa:00:00:00:03', state: 'member'},
      {name: 'lo', mac: '00:00:00:00:00:00', state: 'loopback'},
      {name: 'wg0', mac: '', state: 'noarp'},
    ])
  })
})
