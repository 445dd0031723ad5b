// Process metrics both daemons export (prom-client's defaults: CPU, memory, handles, GC, event-loop lag).
import {collectDefaultMetrics, type Registry} from 'prom-client'

/**
 * How often the event-loop lag histogram (nodejs_eventloop_lag_p99_seconds …) is sampled. prom-client's default,
 * 10 ms, is a timer that wakes the process 100 times a second: on an idle speaker that was more than half of its
 * wake-ups and most of its CPU time (BENCHMARKS.md, speaker footprint). Once a second costs one wake-up; the stalls
 * that matter for failover (longer than the membership probe timeout) are counted on their own, as late membership
 * timers (lbctl_speaker_membership_events_total{event="late_timer"}), and nodejs_eventloop_lag_seconds is measured
 * at each scrape.
 */
export const EVENT_LOOP_SAMPLE_MS = 1000

export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS})
}
