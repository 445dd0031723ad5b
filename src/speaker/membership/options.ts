// Timers of the membership protocol, with the reasoning behind the defaults. Every one is a speaker flag.
//
// A dead member is found by the first member that probes it: members probe one target per interval, round-robin
// through a shuffled list, so with n members someone probes any given member within about one interval on average
// (each of the n − 1 others reaches it once per n − 1 intervals). The probe fails at the end of its interval (direct
// ping, then a second direct ping and k indirect pings after the probe timeout), which makes it suspect; it is declared
// dead when the suspicion timeout passes without a refutation. Expected detection ≈ 1 interval (first probe) + 1
// interval (probe) + suspicion ≈ 0.125 + 0.125 + 0.375 = 0.625 s with the defaults, worst ≈ 0.75 s for 3 members.
//
// The interval is also what an idle speaker costs: each member sends a ping and an ack per interval and receives as
// many, and every datagram in or out is a wake-up of the process. 125 ms (with a suspicion of 3 intervals) detects as
// fast as 100 ms with 4 did and wakes the process a fifth less often (BENCHMARKS.md: idle CPU, detection, and the
// false-failover runs at 5 % loss).
//
// The probe timeout (40 ms) is 100× a LAN round trip (≈ 0.2 ms, more under load): it only has to exceed the time a
// busy Node event loop takes to answer. The suspicion timeout is what protects against false failovers: a suspected
// member learns of it from the next message it gets (suspicion is piggybacked on every ping to it) and refutes with a
// higher incarnation within one or two intervals, so 3 intervals (× log10 n past 10 members, as memberlist scales it,
// because dissemination takes O(log n) rounds) leave a wide margin even with 5 % loss on every link
// (bench/membership.bench.ts measures zero false failovers over 10 simulated minutes).

import {badInput} from '../../lib/errors.js'

export interface MembershipTimers {
  /** Period of the probe cycle: one direct probe per interval (default 125 ms). */
  probeIntervalMs: number
  /** Wait for the direct ack before retrying and asking k others (default 40 ms; < probeIntervalMs). */
  probeTimeoutMs: number
  /** k: members asked to probe indirectly when the direct probe times out (default 3). */
  indirectChecks: number
  /** Suspicion timeout = suspicionMult × max(1, log10 n) × probeIntervalMs (default 3). */
  suspicionMult: number
  /** λ: an update is piggybacked λ × ceil(log10(n + 1)) times (default 4, memberlist's LAN value). */
  retransmitMult: number
  /** Most updates piggybacked on one message (default 8; also bounded by the datagram size). */
  maxPiggyback: number
}

export const DEFAULT_TIMERS: MembershipTimers = {
  probeIntervalMs: 125,
  probeTimeoutMs: 40,
  indirectChecks: 3,
  suspicionMult: 3,
  retransmitMult: 4,
  maxPiggyback: 8,
}

/** A tuned setting for a quiet LAN: about 4× faster detection, still refuting in time at 5 % loss. */
export const FAST_TIMERS: MembershipTimers = {
  ...DEFAULT_TIMERS,
  probeIntervalMs: 30,
  probeTimeoutMs: 12,
  suspicionMult: 3,
}

/** Defaults filled in, every value checked; throws a bad-input LbctlError (MEMBERSHIP_TIMER) naming the timer and the fix. */
export function resolveTimers(t: Partial<MembershipTimers> = {}): MembershipTimers {
  const r = {...DEFAULT_TIMERS, ...Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined))} as MembershipTimers
  const int = (k: keyof MembershipTimers, min: number, max: number): void => {
    const v = r[k]
    if (!Number.isFinite(v) || v < min || v > max) {
      throw badInput('MEMBERSHIP_TIMER', `membership timer ${k}=${v} is out of range`, `use a number from ${min} to ${max}`)
    }
  }
  int('probeIntervalMs', 5, 60_000)
  int('probeTimeoutMs', 1, 60_000)
  int('indirectChecks', 0, 16)
  int('suspicionMult', 1, 100)
  int('retransmitMult', 1, 100)
  int('maxPiggyback', 1, 64)
  if (r.probeTimeoutMs >= r.probeIntervalMs) {
    throw badInput('MEMBERSHIP_TIMER', `membership probe timeout ${r.probeTimeoutMs} ms must be shorter than the probe interval ${r.probeIntervalMs} ms`,
      'shorten the probe timeout or lengthen the interval: indirect probes need the rest of the interval')
  }
  return r
}

/** Suspicion timeout for n members (self included). */
export function suspicionTimeoutMs(t: MembershipTimers, n: number): number {
  return Math.round(t.suspicionMult * Math.max(1, Math.log10(Math.max(1, n))) * t.probeIntervalMs)
}

/** How many times an update is piggybacked, for n members. */
export function retransmitLimit(t: MembershipTimers, n: number): number {
  return t.retransmitMult * Math.max(1, Math.ceil(Math.log10(n + 1)))
}
