// Issue 13 "Done when" (BGP), end to end: the three real speakers peer with a real FRR router on the LAN (BGPPeer,
// BGPAdvertisement with a community), FRR learns the service address from every node (ECMP), the speakers write
// BGPPeerSession (Established) and ServiceBGPStatus, and deleting the service withdraws the route. GoBGP is a second
// router, reached with TCP MD5 (passwordSecret); bad configuration is named in ConfigurationState.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {missingBuild, missingFrr, missingGobgp, missingNative, requireLab} from '../../harness/lab/index.js'
import {Frr, until} from '../../harness/lab/frr.js'
import {GoBgp, gobgpConf} from '../../harness/lab/gobgp.js'
import {NS, SpeakerLab} from './speaker-lab.js'

const PREFIX = 'spg'
const VIP = '203.0.113.50'
const ROUTER = '198.18.40.254'
const GOBGP = '198.18.40.252'
const MD5 = 'lab-md5-s3cret'

describe.runIf(requireLab(['curl', 'kubectl', 'bgpd', 'vtysh'], [...missingNative(), ...missingFrr(), ...missingGobgp(), ...missingBuild()]))('speaker, BGP, with FRR in the lab', () => {
  let l: SpeakerLab
  let frr: Frr
  let gobgp: GoBgp
  beforeAll(async () => {
    l = await SpeakerLab.start(PREFIX)
    const r = await l.lab.addNode('r', {bridge: l.lan, ipv4: `${ROUTER}/24`})
    frr = await Frr.start(r, [
      'router bgp 64512', ' bgp router-id 198.18.40.254', ' no bgp ebgp-requires-policy', ' no bgp network import-check',
      ' neighbor 198.18.40.1 remote-as 64513', ' neighbor 198.18.40.2 remote-as 64513', ' neighbor 198.18.40.3 remote-as 64513',
      ' address-family ipv4 unicast', '  maximum-paths 8', ' exit-address-family', ''].join('\n'))
    // GoBGP as a second router, with TCP MD5: the speakers take the password from a Secret (MetalLB's passwordSecret).
    const g = await l.lab.addNode('g', {bridge: l.lan, ipv4: `${GOBGP}/24`})
    gobgp = await GoBgp.start(g, gobgpConf({asn: 64514, routerId: GOBGP, neighbors: ['198.18.40.1', '198.18.40.2', '198.18.40.3'].map((address) => ({address, peerAs: 64513, password: MD5}))}))
    await l.apply({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'gobgp-md5', namespace: NS}, type: 'kubernetes.io/basic-auth', stringData: {password: MD5}})
    await l.apply({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: {name: 'gobgp', namespace: NS},
      spec: {myASN: 64513, peerASN: 64514, peerAddress: GOBGP, holdTime: '9s', passwordSecret: {name: 'gobgp-md5', namespace: NS}}})
    await l.addPool()
    await l.apply({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: {name: 'frr', namespace: NS}, spec: {myASN: 64513, peerASN: 64512, peerAddress: ROUTER, holdTime: '9s'}})
    await l.apply({apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: {name: 'bgp', namespace: NS}, spec: {ipAddressPools: ['lab'], communities: ['65000:7']}})
  }, 120_000)
  afterAll(async () => {
    await gobgp?.stop()
    await frr?.stop()
    await l?.destroy()
  })

  it('FRR learns the service address from all three nodes with the community; status says so', async () => {
    await l.addService('bgpweb', VIP)
    const paths = await until('FRR to learn the address from three nodes', async () => {
      const rib = await frr.rib('ipv4')
      const p = rib[`${VIP}/32`]
      return p && p.length === 3 ? p : undefined
    }, 30_000).catch((e) => {
      throw new Error(`${(e as Error).message}\n${l.dump()}`)
    })
    const hops = paths.flatMap((p: any) => (p.nexthops ?? []).map((n: any) => n.ip)).sort()
    expect(hops).toEqual(['198.18.40.1', '198.18.40.2', '198.18.40.3'])
    const detail = await frr.json(`show bgp ipv4 unicast ${VIP}/32 json`)
    expect(JSON.stringify(detail)).toContain('65000:7')
    const sessions = await until('six BGPPeerSession Established (three nodes, two routers)', async () => {
      const s = await l.getJson<{items: any[]}>(['get', 'bgppeersessions', '-n', NS])
      return s.items.length === 6 && s.items.every((i) => i.status?.state === 'Established') ? s.items : undefined
    }, 30_000)
    expect(sessions.map((s: any) => s.metadata.name).sort()).toEqual(['n1-frr', 'n1-gobgp', 'n2-frr', 'n2-gobgp', 'n3-frr', 'n3-gobgp'])
    const statuses = await until('three ServiceBGPStatus', async () => {
      const s = await l.getJson<{items: any[]}>(['get', 'servicebgpstatuses', '-n', NS, '-l', 'metallb.io/service-name=bgpweb'])
      return s.items.length === 3 ? s.items : undefined
    }, 20_000)
    expect(statuses.map((s: any) => [s.status.node, [...s.status.peers].sort()]).sort()).toEqual([['n1', ['frr', 'gobgp']], ['n2', ['frr', 'gobgp']], ['n3', ['frr', 'gobgp']]])
  })

  it('GoBGP, a second router reached with TCP MD5 (password from a Secret), learns the address from the three nodes', async () => {
    const paths = await until('three GoBGP paths', async () => {
      const rib = await gobgp.json<Record<string, any[]>>('global', 'rib', '-a', 'ipv4')
      return rib[`${VIP}/32`]?.length === 3 ? rib[`${VIP}/32`] : undefined
    }, 30_000).catch((e) => {
      throw new Error(`${(e as Error).message}\n${l.dump()}`)
    })
    expect(paths.map((p: any) => p['source-id']).sort()).toEqual(['198.18.40.1', '198.18.40.2', '198.18.40.3'])
    const s = await l.getJson<{status?: {state?: string}}>(['get', 'bgppeersessions', 'n2-gobgp', '-n', NS])
    expect(s.status?.state).toBe('Established')
  })

  it('bad config (unknown bfdProfile, missing pool, unknown community alias, a family the peer did not negotiate) is named in ConfigurationState; the rest keeps working', async () => {
    await l.apply({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: {name: 'nobfd', namespace: NS}, spec: {myASN: 64513, peerASN: 64512, peerAddress: '198.18.40.253', bfdProfile: 'missing'}})
    await l.apply({apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: {name: 'badpool', namespace: NS}, spec: {ipAddressPools: ['nopool']}})
    await l.apply({apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: {name: 'badcomm', namespace: NS}, spec: {ipAddressPools: ['lab'], communities: ['no-such-alias']}})
    // The peer offers both families (dualStackAddressFamily) but FRR activates IPv4 unicast only: the IPv6 service's
    // route cannot be sent on that session.
    await l.apply({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: {name: 'frr', namespace: NS},
      spec: {myASN: 64513, peerASN: 64512, peerAddress: ROUTER, holdTime: '9s', dualStackAddressFamily: true}})
    await l.addService('bgpweb6', '2001:db8:ffff::50')
    const summary = await until('speaker-n1 ConfigurationState to name every problem', async () => {
      const cs = await l.getJson<{status?: {result?: string; errorSummary?: string}}>(['get', 'configurationstates', 'speaker-n1', '-n', NS]).catch(() => undefined)
      const s = cs?.status?.errorSummary ?? ''
      return ['BFD_PROFILE_NOT_FOUND', 'BGP_ADVERTISEMENT_POOL_NOT_FOUND', 'BGP_ADVERTISEMENT_COMMUNITY_INVALID', 'BGP_FAMILY_NOT_NEGOTIATED'].every((c) => s.includes(c)) ? s : undefined
    }, 45_000).catch(async (e) => {
      const cs = await l.getJson(['get', 'configurationstates', 'speaker-n1', '-n', NS]).catch(() => undefined)
      throw new Error(`${(e as Error).message}\n${JSON.stringify(cs?.status)}`)
    })
    expect(summary).toMatch(/BGPPeer\/nobfd/)
    expect(summary).toMatch(/BGPAdvertisement\/badpool/)
    expect(summary).toMatch(/no-such-alias/)
    // The rest keeps working: the IPv4 service is learned from all three nodes, the good session is up.
    await until('the IPv4 route from all three nodes', async () => ((await frr.rib('ipv4'))[`${VIP}/32`] ?? []).length === 3, 30_000)
    const frrSession = (await l.getJson<{status?: {state?: string}}>(['get', 'bgppeersessions', 'n1-frr', '-n', NS])).status?.state
    expect(frrSession).toBe('Established')
    await l.kubectl(['delete', 'service', 'bgpweb6', '-n', 'default'])
    await l.kubectl(['delete', 'bgpadvertisement', 'badpool', 'badcomm', '-n', NS])
    await l.kubectl(['delete', 'bgppeer', 'nobfd', '-n', NS])
  }, 120_000)

  it('deleting the service withdraws the route and its ServiceBGPStatus', async () => {
    await l.kubectl(['delete', 'service', 'bgpweb', '-n', 'default'])
    await until('the route withdrawn', async () => !(await frr.rib('ipv4'))[`${VIP}/32`], 20_000)
    await until('no ServiceBGPStatus left', async () => (await l.getJson<{items: unknown[]}>(['get', 'servicebgpstatuses', '-n', NS])).items.length === 0, 20_000)
  })
})
