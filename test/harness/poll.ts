/**
 * The one poll-with-deadline of the test suites: call `fn` until its value is acceptable (truthy, or `ok`), or fail
 * after `timeoutMs` naming what was awaited and the last value or error seen. The suites' older helpers
 * (`waitFor` in apiserver/test-helpers.ts and integration/controller/helpers.ts, `until` in lab/frr.ts and
 * lab/l2-lab.ts) keep their signatures and delegate here.
 */
export interface PollOptions<T> {
  timeoutMs?: number
  intervalMs?: number
  /** What is awaited, for the error message. */
  what?: string
  /** When the value is good enough (default: truthy). */
  ok?: (v: T) => boolean
  /** Checked after each attempt: a message here stops the wait at once (e.g. "the daemon exited"). */
  also?: () => string | undefined
  /** Errors thrown by `fn` count as "not yet" (default); false lets the first one through. */
  retryErrors?: boolean
}

export async function poll<T>(fn: () => T | Promise<T>, o: PollOptions<T> = {}): Promise<T> {
  const timeoutMs = o.timeoutMs ?? 5000
  const deadline = Date.now() + timeoutMs
  const ok = o.ok ?? ((v: T) => Boolean(v))
  const what = o.what ?? 'a condition'
  let last: {value?: T; error?: unknown} = {}
  for (;;) {
    try {
      const value = await fn()
      if (ok(value)) return value
      last = {value}
    } catch (error) {
      if (o.retryErrors === false) throw error
      last = {error}
    }
    const fatal = o.also?.()
    if (fatal) throw new Error(`while waiting for ${what}: ${fatal}`)
    if (Date.now() >= deadline) {
      const seen = 'error' in last ? `last error: ${(last.error as Error)?.message ?? String(last.error)}` : `last value: ${JSON.stringify(last.value)}`
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${seen}`)
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 50))
  }
}
