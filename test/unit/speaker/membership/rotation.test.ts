// One-step key rotation (rotation.ts): the operator replaces only `secretkey`; each node's file changes at its own
// moment, and no member ever loses another from its view, while the old key is forgotten afterwards.
import {readFileSync} from 'node:fs'
import {afterEach, describe, expect, it} from 'vitest'
import {deriveKey, seal} from '../../../../src/speaker/membership/auth.js'
import {encodeMessage} from '../../../../src/speaker/membership/codec.js'
import {KeyRotation} from '../../../../src/speaker/membership/rotation.js'
import {EPOCH, type SimCluster, simCluster, writeKey} from './sim.js'

const k = (s: string): Buffer => deriveKey(Buffer.from(s))!
const [K1, K2, KP] = [k('one'), k('two'), k('prev')]
const ALL = ['a', 'b', 'c']
const GRACE = 60_000
const K1TEXT = 'b2xkLWtleS1iZWZvcmUtcm90YXRpb24=\n'
const K2TEXT = 'bmV3LWtleS1hZnRlci1yb3RhdGlvbg==\n'

describe('KeyRotation (pure)', () => {
  it('sends the old key for one grace period, then the new, accepting the old for a second one', () => {
    const r = new KeyRotation(1000)
    r.update({current: K1}, 0)
    expect(r.ring(10)).toEqual({current: K1})
    expect(r.phase(10)).toBe('steady')
    r.update({current: K2, previous: KP}, 100)
    expect(r.phase(100)).toBe('announcing')
    expect(r.ring(100)).toEqual({current: K1, previous: KP, accepted: [K2]})
    expect(r.nextChangeAt(100)).toBe(1100)
    expect(r.phase(1100)).toBe('retiring')
    expect(r.ring(1100)).toEqual({current: K2, previous: KP, accepted: [K1]})
    expect(r.nextChangeAt(1100)).toBe(2100)
    expect(r.phase(2100)).toBe('steady')
    expect(r.ring(2100)).toEqual({current: K2, previous: KP})
    expect(r.nextChangeAt(2100)).toBeUndefined()
  })

  it('a second change during a rotation keeps sending the key in use; an unreadable file in between does not end it', () => {
    const r = new KeyRotation(1000)
    r.update({current: K1}, 0)
    r.update({current: K2}, 10)
    r.update({current: KP}, 20)
    expect(r.ring(20)).toEqual({current: K1, previous: undefined, accepted: [KP]})
    // A file read while half written (empty): no key for a moment, then the new one — the old key is still sent.
    r.update(undefined, 30)
    expect(r.ring(30)).toBeUndefined()
    r.update({current: K2}, 40)
    expect(r.ring(40)).toEqual({current: K1, previous: undefined, accepted: [K2]})
    expect(r.phase(40)).toBe('announcing')
  })

  it('the first read is no rotation, and a file previous key is not listed twice', () => {
    const r = new KeyRotation(1000)
    r.update({current: K2, previous: K1}, 0)
    expect(r.phase(0)).toBe('steady')
    r.update({current: KP, previous: K2}, 5)
    expect(r.ring(5)).toEqual({current: K2, previous: K2, accepted: [KP]})
  })
})

let cluster: SimCluster | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

/** Three members, each with its own key file; every file replaced with the new key, 20 s apart (kubelets' spread). */
async function rotateOneStep(keyGraceMs: number): Promise<{c: SimCluster; start: number}> {
  const c = cluster = await simCluster([], {keyGraceMs})
  for (const n of ALL) await c.add(n, writeKey(c.dir, `${n}-cur`, K1TEXT))
  expect(c.until(() => ALL.every((n) => c.alive(n).join() === ALL.join()), 1000)).toBeDefined()
  const start = c.clock.now()
  for (const n of ALL) {
    writeKey(c.dir, `${n}-cur`, K2TEXT)
    await c.members.get(n)!.reloadKeys()
    c.clock.advance(20_000)
  }
  return {c, start}
}

describe('membership: one-step key rotation', () => {
  it('no view change anywhere while the files change one node at a time; the old key is refused afterwards', async () => {
    const {c, start} = await rotateOneStep(GRACE)
    expect(c.members.get('a')!.keyPhase()).toBe('retiring')
    c.clock.advance(2 * GRACE)
    for (const n of ALL) expect(c.history.get(n)!.filter((h) => h.t >= start)).toEqual([])
    for (const n of ALL) expect(c.members.get(n)!.keyPhase()).toBe('steady')
    expect(c.members.get('c')!.stats().previousKey).toBeGreaterThan(0)
    // Everyone sends with the new key now: traffic keeps flowing and nothing is dropped as unauthenticated.
    const before = c.members.get('b')!.stats()
    c.clock.advance(5000)
    const after = c.members.get('b')!.stats()
    expect(after.received - before.received).toBeGreaterThan(50)
    expect(after.dropped.auth).toBe(before.dropped.auth)
    expect(after.previousKey).toBe(before.previousKey)
    // A datagram sealed with the old key is no longer accepted.
    const old = seal(encodeMessage({bootId: 'aabbccddeeff0011', seq: 1, timestamp: EPOCH + c.clock.now(), sender: 'a', incarnation: EPOCH,
      body: {type: 'gossip'}, updates: []}), deriveKey(Buffer.from(K1TEXT))!)
    c.net.inject(c.addr('a'), c.addr('b'), old)
    expect(c.members.get('b')!.stats().dropped.auth).toBe(after.dropped.auth + 1)
    for (const n of ALL) expect(c.alive(n)).toEqual(ALL)
    expect(readFileSync(`${c.dir}/a-cur`, 'utf8')).toBe(K2TEXT)
  })

  it('without the grace period (sending the new key at once) the same roll-out is a false failover', async () => {
    const {c, start} = await rotateOneStep(0)
    const lost = ALL.some((n) => c.history.get(n)!.some((h) => h.t >= start && h.view.alive.size < ALL.length))
    expect(lost).toBe(true)
  })
})

describe('membership: a speaker restarted during a rotation', () => {
  it('is answered in the new key it knows, so it reads every member that has seen the new file at once, not after the grace period', async () => {
    const c = cluster = await simCluster([], {keyGraceMs: GRACE})
    for (const n of ALL) await c.add(n, writeKey(c.dir, `${n}-cur`, K1TEXT))
    expect(c.until(() => ALL.every((n) => c.alive(n).join() === ALL.join()), 1000)).toBeDefined()
    // a and b see the new file: for one grace period they still send the old key and accept both.
    for (const n of ['a', 'b']) {
      writeKey(c.dir, `${n}-cur`, K2TEXT)
      await c.members.get(n)!.reloadKeys()
      expect(c.members.get(n)!.keyPhase()).toBe('announcing')
    }
    // c restarts; its pod mounts the Secret as it is now: only the new key, no previoussecretkey.
    await c.members.get('c')!.stop()
    const restarted = await c.add('c', writeKey(c.dir, 'c-restarted', K2TEXT))
    expect(c.until(() => c.alive('c').join() === ALL.join(), 2000)).toBeDefined()
    // From then on nothing it receives is refused, though a and b still send everyone else the old key.
    const before = restarted.stats()
    c.clock.advance(5000)
    const after = restarted.stats()
    expect(after.received - before.received).toBeGreaterThan(30)
    expect(after.dropped.auth).toBe(before.dropped.auth)
    expect(c.members.get('a')!.keyPhase()).toBe('announcing')
    for (const n of ALL) expect(c.alive(n)).toEqual(ALL)
  })
})
