// The speaker daemon (bin/speaker.js) on the daemon frame of src/lib/daemon (flags, logging, connecting, signals,
// orderly shutdown, exit codes — README "Daemon exit codes"): the L2 engine and interface watch, membership, the loop,
// and its endpoints. SIGTERM hands over: the loop announces the leave, then releases every address.
import {serveEndpoints} from '../lib/daemon/http.js'
import {runDaemon, type DaemonContext} from '../lib/daemon/run.js'
import {badInput, missing} from '../lib/errors.js'
import {L2Engine} from '../lib/l2/engine.js'
import {type Link, watchInterfaces} from '../lib/l2/interfaces.js'
import {connectApi} from '../lib/kube/connect.js'
import {GossipMembership} from './membership/membership.js'
import {parseFlags, type SpeakerFlags, USAGE} from './flags.js'
import {L2Manager} from './l2/manager.js'
import {SpeakerMetrics} from './metrics.js'
import {Speaker} from './speaker.js'
import {BgpSpeaker} from './bgp/index.js'
import {kubeAuthorizer} from './diagnostics/auth.js'
import {loadOrMakeCertificate} from './diagnostics/cert.js'
import {startDiagnostics} from './diagnostics/server.js'
import {describeLinks} from './diagnostics/interfaces.js'
import {poolIndex} from './advertisements.js'
import {probeL2} from '../lib/l2/probe.js'
import type {KubeApi} from '../lib/kube/rest.js'

/** Runs until SIGTERM/SIGINT; resolves with the exit code. */
export function main(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return runDaemon({
    component: 'speaker', usage: USAGE, parse: parseFlags, start,
    logLevel: (f) => f.logLevel, logBase: (f) => ({node: f.nodeName}),
  }, argv, env)
}

async function start(flags: SpeakerFlags, {log, lifecycle}: DaemonContext): Promise<void> {
  const {kube, transport} = await connectApi({kubeconfig: flags.kubeconfig, context: flags.context})
  log.info({server: kube.server, context: kube.context, transport, namespace: flags.namespace, lbClass: flags.lbClass ?? null}, 'starting')

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
    throw missing('L2_ENGINE_UNAVAILABLE', `cannot start the layer-2 engine: ${(err as Error).message}`, 'Build the native module (npm rebuild) and run with CAP_NET_RAW.')
  }
  lifecycle.onShutdown('l2-engine', () => engine.close())
  const l2 = new L2Manager({node: flags.nodeName, engine, onChange: (gained, lost) => log.info({gained, lost}, 'layer-2 ownership changed')})
  if (!flags.memberlistBindAddress) {
    throw badInput('INVALID_FLAG', 'the gossip address is missing', 'Pass --memberlist-bind-address IP or set METALLB_ML_BIND_ADDR (in a DaemonSet: fieldRef status.podIP).')
  }
  const membership = new GossipMembership({node: flags.nodeName, bindAddress: flags.memberlistBindAddress, port: flags.memberlistPort,
    keyFile: flags.memberlistKeyFile, previousKeyFile: flags.memberlistPreviousKeyFile, timers: flags.memberlistTimers,
    keyGraceMs: flags.memberlistKeyGraceMs, onKeyPhase: (phase) => log.info({phase}, 'memberlist keys in effect')})
  // The node's own addresses (router ID, source candidates), from the interface watch; service addresses on lo are
  // filtered out by the BGP planner.
  let nodeAddresses: string[] = []
  let nodeLinks: Link[] = []
  const speakerRef: {s?: Speaker} = {}
  const bgp = new BgpSpeaker({node: flags.nodeName, nodeAddresses: () => nodeAddresses, log, onChange: () => speakerRef.s?.bgpChanged()})
  const speaker = new Speaker({kube, node: flags.nodeName, namespace: flags.namespace, lbClass: flags.lbClass, memberSelector: flags.memberSelector, membership, l2, bgp, log, metrics})
  speakerRef.s = speaker

  const endpoints = await serveEndpoints({
    metrics: {host: flags.metricsBindAddress, port: flags.metricsPort},
    health: {host: flags.healthBindAddress, port: flags.healthPort},
  }, {
    metrics: metrics.registry,
    probe: {
      healthy: () => !lifecycle.stoppingNow,
      ready: () => {
        const v = speaker.view()
        return {ok: speaker.ready, detail: `synced=${speaker.world.synced} started=${speaker.ready} alive=${[...v.alive].sort().join(',')} source=${v.source}`}
      },
    },
  })
  lifecycle.onShutdown('http', () => endpoints.close())
  log.info({metricsPort: endpoints.metricsPort, healthPort: endpoints.healthPort}, 'listening')

  const watch = watchInterfaces((sel, links) => {
    nodeLinks = links
    nodeAddresses = links.flatMap((k) => k.addresses.filter((a) => a.scope === 'global').map((a) => a.address))
    l2.setLinks(links)
    speaker.schedule()
    log.debug({serving: engine.interfaces(), skipped: sel.skipped}, 'interfaces')
  }, {onError: (e) => log.warn({err: e.message}, 'interface watch')})
  lifecycle.onShutdown('interfaces', () => watch.close())
  metrics.sources.gratuitous = () => engine.stats().announcements
  if (flags.diagnostics) {
    try {
      const d = await startDiagnosticsFor(flags, kube, speaker, l2, engine, () => nodeLinks)
      lifecycle.onShutdown('diagnostics', () => d.close())
      log.info({diagnosticsPort: d.port}, 'diagnostics listening (HTTPS)')
    } catch (err) {
      // Diagnostics help people; announcing is the job. Without them the speaker still runs, and says why.
      log.error({err: (err as Error).message, hint: (err as {hint?: string}).hint}, 'diagnostics endpoint not started')
    }
  }
  // Runs first at shutdown (newest hook): hand over before anything else stops.
  lifecycle.onShutdown('speaker', () => speaker.stop(true))
  void speaker.start().catch((err) => log.error({err: (err as Error).stack}, 'speaker failed to start'))
}

function startDiagnosticsFor(flags: SpeakerFlags, kube: KubeApi, speaker: Speaker, l2: L2Manager, engine: L2Engine, links: () => Link[]) {
  const hosts = [flags.memberlistBindAddress, flags.nodeName, '127.0.0.1', '::1', 'localhost'].filter((h): h is string => Boolean(h))
  const tls = loadOrMakeCertificate({certFile: flags.diagnosticsCertFile, keyFile: flags.diagnosticsKeyFile, hosts, node: flags.nodeName})
  return startDiagnostics({
    host: flags.diagnosticsBindAddress, port: flags.diagnosticsPort, tls, authorize: kubeAuthorizer(kube, flags.namespace),
    source: {
      node: flags.nodeName,
      inPools: (a) => poolIndex([...speaker.world.pools.cache.values()]).contains(a),
      interfaces: () => engine.interfaces(),
      probe: async (address, iface, timeoutMs) => {
        const r = await probeL2({interface: iface, addresses: [address], timeoutMs})
        const x = r.results[0]
        return {interface: iface, status: x.status, answers: x.answers.map((a) => ({mac: a.mac, ip: address, rttMs: a.rttMs}))}
      },
      bgp: () => ({sessions: speaker.bgpSessions(), routes: speaker.bgpRoutes()}),
      l2: () => {
        const v = speaker.view()
        return {owned: l2.ownedAddresses(), membership: {source: v.source, alive: [...v.alive].sort(), reason: v.reason}, interfaces: describeLinks(links())}
      },
    },
  })
}
