// One duration syntax for every time flag and setting: the grammar the CRDs' duration fields accept (MetalLB's
// OpenAPI pattern; a subset of Go's time.ParseDuration: no sign, digits before any decimal point, a unit after every
// number), e.g. `90s`, `1m30s`, `1.5s`, `250ms`. A bare number is accepted only where a flag documented one.
import {badInput} from './errors.js'

/** The CRDs' OpenAPI pattern for a duration (src/lib/api/schema.ts uses it). */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$'

export type DurationUnit = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h'

/** Milliseconds per unit. `µs` is U+00B5, as in the CRDs' pattern. */
const MS: Record<string, number> = {ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000}
const PART = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/y
const BARE = /^[0-9]+(?:\.[0-9]+)?$/

export interface DurationOptions {
  /** What a number without a unit means; without this a unit is required. */
  bare?: DurationUnit
  /** Smallest accepted value in milliseconds (default 0). */
  minMs?: number
  /** Largest accepted value in milliseconds. */
  maxMs?: number
  /** How the value is called in errors, e.g. `--timeout` or `spec.holdTime`; the caller names it. Default "duration". */
  name?: string
}

/** Milliseconds in `text`, or undefined when it is not a duration of this grammar. No bounds. */
export function durationMs(text: string, bare?: DurationUnit): number | undefined {
  const t = text.trim()
  if (!t) return undefined
  if (BARE.test(t)) return bare ? Number(t) * MS[bare] : undefined
  PART.lastIndex = 0
  let total = 0
  let end = 0
  for (let m = PART.exec(t); m; m = PART.exec(t)) {
    total += Number(m[1]) * MS[m[2]]
    end = PART.lastIndex
  }
  return end === t.length ? total : undefined
}

/**
 * Parse a duration into milliseconds (fractions kept: `1500us` is 1.5). Throws a bad-input LbctlError
 * (`BAD_DURATION`, `DURATION_OUT_OF_RANGE`) that names the value and the accepted forms.
 */
export function parseDuration(text: string, opts: DurationOptions = {}): number {
  const name = opts.name ?? 'duration'
  const ms = durationMs(text, opts.bare)
  const forms = `a number with a unit (ns, us, ms, s, m, h), combined as in 1m30s, e.g. 90s, 1.5s, 250ms${opts.bare ? `; a bare number is ${UNIT_WORDS[opts.bare]}` : ''}`
  if (ms === undefined) throw badInput('BAD_DURATION', `${name} ${JSON.stringify(text)} is not a duration`, `Write ${forms}.`)
  const min = opts.minMs ?? 0
  if (ms < min || (opts.maxMs !== undefined && ms > opts.maxMs)) {
    const range = opts.maxMs === undefined ? `at least ${formatDuration(min)}` : `from ${formatDuration(min)} to ${formatDuration(opts.maxMs)}`
    throw badInput('DURATION_OUT_OF_RANGE', `${name} ${JSON.stringify(text)} is out of range: it must be ${range}`, `Write a duration ${range}.`)
  }
  return ms
}

const UNIT_WORDS: Record<DurationUnit, string> = {ns: 'nanoseconds', us: 'microseconds', ms: 'milliseconds', s: 'seconds', m: 'minutes', h: 'hours'}

/** Milliseconds as Go prints a duration: `1h2m3.5s`, `1.5s`, `250ms`, `0s`. Sub-millisecond parts print as `µs`/`ns`. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'
  if (ms < 0) return '-' + formatDuration(-ms)
  if (ms < 1000) {
    if (ms >= 1) return `${trim(ms)}ms`
    if (ms >= 1e-3) return `${trim(ms * 1000)}µs`
    return `${trim(ms * 1e6)}ns`
  }
  const h = Math.floor(ms / 3_600_000)
  const m = Math.floor((ms % 3_600_000) / 60_000)
  const s = (ms % 60_000) / 1000
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${trim(s)}s`
}

const trim = (n: number): string => String(Number(n.toFixed(6)))
