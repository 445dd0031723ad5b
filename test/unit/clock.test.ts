import {describe, expect, it} from 'vitest'
import {sleep, systemClock, Timer} from '../../src/lib/clock.js'
import {FakeClock} from '../support/fake-clock.js'

describe('clock', () => {
  it('system timers are unref\'d, so a pending timer never keeps a stopped process alive', () => {
    const h = systemClock.setTimeout(() => undefined, 60_000) as NodeJS.Timeout
    try {
      expect(h.hasRef()).toBe(false)
    } finally {
      systemClock.clearTimeout(h)
    }
  })

  it('a Timer re-arms, reports what remains, and stops', () => {
    const clock = new FakeClock()
    let fired = 0
    const t = new Timer(clock, () => fired++)
    t.start(100)
    clock.advance(60)
    expect(t.remaining).toBe(40)
    t.start(100)
    clock.advance(60)
    expect([fired, t.running]).toEqual([0, true])
    clock.advance(40)
    expect([fired, t.running, t.remaining]).toEqual([1, false, undefined])
    t.start(10)
    t.stop()
    clock.advance(100)
    expect([fired, clock.pending()]).toEqual([1, 0])
  })

  it('the fake clock runs timers in time order, ties in the order they were set, including ones set meanwhile', async () => {
    const clock = new FakeClock()
    const seen: string[] = []
    clock.setTimeout(() => seen.push('b'), 20)
    clock.setTimeout(() => {
      seen.push('a')
      clock.setTimeout(() => seen.push('a2'), 5)
    }, 10)
    clock.setTimeout(() => seen.push('b2'), 20)
    const slept = sleep(clock, 30).then(() => seen.push('slept'))
    clock.advance(30)
    await slept
    expect(seen).toEqual(['a', 'a2', 'b', 'b2', 'slept'])
    expect(clock.now()).toBe(30)
  })
})
