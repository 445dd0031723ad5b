// The speaker daemon (bin/speaker.js): flags, logging, the API seam, the L2 engine, membership, the loop, HTTP
// endpoints, signals. Exit codes: 0 stopped by a signal, 2 bad flags, 3 cluster configuration unusable,
// 4 a port could not be bound, 5 raw sockets unavailable (native module missing or no CAP_NET_RAW).
import type {Server} from 'node:http'
import {pino} from 'pino'
import {serve} from '../controller/http.js'
import {L2Engine} from '../lib/l2/engine.js'
import {watchInterfaces, type InterfaceWatch} from '../lib/l2/interfaces.js'
import {loadRestTarget, RestKube, type KubeApi} from '../lib/kube/rest.js'
import {ApiLiveness} from './api-liveness.js'
import {parseFlags, type SpeakerFlags} from './flags.js'
import {L2Manager} from './l2/manager.js'
import {SpeakerMetrics} from './metrics.js'
import {Speaker} from './speaker.js'

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  let flags: SpeakerFlags
  try {
    flags = parseFlags(argv)
  } catch (err) {
    const e = err as {code?: string; message: string; hint?: string}
    process.stderr.write(`${e.message}\n${e.hint ? `${e.hint}\n` : ''}`)
    return e.code === 'HELP' ? 0 : 2
  }
  const log = pino({level: flags.logLevel, base: {component: 'speaker', node: flags.nodeName}, timestamp: pino.stdTimeFunctions.isoTime})
  let kube: KubeApi
  try {
    kube = await connect(flags)
    log.info({server: kube.server, context: kube.context, namespace: flags.namespace, lbClass: flags.lbClass ?? null}, 'starting')
  } catch (err) {
    log.fatal({err: (err as Error).message, hint: (err as {hint?: string}).hint}, 'cannot load cluster configuration')
    return 3
  }

  const metrics = new SpeakerMetrics()
  let engine: L2Engine
  try {
    engine = new L2Engine({
      arpOffload: flags.arpOffload,
      onError: (iface, e) => log.warn({iface, err: e.message}, 'layer-2 engine error'),
      onResult: (_iface, r) => {
        if ('answer' in r) {
          metrics.l2Requests.inc({ip: r.address})
          metrics.l2Responses.inc({ip: r.address})
        }
      },
    })
  } catch (err) {
    log.fatal({err: (err as Error).message, hint: (err as {hint?: string}).hint}, 'cannot start the layer-2 engine')
    return 5
  }
  const l2 = new L2Manager({
    node: flags.nodeName, engine,
    onChange: (gained, lost) => log.info({gained, lost}, 'layer-2 ownership changed'),
  })
  const membership = new ApiLiveness(flags.nodeName)
  const speaker = new Speaker({kube, node: flags.nodeName, namespace: flags.namespace, lbClass: flags.lbClass, memberSelector: flags.memberSelector, membership, l2, log, metrics})

  let healthy = true
  const servers: Server[] = []
  try {
    const probe = {
      healthy: () => healthy,
      ready: () => ({ok: speaker.ready, detail: `synced=${speaker.world.synced} started=${speaker.ready} members=${[...speaker.view().alive].sort().join(',')} source=${speaker.view().source}`}),
    }
    const m = await serve(flags.metricsPort, {metrics: metrics.registry})
    const h = await serve(flags.healthPort, {probe})
    servers.push(m.server, h.server)
    log.info({metricsPort: m.port, healthPort: h.port}, 'listening')
  } catch (err) {
    log.fatal({err: (err as Error).message}, 'cannot listen')
    for (const s of servers) s.close()
    return 4
  }

  let watch: InterfaceWatch | undefined
  watch = watchInterfaces((sel, links) => {
    l2.setLinks(links)
    log.debug({serving: engine.interfaces(), skipped: sel.skipped}, 'interfaces')
  }, {onError: (e) => log.warn({err: e.message}, 'interface watch')})
  const gratuitous = setInterval(() => metrics.l2Gratuitous.set(engine.stats().announcements), 5000)
  gratuitous.unref()
  void speaker.start().catch((err) => log.error({err: (err as Error).stack}, 'speaker failed to start'))

  return new Promise<number>((resolve) => {
    let closing = false
    const shutdown = async (signal: string): Promise<void> => {
      if (closing) return
      closing = true
      healthy = false
      log.info({signal}, 'shutting down: handing over')
      await speaker.stop(true)
      watch?.close()
      watch = undefined
      clearInterval(gratuitous)
      engine.close()
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

/** The lean transport when the kubeconfig allows it; @kubernetes/client-node only for exec plugins and the like. */
async function connect(flags: SpeakerFlags): Promise<KubeApi> {
  const opts = {attempts: 2, timeoutMs: 10_000}
  const target = loadRestTarget({kubeconfig: flags.kubeconfig, context: flags.context, inCluster: !flags.kubeconfig})
  if (target) return new RestKube(target, opts)
  const [{Kube}, {loadKubeConfig}] = await Promise.all([import('../lib/kube/client.js'), import('../lib/kube/config.js')])
  return new Kube(loadKubeConfig({kubeconfig: flags.kubeconfig, context: flags.context, inCluster: !flags.kubeconfig}), opts)
}
