// Issue 13 "Done when" (BGP), the two cases bgp-speaker.test.ts proves on the BgpSpeaker class, here through the real
// daemon: three bin/speaker.js processes (one per node namespace, against the API server harness) peer with FRR
// (zebra, bgpd, bfdd) through a BGPPeer with a BFDProfile of 3 × 100 ms.
// - Node loss: n3's link goes down and its speaker is SIGKILLed (link first, so no FIN reaches FRR and the 90 s hold
//   time is far away: only BFD can tell FRR) → FRR's BFD peer goes down and n3's path leaves the ECMP route, while
//   n1's and n2's BGPPeerSession still say Established with BFD Up; once the API marks n3's speaker Pod not Ready,
//   a survivor removes n3's BGPPeerSession and ServiceBGPStatus.
// - Wrong ASN: a second FRR (its own namespace and address) expects AS 64999 from n1, which speaks AS 64513 → FRR sends
//   OPEN Message Error / Bad Peer AS (2/2), and n1's BGPPeerSession for that peer shows it decoded (received); n2's
//   BGPPeer names the wrong peerASN → n2's speaker sends 2/2, and its BGPPeerSession shows that (sent). The other
//   sessions of those speakers stay Established.
// The timing (≤ 0.5 s) is bench/speaker-bgp.bench.ts's business, not this suite's.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type {BGPSessionStateStatus} from '../../../src/lib/api/types.js'
import {missingBuild, missingFrr, missingNative, requireLab} from '../../harness/lab/index.js'
import {Frr, until} from '../../harness/lab/frr.js'
import {NS, SpeakerLab} from './speaker-lab.js'

const PREFIX = 'spd'
const VIP = '203.0.113.60'
const ROUTER = '198.18.40.254'
const WRONG = '198.18.40.253'
const N1 = '198.18.40.1'
const N2 = '198.18.40.2'
const N3 = '198.18.40.3'
const BFD = ['bfd', ' profile fast', '  receive-interval 100', '  transmit-interval 100', '  detect-multiplier 3', ' !', '!', ''].join('\n')

interface Session {
  metadata: {name: string}
  status?: BGPSessionStateStatus
}

const onNode = (n: string) => ({nodeSelectors: [{matchLabels: {'kubernetes.io/hostname': n}}]})

describe.runIf(requireLab(['kubectl', 'bgpd', 'bfdd', 'zebra', 'vtysh'], [...missingNative(), ...missingFrr(), ...missingBuild()]))('speaker daemon, BGP: BFD node loss and a wrong ASN with real FRR', () => {
  let l: SpeakerLab
  let frr: Frr
  let wrong: Frr
  const session = async (name: string): Promise<BGPSessionStateStatus | undefined> =>
    (await l.getJson<Session>(['get', 'bgppeersessions', name, '-n', NS]).catch(() => undefined))?.status
  const hops = async (): Promise<string[]> =>
    ((await frr.rib('ipv4'))[`${VIP}/32`] ?? []).flatMap((p: any) => (p.nexthops ?? []).map((n: any) => n.ip as string)).sort()

  beforeAll(async () => {
    l = await SpeakerLab.start(PREFIX)
    // The router: eBGP (AS 64512) toward the nodes (AS 64513), BFD profile `fast` on each neighbour, ECMP. zebra runs
    // so that bfdd's verdict reaches bgpd.
    const r = await l.lab.addNode('r', {bridge: l.lan, ipv4: `${ROUTER}/24`})
    frr = await Frr.start(r, ['router bgp 64512', ` bgp router-id ${ROUTER}`, ' no bgp ebgp-requires-policy', ' bgp log-neighbor-changes',
      ...[N1, N2, N3].flatMap((a) => [` neighbor ${a} remote-as 64513`, ` neighbor ${a} timers connect 1`, ` neighbor ${a} bfd`, ` neighbor ${a} bfd profile fast`]),
      ' address-family ipv4 unicast', '  maximum-paths 8', ' exit-address-family', ''].join('\n'), BFD, {zebra: true})
    // A second router (AS 64515) that expects the wrong AS (64999) from n1 and the right one from n2.
    const w = await l.lab.addNode('w', {bridge: l.lan, ipv4: `${WRONG}/24`})
    wrong = await Frr.start(w, ['router bgp 64515', ` bgp router-id ${WRONG}`, ' no bgp ebgp-requires-policy', ' bgp log-neighbor-changes',
      ` neighbor ${N1} remote-as 64999`, ` neighbor ${N1} timers connect 1`, ` neighbor ${N2} remote-as 64513`, ` neighbor ${N2} timers connect 1`, ''].join('\n'))
    await l.addPool()
    await l.apply({apiVersion: 'metallb.io/v1beta1', kind: 'BFDProfile', metadata: {name: 'fast', namespace: NS}, spec: {receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3}})
    // The default hold time (90 s): only BFD can take a session down within the deadlines below.
    await l.apply({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: {name: 'frr', namespace: NS}, spec: {myASN: 64513, peerASN: 64512, peerAddress: ROUTER, bfdProfile: 'fast', connectTime: '1s'}})
    await l.apply({apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: {name: 'bgp', namespace: NS}, spec: {ipAddressPools: ['lab']}})
    await l.addService('bfdweb', VIP)
  }, 120_000)
  afterAll(async () => {
    await wrong?.stop()
    await frr?.stop()
    await l?.destroy()
  })

  it('FRR learns the service from the three speakers (ECMP) with BFD up toward each; BGPPeerSession says so', async () => {
    const h = await until('FRR to learn the address from three nodes', async () => ((await hops()).length === 3 ? hops() : undefined), 30_000).catch((e) => {
      throw new Error(`${(e as Error).message}\n${l.dump()}`)
    })
    expect(h).toEqual([N1, N2, N3])
    const peers = await until('FRR\'s three BFD peers up with the profile\'s timers', async () => {
      const ps = (await frr.json<any[]>('show bfd peers json')).filter((p) => [N1, N2, N3].includes(p.peer))
      // Up first, then the fast timers (RFC 5880 §6.8.3: 1 s until Up, then a Poll sequence to the profile's values).
      return ps.length === 3 && ps.every((p) => p.status === 'up' && p['remote-transmit-interval'] === 100) ? ps : undefined
    }, 20_000).catch(async (e) => {
      throw new Error(`${(e as Error).message}\n${JSON.stringify(await frr.json('show bfd peers json'))}`)
    })
    for (const p of peers) expect(p).toMatchObject({'remote-transmit-interval': 100, 'remote-receive-interval': 100, 'remote-detect-multiplier': 3})
    for (const n of ['n1', 'n2', 'n3']) {
      const st = await until(`${n}-frr Established with BFD Up`, async () => {
        const s = await session(`${n}-frr`)
        return s?.state === 'Established' && s.bfdState === 'Up' ? s : undefined
      }, 20_000)
      expect(st).toMatchObject({node: n, peer: 'frr', peerAddress: ROUTER, prefixesAdvertised: 1})
    }
  })

  it('a wrong ASN shows in BGPPeerSession as the decoded NOTIFICATION (received from FRR, and sent by the speaker); the other sessions keep working', async () => {
    // n1 speaks AS 64513 where the router expects 64999: the router refuses n1's OPEN.
    await l.apply({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: {name: 'wrong-theirs', namespace: NS},
      spec: {myASN: 64513, peerASN: 64515, peerAddress: WRONG, connectTime: '1s', ...onNode('n1')}})
    // n2's BGPPeer names AS 64600 for a router that is AS 64515: n2's speaker refuses the router's OPEN.
    await l.apply({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: {name: 'wrong-ours', namespace: NS},
      spec: {myASN: 64513, peerASN: 64600, peerAddress: WRONG, connectTime: '1s', ...onNode('n2')}})
    const theirs = await until('n1-wrong-theirs to show the NOTIFICATION FRR sent', async () => {
      const s = await session('n1-wrong-theirs')
      return s?.lastError?.code === 2 ? s : undefined
    }, 30_000).catch(async (e) => {
      throw new Error(`${(e as Error).message}\n${JSON.stringify(await session('n1-wrong-theirs'))}\n${wrong.log()}`)
    })
    expect(theirs.lastError).toMatchObject({direction: 'received', code: 2, subcode: 2, message: 'peer sent NOTIFICATION 2/2 Bad Peer AS', time: expect.any(String)})
    expect(theirs.state).not.toBe('Established')
    expect(theirs).toMatchObject({node: 'n1', peer: 'wrong-theirs', peerAddress: WRONG})
    // FRR agrees: it sent 2/2 to n1 and never got the session up.
    expect(wrong.log()).toContain(`sent to neighbor ${N1} 2/2`)
    const ours = await until('n2-wrong-ours to show the NOTIFICATION the speaker sent', async () => {
      const s = await session('n2-wrong-ours')
      return s?.lastError?.code === 2 ? s : undefined
    }, 30_000).catch(async (e) => {
      throw new Error(`${(e as Error).message}\n${JSON.stringify(await session('n2-wrong-ours'))}\n${wrong.log()}`)
    })
    expect(ours.lastError).toMatchObject({direction: 'sent', code: 2, subcode: 2})
    // The name once, then the reason (it used to read "sent NOTIFICATION 2/2 Bad Peer AS: 2/2 Bad Peer AS: peer is …").
    expect(ours.lastError?.message).toBe('sent NOTIFICATION 2/2 Bad Peer AS: peer is AS 64515, expected AS 64600')
    expect(ours.state).not.toBe('Established')
    expect((await wrong.neighbor(N2)).bgpState).not.toBe('Established')
    // Only the selected nodes run those peers.
    const names = (await l.getJson<{items: Session[]}>(['get', 'bgppeersessions', '-n', NS])).items.map((s) => s.metadata.name)
    expect(names.filter((n) => n.includes('wrong')).sort()).toEqual(['n1-wrong-theirs', 'n2-wrong-ours'])
    // The good session on the same speakers is untouched, and FRR still has both paths.
    for (const n of ['n1', 'n2']) expect(await session(`${n}-frr`)).toMatchObject({state: 'Established', bfdState: 'Up'})
    expect(await hops()).toEqual([N1, N2, N3])
    await l.kubectl(['delete', 'bgppeer', 'wrong-theirs', 'wrong-ours', '-n', NS])
  }, 90_000)

  it('node loss (link down, speaker SIGKILLed): FRR\'s BFD peer goes down and n3\'s path leaves; n1 and n2 stay Established with BFD up', async () => {
    // The link first: the kernel's FIN for the killed speaker's socket cannot reach FRR, so only BFD tells it.
    await l.nodes.n3.setLink('eth0', 'down')
    l.speakers.get('n3')!.child.kill('SIGKILL')
    const bfd = await until('FRR\'s BFD peer for n3 down', async () => {
      const p = (await frr.json<any[]>('show bfd peers json')).find((x) => x.peer === N3)
      return p?.status === 'down' ? p : undefined
    }, 10_000, 20)
    expect(bfd.peer).toBe(N3)
    // Far below the 90 s hold time: BFD took the session down.
    await until('n3\'s path gone from FRR', async () => (await hops()).join() === [N1, N2].join(), 10_000, 20).catch(async (e) => {
      throw new Error(`${(e as Error).message}: ${JSON.stringify(await hops())}`)
    })
    expect((await frr.neighbor(N3)).lastNotificationReason).toMatch(/BFD Down/)
    const zebra = await until('zebra to install the route with n1 and n2 only', async () => {
      const rib = await frr.json(`show ip route ${VIP}/32 json`)
      const h = ((rib[`${VIP}/32`]?.[0]?.nexthops ?? []) as any[]).map((n) => n.ip as string).sort()
      return h.join() === [N1, N2].join() ? h : undefined
    })
    expect(zebra).toEqual([N1, N2])
    for (const a of [N1, N2]) expect((await frr.neighbor(a)).bgpState).toBe('Established')
    const alive = (await frr.json<any[]>('show bfd peers json')).filter((p) => [N1, N2].includes(p.peer)).map((p) => p.status)
    expect(alive).toEqual(['up', 'up'])
    for (const n of ['n1', 'n2']) {
      expect(await session(`${n}-frr`)).toMatchObject({node: n, state: 'Established', bfdState: 'Up', prefixesAdvertised: 1})
    }
    // FRR withdrew n3 before the API server knew anything. Once it does (the node lifecycle controller marks the lost
    // node's speaker Pod not Ready), a survivor removes n3's status objects, so none says n3 announces.
    await l.setSpeakerPod('n3', false)
    const left = await until('n3\'s BGPPeerSession and ServiceBGPStatus removed', async () => {
      const sessions = (await l.getJson<{items: Session[]}>(['get', 'bgppeersessions', '-n', NS])).items.map((x) => x.metadata.name).sort()
      const statuses = (await l.getJson<{items: Array<{status?: {node?: string}}>}>(['get', 'servicebgpstatuses', '-n', NS, '-l', 'metallb.io/service-name=bfdweb'])).items
        .map((x) => x.status?.node).sort()
      return sessions.includes('n3-frr') || statuses.includes('n3') ? undefined : {sessions, statuses}
    }, 20_000)
    expect(left).toEqual({sessions: ['n1-frr', 'n2-frr'], statuses: ['n1', 'n2']})
  }, 60_000)
})
