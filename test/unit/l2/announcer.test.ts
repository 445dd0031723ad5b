import {describe, expect, it} from 'vitest'
import {Announcer} from '../../../src/lib/l2/announcer.js'
import {FakeClock} from '../../support/fake-clock.js'


describe('Announcer', () => {
  it('announces at once, then every 1.1 s for 5 s (Linux locktime is 1 s)', () => {
    const clock = new FakeClock()
    const sent: [string, number, number][] = []
    const a = new Announcer((k, round) => sent.push([k, round, clock.now()]), {}, clock)
    a.start('203.0.113.10')
    expect(sent).toEqual([['203.0.113.10', 0, 0]])
    clock.advance(60_000)
    expect(sent.map((s) => s[2])).toEqual([0, 1100, 2200, 3300, 4400])
    expect(clock.pending()).toBe(0)
    expect(a.active()).toEqual(['203.0.113.10'])
  })

  it('keeps refreshing when asked (switch FDB ageing)', () => {
    const clock = new FakeClock()
    const times: number[] = []
    const a = new Announcer(() => times.push(clock.now()), {repeatIntervalMs: 1000, repeatForMs: 2000, refreshIntervalMs: 30_000}, clock)
    a.start('x')
    clock.advance(70_000)
    expect(times).toEqual([0, 1000, 2000, 32_000, 62_000])
  })

  it('stops at once, also from inside the callback, and restarts a running schedule', () => {
    const clock = new FakeClock()
    let n = 0
    const a = new Announcer(() => {
      n++
      if (n === 2) a.stop('x')
    }, {}, clock)
    a.start('x')
    clock.advance(10_000)
    expect(n).toBe(2)
    expect(clock.pending()).toBe(0)
    a.start('y')
    clock.advance(1500)
    a.start('y') // ownership taken again: a fresh burst
    expect(n).toBe(5)
    clock.advance(10_000)
    expect(n).toBe(9) // 2 (x) + 2 (y's first burst, cut short by the restart) + 5 (the fresh burst)
    expect(a.stop('y')).toBe(true)
    expect(a.stop('y')).toBe(false)
  })
})
