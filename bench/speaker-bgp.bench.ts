// The speaker's BGP side through the real daemon (three bin/speaker.js against the API server harness, with the real
// controller; lab in speaker-bgp-lab.ts) toward a real FRR router: Service created → route at the router; node lost
// (link down + speaker SIGKILL, BFD 3 × 100 ms) → route withdrawn at the router. Next to an FRR speaker doing the same
// toward the same router in the same run with the same BFD timers, and to the BgpSpeaker library alone (the
// measurement this bench made before it drove the daemon).
import {median, type Bench, type BenchReport, type BenchRow} from './lib.js'
import {debug, FRR_SPEAKER, LIB_SPEAKER, libState, pollTable, POLL_MS, startBgpBenchLab, type BgpBenchLab} from './speaker-bgp-lab.js'
import {NODES, type NodeName} from '../test/lab/speaker/speaker-lab.js'

const REPS = Number(process.env.LBCTL_SPEAKER_BGP_BENCH_REPS ?? 5)
const REF = 'FRR speaker (bgpd + bfdd), same router, same timers'

const service = (name: string) => ({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: 'default'},
  spec: {type: 'LoadBalancer', selector: {app: name}, ports: [{port: 8080, protocol: 'TCP'}], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack'}})

interface Created {
  /** API watch event (ADDED) → the first node's path at the router. */
  watchFirst: number
  /** API watch event (ADDED) → the watch event carrying the address the controller assigned (its status write). */
  watchAssigned: number
  /** That status event → the first node's path at the router (the speakers' part, UPDATE included). */
  assignedFirst: number
  /** API watch event → the paths of all three nodes at the router. */
  watchAll: number
  /** kubectl apply started → the first node's path at the router. */
  applyFirst: number
  /** kubectl apply started → kubectl apply exited. */
  applyOwn: number
  prefix: string
}

/** A LoadBalancer Service (its EndpointSlice already there) through kubectl apply; the controller assigns the address. */
async function createService(b: BgpBenchLab, name: string): Promise<Created> {
  const ips = NODES.map((n) => b.l.nodeIP(n))
  await b.l.setEndpoints(name, [...NODES])
  const known = new Set((await b.table()).keys())
  const t0 = performance.now()
  const applied = b.l.apply(service(name)).then(() => performance.now())
  const first = await pollTable(b, (t) => [...t].find(([p, from]) => !known.has(p) && ips.some((a) => from.has(a)))?.[0], 15_000, `a route for ${name} at the router`)
  const all = await pollTable(b, (t) => (ips.every((a) => t.get(first.value)?.has(a)) ? true : undefined), 15_000, `${first.value} from all three nodes`)
  const t1 = await applied
  const deadline = performance.now() + 5000
  while (b.watched.get(name)?.assigned === undefined && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10))
  const w = b.watched.get(name)
  if (w?.assigned === undefined) throw new Error(`kubectl get services --watch-only never showed ${name} with an address (${JSON.stringify(w)})`)
  return {watchFirst: first.at - w.added, watchAssigned: w.assigned - w.added, assignedFirst: first.at - w.assigned, watchAll: all.at - w.added,
    applyFirst: first.at - t0, applyOwn: t1 - t0, prefix: first.value}
}

/** `network P` on the FRR speaker's vty socket → its path at the router. */
async function frrAnnounce(b: BgpBenchLab, prefix: string): Promise<number> {
  const t0 = performance.now()
  for (const c of ['configure terminal', 'router bgp 64512', 'address-family ipv4 unicast', `network ${prefix}`, 'end']) await b.fv.cmd(c)
  return (await pollTable(b, (t) => (t.get(prefix)?.has(FRR_SPEAKER) ? true : undefined), 15_000, `${prefix} from the FRR speaker`)).at - t0
}

/** The library speaker handed a SpeakerState with one more service → its path at the router. */
async function libAnnounce(b: BgpBenchLab, ips: string[]): Promise<number> {
  const prefix = `${ips[ips.length - 1]}/32`
  const t0 = performance.now()
  b.lib.apply(libState(ips), [LIB_SPEAKER])
  return (await pollTable(b, (t) => (t.get(prefix)?.has(LIB_SPEAKER) ? true : undefined), 15_000, `${prefix} from the library speaker`)).at - t0
}

/** Node n lost: link down, then its speaker SIGKILLed → n's path for `prefix` gone at the router. Then n comes back. */
async function loseNode(b: BgpBenchLab, n: NodeName, prefix: string): Promise<number> {
  const addr = b.l.nodeIP(n)
  await b.ready(addr)
  const child = b.l.speakers.get(n)!.child
  const exited = new Promise((r) => child.once('exit', r))
  const t0 = performance.now()
  // The link first: the killed speaker's FIN cannot reach the router, so only BFD can tell it (hold time is 90 s).
  await b.l.nodes[n].setLink('eth0', 'down')
  child.kill('SIGKILL')
  const gone = await pollTable(b, (t) => (t.get(prefix)?.has(addr) ? undefined : true), 15_000, `${n}'s path for ${prefix} withdrawn`)
  await b.l.nodes[n].setLink('eth0', 'up')
  await exited
  await b.l.startSpeaker(n)
  await b.ready(addr)
  await pollTable(b, (t) => (t.get(prefix)?.has(addr) ? true : undefined), 30_000, `${n}'s path for ${prefix} back`)
  return gone.at - t0
}

/** The FRR speaker's node lost (link down) → its path for `prefix` gone at the router. Then the link comes back. */
async function loseFrr(b: BgpBenchLab, prefix: string): Promise<number> {
  await b.ready(FRR_SPEAKER)
  const t0 = performance.now()
  await b.frrSpeaker.node.setLink('eth0', 'down')
  const gone = await pollTable(b, (t) => (t.get(prefix)?.has(FRR_SPEAKER) ? undefined : true), 15_000, `the FRR speaker's path for ${prefix} withdrawn`)
  await b.frrSpeaker.node.setLink('eth0', 'up')
  await b.ready(FRR_SPEAKER)
  await pollTable(b, (t) => (t.get(prefix)?.has(FRR_SPEAKER) ? true : undefined), 30_000, `the FRR speaker's path for ${prefix} back`)
  return gone.at - t0
}

const ms = (xs: number[], digits = 1) => xs.map((x) => x.toFixed(digits)).join(', ')

export const bench: Bench = {
  id: 'speaker-bgp',
  title: 'Speaker BGP through the daemon: Service created → route at the router; node lost (BFD) → route withdrawn, against an FRR speaker',
  needs: ['root', 'bgpd', 'bfdd', 'zebra', 'vtysh', 'kubectl'],
  async run(): Promise<BenchReport> {
    const b = await startBgpBenchLab()
    const daemon: Created[] = []
    const lost: number[] = []
    const frr = {add: [] as number[], lost: [] as number[]}
    const lib: number[] = []
    try {
      for (const a of [...NODES.map((n) => b.l.nodeIP(n)), FRR_SPEAKER, LIB_SPEAKER]) await b.ready(a)
      // Warm-up (not measured): the watch is established, the controller assigns, all three speakers announce.
      const w = await createService(b, 'warm')
      debug(`warm-up: ${JSON.stringify(w)}`)
      const libIps: string[] = []
      for (let i = 0; i < REPS; i++) {
        const c = await createService(b, `bgp${i}`)
        daemon.push(c)
        frr.add.push(await frrAnnounce(b, `203.0.113.${200 + i}/32`))
        libIps.push(`203.0.113.${150 + i}`)
        lib.push(await libAnnounce(b, libIps))
        const n = NODES[i % NODES.length]
        lost.push(await loseNode(b, n, c.prefix))
        frr.lost.push(await loseFrr(b, `203.0.113.${200 + i}/32`))
        debug(`rep ${i}: ${JSON.stringify({created: c, frrAdd: frr.add[i], lib: lib[i], lost: lost[i], frrLost: frr.lost[i]})}`)
      }
    } finally {
      await b.destroy()
    }
    const rows: BenchRow[] = []
    const refAdd = median(frr.add)
    const row = (metric: string, v: number, ref?: number, target?: string, limit?: number) =>
      rows.push({metric, value: v, unit: 'ms', ...(ref !== undefined ? {reference: {name: REF, value: ref}, ratio: v / ref} : {}),
        ...(target ? {target, met: limit !== undefined ? v <= limit : undefined} : {})})
    row(`Service created (API watch event) → route at the router from the first node, daemon, median of ${REPS}`, median(daemon.map((c) => c.watchFirst)), refAdd)
    row(`of which: watch event → the controller's address in the Service's status (seen in the watch), median of ${REPS}`, median(daemon.map((c) => c.watchAssigned)))
    row(`of which: that status event → route at the router from the first node (speakers' informers → UPDATE), median of ${REPS}`, median(daemon.map((c) => c.assignedFirst)))
    row(`Service created (API watch event) → route at the router from all three nodes, daemon, median of ${REPS}`, median(daemon.map((c) => c.watchAll)))
    row(`kubectl apply started → route at the router from the first node, daemon, median of ${REPS}`, median(daemon.map((c) => c.applyFirst)))
    row(`BgpSpeaker library alone (SpeakerState on stdin) → route at the router, the former measurement, median of ${REPS}`, median(lib), refAdd)
    row(`node lost (link down + speaker SIGKILL) → route withdrawn at the router, BFD 3 × 100 ms, daemon, median of ${REPS}`, median(lost), median(frr.lost), '≤ 500 ms', 500)
    return {
      id: 'speaker-bgp', title: this.title,
      method: 'The speaker lab on one bridge: the API server harness and the real controller (bin/controller.js) in one namespace, three node namespaces n1–n3 each running the real bin/speaker.js ' +
        '(configured only through API objects: IPAddressPool 203.0.113.0/25, BGPPeer to the router with myASN = peerASN = 64512 and bfdProfile `fast`, BFDProfile `fast` 100 ms / 100 ms × 3, BGPAdvertisement of the pool; no gossip key, so membership is the API\'s Ready speaker Pods). ' +
        'On the same bridge: router r (FRR 8.4: zebra, bgpd, bfdd; iBGP neighbours with BFD profile `fast`, `maximum-paths ibgp 8`), the reference speaker f1 (FRR: zebra, bgpd, bfdd, BFD profile `fast` toward r), ' +
        'and b1 (the BgpSpeaker library in a Node process fed SpeakerState on stdin, BFD 100/100 × 3: the measurement this bench made before it drove the daemon). ' +
        `A client on the router's bgpd vty socket polls \`show bgp ipv4 unicast json\` every ${POLL_MS} ms. ` +
        'Created: the Service\'s EndpointSlice (ready endpoints on n1–n3) is applied first, then `kubectl apply` of a LoadBalancer Service without an address; the controller assigns one from the pool. ' +
        'The time starts at the API server\'s watch event (ADDED, seen by a `kubectl get services --watch-only` running next to the API server) and so includes: the controller\'s informer → allocation → status write → the speakers\' informers → BGP UPDATE → the router\'s table; ' +
        'the same watch shows when the controller\'s status write (the address) arrives, which splits that time into the controller\'s part and the speakers\' part (the speakers\' informers get that event at the same moment); ' +
        'another row counts from starting `kubectl apply` (kubectl\'s own start, discovery and request included). ' +
        'Reference: `network P` given to the FRR speaker on its bgpd vty socket (as vtysh does) → P from f1 in the router\'s table (bgpd\'s own UPDATE scheduling, nothing else). Library row: writing the SpeakerState with one more service to b1 → its path at the router. ' +
        'Lost: node n(rep mod 3)\'s link set down and its speaker SIGKILLed (link first, so no FIN reaches the router; the hold time is 90 s, only BFD can tell) → that node\'s path for the rep\'s address gone from the router\'s table; ' +
        'reference: f1\'s link set down → its path gone. Both are the router\'s BFD detection (3 × 100 ms) plus its withdrawal; the speaker\'s part is to have negotiated the fast timers, which is checked (router\'s BFD peer up with remote intervals 100 ms) before each cut. ' +
        `After each loss the link comes back, the speaker is started again, and the session, BFD and the path are back before the next step. One warm-up Service (not counted), then ${REPS} repetitions, each: daemon created, FRR created, library created, daemon lost, FRR lost. Median.`,
      rows,
      notes: [
        `The FRR speaker runs with bgpd's defaults (no UPDATE timer tuned); its "created" times ranged ${Math.min(...frr.add).toFixed(1)}–${Math.max(...frr.add).toFixed(1)} ms in this run.`,
        `Raw values (ms, in repetition order). Daemon, watch event → first node: ${ms(daemon.map((c) => c.watchFirst))} (controller's status event after ${ms(daemon.map((c) => c.watchAssigned))}; then the route after ${ms(daemon.map((c) => c.assignedFirst))}); → all three nodes: ${ms(daemon.map((c) => c.watchAll))}; ` +
          `kubectl apply started → first node: ${ms(daemon.map((c) => c.applyFirst))} (kubectl apply itself took ${ms(daemon.map((c) => c.applyOwn), 0)}); addresses ${daemon.map((c) => c.prefix).join(', ')}. ` +
          `FRR network → route: ${ms(frr.add)}. Library: ${ms(lib)}. Node lost → withdrawn, daemon (n1, n2, n3, …): ${ms(lost, 0)}; FRR: ${ms(frr.lost, 0)}.`,
      ],
    }
  },
}
