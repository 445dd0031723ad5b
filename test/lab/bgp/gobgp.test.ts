// The BGP engine against GoBGP: routes and attributes in gobgp's RIB, iBGP over IPv6 with a 4-octet ASN, MD5,
// withdraw on change and exit. (gobgp's softresetin re-reads its own Adj-RIB-In and sends no ROUTE-REFRESH; FRR's test covers refresh.) GoBGP also dials us, so connection collisions happen for real.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {until} from '../../harness/lab/frr.js'
import {GoBgp, gobgpConf} from '../../harness/lab/gobgp.js'
import {cleanupStale, Lab, type LabNode, missingBuild, missingGobgp, requireLab} from '../../harness/lab/index.js'
import {engine, probe, using} from './helpers.js'

const PREFIX = 'bgg'
const R4 = '198.18.0.5'
const S4 = '198.18.0.6'
const R6 = '2001:db8:1::1'
const S6 = '2001:db8:1::2'

const attr = (path: any, type: number) => (path.attrs as any[]).find((a) => a.type === type)

describe.runIf(requireLab([], [...missingGobgp(), ...missingBuild()]))('BGP engine against GoBGP', () => {
  let lab: Lab
  let r: LabNode
  let s: LabNode
  beforeAll(async () => {
    lab = await Lab.create(PREFIX)
    r = await lab.addNode('r')
    s = await lab.addNode('s')
    await lab.link(r, s, {aIp: `${R4}/30`, bIp: `${S4}/30`, aIp6: `${R6}/64`, bIp6: `${S6}/64`, aIfname: 'eth0', bIfname: 'eth0'})
  })
  afterAll(async () => {
    await lab?.destroy()
    cleanupStale(PREFIX)
  })
  const withGo = (toml: string, fn: (g: GoBgp) => Promise<void>) => using(GoBgp.start(r, toml), fn)

  it('eBGP over IPv4 via the probe binary: IPv4 + IPv6 routes with communities and large communities, withdrawn on exit', async () => {
    await withGo(gobgpConf({asn: 64513, routerId: R4, neighbors: [{address: S4, peerAs: 64512}]}), async (g) => {
      const p = probe(s, ['--peer-address', R4, '--peer-asn', '64513', '--my-asn', '64512', '--announce', '203.0.113.50/32', '--announce', '2001:db8:ffff::50/128',
        '--community', '64512:100', '--large-community', '64512:1:2', '--duration', '4', '--json'])
      const v4 = await until('IPv4 route in GoBGP', () => g.paths('ipv4', '203.0.113.50/32'))
      expect(attr(v4[0], 8).communities).toEqual([64512 * 65536 + 100])
      expect(attr(v4[0], 32).value).toEqual([{ASN: 64512, LocalData1: 1, LocalData2: 2}])
      expect(attr(v4[0], 2).as_paths[0].asns).toEqual([64512])
      const v6 = await until('IPv6 route in GoBGP', () => g.paths('ipv6', '2001:db8:ffff::50/128'))
      expect(attr(v6[0], 8).communities).toEqual([64512 * 65536 + 100])
      const res = await p.done
      expect(res.code).toBe(0)
      expect(JSON.parse(res.stdout)).toMatchObject({established: true, announced: 2, exit: 'withdrawn'})
      await until('withdrawn', async () => !(await g.paths('ipv4', '203.0.113.50/32')) && !(await g.paths('ipv6', '2001:db8:ffff::50/128')))
    })
  })

  it('iBGP over IPv6 with a 4-octet ASN: LOCAL_PREF in the RIB; withdraw on change', async () => {
    const asn = 4200000002
    await withGo(gobgpConf({asn, routerId: R4, neighbors: [{address: S6, peerAs: asn}]}), async (g) => {
      const e = await engine(s, {peer: R6, peerAsn: asn, myAsn: asn, routerId: S4, holdTime: 30,
        routes: [{prefix: '2001:db8:ffff:1::/64', localPref: 250}, {prefix: '203.0.113.64/26', localPref: 250, nextHop: S4}]})
      try {
        await e.wait('established', (x) => x.ev === 'established')
        const v6 = await until('IPv6 route', () => g.paths('ipv6', '2001:db8:ffff:1::/64'))
        expect(attr(v6[0], 5).value).toBe(250)
        const v4 = await until('IPv4 route', () => g.paths('ipv4', '203.0.113.64/26'))
        expect(attr(v4[0], 5).value).toBe(250)
        e.send({routes: [{prefix: '2001:db8:ffff:1::/64', localPref: 250}]})
        await until('IPv4 route withdrawn', async () => !(await g.paths('ipv4', '203.0.113.64/26')))
        expect(await g.paths('ipv6', '2001:db8:ffff:1::/64')).toBeDefined()
      } finally {
        e.send({stop: 'done'})
      }
    })
  })

  it('TCP MD5 with GoBGP: right key establishes, wrong key does not', async () => {
    await withGo(gobgpConf({asn: 64513, routerId: R4, neighbors: [{address: S4, peerAs: 64512, password: 'k3y'}]}), async (g) => {
      const bad = await probe(s, ['--peer-address', R4, '--peer-asn', '64513', '--my-asn', '64512', '--password', 'nope', '--timeout', '4', '--json']).done
      expect(bad.code).toBe(1)
      expect(JSON.parse(bad.stdout).error.code).toMatch(/BGP_MD5_SUSPECTED|BGP_NO_OPEN/)
      const good = await probe(s, ['--peer-address', R4, '--peer-asn', '64513', '--my-asn', '64512', '--password', 'k3y', '--announce', '203.0.113.51/32', '--duration', '3', '--json'])
      await until('route with MD5', () => g.paths('ipv4', '203.0.113.51/32'))
      expect((await good.done).code).toBe(0)
    })
  })
})
