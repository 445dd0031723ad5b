// Issue 13, the speaker's proofs that need time on a running lab, sharing one lab (3 speakers with gossip, FRR as the
// router, one service announced in layer 2 and by BGP):
// - MetalLB's BGP metrics on /metrics after a route was sent (metallb_bgp_updates_total, _pending_prefixes_total);
// - one-step key rotation: each node's key file replaced in turn, nobody drops anybody, nothing is refused after;
// - the API server away for 2 minutes: the speakers cannot reach it (their packets dropped at the server's namespace)
//   and the harness process is SIGSTOPped for most of it; nothing changes on the wire (the same MAC answers ARP, no
//   gratuitous ARP, the routes stay at FRR, nothing is released), and a change made while it was away is applied after.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {renameSync, writeFileSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {missingBuild, missingFrr, missingNative, requireLab} from '../../harness/lab/index.js'
import {Frr, until} from '../../harness/lab/frr.js'
import {API_IP, metricValue, NODES, NS, type NodeName, type SpeakerLab, startL2Lab} from './speaker-lab.js'

const PREFIX = 'spr'
const VIP = '203.0.113.60'
const GONE = '203.0.113.61'
const ROUTER = '198.18.40.254'
const GRACE_MS = 2000
const AWAY_MS = 120_000

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

describe.runIf(requireLab(['curl', 'kubectl', 'bgpd', 'vtysh', 'tcpdump', 'iptables'], [...missingNative(), ...missingFrr(), ...missingBuild()]))(
  'speaker resilience: metrics, key rotation, API server away (one lab)', () => {
    let l: SpeakerLab
    let probe: (address: string) => Promise<string[]>
    let frr: Frr
    const paths = async (vip: string): Promise<number> => ((await frr.rib('ipv4'))[`${vip}/32`] ?? []).length
    const logsSince = (n: NodeName, mark: number): string[] => l.speakers.get(n)!.log.slice(mark)

    beforeAll(async () => {
      ;({lab: l, probe} = await startL2Lab(PREFIX, VIP, {perNodeKeys: true, speakerArgs: ['--memberlist-key-grace', `${GRACE_MS}ms`]}))
      const r = await l.lab.addNode('r', {bridge: l.lan, ipv4: `${ROUTER}/24`})
      frr = await Frr.start(r, [
        'router bgp 64512', ' bgp router-id 198.18.40.254', ' no bgp ebgp-requires-policy', ' no bgp network import-check',
        ...NODES.map((n) => ` neighbor ${l.nodeIP(n)} remote-as 64513`),
        ' address-family ipv4 unicast', '  maximum-paths 8', ' exit-address-family', ''].join('\n'))
      await l.apply({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: {name: 'frr', namespace: NS}, spec: {myASN: 64513, peerASN: 64512, peerAddress: ROUTER, holdTime: '9s'}})
      await l.apply({apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: {name: 'bgp', namespace: NS}, spec: {ipAddressPools: ['lab']}})
      await l.addService('gone', GONE)
      await until('FRR to learn both addresses from three nodes', async () => (await paths(VIP)) === 3 && (await paths(GONE)) === 3, 60_000)
        .catch((e) => {
          throw new Error(`${(e as Error).message}\n${l.dump()}`)
        })
    }, 180_000)

    afterAll(async () => {
      for (const p of l?.procs ?? []) p.child.kill('SIGCONT')
      await frr?.stop()
      await l?.destroy()
    })

    it('exports metallb_bgp_updates_total and metallb_bgp_pending_prefixes_total for the peer (MetalLB\'s label address:port)', async () => {
      const peer = `peer="${ROUTER}:179"`
      const text = await until('n1 to report its two prefixes announced', async () => {
        const t = await l.scrape('n1')
        return metricValue(t, `metallb_bgp_announced_prefixes_total{${peer}}`) === 2 ? t : undefined
      }, 20_000)
      expect(text).toContain('# TYPE metallb_bgp_updates_total counter')
      expect(text).toContain('# TYPE metallb_bgp_pending_prefixes_total gauge')
      expect(metricValue(text, `metallb_bgp_updates_total{${peer}}`)).toBeGreaterThanOrEqual(1)
      expect(metricValue(text, `metallb_bgp_pending_prefixes_total{${peer}}`)).toBe(2)
      expect(metricValue(text, `metallb_bgp_session_up{${peer}}`)).toBe(1)
      // A new service → one more UPDATE at least, one more prefix wanted and sent.
      const before = metricValue(text, `metallb_bgp_updates_total{${peer}}`)!
      await l.addService('more', '203.0.113.62')
      const after = await until('the third prefix counted', async () => {
        const t = await l.scrape('n1')
        return metricValue(t, `metallb_bgp_pending_prefixes_total{${peer}}`) === 3 && metricValue(t, `metallb_bgp_announced_prefixes_total{${peer}}`) === 3 ? t : undefined
      }, 20_000)
      expect(metricValue(after, `metallb_bgp_updates_total{${peer}}`)).toBeGreaterThan(before)
      await l.kubectl(['delete', 'service', 'more', '-n', 'default'])
    })

    it('rotates the memberlist key in one step, node by node: no view change, and no datagram refused afterwards', async () => {
      const marks = new Map(NODES.map((n) => [n, l.speakers.get(n)!.log.length]))
      const key = randomBytes(128).toString('base64')
      for (const n of NODES) {
        // As kubelet updates a mounted Secret: the new content appears at once (a rename), never half written.
        writeFileSync(`${l.keyFile(n)}.new`, key)
        renameSync(`${l.keyFile(n)}.new`, l.keyFile(n))
        await sleep(700)
      }
      // Each speaker: sending the old key, then the new one, then the old one forgotten.
      await until('every speaker through its rotation', async () => NODES.every((n) => {
        const phases = logsSince(n, marks.get(n)!).filter((x) => x.includes('"memberlist keys in effect"')).map((x) => JSON.parse(x).phase)
        return phases.join() === 'announcing,retiring,steady'
      }), 4 * GRACE_MS + 10_000).catch((e) => {
        throw new Error(`${(e as Error).message}\n${NODES.map((n) => `${n}:\n${logsSince(n, marks.get(n)!).filter((x) => /keys in effect|membership changed|key/.test(x)).map((x) => x.slice(0, 300)).join('\n')}`).join('\n')}`)
      })
      for (const n of NODES) expect(logsSince(n, marks.get(n)!).filter((x) => x.includes('"membership changed"'))).toEqual([])
      const a = await l.scrape('n2')
      await sleep(2000)
      const b = await l.scrape('n2')
      const v = (t: string, s: string): number => metricValue(t, s) ?? 0
      expect(v(b, 'lbctl_speaker_gossip_datagrams_total{direction="received"}') - v(a, 'lbctl_speaker_gossip_datagrams_total{direction="received"}')).toBeGreaterThan(20)
      expect(v(b, 'lbctl_speaker_gossip_dropped_total{reason="auth"}')).toBe(v(a, 'lbctl_speaker_gossip_dropped_total{reason="auth"}'))
      expect(v(b, 'lbctl_speaker_gossip_previous_key_total')).toBe(v(a, 'lbctl_speaker_gossip_previous_key_total'))
      expect(v(b, 'lbctl_speaker_gossip_previous_key_total')).toBeGreaterThan(0)
    })

    it('two speakers (the third Pod not Ready): a gossip partition leaves an announcer on each side, the heal exactly one', async () => {
      const vipOwner = async (): Promise<string[]> => (await probe(VIP)).map((m) => l.nodeOfMac(m) ?? m).sort()
      l.speakers.get('n3')!.child.kill('SIGTERM')
      await new Promise((r) => l.speakers.get('n3')!.child.once('exit', r))
      await l.setSpeakerPod('n3', false)
      await l.waitAlive(2)
      expect(await vipOwner()).toHaveLength(1)
      // Gossip cut between n1 and n2 (the LAN itself stays up: the client reaches both).
      const cut = ['INPUT', '-p', 'udp', '--dport', '7946', '-j', 'DROP']
      for (const n of ['n1', 'n2'] as const) expect((await l.nodes[n].exec('iptables', ['-I', ...cut])).exitCode).toBe(0)
      try {
        await until('both speakers to announce the address during the split', async () => (await vipOwner()).join() === 'n1,n2', 20_000)
      } finally {
        for (const n of ['n1', 'n2'] as const) await l.nodes[n].exec('iptables', ['-D', ...cut])
      }
      await until('exactly one announcer after the heal', async () => (await vipOwner()).length === 1, 20_000)
      await sleep(2000)
      expect(await vipOwner()).toHaveLength(1)
      expect(await l.l2OwnersEventually('web', await vipOwner())).toEqual(await vipOwner())
      // n3 back for the rest of the suite.
      await l.startSpeaker('n3')
      await l.waitAlive(3)
    }, 90_000)

    it('API server away for 2 minutes: nothing changes on the wire; a change made meanwhile is applied when it returns', async () => {
      const owners = await probe(VIP)
      expect(owners).toHaveLength(1)
      const ownerMac = owners[0]
      const marks = new Map(NODES.map((n) => [n, l.speakers.get(n)!.log.length]))
      const api = l.procs[0].child
      // Gratuitous ARP (broadcast, sender address = target address) during the window would be a take-over or a storm.
      const dump = l.client.spawn('tcpdump', ['-i', 'eth0', '-l', '-n', '-e', 'arp and ether dst ff:ff:ff:ff:ff:ff and arp[14:4] = arp[24:4]'])
      const broadcasts: string[] = []
      let lastBroadcast = Date.now()
      dump.stdout?.on('data', (d: Buffer) => {
        broadcasts.push(...d.toString().split('\n').filter(Boolean))
        lastBroadcast = Date.now()
      })
      // A take-over just before (the previous test moved owners) repeats its announcement for ~5 s: let it finish.
      await until('no gratuitous ARP for 6 s', async () => Date.now() - lastBroadcast > 6000, 30_000)
      broadcasts.length = 0
      // Both directions: requests in, and the watch streams' events out.
      const rules = [['INPUT', '-p', 'tcp', '--dport', '6443', '!', '-s', API_IP, '-j', 'DROP'], ['OUTPUT', '-p', 'tcp', '--sport', '6443', '!', '-d', API_IP, '-j', 'DROP']]
      for (const rule of rules) expect((await l.api.exec('iptables', ['-I', ...rule])).exitCode).toBe(0)
      const t0 = Date.now()
      try {
        // The change an operator makes while the speakers cannot reach the API server.
        await l.kubectl(['delete', 'service', 'gone', '-n', 'default'])
        api.kill('SIGSTOP')
        const checks: Array<{t: number; macs: string[]; vip: number; gone: number}> = []
        while (Date.now() - t0 < AWAY_MS - 5000) {
          checks.push({t: Date.now() - t0, macs: await probe(VIP), vip: await paths(VIP), gone: await paths(GONE)})
          await sleep(10_000)
        }
        api.kill('SIGCONT')
        while (Date.now() - t0 < AWAY_MS) await sleep(200)
        expect(checks.length).toBeGreaterThanOrEqual(8)
        for (const c of checks) expect(c, `at ${c.t} ms`).toEqual({t: c.t, macs: [ownerMac], vip: 3, gone: 3})
        const changes = NODES.map((n) => `${n}: ${logsSince(n, marks.get(n)!).filter((x) => /ownership changed|membership changed|released|gossip|key/.test(x)).map((x) => x.slice(0, 300)).join('\n')}`).join('\n')
        expect(broadcasts, changes).toEqual([])
        for (const n of NODES) {
          const lines = logsSince(n, marks.get(n)!)
          expect(l.speakers.get(n)!.child.exitCode).toBeNull()
          expect(lines.filter((x) => /layer-2 ownership changed|released layer-2|membership changed|BGP session down/.test(x))).toEqual([])
        }
        expect(await l.httpGet(VIP)).toBeDefined()
      } finally {
        api.kill('SIGCONT')
        for (const rule of rules) await l.api.exec('iptables', ['-D', ...rule])
        dump.kill('SIGINT')
      }
      // Back: the deleted service's route is withdrawn and its address no longer answered; the other one stays.
      await until('the deleted service withdrawn at FRR', async () => (await paths(GONE)) === 0, 90_000)
      await until('nobody answers ARP for the deleted service', async () => (await probe(GONE)).length === 0, 30_000)
      expect(await probe(VIP)).toEqual([ownerMac])
      expect(await paths(VIP)).toBe(3)
    }, AWAY_MS + 210_000)
  })
