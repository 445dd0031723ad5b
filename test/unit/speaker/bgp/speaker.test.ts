// BgpSpeaker against routers made of the engine itself, over loopback TCP: what a change of configuration does on the
// wire (only what it changes), the status it reports, and the Cease on stop.
import {createServer, type Server} from 'node:net'
import {afterEach, describe, expect, it} from 'vitest'
import {BgpSession} from '../../../../src/lib/bgp/session.js'
import type {NotificationMessage, UpdateMessage} from '../../../../src/lib/bgp/types.js'
import {BgpSpeaker} from '../../../../src/speaker/bgp/speaker.js'
import type {SpeakerState} from '../../../../src/speaker/state.js'
import {adv, bfd, peer, service, slice, state} from './fixtures.js'
import {poll} from '../../../harness/poll.js'

interface Router {
  port: number
  session: BgpSession
  connections: number
  updates: UpdateMessage[]
  notifications: NotificationMessage[]
  close(): Promise<void>
}

async function router(asn: number, peerAsn: number, families: (4 | 6)[] = [4, 6]): Promise<Router> {
  const session = new BgpSession({localAsn: asn, peerAsn, routerId: '10.9.9.9', passive: true, holdTime: 30, families})
  const r = {connections: 0, updates: [] as UpdateMessage[], notifications: [] as NotificationMessage[], session} as Router
  session.on('update-received', (u) => r.updates.push(u))
  session.on('notification-received', (n) => r.notifications.push(n))
  const server: Server = createServer((c) => {
    r.connections++
    session.accept(c)
  })
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res))
  session.start()
  r.port = (server.address() as {port: number}).port
  r.close = async () => {
    await session.stop()
    server.close()
  }
  return r
}

const until = <T>(what: string, fn: () => T | undefined | false, ms = 5000): Promise<T> =>
  poll(fn, {what, timeoutMs: ms, intervalMs: 10, retryErrors: false}) as Promise<T>

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function setup(routers: Router[], extra: Partial<SpeakerState> = {}) {
  let changes = 0
  const sp = new BgpSpeaker({node: 'n1', nodeAddresses: () => ['10.0.0.1'], onChange: () => changes++})
  cleanups.push(() => sp.stop())
  const s = state({
    bgpPeers: routers.map((r, i) => peer(`r${i}`, {peerAddress: '127.0.0.1', peerPort: r.port, holdTime: '30s'})),
    services: [service('web', ['203.0.113.10'])], endpointSlices: [slice('web', ['n1']), slice('db', ['n1'])], bgpAdvertisements: [adv('all', {communities: ['64512:7']})], ...extra,
  })
  return {sp, s, changes: () => changes}
}

describe('BgpSpeaker over loopback', () => {
  it('establishes, announces, reports; a new service sends only its prefix; a changed hold time restarts only that session', async () => {
    const [a, b] = [await router(64512, 64512), await router(64512, 64512)]
    cleanups.push(a.close, b.close)
    const {sp, s, changes} = setup([a, b])
    expect(sp.apply(s)).toEqual([])
    await until('routes at both routers', () => a.session.adjRibIn.has('203.0.113.10/32') && b.session.adjRibIn.has('203.0.113.10/32'))
    expect(a.session.adjRibIn.get('203.0.113.10/32')).toMatchObject({communities: [64512 * 65536 + 7], localPref: 100})
    await until('status counts the prefix', () => sp.sessions().every((x) => x.prefixesAdvertised === 1))
    expect(sp.sessions()).toEqual([
      expect.objectContaining({node: 'n1', peer: 'r0', peerAddress: '127.0.0.1', state: 'Established', prefixesAdvertised: 1, bfdState: 'Disabled', establishedSince: expect.any(String)}),
      expect.objectContaining({peer: 'r1', state: 'Established'}),
    ])
    expect(sp.routes()).toEqual([{prefix: '203.0.113.10/32', peers: ['r0', 'r1'], communities: ['64512:7']}])
    expect(sp.announcedServices()).toEqual(new Map([['default/web', ['r0', 'r1']]]))
    expect(changes()).toBeGreaterThan(0)
    expect(sp.apply(s)).toEqual([]) // idempotent: nothing new on the wire
    const before = a.updates.length

    const s2 = {...s, services: [...s.services, service('db', ['203.0.113.20'])]}
    sp.apply(s2)
    await until('new prefix', () => a.session.adjRibIn.has('203.0.113.20/32'))
    const added = a.updates.slice(before).filter((u) => u.nlri.length || u.withdrawn.length)
    expect(added.flatMap((u) => [...u.nlri, ...u.withdrawn])).toEqual(['203.0.113.20/32'])

    const s3 = {...s2, bgpPeers: [peer('r0', {peerAddress: '127.0.0.1', peerPort: a.port, holdTime: '9s'}), s2.bgpPeers[1]]}
    sp.apply(s3)
    await until('r0 Cease then a new session', () => a.notifications.some((n) => n.code === 6) && a.connections === 2 && a.session.state === 'Established')
    expect(a.session.negotiated?.holdTime).toBe(9)
    await until('routes again at r0', () => a.session.adjRibIn.size === 2)
    expect(b.connections).toBe(1)
    expect(b.notifications).toEqual([])
  })

  it('a wrong AS shows as the decoded NOTIFICATION in sessions(); stop() sends Cease', async () => {
    const bad = await router(64512, 65000)
    const good = await router(64512, 64512)
    cleanups.push(bad.close, good.close)
    const {sp, s} = setup([bad, good])
    sp.apply(s)
    const st = await until('lastError', () => sp.sessions().find((x) => x.peer === 'r0' && x.lastError?.code === 2))
    expect(st.lastError).toMatchObject({direction: 'received', code: 2, subcode: 2, message: expect.stringMatching(/NOTIFICATION 2\/2 Bad Peer AS/), time: expect.any(String)})
    await until('good session up', () => good.session.state === 'Established')
    await sp.stop()
    await until('Cease at the good router', () => good.notifications.find((n) => n.code === 6 && n.subcode === 2))
    expect(sp.sessions()).toEqual([])
  })

  it('an address family the peer did not negotiate is reported by runtimeProblems (not by apply: it changes without a new state), not silently dropped', async () => {
    const v4only = await router(64512, 64512, [4])
    cleanups.push(v4only.close)
    let changed = 0
    const sp = new BgpSpeaker({node: 'n1', nodeAddresses: () => ['10.0.0.1'], onChange: () => changed++})
    cleanups.push(() => sp.stop())
    const s = state({bgpPeers: [peer('r0', {peerAddress: '127.0.0.1', peerPort: v4only.port, dualStackAddressFamily: true})],
      services: [service('web', ['203.0.113.10', '2001:db8:ffff::10'])], endpointSlices: [slice('web', ['n1'])]})
    expect(sp.apply(s)).toEqual([])
    await until('IPv4 route', () => v4only.session.adjRibIn.has('203.0.113.10/32'))
    expect(changed).toBeGreaterThan(0)
    expect(sp.runtimeProblems()).toEqual([expect.objectContaining({code: 'BGP_FAMILY_NOT_NEGOTIATED', object: 'BGPPeer/r0', message: expect.stringContaining('ipv6 unicast: 1 route(s) not sent')})])
    expect(sp.apply(s)).toEqual([])
    expect(sp.runtimeProblems().map((p) => p.code)).toEqual(['BGP_FAMILY_NOT_NEGOTIATED'])
  })

  it('BFD that cannot start is reported and the session runs without it', async () => {
    const r = await router(64512, 64512)
    cleanups.push(r.close)
    const sp = new BgpSpeaker({node: 'n1', nodeAddresses: () => ['10.0.0.1'], openBfd: () => { throw new Error('native module missing') }})
    cleanups.push(() => sp.stop())
    sp.apply(state({bgpPeers: [peer('r0', {peerAddress: '127.0.0.1', peerPort: r.port, bfdProfile: 'fast'})], bfdProfiles: [bfd('fast')]}))
    await until('established', () => sp.sessions()[0]?.state === 'Established')
    expect(sp.runtimeProblems()).toEqual([expect.objectContaining({code: 'BFD_UNAVAILABLE', object: 'BGPPeer/r0', message: expect.stringContaining('native module missing')})])
    expect(sp.sessions()[0]).toMatchObject({bfdState: 'Down', lastError: {direction: 'local', message: expect.stringContaining('BFD could not start')}})
  })

  it('dynamicASN external accepts any other AS and refuses our own', async () => {
    const ext = await router(65001, 64512)
    const own = await router(64512, 64512)
    cleanups.push(ext.close, own.close)
    const {sp, s} = setup([ext, own])
    sp.apply({...s, bgpPeers: s.bgpPeers.map((p) => ({...p, spec: {...p.spec!, peerASN: undefined, dynamicASN: 'external' as const}}))})
    await until('external peer up', () => ext.session.state === 'Established')
    const st = await until('own AS refused', () => sp.sessions().find((x) => x.peer === 'r1' && x.lastError?.direction === 'sent'))
    expect(st.lastError).toMatchObject({code: 2, subcode: 2})
  })
})
