// Go's time.ParseDuration, which MetalLB v0.12 used for hold-time and keepalive-time. Not src/lib/cluster/duration.ts:
// that one reads CLI flags (a bare number is seconds there; Go refuses it). Pure.

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

/** The CRD's duration form (`^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`) for whole milliseconds: `90s`, `1500ms`. */
export function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}

export const CRD_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/
