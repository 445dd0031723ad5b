// BgpSpeaker itself (no daemon, no API server) against real routers: the routing behaviour in detail. The daemon-level
// test is bgp.test.ts.
// BgpSpeaker in three node namespaces on one LAN, with FRR (zebra, bgpd, bfdd) as the router and GoBGP as a second
// one: routes with their communities and local preference, ECMP across the nodes, withdrawal on service removal and on
// node loss through BFD (3 × 100 ms, while the hold time is 90 s), MD5 from a Secret, a wrong AS in the status as the
// decoded NOTIFICATION, and bad configuration reported while the rest keeps working.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {SpeakerState} from '../../../src/speaker/state.js'
import {BgpProblem as P} from '../../../src/speaker/bgp/problems.js'
import {Frr, until} from '../../harness/lab/frr.js'
import {GoBgp, gobgpConf} from '../../harness/lab/gobgp.js'
import {cleanupStale, Lab, type LabNode, requireLab} from '../../harness/lab/index.js'
import {adv, bfd, community, node, peer, pool, secret, service, slice, state} from '../../unit/speaker/bgp/fixtures.js'
import {routerConf, type Runner, runSpeaker} from './bgp-helpers.js'

const PREFIX = 'spb'
const R4 = '198.18.40.1'
const G4 = '198.18.40.2'
const R6 = '2001:db8:40::1'
const NODES = ['n1', 'n2', 'n3'] as const
const ip4 = (i: number) => `198.18.40.${11 + i}`
const ip6 = (i: number) => `2001:db8:40::${11 + i}`

function clusterState(name: string, o: {services?: string[]; myAsn?: number} = {}): SpeakerState {
  const svcs = o.services ?? ['web', 'web6', 'local']
  const all = [service('web', ['203.0.113.10']), service('web6', ['2001:db8:ffff::10']), service('local', ['203.0.113.20'], {local: true})].filter((s) => svcs.includes(s.metadata.name))
  return state({
    node: name, nodes: NODES.map((n, i) => node(n, ip4(i))),
    pools: [pool('default', ['203.0.113.0/24', '2001:db8:ffff::/48'])],
    services: all, endpointSlices: [slice('web', [...NODES]), slice('web6', [...NODES]), slice('local', ['n2'])],
    bgpPeers: [
      peer('frr', {myASN: o.myAsn ?? 64512, peerASN: 64512, peerAddress: R4, passwordSecret: {name: 'bgp-auth'}, bfdProfile: 'fast'}),
      peer('frr6', {myASN: o.myAsn ?? 64512, peerASN: 64512, peerAddress: R6, passwordSecret: {name: 'bgp-auth'}}),
      peer('gobgp', {myASN: 64512, peerASN: 64513, peerAddress: G4}),
      peer('broken', {peerASN: 64512, peerAddress: '198.18.40.3', bfdProfile: 'no-such-profile'}),
    ],
    bfdProfiles: [bfd('fast', {receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3})],
    communities: [community('aliases', {'web-alias': '64512:200'})],
    bgpAdvertisements: [
      adv('main', {ipAddressPools: ['default'], communities: ['64512:100', 'large:64512:1:2', 'web-alias'], localPref: 150}),
      adv('missing-pool', {ipAddressPools: ['no-such-pool'], communities: ['64512:999']}),
      adv('bad-alias', {communities: ['no-such-alias']}),
    ],
    secrets: new Map([['bgp-auth', secret('bgp-auth', 'lab-s3cret')]]),
  })
}

const paths = async (f: Frr, afi: 'ipv4' | 'ipv6', prefix: string): Promise<any[]> => (await f.json(`show bgp ${afi} unicast ${prefix} json`)).paths ?? []
const nexthops = (ps: any[]) => ps.map((p) => (p.nexthops as any[])[0].ip).sort()

describe.runIf(requireLab(['bgpd', 'bfdd', 'zebra', 'vtysh', 'gobgpd', 'gobgp']))('speaker BGP: three nodes, FRR and GoBGP routers', () => {
  let lab: Lab
  let r: LabNode
  let g: LabNode
  const nodes: LabNode[] = []
  const runners: Runner[] = []
  let frr: Frr
  let gobgp: GoBgp
  beforeAll(async () => {
    lab = await Lab.create(PREFIX)
    const br = await lab.addBridge('lan')
    r = await lab.addNode('r', {bridge: br, ipv4: `${R4}/24`, ipv6: `${R6}/64`})
    g = await lab.addNode('g', {bridge: br, ipv4: `${G4}/24`})
    for (const [i, n] of NODES.entries()) nodes.push(await lab.addNode(n, {bridge: br, ipv4: `${ip4(i)}/24`, ipv6: `${ip6(i)}/64`}))
    const conf = routerConf({asn: 64512, routerId: R4, nodes4: NODES.map((_, i) => ip4(i)), nodes6: NODES.map((_, i) => ip6(i)), password: 'lab-s3cret', bfd: true})
    frr = await Frr.start(r, conf.bgp, conf.bfd, {zebra: true})
    gobgp = await GoBgp.start(g, gobgpConf({asn: 64513, routerId: G4, neighbors: NODES.map((_, i) => ({address: ip4(i), peerAs: 64512}))}))
    for (const [i, n] of nodes.entries()) {
      const run = await runSpeaker(n)
      runners.push(run)
      run.apply(clusterState(NODES[i]), [ip4(i), ip6(i)])
    }
  })
  afterAll(async () => {
    await Promise.all(runners.map((x) => x.stop()))
    await frr?.stop()
    await gobgp?.stop()
    await lab?.destroy()
    cleanupStale(PREFIX)
  })

  it('bad configuration is reported by every node while the rest keeps working', async () => {
    for (const run of runners) {
      await until('applied', async () => run.applied.length > 0)
      const codes = run.applied[0].map((p) => `${p.code} ${p.object}`).sort()
      expect(codes).toEqual([`${P.COMMUNITY} BGPAdvertisement/bad-alias`, `${P.POOL_NOT_FOUND} BGPAdvertisement/missing-pool`, `${P.BFD_PROFILE_NOT_FOUND} BGPPeer/broken`].sort())
    }
  })

  it('FRR learns every address from every node with communities and local preference (MD5 from a Secret), ECMP over the three nodes', async () => {
    const v4 = await until('three paths for 203.0.113.10', async () => {
      const ps = await paths(frr, 'ipv4', '203.0.113.10/32')
      return ps.length === 3 ? ps : undefined
    }, 30_000)
    expect(nexthops(v4)).toEqual(NODES.map((_, i) => ip4(i)))
    for (const p of v4) {
      expect(p.community.string).toBe('64512:100 64512:200')
      expect(p.largeCommunity.string).toBe('64512:1:2')
      expect(p.locPrf).toBe(150)
    }
    // zebra installs one route with a next hop per node (it follows bgpd's table a moment later: wait for it).
    const ribHops = await until('zebra to install the route with three next hops', async () => {
      const rib = await frr.json('show ip route 203.0.113.10/32 json')
      const hops = ((rib['203.0.113.10/32']?.[0]?.nexthops ?? []) as any[]).map((n) => n.ip).sort()
      return hops.length === 3 ? hops : undefined
    })
    expect(ribHops).toEqual(NODES.map((_, i) => ip4(i)))
    const v6 = await until('three IPv6 paths', async () => {
      const ps = await paths(frr, 'ipv6', '2001:db8:ffff::10/128')
      return ps.length === 3 ? ps : undefined
    })
    expect(v6.every((p) => p.locPrf === 150)).toBe(true)
    // externalTrafficPolicy Local: only n2 has an endpoint.
    const local = await until('a path for 203.0.113.20', async () => {
      const ps = await paths(frr, 'ipv4', '203.0.113.20/32')
      return ps.length > 0 ? ps : undefined
    })
    expect(nexthops(local)).toEqual([ip4(1)])
    for (const n of NODES.map((_, i) => ip4(i))) expect((await frr.neighbor(n)).bgpState).toBe('Established')
    const st = await runners[0].wait('BFD up toward FRR', (s) => s.sessions.some((x) => x.peer === 'frr' && x.bfdState === 'Up' && x.state === 'Established'))
    expect(st.sessions.find((x) => x.peer === 'frr')).toMatchObject({node: 'n1', peerAddress: R4, prefixesAdvertised: 1, establishedSince: expect.any(String)})
    expect(st.sessions.find((x) => x.peer === 'gobgp')).toMatchObject({state: 'Established', bfdState: 'Disabled'})
    expect(st.announced).toEqual({'default/web': ['frr', 'gobgp'], 'default/web6': ['frr6']})
    // FRR runs BFD with the BFDProfile's timers as we advertise them.
    const bfdPeers = await frr.json<any[]>('show bfd peers json')
    expect(bfdPeers.find((p) => p.peer === ip4(0))).toMatchObject({status: 'up', 'remote-transmit-interval': 100, 'remote-receive-interval': 100, 'remote-detect-multiplier': 3})
  })

  it('GoBGP, a second router, learns the same routes from the three nodes', async () => {
    const ps = await until('three GoBGP paths', async () => {
      const j = await gobgp.json<Record<string, any[]>>('global', 'rib', '-a', 'ipv4')
      return j['203.0.113.10/32']?.length === 3 ? j['203.0.113.10/32'] : undefined
    })
    expect(ps.map((p) => p['source-id']).sort()).toEqual(NODES.map((_, i) => ip4(i)))
    expect((await gobgp.json<Record<string, any[]>>('global', 'rib', '-a', 'ipv4'))['203.0.113.20/32']).toHaveLength(1)
  })

  it('node loss: a killed speaker and a downed link are withdrawn by FRR through BFD, long before the 90 s hold time', async () => {
    await runners[0].wait('BFD up', (s) => s.sessions.some((x) => x.peer === 'frr' && x.bfdState === 'Up'))
    // A frozen speaker (SIGSTOP): its TCP connections stay open, so only BFD can tell FRR (SIGKILL would close them).
    runners[2].child.kill('SIGSTOP')
    // 10 s is far below the hold time (90 s): only BFD can have taken the session down this fast.
    await until('n3\'s path withdrawn', async () => nexthops(await paths(frr, 'ipv4', '203.0.113.10/32')).join() === [ip4(0), ip4(1)].join(), 10_000, 20)
    expect((await frr.neighbor(ip4(2))).lastNotificationReason).toMatch(/BFD Down/)
    const bfdDowns = () => frr.log().split('\n').filter((l) => l.includes(`sent to neighbor ${ip4(1)} 6/10`)).length
    const before = bfdDowns()
    await nodes[1].setLink('eth0', 'down')
    await until('n2\'s paths withdrawn', async () => nexthops(await paths(frr, 'ipv4', '203.0.113.10/32')).join() === ip4(0) &&
      (await paths(frr, 'ipv4', '203.0.113.20/32')).length === 0, 10_000, 20)
    expect(bfdDowns()).toBe(before + 1)
    await nodes[1].setLink('eth0', 'up')
    runners[2].child.kill('SIGKILL')
    await until('n2 back', async () => (await paths(frr, 'ipv4', '203.0.113.20/32')).length === 1, 30_000)
  })

  it('a service removed is withdrawn at FRR and GoBGP; the others stay', async () => {
    for (const [i, run] of runners.slice(0, 2).entries()) run.apply(clusterState(NODES[i], {services: ['web6', 'local']}), [ip4(i), ip6(i)])
    await until('web withdrawn at FRR', async () => (await paths(frr, 'ipv4', '203.0.113.10/32')).length === 0)
    await until('web withdrawn at GoBGP', async () => !(await gobgp.json<Record<string, any[]>>('global', 'rib', '-a', 'ipv4'))['203.0.113.10/32'])
    expect(await paths(frr, 'ipv4', '203.0.113.20/32')).toHaveLength(1)
    expect(await paths(frr, 'ipv6', '2001:db8:ffff::10/128')).toHaveLength(2)
  })

  it('a wrong AS shows in the session status as the decoded NOTIFICATION from FRR', async () => {
    runners[0].apply(clusterState('n1', {myAsn: 64999}), [ip4(0), ip6(0)])
    const st = await runners[0].wait('Bad Peer AS', (s) => s.sessions.some((x) => x.peer === 'frr' && x.lastError?.code === 2))
    expect(st.sessions.find((x) => x.peer === 'frr')!.lastError).toMatchObject({direction: 'received', code: 2, subcode: 2, message: expect.stringContaining('Bad Peer AS')})
    expect(st.sessions.find((x) => x.peer === 'frr')!.state).not.toBe('Established')
  })
})
