// Kubernetes timestamps, written once for every object lbctl and its daemons write. Pure: the caller passes the wall
// time in milliseconds since the epoch (Date.now() or an injected `now`).
//   metav1.Time       RFC 3339 in UTC with whole seconds ("2026-12-04T20:00:00Z"): creation, transition and
//                     status times, annotations such as restartedAt.
//   metav1.MicroTime  RFC 3339 in UTC with exactly six fractional digits ("2026-12-04T20:00:00.123000Z"): Lease
//                     acquire/renew times, events.k8s.io eventTime and series.lastObservedTime.

/** metav1.Time: RFC 3339, UTC, seconds precision (the fraction is truncated, as the API server does). */
export function rfc3339(ms: number): string {
  return new Date(wholeMs(ms)).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** metav1.MicroTime: RFC 3339, UTC, six fractional digits (JavaScript time has milliseconds: the last three are 0). */
export function microTime(ms: number): string {
  return new Date(wholeMs(ms)).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}

function wholeMs(ms: number): number {
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${ms}`)
  return Math.floor(ms)
}
