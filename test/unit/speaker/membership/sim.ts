// A cluster of GossipMembership instances on an in-memory network in virtual time (FakeClock), with real key files.
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {FakeClock} from '../../../support/fake-clock.js'
import {GossipMembership} from '../../../../src/speaker/membership/membership.js'
import type {MembershipTimers} from '../../../../src/speaker/membership/options.js'
import {seededRandom, SimNetwork} from '../../../../src/speaker/membership/sim-network.js'
import type {LivenessView} from '../../../../src/speaker/membership/types.js'

export const EPOCH = 1_780_000_000_000

export interface SimCluster {
  clock: FakeClock
  net: SimNetwork
  dir: string
  members: Map<string, GossipMembership>
  addr: (node: string) => string
  /** Every view change, per node, with the virtual time. */
  history: Map<string, Array<{t: number; view: LivenessView}>>
  add: (node: string, keyFile?: string, previousKeyFile?: string) => Promise<GossipMembership>
  alive: (node: string) => string[]
  /** Advance virtual time in small steps until `pred` holds; returns the virtual ms it took, or undefined. */
  until: (pred: () => boolean, maxMs: number, stepMs?: number) => number | undefined
  stop: () => Promise<void>
}

export function writeKey(dir: string, name: string, content: string | Buffer): string {
  const p = join(dir, name)
  writeFileSync(p, content)
  return p
}

export async function simCluster(nodes: string[], o: {timers?: Partial<MembershipTimers>; seed?: number; loss?: number; keyGraceMs?: number; twoSpeakerRule?: boolean} = {}): Promise<SimCluster> {
  const clock = new FakeClock()
  const random = seededRandom(o.seed ?? 1)
  const net = new SimNetwork(clock, {loss: o.loss, random})
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-ml-'))
  const key = writeKey(dir, 'secretkey', 'c2VjcmV0LWtleS1mb3ItdGVzdHM=\n')
  const members = new Map<string, GossipMembership>()
  const history = new Map<string, Array<{t: number; view: LivenessView}>>()
  const index = new Map(nodes.map((n, i) => [n, i]))
  const addr = (n: string): string => `10.0.${(index.get(n) ?? 250) >> 8}.${((index.get(n) ?? 250) & 255) + 1}`
  const candidates = (): Array<{node: string; address: string}> => nodes.map((n) => ({node: n, address: addr(n)}))
  const c: SimCluster = {
    clock, net, dir, members, addr, history,
    async add(node, keyFile = key, previousKeyFile) {
      if (!index.has(node)) {
        index.set(node, index.size)
        nodes.push(node)
      }
      const m = new GossipMembership({node, bindAddress: addr(node), keyFile, previousKeyFile, timers: o.timers, clock, random,
        wallClock: () => EPOCH + clock.now(), bind: async (a) => net.endpoint(a), keyPollMs: 3_600_000, keyGraceMs: o.keyGraceMs, twoSpeakerRule: o.twoSpeakerRule})
      const h: Array<{t: number; view: LivenessView}> = []
      history.set(node, h)
      m.on('change', (view) => h.push({t: clock.now(), view}))
      members.set(node, m)
      await m.start()
      for (const x of members.values()) x.setCandidates(candidates())
      return m
    },
    alive: (n) => [...members.get(n)!.view().alive].sort(),
    until(pred, maxMs, stepMs = 1) {
      const start = clock.now()
      while (clock.now() - start <= maxMs) {
        if (pred()) return clock.now() - start
        clock.advance(stepMs)
      }
      return pred() ? clock.now() - start : undefined
    },
    async stop() {
      for (const m of members.values()) await m.stop()
    },
  }
  for (const n of [...nodes]) await c.add(n)
  return c
}
