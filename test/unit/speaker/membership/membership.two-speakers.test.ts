// The two-speaker rule (membership.ts): with exactly two speakers, a partition cannot be told from the other's death;
// each counts itself in while it hears nobody (both announce during a split, as MetalLB does), and they share one
// view again once the partition heals — so every address has one owner again. Not while joining, and not when
// datagrams are being refused for their key (then this speaker's own gossip is what is broken).
import {afterEach, describe, expect, it} from 'vitest'
import {electL2} from '../../../../src/speaker/l2/election.js'
import {DEFAULT_TIMERS} from '../../../../src/speaker/membership/options.js'
import {type SimCluster, simCluster, writeKey} from './sim.js'
import {node, slice, state, svc} from '../fixtures.js'

let cluster: SimCluster | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

const converged = (c: SimCluster, nodes: string[], want: string[]): boolean => nodes.every((n) => c.alive(n).join() === want.join())

describe('membership: two speakers', () => {
  it('a partition: each counts itself in (both announce); after the heal one view again', async () => {
    const c = cluster = await simCluster(['a', 'b'])
    expect(c.until(() => converged(c, ['a', 'b'], ['a', 'b']), 1000)).toBeDefined()
    c.net.partition([c.addr('a')], [c.addr('b')])
    expect(c.until(() => c.alive('a').join() === 'a' && c.alive('b').join() === 'b', 5000)).toBeDefined()
    expect(c.members.get('a')!.view().reason).toMatch(/two speakers/)
    c.clock.advance(3000)
    expect([c.alive('a'), c.alive('b')]).toEqual([['a'], ['b']])
    c.net.heal()
    expect(c.until(() => converged(c, ['a', 'b'], ['a', 'b']), 5000)).toBeDefined()
    c.clock.advance(2000)
    expect([c.alive('a'), c.alive('b')]).toEqual([['a', 'b'], ['a', 'b']])
    expect(c.members.get('a')!.view().reason).toBeUndefined()
  })

  it('one owner per address before and after the split, two during it', async () => {
    const c = cluster = await simCluster(['a', 'b'])
    expect(c.until(() => converged(c, ['a', 'b'], ['a', 'b']), 1000)).toBeDefined()
    // Each speaker elects from its own view; an address is announced by every node that elects itself.
    const elect = (n: string): string | undefined => electL2(state({node: n, nodes: [node('a'), node('b')], live: new Set(c.alive(n)),
      services: [svc('web', ['203.0.113.10'])], endpointSlices: [slice('web', ['a', 'b'])]})).assignments.get('203.0.113.10')?.owner
    const owners = (): string[] => ['a', 'b'].filter((n) => elect(n) === n)
    expect(owners()).toHaveLength(1)
    c.net.partition([c.addr('a')], [c.addr('b')])
    c.clock.advance(3000)
    expect(owners().sort()).toEqual(['a', 'b'])
    c.net.heal()
    c.clock.advance(3000)
    expect(owners()).toHaveLength(1)
  })

  it('a speaker starting while its peer is down counts itself in only after the join period', async () => {
    const c = cluster = await simCluster(['a', 'b'])
    // b goes before anything was exchanged: a has heard nobody and is still joining.
    await c.members.get('b')!.stop()
    expect(c.alive('a')).toEqual([])
    const t = c.until(() => c.alive('a').join() === 'a', 3000)
    expect(t).toBeDefined()
    expect(t!).toBeGreaterThanOrEqual(DEFAULT_TIMERS.probeTimeoutMs)
  })

  it('a speaker whose datagrams are refused for their key stays out, and so does its peer', async () => {
    const c = cluster = await simCluster(['a'])
    await c.add('b', writeKey(c.dir, 'wrong', 'not-the-cluster-key'))
    c.clock.advance(5000)
    expect(c.alive('a')).toEqual([])
    expect(c.alive('b')).toEqual([])
  })

  it('the rule can be switched off: then a speaker that hears nobody leaves itself out, as with more speakers', async () => {
    const c = cluster = await simCluster(['a', 'b'], {twoSpeakerRule: false})
    expect(c.until(() => converged(c, ['a', 'b'], ['a', 'b']), 1000)).toBeDefined()
    c.net.partition([c.addr('a')], [c.addr('b')])
    c.clock.advance(3000)
    expect([c.alive('a'), c.alive('b')]).toEqual([[], []])
  })
})
