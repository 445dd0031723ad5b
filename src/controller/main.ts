// The controller daemon (bin/controller.js): flags, logging, the API seam, leader election, HTTP endpoints, signals.
import type {Server} from 'node:http'
import {pino} from 'pino'
import {LeaderElector} from '../lib/kube/lease.js'
import {loadRestTarget, RestKube, type KubeApi} from '../lib/kube/rest.js'
import {Controller} from './controller.js'
import {parseFlags, type ControllerFlags} from './flags.js'
import {serve} from './http.js'
import {Metrics} from './metrics.js'

/** Runs until SIGTERM/SIGINT; resolves with the exit code. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  let flags: ControllerFlags
  try {
    flags = parseFlags(argv)
  } catch (err) {
    const e = err as {code?: string; message: string; hint?: string}
    process.stderr.write(`${e.message}\n${e.hint ? `${e.hint}\n` : ''}`)
    return e.code === 'HELP' ? 0 : 2
  }
  const log = pino({level: flags.logLevel, base: {component: 'controller', identity: flags.identity}, timestamp: pino.stdTimeFunctions.isoTime})
  let kube: KubeApi
  try {
    kube = await connect(flags)
    log.info({server: kube.server, context: kube.context, transport: kube instanceof RestKube ? 'rest' : 'client-node', namespace: flags.namespace, lbClass: flags.lbClass ?? null}, 'starting')
  } catch (err) {
    log.fatal({err: (err as Error).message, hint: (err as {hint?: string}).hint}, 'cannot load cluster configuration')
    return 3
  }

  const metrics = new Metrics()
  let elector: LeaderElector | undefined
  let healthy = true
  const ctl = new Controller({
    kube, namespace: flags.namespace, lbClass: flags.lbClass, log, metrics, identity: flags.identity,
    isLeader: () => (elector ? elector.isLeader() : true),
  })
  const servers: Server[] = []
  try {
    const probe = {
      healthy: () => healthy,
      ready: () => {
        const s = ctl.stats
        return {ok: ctl.synced, detail: `synced=${ctl.synced} leader=${elector ? elector.isLeader() : true} assigned=${s.assigned} pending=${s.pending} backlog=${s.backlog}`}
      },
    }
    const shared = flags.metricsPort !== 0 && flags.metricsPort === flags.healthPort
    const m = await serve(flags.metricsPort, {metrics: metrics.registry, probe: shared ? probe : undefined})
    servers.push(m.server)
    const h = shared ? m : await serve(flags.healthPort, {probe})
    if (!shared) servers.push(h.server)
    log.info({metricsPort: m.port, healthPort: h.port}, 'listening')
  } catch (err) {
    log.fatal({err: (err as Error).message}, 'cannot listen')
    return 4
  }

  ctl.start()
  let ticker: NodeJS.Timeout | undefined
  let lastLeaseWarning = 0
  if (flags.leaderElect) {
    elector = new LeaderElector(kube, {
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
    void elector.run()
    // Leadership can end by time alone (renewals hanging); notice within 100 ms.
    ticker = setInterval(() => elector!.announce(), 100)
  } else {
    metrics.leader.set(1)
    void ctl.activate(false)
  }

  return new Promise<number>((resolve) => {
    let closing = false
    const shutdown = async (signal: string): Promise<void> => {
      if (closing) return
      closing = true
      healthy = false
      log.info({signal}, 'shutting down')
      clearInterval(ticker)
      await ctl.stop()
      await elector?.stop(true)
      await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(undefined)))))
      for (const s of servers) s.closeAllConnections?.()
      log.info('stopped')
      log.flush?.()
      resolve(0)
    }
    process.once('SIGTERM', () => void shutdown('SIGTERM'))
    process.once('SIGINT', () => void shutdown('SIGINT'))
    process.on('unhandledRejection', (err) => log.error({err: (err as Error)?.stack ?? String(err)}, 'unhandled rejection'))
  })
}

/**
 * The lean transport when the kubeconfig allows it (token, client certificates, in-cluster): @kubernetes/client-node
 * is loaded only for what needs it (exec plugins, auth providers, proxies), since it alone costs ~110 MB of RSS.
 */
async function connect(flags: ControllerFlags): Promise<KubeApi> {
  const opts = {attempts: 4, timeoutMs: 15_000}
  const target = loadRestTarget({kubeconfig: flags.kubeconfig, context: flags.context, inCluster: !flags.kubeconfig})
  if (target) return new RestKube(target, opts)
  const [{Kube}, {loadKubeConfig}] = await Promise.all([import('../lib/kube/client.js'), import('../lib/kube/config.js')])
  return new Kube(loadKubeConfig({kubeconfig: flags.kubeconfig, context: flags.context, inCluster: !flags.kubeconfig}), opts)
}
