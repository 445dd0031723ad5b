// The controller daemon (bin/controller.js): the controller, leader election and its endpoints, on the daemon frame
// of src/lib/daemon (flags, logging, connecting, signals, orderly shutdown, exit codes).
import {runDaemon} from '../lib/daemon/run.js'
import {serveEndpoints} from '../lib/daemon/http.js'
import type {DaemonContext} from '../lib/daemon/run.js'
import {connectApi} from '../lib/kube/connect.js'
import {LeaderElector} from '../lib/kube/lease.js'
import {Controller} from './controller.js'
import {parseFlags, type ControllerFlags, USAGE} from './flags.js'
import {Metrics} from './metrics.js'

/** Runs until SIGTERM/SIGINT; resolves with the exit code (README "Daemon exit codes"). */
export function main(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runDaemon({
    component: 'controller', usage: USAGE, parse: parseFlags, start,
    logLevel: (f) => f.logLevel, logBase: (f) => ({identity: f.identity}),
  }, argv, env)
}

async function start(flags: ControllerFlags, {log, lifecycle}: DaemonContext): Promise<void> {
  const {kube, transport} = await connectApi({kubeconfig: flags.kubeconfig, context: flags.context})
  log.info({server: kube.server, context: kube.context, transport, namespace: flags.namespace, lbClass: flags.lbClass ?? null}, 'starting')

  const metrics = new Metrics()
  // Set once leader election starts; the controller and the probe ask it who leads.
  const lease: {elector?: LeaderElector} = {}
  const ctl = new Controller({
    kube, namespace: flags.namespace, lbClass: flags.lbClass, log, metrics, identity: flags.identity,
    isLeader: () => lease.elector?.isLeader() ?? true,
  })
  const endpoints = await serveEndpoints({
    metrics: {host: flags.metricsBindAddress, port: flags.metricsPort},
    health: {host: flags.healthBindAddress, port: flags.healthPort},
  }, {
    metrics: metrics.registry,
    probe: {
      healthy: () => !lifecycle.stoppingNow,
      ready: () => {
        const s = ctl.stats
        return {ok: ctl.synced, detail: `synced=${ctl.synced} leader=${lease.elector?.isLeader() ?? true} assigned=${s.assigned} pending=${s.pending} backlog=${s.backlog}`}
      },
    },
  })
  lifecycle.onShutdown('http', () => endpoints.close())
  log.info({metricsPort: endpoints.metricsPort, healthPort: endpoints.healthPort}, 'listening')

  ctl.start()
  // Hooks run newest first: the controller stops writing before the lease is released, and both before the endpoints close.
  if (!flags.leaderElect) {
    lifecycle.onShutdown('controller', () => ctl.stop())
    metrics.leader.set(1)
    void ctl.activate(false)
    return
  }
  let lastLeaseWarning = 0
  const elector = new LeaderElector(kube, {
    name: flags.leaseName, namespace: flags.namespace, identity: flags.identity, leaseDurationMs: flags.leaseDurationMs,
    onStartedLeading: () => {
      metrics.leader.set(1)
      log.info({lease: `${flags.namespace}/${flags.leaseName}`}, 'became leader')
      void ctl.activate(true)
    },
    onStoppedLeading: () => {
      metrics.leader.set(0)
      log.warn({lease: `${flags.namespace}/${flags.leaseName}`}, 'not leader (lost or released the lease); stopped writing')
      ctl.deactivate()
    },
    onError: (err) => {
      // A contender losing a race is normal; anything else (no namespace, no RBAC, no server) is worth a warning,
      // but not every retry period.
      const code = (err as {code?: string}).code
      if (code === 'CONFLICT' || Date.now() - lastLeaseWarning < 30_000) return log.debug({err: (err as Error).message}, 'lease attempt failed')
      lastLeaseWarning = Date.now()
      log.warn({err: (err as Error).message, code}, 'cannot acquire or renew the lease; retrying')
    },
  })
  lease.elector = elector
  void elector.run()
  // Leadership can end by time alone (renewals hanging); notice within 100 ms.
  const ticker = setInterval(() => elector.announce(), 100)
  lifecycle.onShutdown('lease', async () => {
    clearInterval(ticker)
    await elector.stop(true)
  })
  lifecycle.onShutdown('controller', () => ctl.stop())
}
