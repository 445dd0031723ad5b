import {describe, expect, it} from 'vitest'
import {type PassRequest, type PassResult, Reconciler} from '../../../src/lib/reconcile/reconciler.js'
import {FakeClock} from '../../support/fake-clock.js'

function setup(o: {canRun?: () => boolean; pass?: (r: PassRequest) => PassResult | void} = {}) {
  const clock = new FakeClock()
  const passes: Array<{full: boolean; keys: string[]; at: number}> = []
  const errors: unknown[] = []
  const deferred: number[] = []
  const r = new Reconciler({
    clock, debounceMs: 10, backoff: {baseMs: 100, maxMs: 1000}, canRun: o.canRun, onError: (e) => errors.push(e),
    onDeferred: () => deferred.push(clock.now()),
    pass: (req) => {
      passes.push({full: req.full, keys: [...req.keys].sort(), at: clock.now()})
      return o.pass?.(req)
    },
  })
  return {clock, passes, errors, deferred, r}
}

describe('reconciler', () => {
  it('a burst of changes within the debounce is one pass over the distinct keys', () => {
    const {clock, passes, r} = setup()
    r.enqueue('a')
    clock.advance(5)
    r.enqueue('b', 'a')
    clock.advance(4)
    expect(passes).toEqual([])
    clock.advance(1)
    expect(passes).toEqual([{full: false, keys: ['a', 'b'], at: 10}])
    clock.advance(1000)
    expect(passes).toHaveLength(1)
    expect(clock.pending()).toBe(0)
  })

  it('requestFull makes the next pass full; kick runs a pass with nothing dirty', () => {
    const {clock, passes, r} = setup()
    r.requestFull()
    r.enqueue('x')
    clock.advance(10)
    r.kick()
    clock.advance(10)
    expect(passes).toEqual([{full: true, keys: ['x'], at: 10}, {full: false, keys: [], at: 20}])
  })

  it('while it may not run, changes wait; kick runs them all in one pass', () => {
    let may = false
    const {clock, passes, deferred, r} = setup({canRun: () => may})
    r.enqueue('a')
    clock.advance(50)
    r.enqueue('b')
    clock.advance(50)
    expect(passes).toEqual([])
    expect(deferred).toEqual([10, 60]) // each refusal is reported, when the debounce ends
    may = true
    r.kick()
    clock.advance(10)
    expect(passes).toEqual([{full: false, keys: ['a', 'b'], at: 110}])
  })

  it('failed keys come back with a doubling, capped backoff; success clears it', () => {
    let failing = new Set(['bad'])
    const {clock, passes, r} = setup({pass: (req) => ({retry: [...req.keys].filter((k) => failing.has(k))})})
    r.enqueue('bad', 'good')
    clock.advance(3570)
    // Each retry: the backoff (100, 200, 400, 800, then capped at 1000), then the 10 ms debounce.
    expect(passes.map((p) => [p.at, p.keys])).toEqual([[10, ['bad', 'good']], [120, ['bad']], [330, ['bad']], [740, ['bad']], [1550, ['bad']], [2560, ['bad']], [3570, ['bad']]])
    expect(r.counts.retrying).toBe(1)
    failing = new Set()
    clock.advance(1010)
    expect(passes.at(-1)).toEqual({full: false, keys: ['bad'], at: 4580})
    expect(r.counts.retrying).toBe(0)
    clock.advance(60_000)
    expect(passes).toHaveLength(8)
  })

  it('a pass that throws is retried as a full pass, with the same keys, after a backoff', () => {
    let throws = 2
    const {clock, passes, errors, r} = setup({pass: () => {
      if (throws-- > 0) throw new Error('boom')
    }})
    r.enqueue('a')
    clock.advance(10)
    clock.advance(100)
    clock.advance(200)
    expect(passes.map((p) => [p.full, p.keys, p.at])).toEqual([[false, ['a'], 10], [true, ['a'], 110], [true, ['a'], 310]])
    expect(errors).toHaveLength(2)
    expect(r.counts).toMatchObject({passes: 3, fullPasses: 2, failedPasses: 2, dirty: 0})
  })

  it('reset forgets dirty keys and retries and makes the next pass full; stop ends everything', () => {
    const {clock, passes, r} = setup({pass: (req) => ({retry: req.keys})})
    r.enqueue('a')
    clock.advance(10)
    r.enqueue('b')
    r.reset()
    clock.advance(10)
    expect(passes.at(-1)).toEqual({full: true, keys: [], at: 20})
    r.enqueue('c')
    r.stop()
    clock.advance(10_000)
    expect(passes).toHaveLength(2)
    expect(clock.pending()).toBe(0)
  })
})
