// The speaker's BGP side (BgpSpeaker in a node namespace) toward a real FRR router: service added → route at the
// router, node lost (link down, BFD 3 × 100 ms) → route withdrawn at the router; next to an FRR speaker doing the
// same toward the same router in the same run, with the same BFD timers.
import {type ChildProcess} from 'node:child_process'
import {join} from 'node:path'
import {bundleEntry} from '../test/harness/lab/bundle.js'
import {Frr} from '../test/harness/lab/frr.js'
import {Lab, type LabNode} from '../test/harness/lab/index.js'
import {Vty} from './bgp.bench.js'
import {median, type Bench, type BenchReport, type BenchRow} from './lib.js'

const R = '198.18.41.1'
const N = '198.18.41.11'
const F = '198.18.41.21'
const NS = 'metallb-system'
const POLL_MS = 2
const REPS = Number(process.env.LBCTL_SPEAKER_BGP_BENCH_REPS ?? 5)
const debug = (m: string) => process.env.LBCTL_BENCH_DEBUG && process.stderr.write(`[speaker-bgp bench] ${m}\n`)
const BFD = ['bfd', ' profile fast', '  receive-interval 100', '  transmit-interval 100', '  detect-multiplier 3', ' !', '!', ''].join('\n')

const routerConf = [
  'router bgp 64512', ` bgp router-id ${R}`, ' no bgp ebgp-requires-policy',
  ...[N, F].flatMap((a) => [` neighbor ${a} remote-as 64512`, ` neighbor ${a} timers connect 1`, ` neighbor ${a} bfd`, ` neighbor ${a} bfd profile fast`]), '',
].join('\n')
const frrSpeakerConf = [
  'router bgp 64512', ` bgp router-id ${F}`, ' no bgp ebgp-requires-policy', ' no bgp network import-check',
  ` neighbor ${R} remote-as 64512`, ` neighbor ${R} timers connect 1`, ` neighbor ${R} bfd`, ` neighbor ${R} bfd profile fast`, '',
].join('\n')

const meta = (name: string, namespace = NS) => ({name, namespace})
/** The SpeakerState of node n1 announcing `ips` (as the informers would fill it), to the router with BFD. */
function speakerState(ips: string[]) {
  return {
    node: 'n1', namespace: NS, live: ['n1'], secrets: {}, l2Advertisements: [], communities: [],
    nodes: [{apiVersion: 'v1', kind: 'Node', metadata: {name: 'n1', labels: {'kubernetes.io/hostname': 'n1'}}, status: {addresses: [{type: 'InternalIP', address: N}]}}],
    pools: [{apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: meta('default'), spec: {addresses: ['203.0.113.0/24']}}],
    bgpPeers: [{apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: meta('router'), spec: {myASN: 64512, peerASN: 64512, peerAddress: R, bfdProfile: 'fast', connectTime: '1s'}}],
    bfdProfiles: [{apiVersion: 'metallb.io/v1beta1', kind: 'BFDProfile', metadata: meta('fast'), spec: {receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3}}],
    bgpAdvertisements: [{apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: meta('all'), spec: {}}],
    services: ips.map((ip, i) => ({apiVersion: 'v1', kind: 'Service', metadata: {name: `s${i}`, namespace: 'default'}, spec: {type: 'LoadBalancer'}, status: {loadBalancer: {ingress: [{ip}]}}})),
    endpointSlices: ips.map((_, i) => ({apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: {name: `s${i}-x`, namespace: 'default', labels: {'kubernetes.io/service-name': `s${i}`}},
      endpoints: [{addresses: ['10.244.0.10'], nodeName: 'n1', conditions: {ready: true}}]})),
  }
}

async function until(v: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const deadline = performance.now() + timeoutMs
  while (performance.now() < deadline) {
    if (await v()) return performance.now()
    await new Promise((r) => setTimeout(r, POLL_MS))
  }
  throw new Error(`timed out: ${what}`)
}

const hasRoute = async (vty: Vty, prefix: string, from: string): Promise<boolean> => {
  const j = JSON.parse(await vty.cmd(`show bgp ipv4 unicast ${prefix} json`)) as {paths?: Array<{peer?: {peerId?: string}}>}
  return (j.paths ?? []).some((p) => p.peer?.peerId === from)
}

interface Speaker {
  name: string
  node: LabNode
  address: string
  announce(prefixes: string[]): Promise<void>
}

export const bench: Bench = {
  id: 'speaker-bgp',
  title: 'Speaker BGP: service added → route at the router; node lost (BFD) → route withdrawn, against an FRR speaker',
  needs: ['root', 'bgpd', 'bfdd', 'zebra', 'vtysh'],
  async run(): Promise<BenchReport> {
    const lab = await Lab.create('spbb')
    const frrs: Frr[] = []
    let child: ChildProcess | undefined
    const rows: BenchRow[] = []
    const res: Record<string, {add: number[]; lost: number[]}> = {lbctl: {add: [], lost: []}, FRR: {add: [], lost: []}}
    try {
      const br = await lab.addBridge('lan')
      const r = await lab.addNode('r', {bridge: br, ipv4: `${R}/24`})
      const n = await lab.addNode('n1', {bridge: br, ipv4: `${N}/24`})
      const f = await lab.addNode('f1', {bridge: br, ipv4: `${F}/24`})
      const router = await Frr.start(r, routerConf, BFD, {zebra: true})
      frrs.push(router)
      const frrSpeaker = await Frr.start(f, frrSpeakerConf, BFD, {zebra: true})
      frrs.push(frrSpeaker)
      const rv = await Vty.open(join(router.dir, 'bgpd.vty'))
      const fv = await Vty.open(join(frrSpeaker.dir, 'bgpd.vty'))
      await fv.cmd('enable')
      const file = await bundleEntry('test/lab/speaker/bgp-speaker-main.ts')
      child = n.spawn(process.execPath, [file, 'n1'])
      child.stderr!.on('data', (d: Buffer) => debug(d.toString()))
      child.stdout!.on('data', (d: Buffer) => debug(d.toString().slice(0, 600)))
      const apply = (ips: string[]) => child!.stdin!.write(JSON.stringify({nodeAddresses: [N], state: speakerState(ips)}) + '\n')
      const lbctlIps: string[] = []
      const speakers: Speaker[] = [
        {name: 'lbctl', node: n, address: N, announce: async (ps) => {
          lbctlIps.splice(0, lbctlIps.length, ...ps.map((p) => p.split('/')[0]))
          apply(lbctlIps)
        }},
        {name: 'FRR', node: f, address: F, announce: async (ps) => {
          await fv.cmd('configure terminal')
          await fv.cmd('router bgp 64512')
          await fv.cmd('address-family ipv4 unicast')
          for (const p of ps) await fv.cmd(`network ${p}`)
          await fv.cmd('end')
        }},
      ]
      apply([])
      for (let i = 0; i < REPS; i++) {
        for (const [k, s] of speakers.entries()) {
          debug(`${s.name} rep ${i}: wait for the session and BFD`)
          await until(async () => {
            const nb = JSON.parse(await rv.cmd(`show bgp neighbors ${s.address} json`))[s.address]
            return nb?.bgpState === 'Established' && nb?.peerBfdInfo?.status === 'Up'
          }, 60_000, `${s.name} up`)
          // A fresh address per repetition: 203.0.113.(10 + rep) for lbctl, .(100 + rep) for FRR; the earlier ones stay.
          const prefixes = Array.from({length: i + 1}, (_, j) => `203.0.113.${(k === 0 ? 10 : 100) + j}/32`)
          const added = prefixes[i]
          const t0 = performance.now()
          await s.announce(prefixes)
          res[s.name].add.push(await until(() => hasRoute(rv, added, s.address), 10_000, `${s.name} ${added} at the router`) - t0)
          await new Promise((r) => setTimeout(r, 300))
          const t1 = performance.now()
          await s.node.setLink('eth0', 'down')
          res[s.name].lost.push(await until(async () => !(await hasRoute(rv, added, s.address)), 10_000, `${s.name} withdrawn`) - t1)
          await s.node.setLink('eth0', 'up')
        }
      }
      rv.close()
      fv.close()
    } finally {
      child?.kill('SIGKILL')
      for (const x of frrs) await x.stop()
      await lab.destroy()
    }
    const row = (metric: string, key: 'add' | 'lost', target?: string, limit?: number) => {
      const v = median(res.lbctl[key])
      const ref = median(res.FRR[key])
      rows.push({metric, value: v, unit: 'ms', reference: {name: 'FRR speaker (bgpd + bfdd), same router, same timers', value: ref}, ratio: v / ref,
        ...(target ? {target, met: limit !== undefined ? v <= limit : undefined} : {})})
    }
    row(`service added → route at the router, median of ${REPS}`, 'add')
    row(`node lost (link down) → route withdrawn at the router, BFD 3 × 100 ms, median of ${REPS}`, 'lost', '≤ 500 ms', 500)
    return {
      id: 'speaker-bgp', title: this.title,
      method: `One bridge as the LAN; router namespace r runs FRR (zebra, bgpd, bfdd) in AS 64512 with iBGP neighbours n1 (lbctl: BgpSpeaker in a Node process, fed SpeakerState on stdin as the daemon would) ` +
        'and f1 (FRR: zebra, bgpd, bfdd), both with BFD profile 100 ms / 100 ms × 3 on each side. A client on the router\'s vty socket polls `show bgp ipv4 unicast P json` every 2 ms. ' +
        'Added: from handing the new SpeakerState to BgpSpeaker (lbctl) / the `network P` command on the FRR speaker\'s vty socket, to the path from that node appearing at the router. ' +
        'Lost: from `ip link set eth0 down` in the node namespace to the path gone at the router (the router\'s BFD detects the loss; the speaker\'s part is to have negotiated the fast timers). ' +
        `Speakers alternate, ${REPS} repetitions each, fresh address per repetition; the link comes back up and both the session and BFD are up before the next one. Median.`,
      rows,
      notes: ['The FRR speaker runs with its defaults: bgpd batches UPDATEs of an update group (coalesce-time, up to 1 s), which is most of its "added" time; the "lost" rows are the router\'s BFD detection (3 × 100 ms) plus its withdrawal, for both speakers alike.',
        `lbctl: added ${res.lbctl.add.map((x) => x.toFixed(1)).join(', ')} ms; lost ${res.lbctl.lost.map((x) => x.toFixed(0)).join(', ')} ms. FRR: added ${res.FRR.add.map((x) => x.toFixed(1)).join(', ')} ms; lost ${res.FRR.lost.map((x) => x.toFixed(0)).join(', ')} ms.`],
    }
  },
}
