import {badInput} from '../errors.js'

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}

/** A Go-style duration as kubectl takes it ("90s", "5m", "1m30s"); a bare number is seconds. */
export function parseDuration(s: string, flag = '--timeout'): number {
  const t = s.trim()
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000)
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy
  let total = 0
  let end = 0
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * UNITS[m[2]]
    end = re.lastIndex
  }
  if (!t || end !== t.length || total <= 0) {
    throw badInput('BAD_DURATION', `${flag} ${JSON.stringify(s)} is not a duration`, `Use e.g. ${flag} 5m, ${flag} 90s or ${flag} 1m30s.`)
  }
  return Math.round(total)
}
