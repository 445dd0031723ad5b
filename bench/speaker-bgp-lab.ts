// The lab of bench/speaker-bgp.bench.ts: the speaker lab (three real bin/speaker.js against the API server harness, the
// real controller; test/lab/speaker/speaker-lab.ts) plus, on the same bridge, the router r (FRR: zebra, bgpd, bfdd),
// the reference speaker f1 (FRR: zebra, bgpd, bfdd) and b1 (the BgpSpeaker library in a Node process, fed SpeakerState
// on stdin: the measurement this bench made before it drove the daemon). Every speaker is an iBGP neighbour of the
// router (AS 64512) with BFD profile `fast` (100 ms / 100 ms × 3) on both sides.
import {type ChildProcess} from 'node:child_process'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import type {SpeakerState} from '../src/speaker/state.js'
import {Frr, until} from '../test/harness/lab/frr.js'
import {cleanupStale, type LabNode} from '../test/harness/lab/index.js'
import {runSpeaker, type Runner} from '../test/lab/speaker/bgp-helpers.js'
import {NODES, NS, SpeakerLab} from '../test/lab/speaker/speaker-lab.js'
import {Vty} from './bgp.bench.js'

export const ROUTER = '198.18.40.254'
export const FRR_SPEAKER = '198.18.40.21'
export const LIB_SPEAKER = '198.18.40.31'
export const ASN = 64512
export const POLL_MS = 2
const PREFIX = 'spbb'
const BFD = ['bfd', ' profile fast', '  receive-interval 100', '  transmit-interval 100', '  detect-multiplier 3', ' !', '!', ''].join('\n')
export const debug = (m: string): void => {
  if (process.env.LBCTL_BENCH_DEBUG) process.stderr.write(`[speaker-bgp bench] ${m}\n`)
}

/** Prefix → the addresses of the neighbours the router has a path from, out of the router's whole IPv4 BGP table. */
export type Table = Map<string, Set<string>>

export interface BgpBenchLab {
  l: SpeakerLab
  router: Frr
  frrSpeaker: Frr
  /** The router's bgpd vty socket (polled every POLL_MS). */
  rv: Vty
  /** The reference speaker's bgpd vty socket (`network P` goes there). */
  fv: Vty
  lib: Runner
  libNode: LabNode
  /** kubectl get services --watch-only in the API namespace: when (performance.now()) each Service first appeared
   * (ADDED) and first carried an address in status.loadBalancer (the controller's status write). */
  watched: Map<string, {added: number; assigned?: number}>
  table(): Promise<Table>
  /** Until the router has the session to `address` Established and its BFD peer up at the profile's 100 ms timers. */
  ready(address: string, ms?: number): Promise<void>
  destroy(): Promise<void>
}

const routerConf = [
  `router bgp ${ASN}`, ` bgp router-id ${ROUTER}`, ' no bgp ebgp-requires-policy', ' bgp log-neighbor-changes',
  ...[...NODES.map((_, i) => `198.18.40.${i + 1}`), FRR_SPEAKER, LIB_SPEAKER].flatMap((a) =>
    [` neighbor ${a} remote-as ${ASN}`, ` neighbor ${a} timers connect 1`, ` neighbor ${a} bfd`, ` neighbor ${a} bfd profile fast`]),
  ' address-family ipv4 unicast', '  maximum-paths ibgp 8', ' exit-address-family', '',
].join('\n')
const frrSpeakerConf = [
  `router bgp ${ASN}`, ` bgp router-id ${FRR_SPEAKER}`, ' no bgp ebgp-requires-policy', ' no bgp network import-check',
  ` neighbor ${ROUTER} remote-as ${ASN}`, ` neighbor ${ROUTER} timers connect 1`, ` neighbor ${ROUTER} bfd`, ` neighbor ${ROUTER} bfd profile fast`, '',
].join('\n')

const meta = (name: string) => ({name, namespace: NS})
/** The SpeakerState of the library speaker b1 announcing `ips`, as the daemon's informers would fill it. */
export function libState(ips: string[]): SpeakerState {
  return {
    node: 'b1', namespace: NS, live: new Set(['b1']), secrets: new Map(), l2Advertisements: [], communities: [],
    nodes: [{apiVersion: 'v1', kind: 'Node', metadata: {name: 'b1', labels: {'kubernetes.io/hostname': 'b1'}}, status: {addresses: [{type: 'InternalIP', address: LIB_SPEAKER}]}}],
    pools: [{apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: meta('lib'), spec: {addresses: ['203.0.113.128/26']}}],
    bgpPeers: [{apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: meta('router'), spec: {myASN: ASN, peerASN: ASN, peerAddress: ROUTER, bfdProfile: 'fast', connectTime: '1s'}}],
    bfdProfiles: [{apiVersion: 'metallb.io/v1beta1', kind: 'BFDProfile', metadata: meta('fast'), spec: {receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3}}],
    bgpAdvertisements: [{apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: meta('all'), spec: {}}],
    services: ips.map((ip, i) => ({apiVersion: 'v1', kind: 'Service', metadata: {name: `l${i}`, namespace: 'default'}, spec: {type: 'LoadBalancer'}, status: {loadBalancer: {ingress: [{ip}]}}})),
    endpointSlices: ips.map((_, i) => ({apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: {name: `l${i}-x`, namespace: 'default', labels: {'kubernetes.io/service-name': `l${i}`}},
      endpoints: [{addresses: ['10.244.0.10'], nodeName: 'b1', conditions: {ready: true}}]})),
  }
}

export async function startBgpBenchLab(): Promise<BgpBenchLab> {
  cleanupStale(PREFIX)
  const l = await SpeakerLab.create(PREFIX)
  const frrs: Frr[] = []
  const closers: Array<() => unknown> = []
  const destroy = async (): Promise<void> => {
    for (const c of closers) await c()
    for (const f of frrs) await f.stop()
    await l.destroy()
  }
  try {
    const r = await l.lab.addNode('r', {bridge: l.lan, ipv4: `${ROUTER}/24`})
    const router = await Frr.start(r, routerConf, BFD, {zebra: true})
    frrs.push(router)
    const f = await l.lab.addNode('f1', {bridge: l.lan, ipv4: `${FRR_SPEAKER}/24`})
    const frrSpeaker = await Frr.start(f, frrSpeakerConf, BFD, {zebra: true})
    frrs.push(frrSpeaker)
    const libNode = await l.lab.addNode('b1', {bridge: l.lan, ipv4: `${LIB_SPEAKER}/24`})
    const lib = await runSpeaker(libNode)
    closers.push(() => lib.stop())
    lib.apply(libState([]), [LIB_SPEAKER])
    const rv = await Vty.open(join(router.dir, 'bgpd.vty'))
    closers.push(() => rv.close())
    const fv = await Vty.open(join(frrSpeaker.dir, 'bgpd.vty'))
    closers.push(() => fv.close())
    await fv.cmd('enable')
    // The daemons' configuration: one pool (controller-assigned addresses come from 203.0.113.0/25; the library speaker
    // and the FRR reference use addresses above it), BGP only (no L2Advertisement).
    await l.apply({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: meta('bench'), spec: {addresses: ['203.0.113.0/25']}})
    await l.apply({apiVersion: 'metallb.io/v1beta1', kind: 'BFDProfile', metadata: meta('fast'), spec: {receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3}})
    await l.apply({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: meta('router'), spec: {myASN: ASN, peerASN: ASN, peerAddress: ROUTER, bfdProfile: 'fast', connectTime: '1s'}})
    await l.apply({apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: meta('bench'), spec: {ipAddressPools: ['bench']}})
    const watched = new Map<string, {added: number; assigned?: number}>()
    const watcher: ChildProcess = l.api.spawn('kubectl', ['--kubeconfig', l.kubeconfig, 'get', 'services', '-n', 'default', '--watch-only',
      '-o', 'jsonpath={.metadata.name} {.status.loadBalancer.ingress[0].ip}{"\\n"}'])
    closers.push(() => watcher.kill('SIGKILL'))
    createInterface({input: watcher.stdout!}).on('line', (line) => {
      const now = performance.now()
      const [name, ip] = line.trim().split(/\s+/)
      if (!name) return
      const w = watched.get(name) ?? {added: now}
      if (ip && w.assigned === undefined) w.assigned = now
      watched.set(name, w)
    })
    const table = async (): Promise<Table> => {
      const j = JSON.parse(await rv.cmd('show bgp ipv4 unicast json')) as {routes?: Record<string, Array<{peerId?: string; nexthops?: Array<{ip?: string}>}>>}
      const t: Table = new Map()
      for (const [p, paths] of Object.entries(j.routes ?? {})) t.set(p, new Set(paths.map((x) => x.peerId ?? x.nexthops?.[0]?.ip ?? '?')))
      return t
    }
    const ready = async (address: string, ms = 60_000): Promise<void> => {
      await until(`the router's session with ${address} Established and its BFD peer up at 100 ms`, async () => {
        const nb = (await router.json(`show bgp neighbors ${address} json`))[address]
        const bfd = (await router.json<Array<Record<string, unknown>>>('show bfd peers json')).find((p) => p.peer === address)
        return nb?.bgpState === 'Established' && bfd?.status === 'up' && bfd['remote-transmit-interval'] === 100 && bfd['remote-receive-interval'] === 100
      }, ms, 50).catch((e: Error) => {
        throw new Error(`${e.message}\n${l.dump()}`)
      })
    }
    return {l, router, frrSpeaker, rv, fv, lib, libNode, watched, table, ready, destroy}
  } catch (e) {
    await destroy()
    throw e
  }
}

/** Poll the router's table every POLL_MS until `pred` holds; the time (performance.now()) it first did. */
export async function pollTable<T>(lab: BgpBenchLab, pred: (t: Table) => T | undefined, timeoutMs: number, what: string): Promise<{at: number; value: T}> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    const value = pred(await lab.table())
    if (value !== undefined) return {at: performance.now(), value}
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${what}\n${lab.l.dump()}`)
}
