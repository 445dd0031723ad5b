// Datagrams that must not count: replayed, forged, malformed, stale, from strangers; and key rotation without a
// single view change.
import {readFileSync} from 'node:fs'
import {afterEach, describe, expect, it} from 'vitest'
import {deriveKey, seal} from '../../../../src/speaker/membership/auth.js'
import {encodeMessage} from '../../../../src/speaker/membership/codec.js'
import {DEFAULT_KEY_GRACE_MS} from '../../../../src/speaker/membership/rotation.js'
import {EPOCH, type SimCluster, simCluster, writeKey} from './sim.js'

let cluster: SimCluster | undefined
afterEach(async () => {
  await cluster?.stop()
  cluster = undefined
})

const ALL = ['a', 'b', 'c']
const converged = (c: SimCluster, want: string[]): boolean => want.every((n) => c.alive(n).join() === want.join())

async function ready(): Promise<SimCluster> {
  const c = cluster = await simCluster([...ALL])
  expect(c.until(() => converged(c, ALL), 1000)).toBeDefined()
  return c
}

function forge(c: SimCluster, over: Partial<Parameters<typeof encodeMessage>[0]>, key = deriveKey(readFileSync(`${c.dir}/secretkey`))!): Buffer {
  return seal(encodeMessage({bootId: 'aabbccddeeff0011', seq: 1, timestamp: EPOCH + c.clock.now(), sender: 'a', incarnation: EPOCH,
    body: {type: 'gossip'}, updates: [], ...over}), key)
}

describe('membership: what is dropped, and why', () => {
  it('drops a replayed datagram and counts it', async () => {
    const c = await ready()
    let captured: Buffer | undefined
    c.net.tap = (from, to, buf) => {
      if (!captured && from === c.addr('a') && to === c.addr('b')) captured = Buffer.from(buf)
    }
    c.clock.advance(300)
    expect(captured).toBeDefined()
    const b = c.members.get('b')!
    const before = b.stats().dropped.replay
    c.net.inject(c.addr('a'), c.addr('b'), captured!)
    c.net.inject(c.addr('a'), c.addr('b'), captured!)
    expect(b.stats().dropped.replay).toBe(before + 2)
  })

  it('drops datagrams under a wrong key, garbage, stale timestamps and unknown senders, each under its reason', async () => {
    const c = await ready()
    const b = c.members.get('b')!
    const d0 = {...b.stats().dropped}
    const to = c.addr('b')
    const send = (buf: Buffer): void => c.net.inject(c.addr('a'), to, buf)
    send(forge(c, {}, deriveKey(Buffer.from('some other key'))!))
    send(Buffer.from('GET / HTTP/1.1\r\n\r\n'))
    const bad = forge(c, {})
    bad[3] = 9 // unknown type, MAC recomputed: authentic but malformed
    send(seal(bad, deriveKey(readFileSync(`${c.dir}/secretkey`))!))
    send(forge(c, {timestamp: EPOCH + c.clock.now() - 120_000}))
    send(forge(c, {sender: 'mallory'}))
    send(forge(c, {sender: 'b'}))
    const v = Buffer.from(forge(c, {})); v[2] = 2
    send(v)
    const d = b.stats().dropped
    expect({auth: d.auth - d0.auth, malformed: d.malformed - d0.malformed, stale: d.stale - d0.stale,
      'unknown-sender': d['unknown-sender'] - d0['unknown-sender'], self: d.self - d0.self, version: d.version - d0.version})
      .toEqual({auth: 1, malformed: 2, stale: 1, 'unknown-sender': 1, self: 1, version: 1})
    c.clock.advance(1000)
    expect(c.alive('b')).toEqual(ALL)
  })

  it('a forged "dead" about a member under a wrong key changes nothing', async () => {
    const c = await ready()
    const from = c.clock.now()
    for (let i = 0; i < 10; i++) {
      c.net.inject(c.addr('a'), c.addr('b'), forge(c, {seq: 1000 + i, updates: [{node: 'c', state: 'dead', incarnation: 2 ** 52}]}, deriveKey(Buffer.from('x'))!))
    }
    c.clock.advance(1000)
    expect(c.history.get('b')!.filter((h) => h.t >= from)).toEqual([])
  })

  it('rotates keys in two steps (new key accepted everywhere, then sent everywhere) without a view change', async () => {
    const c2 = cluster = await simCluster([])
    const k1 = 'b2xkLWtleS1iZWZvcmUtcm90YXRpb24=\n'
    const k2 = 'bmV3LWtleS1hZnRlci1yb3RhdGlvbg==\n'
    // Each node has its own pair of files, as each kubelet refreshes its mounted Secret on its own schedule.
    for (const n of ALL) await c2.add(n, writeKey(c2.dir, `${n}-cur`, k1), writeKey(c2.dir, `${n}-prev`, ''))
    expect(c2.until(() => converged(c2, ALL), 1000)).toBeDefined()
    const start = c2.clock.now()
    // Step 1: previoussecretkey = new key, one node every 700 ms.
    for (const n of ALL) {
      writeKey(c2.dir, `${n}-prev`, k2)
      await c2.members.get(n)!.reloadKeys()
      c2.clock.advance(700)
    }
    // Step 2: secretkey = new, previoussecretkey = old, again one node at a time.
    for (const n of ALL) {
      writeKey(c2.dir, `${n}-cur`, k2)
      writeKey(c2.dir, `${n}-prev`, k1)
      await c2.members.get(n)!.reloadKeys()
      c2.clock.advance(700)
    }
    // A key file change is also a one-step rotation (rotation.ts): the old key is still sent for a grace period, then
    // the new; nodes switch at their own moment, so for a while the old key arrives as the previous one.
    c2.clock.advance(DEFAULT_KEY_GRACE_MS + 1000)
    for (const n of ALL) expect(c2.history.get(n)!.filter((h) => h.t >= start)).toEqual([])
    expect(c2.members.get('a')!.stats().previousKey).toBeGreaterThan(0)
    // Done: the old key is no longer needed; a node still sending with it would be refused (once the one-step
    // rotation's memory of it, two grace periods, has passed too).
    c2.clock.advance(DEFAULT_KEY_GRACE_MS)
    for (const n of ALL) {
      writeKey(c2.dir, `${n}-prev`, '')
      await c2.members.get(n)!.reloadKeys()
    }
    const authBefore = c2.members.get('b')!.stats().dropped.auth
    c2.net.inject(c2.addr('a'), c2.addr('b'), forge(c2, {seq: 99}, deriveKey(Buffer.from(k1))!))
    expect(c2.members.get('b')!.stats().dropped.auth).toBe(authBefore + 1)
    c2.clock.advance(1000)
    for (const n of ALL) expect(c2.alive(n)).toEqual(ALL)
  })
})
