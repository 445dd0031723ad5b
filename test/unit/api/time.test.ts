import {describe, expect, it} from 'vitest'
import {microTime, rfc3339} from '../../../src/lib/api/time.js'

const T = Date.UTC(2024, 0, 2, 3, 4, 5, 678)

describe('Kubernetes timestamps', () => {
  it('metav1.Time: UTC, whole seconds, the fraction truncated', () => {
    expect(rfc3339(T)).toBe('2024-01-02T03:04:05Z')
    expect(rfc3339(Date.UTC(2024, 11, 31, 23, 59, 59, 999))).toBe('2024-12-31T23:59:59Z')
    expect(rfc3339(0)).toBe('1970-01-01T00:00:00Z')
  })

  it('metav1.MicroTime: six fractional digits', () => {
    expect(microTime(T)).toBe('2024-01-02T03:04:05.678000Z')
    expect(microTime(Date.UTC(2024, 0, 2, 3, 4, 5))).toBe('2024-01-02T03:04:05.000000Z')
    expect(microTime(T + 0.9)).toBe('2024-01-02T03:04:05.678000Z')
  })

  it('refuses what is not a time', () => {
    expect(() => rfc3339(Number.NaN)).toThrow(RangeError)
    expect(() => microTime(Number.POSITIVE_INFINITY)).toThrow(RangeError)
  })
})
