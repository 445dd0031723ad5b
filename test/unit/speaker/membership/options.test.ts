// Timer validation and the dissemination queue's bounds.
import {describe, expect, it} from 'vitest'
import {Dissemination} from '../../../../src/speaker/membership/dissemination.js'
import {isLbctlError} from '../../../../src/lib/errors.js'
import {DEFAULT_TIMERS, resolveTimers, retransmitLimit, suspicionTimeoutMs} from '../../../../src/speaker/membership/options.js'

describe('membership timers', () => {
  it('fills defaults and refuses values that cannot work, naming the timer', () => {
    expect(resolveTimers({})).toEqual(DEFAULT_TIMERS)
    expect(resolveTimers({probeIntervalMs: 50, probeTimeoutMs: undefined})).toEqual({...DEFAULT_TIMERS, probeIntervalMs: 50})
    expect(() => resolveTimers({probeTimeoutMs: 125})).toThrow(/probe timeout 125 ms must be shorter than the probe interval 125 ms/)
    expect(() => resolveTimers({probeIntervalMs: Number.NaN})).toThrow(/probeIntervalMs=NaN/)
    try {
      resolveTimers({suspicionMult: 0})
      expect.unreachable()
    } catch (e) {
      expect(isLbctlError(e) && {code: e.code, category: e.category, hint: e.hint}).toEqual({code: 'MEMBERSHIP_TIMER', category: 'bad-input', hint: 'use a number from 1 to 100'})
    }
  })

  it('scales suspicion and retransmissions with log n', () => {
    expect(suspicionTimeoutMs(DEFAULT_TIMERS, 3)).toBe(375)
    expect(suspicionTimeoutMs(DEFAULT_TIMERS, 100)).toBe(750)
    expect(retransmitLimit(DEFAULT_TIMERS, 3)).toBe(4)
    expect(retransmitLimit(DEFAULT_TIMERS, 50)).toBe(8)
  })
})

describe('dissemination queue', () => {
  it('sends each update λ·log n times, least-sent first, newer replacing older, within the byte budget', () => {
    const q = new Dissemination(DEFAULT_TIMERS)
    q.size = 3 // limit 4
    q.push({node: 'a', state: 'suspect', incarnation: 1})
    q.push({node: 'a', state: 'alive', incarnation: 2}) // replaces
    q.push({node: 'b', state: 'dead', incarnation: 1})
    expect(q.pending).toBe(2)
    const sent: string[] = []
    for (let i = 0; i < 10; i++) for (const u of q.take(1, 1000)) sent.push(`${u.node}:${u.state}`)
    expect(sent.filter((x) => x === 'a:alive')).toHaveLength(4)
    expect(sent.filter((x) => x === 'b:dead')).toHaveLength(4)
    expect(sent).not.toContain('a:suspect')
    expect(q.pending).toBe(0)
    q.push({node: 'c', state: 'alive', incarnation: 1})
    expect(q.take(8, 5)).toEqual([]) // 11 bytes do not fit in 5
  })
})
