import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {FreeSet} from '../../../src/lib/ipam/index.js'

describe('FreeSet', () => {
  it('holds a /64 as one interval with an exact size', () => {
    const s = new FreeSet([{start: 1n << 64n, end: (2n << 64n) - 1n}])
    expect(s.size).toBe(1n << 64n)
    expect(s.intervals).toBe(1)
    expect(s.lowest()).toBe(1n << 64n)
  })

  it('splits on remove and merges on add', () => {
    const s = new FreeSet([{start: 10n, end: 20n}])
    expect(s.remove(15n)).toBe(true)
    expect(s.remove(15n)).toBe(false)
    expect(s.toArray()).toEqual([{start: 10n, end: 14n}, {start: 16n, end: 20n}])
    expect(s.remove(10n) && s.remove(20n)).toBe(true)
    expect(s.toArray()).toEqual([{start: 11n, end: 14n}, {start: 16n, end: 19n}])
    expect(s.add(15n)).toBe(true)
    expect(s.add(15n)).toBe(false)
    expect(s.toArray()).toEqual([{start: 11n, end: 19n}])
    expect(s.size).toBe(9n)
  })

  it('merges overlapping and adjacent input intervals', () => {
    const s = new FreeSet([{start: 5n, end: 9n}, {start: 1n, end: 4n}, {start: 7n, end: 12n}, {start: 20n, end: 20n}])
    expect(s.toArray()).toEqual([{start: 1n, end: 12n}, {start: 20n, end: 20n}])
    expect(s.size).toBe(13n)
  })

  it('agrees with a plain Set under random add/remove sequences', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({min: 0, max: 63})), {maxLength: 300}), (ops) => {
      const s = new FreeSet([{start: 0n, end: 63n}])
      const model = new Set(Array.from({length: 64}, (_, i) => i))
      for (const [add, v] of ops) {
        const r = add ? s.add(BigInt(v)) : s.remove(BigInt(v))
        expect(r).toBe(add ? !model.has(v) : model.has(v))
        if (add) model.add(v)
        else model.delete(v)
        expect(s.size).toBe(BigInt(model.size))
        const low = model.size ? Math.min(...model) : undefined
        expect(s.lowest()).toBe(low === undefined ? undefined : BigInt(low))
      }
      const arr = s.toArray()
      for (let i = 1; i < arr.length; i++) expect(arr[i].start > arr[i - 1].end + 1n).toBe(true)
      for (let v = 0; v < 64; v++) expect(s.has(BigInt(v))).toBe(model.has(v))
    }), {numRuns: 300})
  })
})
