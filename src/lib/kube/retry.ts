/** Retries with exponential backoff and jitter; time is injected so tests do not wait. */
export interface RetryOptions {
  attempts: number
  baseMs: number
  maxMs: number
  sleep?: (ms: number) => Promise<void>
  random?: () => number
  /** Decide whether an error is worth another attempt; may return a delay the server asked for (Retry-After). */
  retryable: (err: unknown) => boolean | {afterMs: number}
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void
}

export const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** attempt)
  // Full jitter (AWS architecture blog): spreads retries of many clients after a shared outage.
  return Math.round(exp / 2 + random() * (exp / 2))
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const sleep = opts.sleep ?? realSleep
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt)
    } catch (err) {
      const verdict = opts.retryable(err)
      if (!verdict || attempt + 1 >= opts.attempts) throw err
      const delay = typeof verdict === 'object' ? Math.min(opts.maxMs, verdict.afterMs) : backoffDelay(attempt, opts.baseMs, opts.maxMs, opts.random)
      opts.onRetry?.(err, attempt + 1, delay)
      await sleep(delay)
    }
  }
}
