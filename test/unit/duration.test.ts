import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {DURATION_PATTERN, durationMs, formatDuration, parseDuration} from '../../src/lib/duration.js'

describe('duration', () => {
  it.each([
    ['90s', 90_000], ['1m30s', 90_000], ['1.5s', 1500], ['250ms', 250], ['2h', 7_200_000], ['1h2m3s', 3_723_000],
    ['1500us', 1.5], ['1500µs', 1.5], ['2000000ns', 2], ['0s', 0], ['0.5m', 30_000], ['1s500ms', 1500], [' 5m ', 300_000],
    ['10s10s', 20_000],
  ])('%j is %d ms', (text, ms) => {
    expect(durationMs(text)).toBeCloseTo(ms, 9)
    expect(parseDuration(text)).toBeCloseTo(ms, 9)
  })

  it.each(['', ' ', '5', '5x', 's', '1.s', '.5s', '-1s', '+1s', '1m 30s', '1,5s', '1e3ms', '5S', '1d', 'μs', '1μs', 'inf', 'NaN'])(
    '%j is refused, naming the value and the forms', (text) => {
      expect(durationMs(text)).toBeUndefined()
      expect(() => parseDuration(text, {name: '--timeout'})).toThrow(expect.objectContaining({
        code: 'BAD_DURATION', category: 'bad-input', message: `--timeout ${JSON.stringify(text)} is not a duration`, hint: expect.stringContaining('1m30s'),
      }))
    })

  it('a bare number means the unit the caller documented, and is refused without one', () => {
    expect(parseDuration('12', {bare: 's'})).toBe(12_000)
    expect(parseDuration('2000', {bare: 'ms'})).toBe(2000)
    expect(parseDuration('1.5', {bare: 's'})).toBe(1500)
    expect(() => parseDuration('12')).toThrow(/is not a duration/)
    expect(() => parseDuration('x', {bare: 's'})).toThrow(expect.objectContaining({hint: expect.stringContaining('a bare number is seconds')}))
  })

  it('bounds refuse values outside them and say the range', () => {
    const o = {name: '--lease-duration', minMs: 1000, maxMs: 3_600_000}
    expect(parseDuration('1s', o)).toBe(1000)
    expect(parseDuration('1h', o)).toBe(3_600_000)
    expect(() => parseDuration('999ms', o)).toThrow(expect.objectContaining({
      code: 'DURATION_OUT_OF_RANGE', category: 'bad-input', message: '--lease-duration "999ms" is out of range: it must be from 1s to 1h0m0s',
    }))
    expect(() => parseDuration('1h1ns', o)).toThrow(/out of range/)
    expect(() => parseDuration('0s', {minMs: 1})).toThrow(/at least 1ms/)
  })

  it.each([[0, '0s'], [1, '1ms'], [1.5, '1.5ms'], [0.25, '250µs'], [0.000_5, '500ns'], [1500, '1.5s'], [90_000, '1m30s'], [3_600_000, '1h0m0s'], [3_723_500, '1h2m3.5s']])(
    'formats %d ms as %j (Go\'s form)', (ms, text) => {
      expect(formatDuration(ms)).toBe(text)
      expect(parseDuration(text)).toBeCloseTo(ms, 9)
    })

  it('accepts exactly what the CRDs\' pattern accepts', () => {
    const re = new RegExp(DURATION_PATTERN, 'u')
    const token = fc.constantFrom('0', '1', '9', '12', '.', '.5', 'ns', 'us', 'µs', 'ms', 's', 'm', 'h', 'x', '-', ' ', 'μ')
    fc.assert(fc.property(fc.array(token, {maxLength: 8}).map((a) => a.join('')), (text) => {
      const trimmed = text.trim()
      expect(durationMs(text) !== undefined).toBe(trimmed !== '' && re.test(trimmed))
    }), {numRuns: 3000})
  })

  it('the value of a combination is the sum of its parts', () => {
    const unit = fc.constantFrom(['ns', 1e-6], ['us', 1e-3], ['ms', 1], ['s', 1000], ['m', 60_000], ['h', 3_600_000]) as fc.Arbitrary<[string, number]>
    const part = fc.tuple(fc.integer({min: 0, max: 10_000}), fc.option(fc.integer({min: 0, max: 999}), {nil: undefined}), unit)
    fc.assert(fc.property(fc.array(part, {minLength: 1, maxLength: 5}), (parts) => {
      const text = parts.map(([i, f, [u]]) => `${i}${f === undefined ? '' : `.${String(f).padStart(3, '0')}`}${u}`).join('')
      const want = parts.reduce((a, [i, f, [, ms]]) => a + (i + (f ?? 0) / 1000) * ms, 0)
      expect(parseDuration(text)).toBeCloseTo(want, 3)
    }))
  })
})
