// Extended next hop (RFC 8950) over an IPv6-only link, TTL security (RFC 5082) and extended messages (RFC 8654),
// each through the built `lbctl bgp probe` against FRR (and GoBGP for the extended next hop).
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Frr, until} from '../../harness/lab/frr.js'
import {GoBgp, gobgpConf} from '../../harness/lab/gobgp.js'
import {cleanupStale, Lab, type LabNode, missingBuild, missingFrr, missingGobgp, requireLab, requirePrerequisites} from '../../harness/lab/index.js'
import {probe, using} from './helpers.js'

const PREFIX = 'bgx'
// eth0: IPv6 only. eth1: IPv4 only.
const R6 = '2001:db8:2::1'
const S6 = '2001:db8:2::2'
const R4 = '198.18.0.21'
const S4 = '198.18.0.22'

function frrConf(neighbor: string, extra: string[] = []): string {
  return [
    'router bgp 64513', ` bgp router-id ${R4}`, ' no bgp ebgp-requires-policy', ' bgp log-neighbor-changes',
    ` neighbor ${neighbor} remote-as 64512`, ` neighbor ${neighbor} timers connect 1`, ...extra.map((x) => ` neighbor ${neighbor} ${x}`),
    ' address-family ipv4 unicast', `  neighbor ${neighbor} activate`, ' exit-address-family',
    ' address-family ipv6 unicast', `  neighbor ${neighbor} activate`, ' exit-address-family', '',
  ].join('\n')
}

/** tshark on `node`'s `ifname` writing to a fresh file; stop() waits for it to flush, then the file can be read. */
async function capture(node: LabNode, ifname: string) {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-cap-'))
  const pcap = join(dir, 'bgp.pcap')
  const cap = node.spawn('tshark', ['-i', ifname, '-w', pcap, '-f', 'tcp port 179'])
  await until('tshark capturing', async () => existsSync(pcap), 10_000)
  return {
    pcap,
    async stop() {
      if (cap.exitCode === null) {
        cap.kill('SIGINT')
        await new Promise((r) => cap.once('exit', r))
      }
    },
    /** Lines of `tshark -r` with a display filter and fields. */
    async read(filter: string, fields: string[] = []): Promise<string[]> {
      const args = ['-r', pcap, '-Y', filter, ...(fields.length ? ['-T', 'fields', ...fields.flatMap((f) => ['-e', f])] : [])]
      const r = await node.exec('tshark', args, {check: true})
      return r.stdout.split('\n').filter(Boolean)
    },
    remove: () => rmSync(dir, {recursive: true, force: true}),
  }
}

const v4Args = ['--peer-address', R4, '--peer-asn', '64513', '--my-asn', '64512']
const v6Args = ['--peer-address', R6, '--peer-asn', '64513', '--my-asn', '64512', '--router-id', S4]

describe.runIf(requireLab(['tshark'], missingBuild()))('BGP engine: extended next hop, TTL security, extended messages', () => {
  let lab: Lab
  let r: LabNode
  let s: LabNode
  beforeAll(async () => {
    lab = await Lab.create(PREFIX)
    r = await lab.addNode('r')
    s = await lab.addNode('s')
    await lab.link(r, s, {aIp6: `${R6}/64`, bIp6: `${S6}/64`, aIfname: 'eth0', bIfname: 'eth0'})
    await lab.link(r, s, {aIp: `${R4}/30`, bIp: `${S4}/30`, aIfname: 'eth1', bIfname: 'eth1'})
  })
  afterAll(async () => {
    await lab?.destroy()
    cleanupStale(PREFIX)
  })
  const withFrr = (conf: string, fn: (f: Frr) => Promise<void>) => using(Frr.start(r, conf), fn)

  describe.runIf(requirePrerequisites('BGP lab tests (FRR)', 'FRR', missingFrr()))('FRR', () => {
    it('extended next hop over an IPv6-only session: FRR receives the IPv4 route with our IPv6 address as next hop; tshark decodes it cleanly', async () => {
      await withFrr(frrConf(S6, ['capability extended-nexthop']), async (f) => {
        const cap = await capture(s, 'eth0')
        try {
          const p = probe(s, [...v6Args, '--extended-nexthop', '--announce', '203.0.113.80/32', '--announce', '2001:db8:ffff::80/128', '--duration', '4', '--json'])
          // `show bgp ipv4 unicast json`: the IPv4 prefix with an IPv6 next hop.
          const route = await until('IPv4 route in FRR', async () => (await f.rib('ipv4'))['203.0.113.80/32'])
          expect(route[0].nexthops.map((n: any) => [n.ip, n.afi])).toEqual([[S6, 'ipv6']])
          expect(route[0].valid).toBe(true)
          expect((await f.rib('ipv6'))['2001:db8:ffff::80/128']).toBeDefined()
          expect((await f.neighbor(S6)).neighborCapabilities.extendedNexthop).toBe('advertisedAndReceived')
          const res = await p.done
          expect(res.code).toBe(0)
          const out = JSON.parse(res.stdout)
          expect(out).toMatchObject({established: true, extendedNextHop: true, announced: 2, exit: 'withdrawn'})
          expect(out.capabilities).toContain('extended next hop ipv4-unicast via ipv6')
          // FRR advertises both routes back (eBGP): the IPv4 one in MP_REACH_NLRI with its IPv6 next hop, decoded by us.
          expect(out.receivedPrefixes).toBe(2)
          await until('IPv4 route withdrawn', async () => !(await f.rib('ipv4'))['203.0.113.80/32'])
          await until('our Cease in the capture', async () => (await cap.read(`bgp.type == 3 && ipv6.src == ${S6}`)).length > 0, 5000, 200).catch(() => undefined)
        } finally {
          await cap.stop()
        }
        try {
          // tshark reads our UPDATE as MP_REACH_NLRI AFI 1 / SAFI 1 with the 16-octet IPv6 next hop and the IPv4 prefix.
          const a = 'bgp.update.path_attribute.mp_reach_nlri'
          const rows = await cap.read(`ipv6.src == ${S6} && ${a}.afi == 1`, [`${a}.afi`, `${a}.safi`, `${a}.next_hop.ipv6`, 'bgp.mp_reach_nlri_ipv4_prefix'])
          // One frame may carry both UPDATEs (IPv4 and IPv6): one MP_REACH_NLRI per column entry.
          const reach = rows.flatMap((l) => {
            const [afi, safi, nh, v4] = l.split('\t').map((x) => x.split(','))
            return afi.map((x, i) => ({afi: x, safi: safi[i], nextHop: nh[i], v4}))
          })
          expect(reach.filter((x) => x.afi === '1')).toEqual([{afi: '1', safi: '1', nextHop: S6, v4: ['203.0.113.80']}])
          expect(await cap.read('_ws.malformed || _ws.expert.severity >= "error"')).toEqual([])
        } finally {
          cap.remove()
        }
      })
    })

    it('extended next hop not offered by FRR: the IPv4 route is not sent (no IPv4 next hop), the IPv6 one is; without --router-id the IPv6 session takes the host\'s IPv4 address', async () => {
      await withFrr(frrConf(S6), async (f) => {
        const p = probe(s, [...v6Args.slice(0, -2), '--extended-nexthop', '--announce', '203.0.113.81/32', '--announce', '2001:db8:ffff::81/128', '--duration', '2', '--json'])
        await until('IPv6 route in FRR', async () => (await f.rib('ipv6'))['2001:db8:ffff::81/128'])
        expect((await f.neighbor(S6)).remoteRouterId).toBe(S4)
        const res = await p.done
        expect(res.code).toBe(0)
        const out = JSON.parse(res.stdout)
        expect(out).toMatchObject({established: true, extendedNextHop: false, announced: 1})
        expect(out.steps.map((x: {step: string}) => x.step)).toContain('UPDATE sent: 1 prefix announced, 0 withdrawn in 1 message; 1 prefix not sent (no-next-hop)')
        expect((await f.rib('ipv4'))['203.0.113.81/32']).toBeUndefined()
      })
    })

    it('TTL security: FRR with "ttl-security hops 1" refuses the probe without --ttl-security and establishes with it; we send TTL 255', async () => {
      await withFrr(frrConf(S4, ['ttl-security hops 1']), async (f) => {
        // FRR accepts the TCP connection and only then sets IP_MINTTL on it: from there on it drops what we send with
        // TTL 64. Our OPEN can arrive before that (a race inside FRR), and then FRR's OPEN and KEEPALIVE take the probe
        // to Established while our KEEPALIVE is dropped: FRR itself never establishes, which is what is checked.
        const bad = await probe(s, [...v4Args, '--timeout', '4', '--json']).done
        expect((await f.neighbor(S4)).connectionsEstablished).toBe(0)
        if (bad.code !== 0) {
          const badErr = JSON.parse(bad.stdout).error
          expect(badErr.code).toBe('BGP_NO_OPEN')
          expect(badErr.hint).toMatch(/--ttl-security/)
        }
        const cap = await capture(s, 'eth1')
        try {
          const p = probe(s, [...v4Args, '--ttl-security', '1', '--announce', '203.0.113.82/32', '--duration', '3', '--json'])
          await until('route in FRR', async () => (await f.rib('ipv4'))['203.0.113.82/32'])
          const res = await p.done
          expect(res.code).toBe(0)
          expect(JSON.parse(res.stdout)).toMatchObject({established: true, ttlSecurity: {hops: 1, sendTtl: 255, minTtl: 255}, announced: 1})
          expect((await f.neighbor(S4)).connectionsEstablished).toBe(1)
        } finally {
          await cap.stop()
        }
        try {
          // Everything of our connection (to port 179; the kernel's resets to FRR's own attempts are not ours).
          // The connection that carried our route. Not just any UPDATE: when the refused probe won FRR's race to
          // Established it sent an End-of-RIB (an UPDATE too) with TTL 64, which FRR then drops, so its orphaned socket
          // can still be retransmitting that into this capture (seen once in CI).
          const [stream] = await cap.read(`bgp.type == 2 && ip.src == ${S4} && bgp.nlri_prefix == 203.0.113.82`, ['tcp.stream'])
          const ttls = await cap.read(`tcp.stream == ${stream} && ip.src == ${S4}`, ['ip.ttl'])
          expect(ttls.length).toBeGreaterThan(3)
          expect(new Set(ttls)).toEqual(new Set(['255']))
          // FRR sends with 255 too (that is what our IP_MINTTL 255 let through).
          expect(new Set(await cap.read(`tcp.stream == ${stream} && ip.src == ${R4}`, ['ip.ttl']))).toEqual(new Set(['255']))
        } finally {
          cap.remove()
        }
      })
    })

    it('TTL security on our side: FRR without it sends eBGP with TTL 1, so the probe with --ttl-security 1 drops its segments and says why', async () => {
      await withFrr(frrConf(S4), async () => {
        const res = await probe(s, [...v4Args, '--ttl-security', '1', '--timeout', '4', '--json']).done
        expect(res.code).toBe(1)
        const err = JSON.parse(res.stdout).error
        expect(err.message).toMatch(/--ttl-security 1 is set: segments with a TTL below 255 are dropped silently/)
      })
    })

    // FRR 8.x offers RFC 8654 extended messages by default (no neighbor statement needed). The tshark of Debian 12
    // (Wireshark 4.0) stops at 4096 octets: it flags longer BGP messages "Length is invalid N" and decodes nothing
    // else in them, so the check is that this is the only error it reports, for lengths 4097-65535.
    it('extended messages: FRR offers them too; 1,000 prefixes go in one UPDATE over 4096 octets both ways, each side takes all', async () => {
      await withFrr(frrConf(S4), async (f) => {
        const prefixes = Array.from({length: 1000}, (_, i) => `2001:db8:ffff::${(i + 1).toString(16)}/128`)
        const cap = await capture(s, 'eth1')
        try {
          const p = probe(s, [...v4Args, '--extended-message', '--duration', '3', '--json', ...prefixes.flatMap((x) => ['--announce', x])])
          await until('1,000 routes in FRR', async () => Object.keys(await f.rib('ipv6')).length === 1000 || undefined, 20_000, 200)
          expect((await f.neighbor(S4)).neighborCapabilities.extendedMessage).toBe('advertisedAndReceived')
          const res = await p.done
          expect(res.code).toBe(0)
          const out = JSON.parse(res.stdout)
          expect(out).toMatchObject({established: true, extendedMessage: true, announced: 1000})
          // FRR advertises them back (eBGP, no sender-side loop check) in an extended UPDATE too: our decoder took it.
          expect(out.receivedPrefixes).toBe(1000)
        } finally {
          await cap.stop()
        }
        try {
          const lengths = async (src: string) => (await cap.read(`bgp && ip.src == ${src}`, ['bgp.length'])).flatMap((l) => l.split(',')).map(Number)
          const ours = await lengths(S4)
          expect(Math.max(...ours)).toBeGreaterThan(4096)
          expect(Math.max(...ours)).toBeLessThanOrEqual(65535)
          expect(Math.max(...(await lengths(R4)))).toBeGreaterThan(4096)
          const flagged = await cap.read('_ws.malformed || _ws.expert.severity >= "error"', ['_ws.expert.message', '_ws.expert.severity'])
          const errors = flagged.flatMap((l) => {
            const [msgs, sevs] = l.split('\t').map((x) => x.split(','))
            return msgs.filter((_, i) => Number(sevs[i]) >= 8388608) // PI_ERROR
          })
          expect(errors.length).toBeGreaterThan(0)
          for (const e of errors) {
            const m = /^Length is invalid (\d+)$/.exec(e)
            expect(m, e).not.toBeNull()
            expect(Number(m![1])).toBeGreaterThan(4096)
            expect(Number(m![1])).toBeLessThanOrEqual(65535)
          }
        } finally {
          cap.remove()
        }
      })
    })
  })

  // GoBGP (3.x) offers the capability for ipv4-unicast with IPv6 next hops on every neighbor with that afi-safi
  // (pkg/server/fsm.go capabilitiesFromConfig); its config has no knob for it (docs: unnumbered-bgp.md shows it negotiated).
  describe.runIf(requirePrerequisites('BGP lab tests (GoBGP)', 'GoBGP', missingGobgp()))('GoBGP', () => {
    it('extended next hop over an IPv6-only session: GoBGP receives the IPv4 route with our IPv6 address as next hop', async () => {
      const g = await GoBgp.start(r, gobgpConf({asn: 64513, routerId: R4, neighbors: [{address: S6, peerAs: 64512}]}))
      try {
        const p = probe(s, [...v6Args, '--extended-nexthop', '--announce', '203.0.113.83/32', '--duration', '3', '--json'])
        const paths = await until('IPv4 route in GoBGP', () => g.paths('ipv4', '203.0.113.83/32'))
        expect(paths[0].attrs.find((a: any) => a.type === 14)).toMatchObject({afi: 1, safi: 1, nexthop: S6, value: [{prefix: '203.0.113.83/32'}]})
        expect(paths[0].attrs.find((a: any) => a.type === 3)).toBeUndefined()
        const caps = (await g.neighbor(S6)).state.remote_cap.map((c: any) => c.type_url)
        expect(caps).toContain('type.googleapis.com/apipb.ExtendedNexthopCapability')
        const res = await p.done
        expect(res.code).toBe(0)
        expect(JSON.parse(res.stdout)).toMatchObject({established: true, extendedNextHop: true, announced: 1, exit: 'withdrawn'})
        await until('IPv4 route withdrawn', async () => !(await g.paths('ipv4', '203.0.113.83/32')))
      } finally {
        await g.stop()
      }
    })
  })
})
