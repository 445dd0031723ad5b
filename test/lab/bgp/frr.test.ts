// The BGP engine against a real FRR bgpd in the network lab: driven through the built `lbctl bgp probe` binary and
// through a session runner (engine-main.ts) inside the speaker's namespace.
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Frr, until} from '../../harness/lab/frr.js'
import {cleanupStale, Lab, type LabNode, missingBuild, missingFrr, requireLab} from '../../harness/lab/index.js'
import {engine, probe} from './helpers.js'

const PREFIX = 'bgf'
const R4 = '198.18.0.1'
const S4 = '198.18.0.2'
const R6 = '2001:db8::1'
const S6 = '2001:db8::2'

function bgpConf(o: {asn?: number; neighbor?: string; remoteAs?: number; extra?: string[]; global?: string[]} = {}): string {
  const n = o.neighbor ?? S4
  return [
    `router bgp ${o.asn ?? 64513}`, ` bgp router-id ${R4}`, ' no bgp ebgp-requires-policy', ' bgp log-neighbor-changes', ...(o.global ?? []),
    ` neighbor ${n} remote-as ${o.remoteAs ?? 64512}`, ` neighbor ${n} timers connect 1`, ...(o.extra ?? []),
    ' address-family ipv4 unicast', `  neighbor ${n} activate`, ' exit-address-family',
    ' address-family ipv6 unicast', `  neighbor ${n} activate`, ' exit-address-family', '',
  ].join('\n')
}

const paths = async (frr: Frr, afi: 'ipv4' | 'ipv6', prefix: string): Promise<any[] | undefined> => {
  const j = await frr.json(`show bgp ${afi} unicast ${prefix} json`)
  return j.paths?.length ? j.paths : undefined
}

describe.runIf(requireLab(['tshark'], [...missingFrr(), ...missingBuild()]))('BGP engine against FRR', () => {
  let lab: Lab
  let r: LabNode
  let s: LabNode
  let frr: Frr | undefined
  beforeAll(async () => {
    lab = await Lab.create(PREFIX)
    r = await lab.addNode('r')
    s = await lab.addNode('s')
    await lab.link(r, s, {aIp: `${R4}/30`, bIp: `${S4}/30`, aIp6: `${R6}/64`, bIp6: `${S6}/64`, aIfname: 'eth0', bIfname: 'eth0'})
  })
  afterAll(async () => {
    await frr?.stop()
    await lab?.destroy()
    cleanupStale(PREFIX)
  })
  const withFrr = async (conf: string, fn: (f: Frr) => Promise<void>, bfd?: string) => {
    frr = await Frr.start(r, conf, bfd)
    try {
      await fn(frr)
    } finally {
      await frr.stop()
      frr = undefined
    }
  }

  it('eBGP over IPv4: IPv4 and IPv6 routes with communities and large communities reach FRR, withdrawn on exit; tshark decodes every message cleanly', async () => {
    await withFrr(bgpConf(), async (f) => {
      const dir = mkdtempSync(join(tmpdir(), 'lbctl-cap-'))
      const pcap = join(dir, 'bgp.pcap')
      const cap = s.spawn('tshark', ['-i', 'eth0', '-w', pcap, '-f', 'tcp port 179'])
      await until('tshark capturing', async () => existsSync(pcap), 10_000)
      const p = probe(s, ['--peer-address', R4, '--peer-asn', '64513', '--my-asn', '64512', '--announce', '203.0.113.10/32', '--announce', '2001:db8:ffff::10/128',
        '--community', '64512:100', '--large-community', '64512:1:2', '--duration', '4', '--hold-time', '9', '--json'])
      const v4 = await until('IPv4 route in FRR', () => paths(f, 'ipv4', '203.0.113.10/32'))
      expect(v4[0].community.string).toBe('64512:100')
      expect(v4[0].largeCommunity.string).toBe('64512:1:2')
      expect(v4[0].aspath.string).toBe('64512')
      const v6 = await until('IPv6 route in FRR', () => paths(f, 'ipv6', '2001:db8:ffff::10/128'))
      expect(v6[0].community.string).toBe('64512:100')
      const n = await f.neighbor(S4)
      expect(n.bgpTimerHoldTimeMsecs).toBe(9000)
      const res = await p.done
      expect(res.code).toBe(0)
      const out = JSON.parse(res.stdout)
      expect(out).toMatchObject({established: true, peerAsn: 64513, announced: 2, exit: 'withdrawn'})
      expect(out.endOfRib.sort()).toEqual(['ipv4', 'ipv6'])
      await until('routes withdrawn', async () => !(await paths(f, 'ipv4', '203.0.113.10/32')) && !(await paths(f, 'ipv6', '2001:db8:ffff::10/128')))
      expect(f.log()).toMatch(/Administrative Shutdown|lbctl bgp probe finished/)
      // The Cease can still be on its way to the capture file: wait until tshark can read it back, then stop it.
      await until('NOTIFICATION in the capture', async () => {
        const r = await s.exec('tshark', ['-r', pcap, '-Y', 'bgp.type == 3 && ip.src == 198.18.0.2'])
        return r.stdout.trim() !== ''
      }, 5000, 200).catch(() => undefined)
      cap.kill('SIGINT')
      await new Promise((r) => cap.once('exit', r))
      const bad = await s.exec('tshark', ['-r', pcap, '-Y', '_ws.malformed || _ws.expert.severity >= "error"'], {check: true})
      expect(bad.stdout.trim()).toBe('')
      const types = await s.exec('tshark', ['-r', pcap, '-Y', 'bgp && ip.src == 198.18.0.2', '-T', 'fields', '-e', 'bgp.type'], {check: true})
      const seen = new Set(types.stdout.split(/[\s,]+/).filter(Boolean))
      expect([...seen].sort()).toEqual(['1', '2', '3', '4'])
      rmSync(dir, {recursive: true, force: true})
    })
  })

  it('iBGP over IPv6 with a 4-octet ASN: LOCAL_PREF seen by FRR; route refresh answered, its ROUTE-REFRESH messages clean in tshark', async () => {
    const asn = 4200000001
    await withFrr(bgpConf({asn, remoteAs: asn, neighbor: S6}), async (f) => {
      const dir = mkdtempSync(join(tmpdir(), 'lbctl-cap-'))
      const pcap = join(dir, 'bgp6.pcap')
      const cap = s.spawn('tshark', ['-i', 'eth0', '-w', pcap, '-f', 'tcp port 179'])
      await until('tshark capturing', async () => existsSync(pcap), 10_000)
      const e = await engine(s, {peer: R6, peerAsn: asn, myAsn: asn, routerId: S4, holdTime: 30,
        routes: [{prefix: '2001:db8:ffff::/48', localPref: 300}, {prefix: '203.0.113.0/24', localPref: 300, nextHop: S4}]})
      try {
        await e.wait('established', (x) => x.ev === 'established')
        const v6 = await until('IPv6 route', () => paths(f, 'ipv6', '2001:db8:ffff::/48'))
        expect(v6[0].locPrf).toBe(300)
        const v4 = await until('IPv4 route over the IPv6 session', () => paths(f, 'ipv4', '203.0.113.0/24'))
        expect(v4[0].locPrf).toBe(300)
        expect((await f.neighbor(R6.replace('::1', '::2'))).remoteAs).toBe(asn)
        // Withdraw on change.
        e.send({routes: [{prefix: '2001:db8:ffff::/48', localPref: 300}]})
        await until('IPv4 route withdrawn', async () => !(await paths(f, 'ipv4', '203.0.113.0/24')))
        await f.vtysh(`clear bgp ipv6 unicast ${S6} soft in`)
        await e.wait('route refresh', (x) => x.ev === 'route-refresh' && x.family === 6)
        expect(await paths(f, 'ipv6', '2001:db8:ffff::/48')).toBeDefined()
        // Our answer: BoRR, the table, EoRR (RFC 7313) — ROUTE-REFRESH is type 5, subtypes 1 and 2.
        const refresh = 'bgp.type == 5 && ipv6.src == ' + S6
        const rr = await until('our ROUTE-REFRESH messages in the capture', async () => {
          const r = await s.exec('tshark', ['-r', pcap, '-Y', refresh, '-T', 'fields', '-e', 'bgp.route_refresh.subtype'])
          const subtypes = new Set(r.stdout.split(/[\s,]+/).filter(Boolean))
          return subtypes.has('1') && subtypes.has('2') ? [...subtypes].sort() : undefined
        }, 10_000, 200)
        expect(rr).toEqual(['1', '2'])
      } finally {
        e.send({stop: 'test done'})
        cap.kill('SIGINT')
        await new Promise((r) => cap.once('exit', r))
      }
      const bad = await s.exec('tshark', ['-r', pcap, '-Y', '_ws.malformed || _ws.expert.severity >= "error"'], {check: true})
      expect(bad.stdout.trim()).toBe('')
      rmSync(dir, {recursive: true, force: true})
    })
  })

  it('explains a wrong AS: peer sent NOTIFICATION 2/2 Bad Peer AS, exit code 1', async () => {
    await withFrr(bgpConf({remoteAs: 64999}), async () => {
      const p = probe(s, ['--peer-address', R4, '--peer-asn', '64513', '--my-asn', '64512', '--timeout', '20', '--json'])
      const res = await p.done
      expect(res.code).toBe(1)
      expect(JSON.parse(res.stdout).error.message).toMatch(/^peer sent NOTIFICATION 2\/2 Bad Peer AS: it does not expect AS 64512/)
    })
  })

  it('TCP MD5: the right key establishes, a wrong key never does and the probe says why', async () => {
    await withFrr(bgpConf({extra: [` neighbor ${S4} password s3cret`]}), async (f) => {
      const bad = await probe(s, ['--peer-address', R4, '--peer-asn', '64513', '--my-asn', '64512', '--password', 'wrong', '--timeout', '5', '--json']).done
      expect(bad.code).toBe(1)
      expect(JSON.parse(bad.stdout).error.message).toMatch(/password is set: a TCP MD5 mismatch drops packets silently/)
      const good = await probe(s, ['--peer-address', R4, '--peer-asn', '64513', '--my-asn', '64512', '--password', 's3cret', '--announce', '203.0.113.20/32', '--duration', '2', '--json']).done
      expect(good.code).toBe(0)
      expect(JSON.parse(good.stdout).established).toBe(true)
      expect((await f.neighbor(S4)).bgpState).toBeDefined()
    })
  })

  it('passive with TCP MD5: FRR dials the probe, which listens on 179 with the key on the listening socket', async () => {
    await withFrr(bgpConf({extra: [` neighbor ${S4} password pa55`]}), async (f) => {
      const p = probe(s, ['--peer-address', R4, '--peer-asn', '64513', '--my-asn', '64512', '--passive', '--source-address', S4, '--password', 'pa55',
        '--announce', '203.0.113.70/32', '--duration', '3', '--timeout', '20', '--json'])
      await until('route from the passive probe', () => paths(f, 'ipv4', '203.0.113.70/32'), 20_000)
      const res = await p.done
      expect(res.code).toBe(0)
      const out = JSON.parse(res.stdout)
      expect(out).toMatchObject({established: true, announced: 1})
      expect(out.steps.map((x: {step: string}) => x.step)).toContain('TCP connection accepted from 198.18.0.1')
    })
  })

  it('hold timer: FRR frozen with SIGSTOP → NOTIFICATION 4/0 from us, then reconnect with backoff once it runs again', async () => {
    await withFrr(bgpConf({extra: [` neighbor ${S4} timers 1 3`]}), async (f) => {
      const e = await engine(s, {peer: R4, peerAsn: 64513, myAsn: 64512, routerId: S4, holdTime: 3, connectRetryTime: 1, routes: [{prefix: '203.0.113.30/32'}]})
      try {
        const up = await e.wait('established', (x) => x.ev === 'established')
        f.signal('SIGSTOP')
        const down = await e.wait('hold expiry', (x) => x.ev === 'down', 10_000)
        expect(down.reason).toBe('hold-timer-expired')
        expect(down.t - up.t).toBeGreaterThanOrEqual(2900)
        expect(e.events.find((x) => x.ev === 'notification-sent')).toMatchObject({code: 4, subcode: 0})
        f.signal('SIGCONT')
        await e.wait('re-established', (x) => x.ev === 'established' && x.t > down.t, 30_000)
        await until('route back in FRR', () => paths(f, 'ipv4', '203.0.113.30/32'))
      } finally {
        f.signal('SIGCONT')
        e.send({stop: 'test done'})
      }
    })
  })

  it('graceful restart: FRR keeps the routes while the speaker restarts', async () => {
    await withFrr(bgpConf({global: [' bgp graceful-restart']}), async (f) => {
      const cfg = {peer: R4, peerAsn: 64513, myAsn: 64512, routerId: S4, holdTime: 9, gracefulRestart: true, routes: [{prefix: '203.0.113.40/32'}]}
      const e1 = await engine(s, cfg)
      await e1.wait('established', (x) => x.ev === 'established')
      await until('route in FRR', () => paths(f, 'ipv4', '203.0.113.40/32'))
      e1.send({graceful: true})
      await e1.wait('stopped', (x) => x.ev === 'stopped')
      await until('FRR sees the session down', async () => (await f.neighbor(S4)).bgpState !== 'Established')
      const stale = await paths(f, 'ipv4', '203.0.113.40/32')
      expect(stale).toBeDefined()
      expect(stale![0].stale).toBe(true)
      const e2 = await engine(s, cfg)
      try {
        await e2.wait('established again', (x) => x.ev === 'established')
        await until('route fresh again', async () => {
          const p = await paths(f, 'ipv4', '203.0.113.40/32')
          return p && !p[0].stale
        })
      } finally {
        e2.send({stop: 'done'})
      }
    })
  })

  it('BFD with FRR bfdd comes Up, and a cut link takes the BGP session down through BFD, not the hold timer', async () => {
    const bfd = `bfd\n peer ${S4} local-address ${R4}\n  receive-interval 300\n  transmit-interval 300\n  detect-multiplier 3\n !\n!\n`
    await withFrr(bgpConf(), async () => {
      const p = probe(s, ['--peer-address', R4, '--peer-asn', '64513', '--my-asn', '64512', '--source-address', S4, '--bfd', '--duration', '30'])
      await until('BFD up', async () => p.lines.some((l) => /BFD \w+ → Up/.test(l)), 20_000)
      await s.setLink('eth0', 'down')
      // BFD detects the cut after 3 × 300 ms; the hold timer (9 s) would say "hold timer expired" instead
      const down = await until('BGP down', async () => p.lines.find((l) => /session down/.test(l)), 5000, 5)
      await p.done
      await s.setLink('eth0', 'up')
      expect(down).toMatch(/session down: BFD/)
    }, bfd)
  })
})
