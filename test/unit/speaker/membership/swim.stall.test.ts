// A member whose event loop stalls: when it resumes, its expired timers run before it reads the datagrams that came in
// meanwhile (Node runs the timers phase before the poll phase). It must not judge others on that.
import {describe, expect, it} from 'vitest'
import type {Clock} from '../../../../src/lib/clock.js'
import {FakeClock} from '../../../support/fake-clock.js'
import type {Body, Update} from '../../../../src/speaker/membership/codec.js'
import {DEFAULT_TIMERS} from '../../../../src/speaker/membership/options.js'
import {Swim} from '../../../../src/speaker/membership/swim.js'

/** One process's event loop: while stalled nothing runs; on resume, due timers first, then queued datagrams. */
class EventLoop implements Clock {
  private stalledUntil = -1
  private readonly timers: Array<{fn: () => void; h: {cancelled: boolean}}> = []
  private readonly datagrams: Array<() => void> = []
  constructor(private readonly base: FakeClock) {}
  now(): number {
    return this.base.now()
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const h = {cancelled: false, inner: undefined as unknown}
    h.inner = this.base.setTimeout(() => {
      if (h.cancelled) return
      if (this.base.now() < this.stalledUntil) this.timers.push({fn, h})
      else fn()
    }, ms)
    return h
  }
  clearTimeout(handle: unknown): void {
    const h = handle as {cancelled: boolean; inner: unknown}
    h.cancelled = true
    this.base.clearTimeout(h.inner)
  }
  stall(ms: number): void {
    this.stalledUntil = this.base.now() + ms
    this.base.setTimeout(() => {
      for (const t of this.timers.splice(0)) if (!t.h.cancelled) t.fn()
      for (const d of this.datagrams.splice(0)) d()
    }, ms)
  }
  /** A datagram arrives: handled now, or queued while stalled. */
  deliver(fn: () => void): void {
    if (this.base.now() < this.stalledUntil) this.datagrams.push(fn)
    else fn()
  }
}

/** b's state machine on a stallable event loop; a and c are scripted peers that answer pings after 0.2 ms and refute. */
function setup(): {base: FakeClock; loop: EventLoop; swim: Swim} {
  const base = new FakeClock()
  const loop = new EventLoop(base)
  const inc: Record<string, number> = {a: 10, c: 20}
  const send = (to: string, body: Body, updates: Update[]): void => {
    if (body.type !== 'ping') return
    for (const u of updates) if (u.node === to && u.state !== 'alive' && u.incarnation >= inc[to]) inc[to] = u.incarnation + 1
    base.setTimeout(() => loop.deliver(() => swim.receive(to, inc[to], {type: 'ack', probe: body.probe}, [])), 0.2)
  }
  const swim: Swim = new Swim('b', DEFAULT_TIMERS, {clock: loop, random: () => 0.5, send, onChange: () => undefined}, 100)
  swim.setMembers(['a', 'c'])
  swim.start()
  base.advance(1)
  return {base, loop, swim}
}

describe('membership: a stalled event loop', () => {
  it('a member resuming from a stall reads the refutation before its expired suspicion declares anyone dead', () => {
    const {base, loop, swim} = setup()
    expect(swim.member('c')).toEqual({node: 'c', state: 'alive', incarnation: 20})
    swim.receive('a', 10, {type: 'gossip'}, [{node: 'c', state: 'suspect', incarnation: 20}])
    expect(swim.member('c')?.state).toBe('suspect')
    // b pinged c with the suspicion; c's refutation arrives in 0.2 ms, but b's loop stalls past its 400 ms timeout.
    loop.stall(600)
    base.advance(1000)
    expect(swim.counters.lateTimers).toBeGreaterThan(0)
    expect(swim.counters.declaredDead).toBe(0)
    expect(swim.member('c')).toEqual({node: 'c', state: 'alive', incarnation: 21})
  })

  it('a member resuming from a stall does not suspect the member whose ack waits unread', () => {
    const {base, loop, swim} = setup()
    base.advance(DEFAULT_TIMERS.probeIntervalMs - 1) // the first probe goes out one interval in
    loop.stall(300) // its ack arrives 0.2 ms after the ping and stays unread until the stall ends
    base.advance(1000)
    expect(swim.counters.lateTimers).toBeGreaterThan(0)
    expect(swim.counters.suspected).toBe(0)
    expect(swim.isHealthy()).toBe(true)
  })

  it('without a stall the machine runs on time: no timer counted late, answered probes never suspect', () => {
    const {base, swim} = setup()
    base.advance(10_000)
    expect(swim.counters.lateTimers).toBe(0)
    expect(swim.counters.suspected).toBe(0)
    expect(swim.counters.probes).toBeGreaterThan(10_000 / DEFAULT_TIMERS.probeIntervalMs - 10)
  })
})
