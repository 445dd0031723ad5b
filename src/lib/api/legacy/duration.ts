// Go's time.ParseDuration, which MetalLB v0.12 used for hold-time and keepalive-time. Broader than lbctl's one duration
// syntax (src/lib/duration.ts, the CRDs' grammar): a sign, `.5s`, `5.s` and `μs` (U+03BC) are Go's too, so a legacy
// value is read with Go's rules here and written back in the CRDs' grammar (tested against DURATION_PATTERN). Pure.
import {DURATION_PATTERN} from '../../duration.js'

const UNIT_MS: Record<string, number> = {ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000}
const TERM = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y

/** Milliseconds (may be fractional), or undefined when Go would refuse the text. */
export function parseGoDuration(text: string): number | undefined {
  let s = text
  let sign = 1
  if (s.startsWith('-') || s.startsWith('+')) {
    sign = s[0] === '-' ? -1 : 1
    s = s.slice(1)
  }
  if (s === '0') return 0
  if (s === '') return undefined
  TERM.lastIndex = 0
  let total = 0
  let end = 0
  for (let m = TERM.exec(s); m; m = TERM.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]]
    end = TERM.lastIndex
  }
  if (end !== s.length) return undefined
  return sign * total
}

/** The CRDs' duration grammar (the one in src/lib/duration.ts). */
export const CRD_DURATION = new RegExp(DURATION_PATTERN)
