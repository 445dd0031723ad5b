// What the speaker needed from the engine and the API types: passive BFD, the router-ID rule, the session kind's name.
import {describe, expect, it} from 'vitest'
import {Kinds} from '../../../../src/lib/api/constants.js'
import {crdManifests} from '../../../../src/lib/api/crds.js'
import {BfdState, encodeBfd} from '../../../../src/lib/bgp/bfd.js'
import {BfdSession} from '../../../../src/lib/bgp/bfd-session.js'
import {FakeClock} from '../../../support/fake-clock.js'
import {routerIdFrom, usableRouterId} from '../../../../src/lib/bgp/router-id.js'

describe('passive BFD (RFC 5880 6.1)', () => {
  it('sends nothing until the peer has sent a packet, then runs the usual handshake to Up', () => {
    const clock = new FakeClock()
    const sent: Buffer[] = []
    const s = new BfdSession({passive: true, desiredMinTx: 100, requiredMinRx: 100, detectMult: 3, clock, send: (p) => sent.push(p), random: () => 0.5, discriminator: 7})
    s.start()
    clock.advance(5000)
    expect(sent).toEqual([])
    const peer = (state: number, your: number) => encodeBfd({diag: 0, state: state as never, poll: false, final: false, controlPlaneIndependent: false, authPresent: false, demand: false, multipoint: false,
      detectMult: 3, myDiscriminator: 99, yourDiscriminator: your, desiredMinTxUs: 100_000, requiredMinRxUs: 100_000, requiredMinEchoRxUs: 0})
    s.receive(peer(BfdState.DOWN, 0), 255)
    expect(s.stateName).toBe('Init')
    clock.advance(50)
    expect(sent.length).toBeGreaterThan(0)
    s.receive(peer(BfdState.UP, 7), 255)
    expect(s.stateName).toBe('Up')
    s.stop()
  })
})

describe('BFD transmit rate follows the peer\'s Required Min RX at once', () => {
  it('a peer ending its slow start (1 s → 100 ms) gets the next packet within 100 ms, not at the old 1 s rate', () => {
    const clock = new FakeClock()
    const sent: number[] = []
    const s = new BfdSession({desiredMinTx: 100, requiredMinRx: 100, detectMult: 3, clock, send: () => sent.push(clock.now()), random: () => 1, discriminator: 7})
    const pkt = (state: number, rxMs: number, o: {poll?: boolean} = {}) => encodeBfd({diag: 0, state: state as never, poll: o.poll ?? false, final: false, controlPlaneIndependent: false,
      authPresent: false, demand: false, multipoint: false, detectMult: 3, myDiscriminator: 99, yourDiscriminator: 7, desiredMinTxUs: 1_000_000, requiredMinRxUs: rxMs * 1000, requiredMinEchoRxUs: 0})
    s.start()
    s.receive(pkt(BfdState.INIT, 1000), 255)
    expect(s.stateName).toBe('Up')
    clock.advance(10)
    const t = clock.now()
    s.receive(pkt(BfdState.UP, 100, {poll: true}), 255)
    const n = sent.length
    clock.advance(101)
    // The Final answering the poll, then the periodic packet at the new rate.
    expect(sent.filter((x) => x >= t).length).toBeGreaterThanOrEqual(2)
    expect(sent.length - n).toBeGreaterThanOrEqual(1)
    s.stop()
  })
})

describe('router ID rule', () => {
  it('first tier with a usable IPv4 address; its highest address', () => {
    expect(routerIdFrom([[undefined], ['2001:db8::1', '127.0.0.1'], ['198.18.0.2', '198.18.0.10', '169.254.0.1']])).toBe('198.18.0.10')
    expect(routerIdFrom([['198.18.0.2'], ['198.18.0.10']])).toBe('198.18.0.2')
    expect(routerIdFrom([['::1'], []])).toBeUndefined()
    for (const bad of ['0.0.0.0', '127.0.0.1', '169.254.1.1', '224.0.0.5', '255.255.255.255', '2001:db8::1', 'x']) expect(usableRouterId(bad)).toBe(false)
  })
})

describe('lbctl\'s session kind', () => {
  it('is BGPPeerSession (bgppeersessions, short name bps) in lbctl.io/v1alpha1, so it does not collide with FRR-K8s\'s BGPSessionState', () => {
    expect(Kinds.BGPPeerSession).toEqual({apiVersion: 'lbctl.io/v1alpha1', kind: 'BGPPeerSession', plural: 'bgppeersessions'})
    const crd = crdManifests().find((c) => (c.metadata as {name: string}).name === 'bgppeersessions.lbctl.io') as {spec: {names: {shortNames: string[]; kind: string}; scope: string}}
    expect(crd.spec.names).toMatchObject({kind: 'BGPPeerSession', shortNames: ['bps']})
    expect(crd.spec.scope).toBe('Namespaced')
    expect(crdManifests().some((c) => JSON.stringify(c).includes('BGPSessionState"'))).toBe(false)
  })
})
