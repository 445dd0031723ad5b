import {describe, expect, it} from 'vitest'
import {Announcer} from '../../../src/lib/l2/announcer.js'
import type {Clock} from '../../../src/lib/l2/clock.js'

/** A virtual clock: timers run when the test advances time. */
class FakeClock implements Clock {
  t = 0
  private timers = new Map<number, {at: number; fn: () => void}>()
  private id = 0
  now = (): number => this.t
  setTimeout = (fn: () => void, ms: number): number => {
    this.timers.set(++this.id, {at: this.t + ms, fn})
    return this.id
  }
  clearTimeout = (h: unknown): void => {
    this.timers.delete(h as number)
  }
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      const next = [...this.timers.entries()].sort((a, b) => a[1].at - b[1].at)[0]
      if (!next || next[1].at > end) break
      this.timers.delete(next[0])
      this.t = next[1].at
      next[1].fn()
    }
    this.t = end
  }
  pending(): number {
    return this.timers.size
  }
}

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
