/** Fault injection: failing responses, latency, dropped watch streams, and another client's write landing first. */
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

/** What runs before a matching request is served (another client's write); the request then meets the real outcome. */
export type Interloper = () => void | Promise<void>

interface Race extends FaultMatch {
  remaining: number
  run: Interloper
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
  /**
   * The next `n` matching requests, once authenticated and authorized, wait for `run` first: as if another client's
   * write landed between the request's read and its write. Nothing is faked: a write that carries the resourceVersion
   * `run` made stale meets the registry's own 409 Conflict, as kube-apiserver answers it.
   */
  beforeNext(n: number, run: Interloper, opts?: FaultMatch): void
  /** Remove all failure rules, interlopers and the delay. */
  clear(): void
}

export class FaultInjector implements Faults {
  private rules: Rule[] = []
  private races: Race[] = []
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

  beforeNext(n: number, run: Interloper, opts: FaultMatch = {}): void {
    this.races.push({...opts, remaining: n, run})
  }

  clear(): void {
    this.rules = []
    this.races = []
    this.latencyMs = 0
  }

  /** Run the interloper of the first rule matching this request (consuming one of its count). */
  async interleave(method: string, pathAndQuery: string): Promise<void> {
    this.races = this.races.filter((r) => r.remaining > 0)
    const r = this.races.find((x) => matches(x, method, pathAndQuery))
    if (!r) return
    r.remaining--
    await r.run()
  }

  /** The error this request gets, if a rule matches (consuming one of a failNext count). */
  check(method: string, pathAndQuery: string): ApiError | undefined {
    const now = Date.now()
    this.rules = this.rules.filter((r) => (r.remaining === undefined || r.remaining > 0) && (r.until === undefined || r.until > now))
    for (const r of this.rules) {
      if (!matches(r, method, pathAndQuery)) continue
      if (r.remaining !== undefined) r.remaining--
      return injected(r.status, r.retryAfterSeconds)
    }
    return undefined
  }
}

function matches(r: FaultMatch, method: string, pathAndQuery: string): boolean {
  if (r.method && r.method.toUpperCase() !== method.toUpperCase()) return false
  if (!r.path) return true
  r.path.lastIndex = 0
  return r.path.test(pathAndQuery)
}
