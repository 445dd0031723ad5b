// The BGP planner as tables: for each configuration, the sessions, the routes and the problems it must give.
import {describe, expect, it} from 'vitest'
import {planBgp} from '../../../../src/speaker/bgp/plan.js'
import {BgpProblem as P} from '../../../../src/speaker/bgp/problems.js'
import type {SpeakerState} from '../../../../src/speaker/state.js'
import {adv, bfd, community, node, peer, pool, secret, service, slice, state} from './fixtures.js'

const codes = (s: SpeakerState, addrs: string[] = []) => planBgp(s, addrs).problems.map((p) => p.code)
const onlyPeer = (s: SpeakerState, addrs: string[] = []) => {
  const p = planBgp(s, addrs)
  expect(p.peers).toHaveLength(1)
  return p.peers[0]
}

describe('BGP peers: which apply to this node, and their session settings', () => {
  it('nodeSelectors choose the nodes; no selectors means every node', () => {
    const s = state({bgpPeers: [peer('all', {}), peer('n2only', {nodeSelectors: [{matchLabels: {'kubernetes.io/hostname': 'n2'}}]}), peer('n1only', {nodeSelectors: [{matchLabels: {'kubernetes.io/hostname': 'n1'}}]})]})
    expect(planBgp(s, []).peers.map((p) => p.name)).toEqual(['all', 'n1only'])
  })

  it('maps every field the engine honours', () => {
    const s = state({
      bgpPeers: [peer('r', {peerASN: 64513, peerAddress: '198.18.0.1', sourceAddress: '198.18.0.11', peerPort: 1179, holdTime: '9s', keepaliveTime: '3s', connectTime: '2s',
        routerID: '10.0.0.1', password: 'k3y', bfdProfile: 'fast', enableGracefulRestart: true, ebgpMultiHop: false, dualStackAddressFamily: true})],
      bfdProfiles: [bfd('fast', {receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3, passiveMode: true})],
    })
    expect(onlyPeer(s)).toEqual({
      name: 'r', address: '198.18.0.1', port: 1179, myAsn: 64512, peerAsn: 64513, routerId: '10.0.0.1', sourceAddress: '198.18.0.11', holdTime: 9, keepaliveTime: 3,
      connectTime: 2, password: 'k3y', bfd: {profile: 'fast', transmitInterval: 100, receiveInterval: 100, detectMultiplier: 3, passive: true},
      gracefulRestart: true, ebgpMultiHop: false, families: [4, 6],
    })
  })

  const asns: [string, Parameters<typeof peer>[1], number | 'external' | string][] = [
    ['peerASN', {peerASN: 65001}, 65001],
    ['dynamicASN internal → our own AS', {peerASN: undefined, dynamicASN: 'internal'}, 64512],
    ['dynamicASN external → any other AS', {peerASN: undefined, dynamicASN: 'external'}, 'external'],
    ['both peerASN and dynamicASN', {peerASN: 65001, dynamicASN: 'external'}, P.ASN],
    ['no peer AS at all', {peerASN: undefined}, P.ASN],
    ['myASN 0', {myASN: 0}, P.ASN],
  ]
  for (const [name, spec, want] of asns) {
    it(`AS: ${name}`, () => {
      const s = state({bgpPeers: [peer('r', spec)]})
      if (typeof want === 'string' && want !== 'external') expect(codes(s)).toContain(want)
      else expect(onlyPeer(s).peerAsn).toBe(want)
    })
  }

  const timers: [string, Parameters<typeof peer>[1]][] = [
    ['hold time 2 s', {holdTime: '2s'}], ['hold time not whole seconds', {holdTime: '1500ms'}], ['hold time not a duration', {holdTime: 'soon'}],
    ['keepalive not below hold', {holdTime: '9s', keepaliveTime: '9s'}], ['connect time 0', {connectTime: '0s'}],
  ]
  for (const [name, spec] of timers) {
    it(`timers: ${name} → ${P.TIMER}, no session`, () => {
      const p = planBgp(state({bgpPeers: [peer('r', spec)]}), [])
      expect(p.problems.map((x) => x.code)).toContain(P.TIMER)
      expect(p.peers).toEqual([])
    })
  }
  it('defaults: hold time 90 s, port 179, the peer address family only, no BFD', () => {
    expect(onlyPeer(state())).toMatchObject({holdTime: 90, port: 179, families: [4], gracefulRestart: false})
    expect(onlyPeer(state({bgpPeers: [peer('r', {peerAddress: '2001:db8::1', disableMP: true})]})).families).toEqual([6])
    expect(codes(state({bgpPeers: [peer('r', {disableMP: true, dualStackAddressFamily: true})]}))).toEqual([P.FAMILIES])
  })

  describe('router ID without routerID: an IPv4 address of the node, as FRR and BIRD take', () => {
    it('the IPv4 source address first, then the Node\'s InternalIP, also for an IPv6 session', () => {
      expect(onlyPeer(state({bgpPeers: [peer('r', {sourceAddress: '198.18.0.99'})]})).routerId).toBe('198.18.0.99')
      expect(onlyPeer(state({bgpPeers: [peer('r', {peerAddress: '2001:db8::1'})]}), ['198.18.0.200']).routerId).toBe('198.18.0.11')
    })
    it('without a Node object, the host\'s highest address outside the service pools (a VIP on lo is not the node)', () => {
      const s = state({nodes: [], bgpPeers: [peer('r', {peerAddress: '2001:db8::1'})]})
      expect(onlyPeer(s, ['127.0.0.1', '198.18.0.5', '198.18.0.7', '203.0.113.250', '2001:db8::2']).routerId).toBe('198.18.0.7')
    })
    it('no IPv4 address anywhere → ROUTER_ID_UNKNOWN naming the fix; an explicit bad one → ROUTER_ID', () => {
      const p = planBgp(state({nodes: [node('n1', '2001:db8::11')], bgpPeers: [peer('r', {peerAddress: '2001:db8::1'})]}), ['2001:db8::11'])
      expect(p.problems).toEqual([expect.objectContaining({code: P.ROUTER_ID_UNKNOWN, object: 'BGPPeer/r', message: expect.stringContaining('set routerID')})])
      expect(codes(state({bgpPeers: [peer('r', {routerID: '127.0.0.1'})]}))).toEqual([P.ROUTER_ID])
    })
  })

  describe('passwords', () => {
    it('from a basic-auth Secret, key password', () => {
      expect(onlyPeer(state({bgpPeers: [peer('r', {passwordSecret: {name: 'bgp'}})], secrets: new Map([['bgp', secret('bgp', 's3cret')]])})).password).toBe('s3cret')
    })
    const bad: [string, Partial<SpeakerState>, Parameters<typeof peer>[1], string][] = [
      ['a missing Secret', {}, {passwordSecret: {name: 'bgp'}}, P.PASSWORD_SECRET_NOT_FOUND],
      ['an Opaque Secret', {secrets: new Map([['bgp', secret('bgp', 'x', 'Opaque')]])}, {passwordSecret: {name: 'bgp'}}, P.PASSWORD_SECRET_INVALID],
      ['a Secret in another namespace', {}, {passwordSecret: {name: 'bgp', namespace: 'other'}}, P.PASSWORD_SECRET_INVALID],
      ['both password and passwordSecret', {}, {password: 'a', passwordSecret: {name: 'bgp'}}, P.PASSWORD_BOTH],
      ['a key longer than 80 bytes', {}, {password: 'x'.repeat(81)}, P.PASSWORD_INVALID],
    ]
    for (const [name, extra, spec, code] of bad) {
      it(`${name} → ${code}, no session`, () => {
        const p = planBgp(state({bgpPeers: [peer('r', spec)], ...extra}), [])
        expect(p.problems.map((x) => x.code)).toEqual([code])
        expect(p.peers).toEqual([])
      })
    }
  })

  describe('BFD profiles', () => {
    it('an unknown profile → BFD_PROFILE_NOT_FOUND for that peer only; the others keep their sessions', () => {
      const p = planBgp(state({bgpPeers: [peer('bad', {bfdProfile: 'nope'}), peer('good', {peerAddress: '198.18.0.2'})]}), [])
      expect(p.problems).toEqual([expect.objectContaining({code: P.BFD_PROFILE_NOT_FOUND, object: 'BGPPeer/bad'})])
      expect(p.peers.map((x) => x.name)).toEqual(['good'])
    })
    it('MetalLB\'s defaults 300/300/3; echo mode is reported and the session runs without it', () => {
      const p = planBgp(state({bgpPeers: [peer('r', {bfdProfile: 'e'})], bfdProfiles: [bfd('e', {echoMode: true})]}), [])
      expect(p.problems.map((x) => [x.code, x.object])).toEqual([[P.BFD_ECHO_UNSUPPORTED, 'BFDProfile/e']])
      expect(p.peers[0].bfd).toEqual({profile: 'e', transmitInterval: 300, receiveInterval: 300, detectMultiplier: 3, passive: false})
    })
    it('with ebgpMultiHop the session runs without BFD, and says so; out-of-range intervals → BFD_PROFILE_INVALID', () => {
      const p = planBgp(state({bgpPeers: [peer('r', {bfdProfile: 'b', ebgpMultiHop: true})], bfdProfiles: [bfd('b')]}), [])
      expect(p.problems.map((x) => x.code)).toEqual([P.BFD_MULTIHOP_UNSUPPORTED])
      expect(p.peers[0]).toMatchObject({ebgpMultiHop: true})
      expect(p.peers[0].bfd).toBeUndefined()
      expect(codes(state({bgpPeers: [peer('r', {bfdProfile: 'b'})], bfdProfiles: [bfd('b', {receiveInterval: 5})]}))).toEqual([P.BFD_PROFILE_INVALID])
    })
  })

  it('what the engine cannot honour is a problem, never ignored: vrf, interface', () => {
    expect(codes(state({bgpPeers: [peer('r', {vrf: 'red'})]}))).toEqual([P.VRF_UNSUPPORTED])
    expect(codes(state({bgpPeers: [peer('r', {peerAddress: undefined, interface: 'eth0'})]}))).toEqual([P.INTERFACE_UNSUPPORTED])
    expect(planBgp(state({bgpPeers: [peer('r', {vrf: 'red'})]}), []).peers).toEqual([])
  })
})

const svcState = (o: Partial<SpeakerState> = {}) => state({services: [service('web', ['203.0.113.10'])], endpointSlices: [slice('web', ['n2'])], ...o})

describe('BGP routes: what this node announces to which peer', () => {
  it('a service address with a ready endpoint → a /32 to every peer; announcedServices names them', () => {
    const p = planBgp(svcState({bgpPeers: [peer('a', {}), peer('b', {peerAddress: '198.18.0.2'})]}), [])
    expect(p.byPeer.get('a')).toEqual([{prefix: '203.0.113.10/32'}])
    expect(p.table).toEqual([{prefix: '203.0.113.10/32', peers: ['a', 'b'], communities: []}])
    expect(p.announced).toEqual(new Map([['default/web', ['a', 'b']]]))
  })
  const none: [string, Partial<SpeakerState>][] = [
    ['no endpoints', {endpointSlices: []}],
    ['only not-ready endpoints', {endpointSlices: [slice('web', ['n1'], {ready: false})]}],
    ['externalTrafficPolicy Local with the endpoint on another node', {services: [service('web', ['203.0.113.10'], {local: true})]}],
    ['an advertisement for another node', {bgpAdvertisements: [adv('a', {nodeSelectors: [{matchLabels: {'kubernetes.io/hostname': 'n2'}}]})]}],
    ['a service selector that does not match', {bgpAdvertisements: [adv('a', {serviceSelectors: [{matchLabels: {app: 'db'}}]})]}],
    ['a pool selector that does not match', {bgpAdvertisements: [adv('a', {ipAddressPoolSelectors: [{matchLabels: {tier: 'x'}}]})]}],
    ['an address outside every pool', {services: [service('web', ['192.0.2.1'])]}],
    ['a node excluded from load balancers', {nodes: [node('n1', '198.18.0.11', {'node.kubernetes.io/exclude-from-external-load-balancers': ''})]}],
    ['a node whose network is unavailable', {nodes: [{...node('n1', '198.18.0.11'), status: {conditions: [{type: 'NetworkUnavailable', status: 'True'}]}}]}],
    ['no advertisement', {bgpAdvertisements: []}],
  ]
  for (const [name, o] of none) {
    it(`nothing announced: ${name}`, () => {
      const p = planBgp(svcState(o), [])
      expect(p.byPeer.get('r') ?? []).toEqual([])
      expect(p.announced.size).toBe(0)
    })
  }
  it('externalTrafficPolicy Local with a ready endpoint on this node → announced', () => {
    const p = planBgp(svcState({services: [service('web', ['203.0.113.10'], {local: true})], endpointSlices: [slice('web', ['n1'])]}), [])
    expect(p.byPeer.get('r')).toEqual([{prefix: '203.0.113.10/32'}])
  })
  it('selectors that match: pools by label, services by label, the advertisement\'s peers', () => {
    const s = svcState({
      pools: [pool('p', ['203.0.113.0/24'], {tier: 'web'})], services: [service('web', ['203.0.113.10'], {labels: {app: 'web'}})],
      bgpPeers: [peer('a', {}), peer('b', {peerAddress: '198.18.0.2'})],
      bgpAdvertisements: [adv('x', {ipAddressPoolSelectors: [{matchLabels: {tier: 'web'}}], serviceSelectors: [{matchLabels: {app: 'web'}}], peers: ['b']})],
    })
    const p = planBgp(s, [])
    expect(p.byPeer.get('a')).toEqual([])
    expect(p.byPeer.get('b')).toEqual([{prefix: '203.0.113.10/32'}])
  })
  it('an advertisement naming a missing pool or peer → a problem; what it names that exists still works', () => {
    const p = planBgp(svcState({bgpAdvertisements: [adv('x', {ipAddressPools: ['gone', 'default'], peers: ['ghost', 'r']})]}), [])
    expect(p.problems.map((x) => [x.code, x.object])).toEqual([[P.POOL_NOT_FOUND, 'BGPAdvertisement/x'], [P.ADV_PEER_NOT_FOUND, 'BGPAdvertisement/x']])
    expect(p.byPeer.get('r')).toEqual([{prefix: '203.0.113.10/32'}])
  })
  it('aggregationLength: services in one /24 share one route; a length shorter than the pool is refused', () => {
    const s = svcState({services: [service('web', ['203.0.113.10']), service('db', ['203.0.113.20'])], endpointSlices: [slice('web', ['n1']), slice('db', ['n1'])],
      bgpAdvertisements: [adv('agg', {aggregationLength: 24, aggregationLengthV6: 64})]})
    expect(planBgp(s, []).byPeer.get('r')).toEqual([{prefix: '203.0.113.0/24'}])
    const narrow = planBgp({...s, pools: [pool('small', ['203.0.113.0/26'])]}, [])
    expect(narrow.problems.map((x) => x.code)).toEqual([P.AGGREGATION])
    expect(narrow.byPeer.get('r')).toEqual([])
  })
  it('communities: ASN:VALUE, large:G:L1:L2 and Community aliases, merged per prefix across advertisements', () => {
    const s = svcState({
      communities: [community('c', {'no-export': '65535:65281', big: 'large:64512:1:2'})],
      bgpAdvertisements: [adv('a', {communities: ['64512:100', 'no-export']}), adv('b', {communities: ['big', '64512:100']})],
    })
    const p = planBgp(s, [])
    expect(p.problems).toEqual([])
    expect(p.byPeer.get('r')).toEqual([{prefix: '203.0.113.10/32', communities: [64512 * 65536 + 100, 0xffffff01], largeCommunities: [[64512, 1, 2]]}])
    expect(p.table[0].communities).toEqual(['64512:100', '65535:65281', 'large:64512:1:2'])
  })
  it('a community alias that does not exist → a problem; that advertisement is left out, the others announce', () => {
    const s = svcState({bgpPeers: [peer('a', {}), peer('b', {peerAddress: '198.18.0.2'})],
      bgpAdvertisements: [adv('bad', {communities: ['nope'], peers: ['a']}), adv('good', {peers: ['b']})]})
    const p = planBgp(s, [])
    expect(p.problems).toEqual([expect.objectContaining({code: P.COMMUNITY, object: 'BGPAdvertisement/bad', message: expect.stringContaining('"nope"')})])
    expect(p.byPeer.get('a')).toEqual([])
    expect(p.byPeer.get('b')).toEqual([{prefix: '203.0.113.10/32'}])
    expect(codes(svcState({bgpAdvertisements: [adv('x', {communities: ['65536:1']})]}))).toEqual([P.COMMUNITY])
  })
  it('localPref goes to iBGP peers (highest wins per prefix); toward an external peer it is left out with a warning, as MetalLB', () => {
    const s = svcState({bgpPeers: [peer('i', {}), peer('e', {peerASN: 65000, peerAddress: '198.18.0.2'})], bgpAdvertisements: [adv('a', {localPref: 150}), adv('b', {localPref: 200})]})
    const p = planBgp(s, [])
    expect(p.byPeer.get('i')).toEqual([{prefix: '203.0.113.10/32', localPref: 200}])
    expect(p.byPeer.get('e')).toEqual([{prefix: '203.0.113.10/32'}])
    expect(p.warnings).toHaveLength(2)
    expect(p.problems).toEqual([])
  })
  it('an IPv6 address no peer carries → FAMILY_NOT_ENABLED, not silently dropped; dual stack carries it', () => {
    const s = svcState({services: [service('web', ['203.0.113.10', '2001:db8:ffff::10'])]})
    const p = planBgp(s, [])
    expect(p.problems).toEqual([expect.objectContaining({code: P.FAMILY_NOT_ENABLED, object: 'BGPAdvertisement/all', message: expect.stringContaining('2001:db8:ffff::10/128')})])
    // With a peer of each family, each address goes to the peer that carries it: nothing to report.
    const both = planBgp({...s, bgpPeers: [peer('r', {}), peer('r6', {peerAddress: '2001:db8::1'})]}, [])
    expect(both.problems).toEqual([])
    expect(both.byPeer.get('r6')).toEqual([{prefix: '2001:db8:ffff::10/128'}])
    expect(p.byPeer.get('r')).toEqual([{prefix: '203.0.113.10/32'}])
    const ds = planBgp({...s, bgpPeers: [peer('r', {dualStackAddressFamily: true})]}, [])
    expect(ds.byPeer.get('r')).toEqual([{prefix: '2001:db8:ffff::10/128'}, {prefix: '203.0.113.10/32'}])
  })
})
