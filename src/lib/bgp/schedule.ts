// Sharing the event loop fairly between sessions. A speaker with several peers must not let one of them (or all of
// them at once) hold the loop for long: timers, BFD and the other sessions' keepalives have to keep running.

/**
 * One queue for every session's table sync, one sync step per event-loop turn. setImmediate callbacks queued together
 * run in the same turn, so four sessions that come up at once would otherwise encode their tables back to back.
 */
const syncQueue: (() => void)[] = []
let syncDraining = false

export function fairDefer(fn: () => void): void {
  syncQueue.push(fn)
  if (!syncDraining) {
    syncDraining = true
    setImmediate(drainSyncQueue)
  }
}

function drainSyncQueue(): void {
  const fn = syncQueue.shift()
  try {
    fn?.()
  } finally {
    if (syncQueue.length > 0) setImmediate(drainSyncQueue)
    else syncDraining = false
  }
}

/**
 * Time spent decoding received data in this event-loop turn, over every session. libuv reads up to 32 chunks of
 * 64 KiB from each readable socket in one poll phase, so a peer sending a full table to several sessions could keep
 * the loop busy for hundreds of milliseconds; past the budget, sessions park what they read until the next turn.
 */
export class ReceiveBudget {
  private spent = 0
  private armed = false
  constructor(readonly budgetMs = 10, private readonly now: () => number = () => performance.now()) {}

  get exhausted(): boolean {
    return this.spent >= this.budgetMs
  }

  /** Run `fn`, charging its time to this turn. */
  charge<T>(fn: () => T): T {
    const t0 = this.now()
    try {
      return fn()
    } finally {
      this.spent += this.now() - t0
      if (!this.armed) {
        this.armed = true
        setImmediate(() => {
          this.spent = 0
          this.armed = false
        })
      }
    }
  }
}

export const receiveBudget = new ReceiveBudget()
