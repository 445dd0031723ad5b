// Prometheus metrics: MetalLB's names where MetalLB has the metric (API-COMPAT.md "Metric names to keep"), lbctl_* for
// the rest. Every refusal reason is a label value from the start, so dashboards see zeros rather than gaps.
import {Counter, Gauge, Histogram, Registry} from 'prom-client'
import {collectProcessMetrics} from '../lib/daemon/metrics.js'
import {FAILURE_REASONS} from '../lib/ipam/index.js'

export class Metrics {
  readonly registry = new Registry()
  readonly addressesTotal: Gauge<'pool'>
  readonly addressesInUse: Gauge<'pool'>
  readonly v4Total: Gauge<'pool'>
  readonly v6Total: Gauge<'pool'>
  readonly v4InUse: Gauge<'pool'>
  readonly v6InUse: Gauge<'pool'>
  readonly configLoaded: Gauge
  readonly configStale: Gauge
  readonly updates: Counter
  readonly updateErrors: Counter
  readonly failures: Counter<'reason'>
  readonly assigned: Gauge
  readonly pending: Gauge
  readonly leader: Gauge
  readonly writes: Counter<'target' | 'result'>
  readonly events: Gauge<'result'>
  readonly passes: Counter<'kind'>
  readonly deferred: Counter
  readonly passSeconds: Histogram
  readonly informerErrors: Counter<'resource' | 'phase'>

  constructor() {
    const r = [this.registry]
    const g = <L extends string>(name: string, help: string, labelNames: L[] = []) => new Gauge<L>({name, help, labelNames, registers: r})
    const c = <L extends string>(name: string, help: string, labelNames: L[] = []) => new Counter<L>({name, help, labelNames, registers: r})
    this.addressesTotal = g('metallb_allocator_addresses_total', 'Number of usable IP addresses, per pool', ['pool'])
    this.addressesInUse = g('metallb_allocator_addresses_in_use_total', 'Number of IP addresses in use, per pool', ['pool'])
    this.v4Total = g('metallb_allocator_ipv4_addresses_total', 'Number of usable IPv4 addresses, per pool', ['pool'])
    this.v6Total = g('metallb_allocator_ipv6_addresses_total', 'Number of usable IPv6 addresses, per pool', ['pool'])
    this.v4InUse = g('metallb_allocator_ipv4_addresses_in_use_total', 'Number of IPv4 addresses in use, per pool', ['pool'])
    this.v6InUse = g('metallb_allocator_ipv6_addresses_in_use_total', 'Number of IPv6 addresses in use, per pool', ['pool'])
    this.configLoaded = g('metallb_k8s_client_config_loaded_bool', '1 if the configuration was ever loaded successfully')
    this.configStale = g('metallb_k8s_client_config_stale_bool', '1 if running on a stale configuration, because the latest one is invalid')
    this.updates = c('metallb_k8s_client_updates_total', 'Number of object updates processed')
    this.updateErrors = c('metallb_k8s_client_update_errors_total', 'Number of object updates that failed')
    this.failures = c('lbctl_controller_allocation_failures_total', 'Allocation decisions that left a service without an address, by reason', ['reason'])
    for (const reason of FAILURE_REASONS) this.failures.inc({reason}, 0)
    this.assigned = g('lbctl_controller_services_assigned', 'Services holding addresses')
    this.pending = g('lbctl_controller_services_pending', 'Services waiting for an address')
    this.leader = g('lbctl_controller_leader', '1 while this replica holds the lease')
    this.writes = c('lbctl_controller_writes_total', 'Writes to the API server, by target and result', ['target', 'result'])
    this.events = g('lbctl_controller_events', 'Service events, by result (recorded, suppressed by rate limiting, dropped, failed)', ['result'])
    this.passes = c('lbctl_controller_reconcile_passes_total', 'Reconcile passes, full or incremental', ['kind'])
    this.deferred = c('lbctl_controller_reconcile_deferred_total', 'Passes that were due while this replica could not act (not leading, caches not synced): the changes wait')
    this.passSeconds = new Histogram({name: 'lbctl_controller_reconcile_pass_seconds', help: 'Time spent computing a pass', buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2], registers: r})
    this.informerErrors = c('lbctl_controller_informer_errors_total', 'List/watch failures recovered from', ['resource', 'phase'])
    collectProcessMetrics(this.registry)
  }

  /** Pool gauges; sizes beyond 2^53 are approximate in a float, as in MetalLB (which caps them). */
  setPool(name: string, size: {4: bigint; 6: bigint}, used: {4: bigint; 6: bigint}): void {
    this.addressesTotal.set({pool: name}, Number(size[4] + size[6]))
    this.addressesInUse.set({pool: name}, Number(used[4] + used[6]))
    this.v4Total.set({pool: name}, Number(size[4]))
    this.v6Total.set({pool: name}, Number(size[6]))
    this.v4InUse.set({pool: name}, Number(used[4]))
    this.v6InUse.set({pool: name}, Number(used[6]))
  }

  removePool(name: string): void {
    for (const m of [this.addressesTotal, this.addressesInUse, this.v4Total, this.v6Total, this.v4InUse, this.v6InUse]) m.remove({pool: name})
  }
}
