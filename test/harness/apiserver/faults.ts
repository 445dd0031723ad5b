/** Fault injection: failing responses, latency, dropped watch streams. */
import {injected, type ApiError} from './errors.js'

export interface FaultMatch {
  /** Tested against the request's path and query string, e.g. /api/v1/namespaces/default/services?watch=true */
  path?: RegExp
  /** HTTP method, case-insensitive. */
  method?: string
  /** Adds a Retry-After header (and details.retryAfterSeconds). */
  retryAfterSeconds?: number
}

interface Rule extends FaultMatch {
  status: number
  remaining?: number
  until?: number
}

export interface Faults {
  /** The next `n` matching requests get `status`. */
  failNext(n: number, status: number, opts?: FaultMatch): void
  /** Matching requests get `status` for the next `ms` milliseconds. */
  failFor(ms: number, status: number, opts?: FaultMatch): void
  /** Every response waits `ms` first (0 turns it off). */
  delay(ms: number): void
  /** End every open watch stream now; `abrupt` destroys the sockets instead of ending the responses. */
  dropWatches(opts?: {abrupt?: boolean}): void
  /** Remove all failure rules and the delay. */
  clear(): void
}

export class FaultInjector implements Faults {
  private rules: Rule[] = []
  latencyMs = 0

  constructor(private drop: (abrupt: boolean) => void) {}

  failNext(n: number, status: number, opts: FaultMatch = {}): void {
    this.rules.push({...opts, status, remaining: n})
  }

  failFor(ms: number, status: number, opts: FaultMatch = {}): void {
    this.rules.push({...opts, status, until: Date.now() + ms})
  }

  delay(ms: number): void {
    this.latencyMs = ms
  }

  dropWatches(opts: {abrupt?: boolean} = {}): void {
    this.drop(!!opts.abrupt)
  }

  clear(): void {
    this.rules = []
    this.latencyMs = 0
  }

  /** The error this request gets, if a rule matches (consuming one of a failNext count). */
  check(method: string, pathAndQuery: string): ApiError | undefined {
    const now = Date.now()
    this.rules = this.rules.filter((r) => (r.remaining === undefined || r.remaining > 0) && (r.until === undefined || r.until > now))
    for (const r of this.rules) {
      if (r.method && r.method.toUpperCase() !== method.toUpperCase()) continue
      if (r.path) {
        r.path.lastIndex = 0
        if (!r.path.test(pathAndQuery)) continue
      }
      if (r.remaining !== undefined) r.remaining--
      return injected(r.status, r.retryAfterSeconds)
    }
    return undefined
  }
}
