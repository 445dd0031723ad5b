// Status objects a speaker writes: names, labels, and the plan that keeps exactly one object per fact.
import {describe, expect, it} from 'vitest'
import type {KubeObject} from '../../../src/lib/api/types.js'
import {cleaner, desiredBgpStatuses, desiredL2Statuses, desiredPeerSessions, peerSessionName, planStatus, statusName} from '../../../src/speaker/status/desired.js'

const existing = (name: string, node: string, status: Record<string, unknown>, labels: Record<string, string> = {}): KubeObject =>
  ({apiVersion: 'metallb.io/v1beta1', kind: 'ServiceL2Status', metadata: {name, labels: {...labels, 'metallb.io/node': node}}, status})

describe('status objects', () => {
  it('names and labels ServiceL2Status as MetalLB, one per service with the union of its interfaces', () => {
    const d = desiredL2Statuses('n1', [{interfaces: ['eth1'], services: ['default/a', 'web/b']}, {interfaces: ['eth0'], services: ['default/a']}])
    expect(d).toEqual([
      {name: statusName('l2', 'n1', 'default/a'), labels: {'metallb.io/node': 'n1', 'metallb.io/service-name': 'a', 'metallb.io/service-namespace': 'default'},
        status: {node: 'n1', serviceName: 'a', serviceNamespace: 'default', interfaces: [{name: 'eth0'}, {name: 'eth1'}]}},
      {name: statusName('l2', 'n1', 'web/b'), labels: {'metallb.io/node': 'n1', 'metallb.io/service-name': 'b', 'metallb.io/service-namespace': 'web'},
        status: {node: 'n1', serviceName: 'b', serviceNamespace: 'web', interfaces: [{name: 'eth1'}]}},
    ])
    expect(statusName('l2', 'n1', 'default/a')).toMatch(/^l2-[0-9a-f]{16}$/)
    expect(statusName('l2', 'n2', 'default/a')).not.toBe(statusName('l2', 'n1', 'default/a'))
    const b = desiredBgpStatuses('n1', new Map([['default/a', ['r2', 'r1']]]))
    expect(b[0]).toMatchObject({name: statusName('bgp', 'n1', 'default/a'), status: {peers: ['r1', 'r2'], node: 'n1'}})
  })

  it('names BGPPeerSession <node>-<peer>, sanitised and at most 253 characters', () => {
    expect(peerSessionName('n1', 'frr')).toBe('n1-frr')
    expect(peerSessionName('n1', 'Peer_A')).toMatch(/^n1-peer-a-[0-9a-f]{16}$/)
    const long = peerSessionName('n'.repeat(200), 'p'.repeat(200))
    expect(long.length).toBeLessThanOrEqual(253)
    expect(long).not.toBe(peerSessionName('n'.repeat(200), `${'p'.repeat(199)}q`))
    expect(desiredPeerSessions('n1', [{peer: 'frr', state: 'Established'}])).toEqual([
      {name: 'n1-frr', labels: {'lbctl.io/node': 'n1', 'lbctl.io/peer': 'frr'}, status: {node: 'n1', peer: 'frr', state: 'Established'}}])
  })

  it('plans creates, updates and deletes of this node’s objects; the cleaner also removes dead nodes’ objects', () => {
    const want = desiredL2Statuses('n1', [{interfaces: ['eth0'], services: ['default/a', 'default/b']}])
    const [a, b] = want
    const have = [
      existing(a.name, 'n1', a.status, a.labels), // up to date
      existing(b.name, 'n1', {...b.status, interfaces: [{name: 'eth9'}]}, b.labels), // stale
      existing('l2-old', 'n1', {}), // a service this node no longer announces
      existing('l2-dead', 'n3', {}), // a dead node's
      existing('l2-other', 'n2', {}), // a live node's
    ]
    expect(planStatus(want, have, 'metallb.io/node', 'n1')).toEqual({create: [], update: [b], delete: ['l2-old']})
    expect(planStatus(want, have, 'metallb.io/node', 'n1', new Set(['n1', 'n2']))).toEqual({create: [], update: [b], delete: ['l2-dead', 'l2-old']})
    expect(planStatus(want, [], 'metallb.io/node', 'n1').create).toEqual(want)
    expect(cleaner(new Set(['n3', 'n1', 'n2']))).toBe('n1')
    expect(cleaner(new Set())).toBeUndefined()
  })
})
