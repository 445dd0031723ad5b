// The membership protocol in virtual time on an in-memory network: detection, indirect probes, suspicion and
// refutation, leave, partitions, and the rule that a speaker whose gossip is broken leaves itself out.
import {readFileSync} from 'node:fs'
import {afterEach, describe, expect, it} from 'vitest'
import {DEFAULT_TIMERS, suspicionTimeoutMs} from '../../../../src/speaker/membership/options.js'
import {EPOCH, type SimCluster, simCluster, writeKey} from './sim.js'

let cluster: SimCluster | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

const ALL = ['a', 'b', 'c']
const converged = (c: SimCluster, nodes: string[], want: string[]): boolean => nodes.every((n) => c.alive(n).join() === want.join())

describe('membership protocol (virtual time)', () => {
  it('converges: every node sees every node alive, from gossip', async () => {
    const c = cluster = await simCluster([...ALL])
    expect(c.until(() => converged(c, ALL, ALL), 1000)).toBeDefined()
    for (const n of ALL) expect(c.members.get(n)!.view().source).toBe('gossip')
  })

  it('detects a dead node with the default timers in well under a second', async () => {
    const times: number[] = []
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const c = cluster = await simCluster([...ALL], {seed})
      expect(c.until(() => converged(c, ALL, ALL), 1000)).toBeDefined()
      c.clock.advance(seed * 37) // kill at different points of the probe cycle
      c.net.setDown(c.addr('c'), true)
      const t = c.until(() => converged(c, ['a', 'b'], ['a', 'b']), 3000)
      expect(t).toBeDefined()
      times.push(t!)
      await c.stop()
    }
    // Not before the suspicion timeout (it is the protocol that decides), never later than first probe + probe + suspicion.
    const suspicion = suspicionTimeoutMs(DEFAULT_TIMERS, 3)
    expect(Math.min(...times)).toBeGreaterThanOrEqual(suspicion)
    expect(Math.max(...times)).toBeLessThanOrEqual(3 * DEFAULT_TIMERS.probeIntervalMs + suspicion)
  })

  it('keeps a node alive through indirect probes when its direct link to the prober is cut', async () => {
    const c = cluster = await simCluster([...ALL])
    expect(c.until(() => converged(c, ALL, ALL), 1000)).toBeDefined()
    c.net.setLinkLoss(c.addr('a'), c.addr('b'), 1)
    c.net.setLinkLoss(c.addr('b'), c.addr('a'), 1)
    const from = c.clock.now()
    c.clock.advance(10_000)
    const a = c.members.get('a')!
    expect(a.stats().indirectProbes).toBeGreaterThan(0)
    for (const n of ALL) {
      const after = c.history.get(n)!.filter((h) => h.t >= from)
      expect(after).toEqual([]) // no view change at all
      expect(c.alive(n)).toEqual(ALL)
    }
  })

  it('a suspected node refutes with a higher incarnation and is never declared dead', async () => {
    const c = cluster = await simCluster([...ALL])
    expect(c.until(() => converged(c, ALL, ALL), 1000)).toBeDefined()
    const b = c.members.get('b')!
    const inc = b.incarnation!
    const from = c.clock.now()
    c.net.setDown(c.addr('b'), true)
    c.clock.advance(250)
    c.net.setDown(c.addr('b'), false)
    c.clock.advance(3000)
    const suspected = c.members.get('a')!.stats().suspected + c.members.get('c')!.stats().suspected
    expect(suspected).toBeGreaterThan(0)
    expect(b.stats().refuted).toBeGreaterThan(0)
    expect(b.incarnation).toBeGreaterThan(inc)
    for (const n of ['a', 'c']) {
      for (const h of c.history.get(n)!.filter((x) => x.t >= from)) expect([...h.view.alive]).toContain('b')
      expect(c.members.get(n)!.memberState('b')).toEqual({node: 'b', state: 'alive', incarnation: b.incarnation})
    }
  })

  it('5 % loss on every link: a minute without a single view change, and a kill is still detected', async () => {
    const nodes = ['a', 'b', 'c', 'd', 'e']
    const c = cluster = await simCluster([...nodes], {loss: 0.05, seed: 7})
    expect(c.until(() => converged(c, nodes, nodes), 1000)).toBeDefined()
    const from = c.clock.now()
    c.clock.advance(60_000)
    for (const n of nodes) expect(c.history.get(n)!.filter((h) => h.t >= from)).toEqual([])
    expect(nodes.reduce((s, n) => s + c.members.get(n)!.stats().indirectProbes, 0)).toBeGreaterThan(0) // loss did bite
    c.net.setDown(c.addr('e'), true)
    expect(c.until(() => converged(c, ['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'd']), 3000)).toBeDefined()
  })

  it('a graceful leave is seen by the others at once', async () => {
    const c = cluster = await simCluster([...ALL])
    expect(c.until(() => converged(c, ALL, ALL), 1000)).toBeDefined()
    await c.members.get('b')!.leave()
    const t = c.until(() => converged(c, ['a', 'c'], ['a', 'c']), 1000, 0.1)
    expect(t).toBeDefined()
    expect(t!).toBeLessThanOrEqual(1) // one network delay (0.2 ms), no probe, no suspicion
    expect(c.members.get('a')!.memberState('b')?.state).toBe('left')
  })

  it('a 2|1 partition: the lone node leaves itself out; after the heal every node has the same view', async () => {
    const c = cluster = await simCluster([...ALL])
    expect(c.until(() => converged(c, ALL, ALL), 1000)).toBeDefined()
    c.net.partition([c.addr('a'), c.addr('b')], [c.addr('c')])
    expect(c.until(() => converged(c, ['a', 'b'], ['a', 'b']) && c.alive('c').length === 0, 5000)).toBeDefined()
    // The lone node announces nothing: it is not in its own view (nor in anyone else's).
    expect(c.members.get('c')!.stats().healthy).toBe(false)
    c.clock.advance(2000)
    expect(c.alive('c')).toEqual([])
    c.net.heal()
    expect(c.until(() => converged(c, ALL, ALL), 5000)).toBeDefined()
    c.clock.advance(2000)
    for (const n of ALL) expect(c.alive(n)).toEqual(ALL)
  })

  it('a speaker whose messages are refused (wrong key) never counts itself, and nobody counts it', async () => {
    const c = cluster = await simCluster([...ALL])
    const wrong = writeKey(c.dir, 'wrongkey', 'not-the-cluster-key')
    const d = await c.add('d', wrong)
    c.clock.advance(5000)
    for (const n of ALL) expect(c.alive(n)).toEqual(ALL)
    expect(c.alive('d')).toEqual([])
    expect(d.view()).toEqual({alive: new Set(), source: 'gossip', reason: expect.stringMatching(/leaves itself out .*dropped as: auth/)})
    for (const h of c.history.get('d')!) expect([...h.view.alive]).not.toContain('d')
    for (const n of ALL) for (const h of c.history.get(n)!) expect([...h.view.alive]).not.toContain('d')
    expect(c.members.get('a')!.stats().dropped.auth).toBeGreaterThan(0)
    expect(d.stats().dropped.auth).toBeGreaterThan(0)
  })

  it('without a key file the view is the API one (all candidates), and says why', async () => {
    const c = cluster = await simCluster(['a'])
    const m = await c.add('b', '/nonexistent/secretkey')
    const v = m.view()
    expect(v.source).toBe('api')
    expect(v.reason).toMatch(/cannot read memberlist key file \/nonexistent\/secretkey: ENOENT/)
    expect([...v.alive].sort()).toEqual(['a', 'b'])
  })

  it('without a key while the others gossip, the speaker leaves itself out of the API view', async () => {
    const c = cluster = await simCluster([...ALL])
    const m = await c.add('d', '/nonexistent/secretkey')
    c.clock.advance(1000) // the others ping d (a candidate): d sees framed datagrams it cannot check
    const v = m.view()
    expect(v.source).toBe('api')
    expect(v.reason).toMatch(/leaves itself out/)
    expect([...v.alive].sort()).toEqual(ALL)
    expect(m.stats().dropped['no-key']).toBeGreaterThan(0)
  })

  it('a key that appears later (Secret mounted late) switches the speaker from the API view to gossip', async () => {
    const c = cluster = await simCluster([...ALL])
    const late = `${c.dir}/late-secretkey`
    const m = await c.add('d', late)
    c.clock.advance(500)
    expect(m.view().source).toBe('api')
    writeKey(c.dir, 'late-secretkey', readFileSync(`${c.dir}/secretkey`))
    await m.reloadKeys()
    expect(c.until(() => converged(c, [...ALL, 'd'], [...ALL, 'd']), 1000)).toBeDefined()
    expect(m.view().source).toBe('gossip')
  })

  it('when the port cannot be bound the view is the API one without this speaker; gossip starts once it can bind', async () => {
    const {GossipMembership} = await import('../../../../src/speaker/membership/membership.js')
    const c = cluster = await simCluster([...ALL])
    let attempts = 0
    const m = new GossipMembership({node: 'd', bindAddress: '10.9.9.9', keyFile: `${c.dir}/secretkey`, clock: c.clock, wallClock: () => EPOCH + c.clock.now(),
      keyPollMs: 3_600_000, bindRetryMs: 1000,
      bind: async (a) => {
        if (++attempts < 3) throw Object.assign(new Error('bind EADDRINUSE'), {code: 'EADDRINUSE'})
        return c.net.endpoint(a)
      }})
    const candidates = [...ALL.map((n) => ({node: n, address: c.addr(n)})), {node: 'd', address: '10.9.9.9'}]
    m.setCandidates(candidates)
    await m.start()
    try {
      expect(m.view()).toEqual({alive: new Set(ALL), source: 'api', reason: expect.stringMatching(/cannot bind UDP 10\.9\.9\.9:7946 \(EADDRINUSE\)/)})
      for (const x of c.members.values()) x.setCandidates(candidates)
      for (let i = 0; i < 3; i++) {
        c.clock.advance(1000)
        await new Promise((r) => setImmediate(r))
      }
      expect(attempts).toBe(3)
      expect(c.until(() => m.view().alive.size === 4 && c.alive('a').length === 4, 1000)).toBeDefined()
      expect(m.view().source).toBe('gossip')
    } finally {
      await m.stop()
    }
  })

  it('a (re)starting speaker counts itself in only with the whole view, never from a partial one', async () => {
    const c = cluster = await simCluster([...ALL])
    expect(c.until(() => converged(c, ALL, ALL), 1000)).toBeDefined()
    await c.members.get('c')!.stop()
    c.net.release(c.addr('c'))
    expect(c.until(() => converged(c, ['a', 'b'], ['a', 'b']), 2000)).toBeDefined()
    const restarted = await c.add('c')
    expect(c.until(() => converged(c, ALL, ALL), 1000)).toBeDefined()
    const withSelf = c.history.get('c')!.filter((h) => h.view.alive.has('c'))
    expect(withSelf.length).toBeGreaterThan(0)
    expect([...withSelf[0].view.alive].sort()).toEqual(ALL)
    expect(restarted.incarnation).toBeGreaterThan(0)
  })

  it('members the API stops listing are dropped; new ones join within a round trip', async () => {
    const c = cluster = await simCluster([...ALL])
    expect(c.until(() => converged(c, ALL, ALL), 1000)).toBeDefined()
    await c.add('d')
    expect(c.until(() => converged(c, [...ALL, 'd'], [...ALL, 'd']), 50, 0.5)).toBeDefined()
    for (const n of ALL) c.members.get(n)!.setCandidates(ALL.map((x) => ({node: x, address: c.addr(x)})))
    for (const n of ALL) expect(c.alive(n)).toEqual(ALL)
  })
})
