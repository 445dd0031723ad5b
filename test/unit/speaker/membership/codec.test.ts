// The membership wire format: round trips, an annotated fixture, and a fuzz target (typed errors only).
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {deriveKey, open, ReplayGuard, seal} from '../../../../src/speaker/membership/auth.js'
import {decodeMessage, encodeMessage, MAC_LENGTH, type Message, MembershipDecodeError} from '../../../../src/speaker/membership/codec.js'

const base = {bootId: '0102030405060708', seq: 7, timestamp: 1_780_000_000_123, sender: 'node-a', incarnation: 1_780_000_000_000}

describe('membership codec', () => {
  it('round-trips every message type with updates', () => {
    const msgs: Message[] = [
      {...base, body: {type: 'ping', probe: 1, target: 'node-b'}, updates: []},
      {...base, body: {type: 'ack', probe: 0xffffffff}, updates: [{node: 'node-c', state: 'suspect', incarnation: 5}]},
      {...base, body: {type: 'ping-req', probe: 9, target: 'nöde-ü'}, updates: [{node: 'x', state: 'dead', incarnation: 0}, {node: 'y', state: 'left', incarnation: 2 ** 53 - 1}]},
      {...base, body: {type: 'gossip'}, updates: [{node: 'node-a', state: 'alive', incarnation: 3}]},
    ]
    for (const m of msgs) expect(decodeMessage(encodeMessage(m))).toEqual(m)
  })

  it('matches the annotated fixture', () => {
    const hex = [
      '4c4d', '01', '02', //         magic "LM", version 1, type 2 (ack)
      '0102030405060708', //       boot id
      '00000007', //               sequence number 7
      '0000019e7044887b', //       timestamp 1780000000123 ms
      '0000019e70448800', //       incarnation 1780000000000
      '01', '61', //               sender: length 1, "a"
      '0000002a', //               probe id 42
      '01', //                     one update
      '02', '0000000000000005', '01', '62', // suspect, incarnation 5, "b"
      '00'.repeat(MAC_LENGTH), //  MAC (filled by seal)
    ].join('')
    const m: Message = {...base, sender: 'a', body: {type: 'ack', probe: 42}, updates: [{node: 'b', state: 'suspect', incarnation: 5}]}
    expect(encodeMessage(m).toString('hex')).toBe(hex)
  })

  it('names the reason of each malformation', () => {
    const good = encodeMessage({...base, body: {type: 'ping', probe: 1, target: 'b'}, updates: []})
    const reason = (b: Buffer): string => {
      try {
        decodeMessage(b)
        return 'ok'
      } catch (e) {
        return (e as MembershipDecodeError).reason
      }
    }
    expect(reason(good)).toBe('ok')
    expect(reason(good.subarray(0, 20))).toBe('short')
    expect(reason(Buffer.concat([Buffer.from('XX'), good.subarray(2)]))).toBe('magic')
    const v = Buffer.from(good); v[2] = 9
    expect(reason(v)).toBe('version')
    const t = Buffer.from(good); t[3] = 7
    expect(reason(t)).toBe('type')
    const extra = Buffer.concat([good.subarray(0, good.length - MAC_LENGTH), Buffer.from([0]), good.subarray(good.length - MAC_LENGTH)])
    expect(reason(extra)).toBe('trailing')
    const cut = Buffer.concat([good.subarray(0, good.length - MAC_LENGTH - 2), Buffer.alloc(MAC_LENGTH)])
    expect(reason(cut)).toBe('truncated')
    const badName = Buffer.from(good); badName[33] = 0xff
    expect(reason(badName)).toBe('name')
  })

  it('fuzz: 10,000 random datagrams and 10,000 mutated messages raise only MembershipDecodeError', () => {
    const typed = (b: Uint8Array): boolean => {
      try {
        decodeMessage(b)
        return true
      } catch (e) {
        return e instanceof MembershipDecodeError
      }
    }
    fc.assert(fc.property(fc.uint8Array({minLength: 0, maxLength: 400}), typed), {numRuns: 10_000})
    // Random bytes rarely pass the framing check, so also mutate valid messages (framing kept).
    const good = encodeMessage({...base, body: {type: 'ping-req', probe: 3, target: 'node-b'},
      updates: [{node: 'node-c', state: 'alive', incarnation: 4}, {node: 'node-d', state: 'dead', incarnation: 9}]})
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat({max: good.length - 1}), fc.integer({min: 0, max: 255})), {minLength: 1, maxLength: 8}),
      fc.nat({max: good.length}), (edits, cutAt) => {
        const b = Buffer.from(good)
        for (const [i, v] of edits) if (i >= 3) b[i] = v
        return typed(b) && typed(b.subarray(0, cutAt))
      }), {numRuns: 10_000})
  })
})

describe('membership authentication', () => {
  it('derives one key from the file content regardless of surrounding whitespace; empty is no key', () => {
    const k = deriveKey(Buffer.from('abc+/def==\n'))!
    expect(k).toHaveLength(32)
    expect(deriveKey(Buffer.from('  abc+/def==\r\n\n'))!.equals(k)).toBe(true)
    expect(deriveKey(Buffer.from('abc+/deg=='))!.equals(k)).toBe(false)
    expect(deriveKey(Buffer.from(' \n'))).toBeUndefined()
  })

  it('accepts the current or previous key, rejects any other and any changed byte', () => {
    const [k1, k2, k3] = ['one', 'two', 'three'].map((s) => deriveKey(Buffer.from(s))!)
    const msg = seal(encodeMessage({...base, body: {type: 'gossip'}, updates: []}), k1)
    expect(open(msg, {current: k1})).toBe('current')
    expect(open(msg, {current: k2, previous: k1})).toBe('previous')
    expect(open(msg, {current: k2, previous: k3})).toBeUndefined()
    const flipped = Buffer.from(msg); flipped[20] ^= 1
    expect(open(flipped, {current: k1})).toBeUndefined()
  })

  it('replay guard: a sliding window per sender, old boots and old timestamps refused', () => {
    const g = new ReplayGuard({window: 64, maxSkewMs: 30_000})
    const now = 1_000_000
    expect(g.accept('a', 'boot1', 10, now, now)).toBe('ok')
    expect(g.accept('a', 'boot1', 10, now, now)).toBe('replay')
    expect(g.accept('a', 'boot1', 8, now, now)).toBe('ok') // reordered, inside the window
    expect(g.accept('a', 'boot1', 8, now, now)).toBe('replay')
    expect(g.accept('a', 'boot1', 200, now, now)).toBe('ok')
    expect(g.accept('a', 'boot1', 100, now, now)).toBe('replay') // fell out of the window
    expect(g.accept('b', 'boot1', 10, now, now)).toBe('ok') // windows are per sender
    expect(g.accept('a', 'boot2', 1, now, now)).toBe('ok') // a restart
    expect(g.accept('a', 'boot1', 201, now, now)).toBe('replay') // the old boot is over
    expect(g.accept('a', 'boot2', 2, now - 31_000, now)).toBe('stale')
    expect(g.accept('a', 'boot2', 3, now + 31_000, now)).toBe('stale')
  })
})
