// Gratuitous announcements on taking ownership: at once, then repeated, then optionally refreshed forever.
// Linux ignores a neighbour update that arrives within `locktime` (1 s) of the previous one, so repeats are spaced
// 1.1 s apart for 5 s by default; the refresh is for switches whose FDB ages out before the router's ARP entry does.
import {type Clock, systemClock} from '../clock.js'

export interface AnnounceSchedule {
  /** Gap between repeats (default 1100 ms). */
  repeatIntervalMs?: number
  /** How long to repeat after taking ownership (default 5000 ms). */
  repeatForMs?: number
  /** After the repeats, announce every this many ms; 0 = never (default). */
  refreshIntervalMs?: number
}

export const DEFAULT_SCHEDULE: Required<AnnounceSchedule> = {repeatIntervalMs: 1100, repeatForMs: 5000, refreshIntervalMs: 0}

interface Entry {
  start: number
  round: number
  timer?: unknown
}

/**
 * Runs one schedule per key (an address). `fire(key, round)` sends the announcement; round 0 is the immediate one.
 * Stopping cancels the schedule at once; starting an active key restarts it (ownership was taken again).
 */
export class Announcer {
  private readonly entries = new Map<string, Entry>()
  private readonly s: Required<AnnounceSchedule>

  constructor(private readonly fire: (key: string, round: number) => void, schedule: AnnounceSchedule = {},
    private readonly clock: Clock = systemClock) {
    this.s = {...DEFAULT_SCHEDULE, ...schedule}
    if (this.s.repeatIntervalMs <= 0) throw new RangeError('repeatIntervalMs must be > 0')
  }

  start(key: string): void {
    this.stop(key)
    const e: Entry = {start: this.clock.now(), round: 0}
    this.entries.set(key, e)
    this.tick(key, e)
  }

  stop(key: string): boolean {
    const e = this.entries.get(key)
    if (!e) return false
    if (e.timer !== undefined) this.clock.clearTimeout(e.timer)
    this.entries.delete(key)
    return true
  }

  stopAll(): void {
    for (const k of [...this.entries.keys()]) this.stop(k)
  }

  active(): string[] {
    return [...this.entries.keys()]
  }

  private tick(key: string, e: Entry): void {
    e.timer = undefined
    try {
      this.fire(key, e.round)
    } finally {
      // A stop() from inside fire() wins.
      if (this.entries.get(key) === e) this.schedule(key, e)
    }
  }

  private schedule(key: string, e: Entry): void {
    e.round++
    const {repeatIntervalMs, repeatForMs, refreshIntervalMs} = this.s
    // Repeats are anchored to the start, so a slow event loop does not stretch the burst.
    const nextRepeat = e.start + e.round * repeatIntervalMs
    let delay: number
    if (e.round * repeatIntervalMs <= repeatForMs) delay = Math.max(0, nextRepeat - this.clock.now())
    else if (refreshIntervalMs > 0) delay = refreshIntervalMs
    else {
      e.timer = undefined
      return // burst over, no refresh: the entry stays (it is owned) but nothing is scheduled
    }
    e.timer = this.clock.setTimeout(() => this.tick(key, e), delay)
  }
}
