import {createServer, type Socket} from 'node:net'
import {describe, expect, it} from 'vitest'
import {BgpProtocolError} from '../../../src/lib/bgp/errors.js'
import {encodeKeepalive} from '../../../src/lib/bgp/notification.js'
import {buildOpen, encodeOpen} from '../../../src/lib/bgp/open.js'
import {frame} from '../../../src/lib/bgp/header.js'
import {LbctlError} from '../../../src/lib/errors.js'
import {checkProbeOptions, defaultRouterId, explainDown, parseCommunity, parseLargeCommunity, runProbe, type ProbeOptions} from '../../../src/lib/bgp/probe.js'

const base: ProbeOptions = {peerAddress: '198.18.0.1', peerAsn: 64513, myAsn: 64512}

describe('bgp probe: flags are checked before any network I/O', () => {
  const bad: [string, Partial<ProbeOptions>, string][] = [
    ['peer address', {peerAddress: '198.18.0'}, 'BAD_ADDRESS'],
    ['source family', {sourceAddress: '2001:db8::2'}, 'BAD_ADDRESS'],
    ['ASN 0', {peerAsn: 0}, 'BAD_ASN'],
    ['ASN 2^32', {myAsn: 2 ** 32}, 'BAD_ASN'],
    ['hold time 2', {holdTime: 2}, 'BAD_HOLD_TIME'],
    ['multihop 0', {ebgpMultihop: 0}, 'BAD_TTL'],
    ['port 70000', {peerPort: 70000}, 'BAD_PORT'],
    ['prefix with host bits', {announce: ['203.0.113.1/24']}, 'BAD_PREFIX'],
    ['community', {communities: ['65536:1']}, 'BAD_COMMUNITY'],
    ['large community', {largeCommunities: ['1:2']}, 'BAD_LARGE_COMMUNITY'],
    ['LOCAL_PREF on eBGP', {localPref: 100}, 'BAD_LOCAL_PREF'],
    ['router ID', {routerId: '2001:db8::1'}, 'BAD_ROUTER_ID'],
    ['loopback router ID', {routerId: '127.0.0.1'}, 'BAD_ROUTER_ID'],
    ['BFD with multihop', {bfd: true, ebgpMultihop: 2}, 'BAD_BFD'],
    ['TTL security 0 hops', {ttlSecurity: 0}, 'BAD_TTL'],
    ['TTL security 255 hops', {ttlSecurity: 255}, 'BAD_TTL'],
    ['TTL security with multihop', {ttlSecurity: 1, ebgpMultihop: 2}, 'BAD_TTL'],
  ]
  for (const [name, o, code] of bad) {
    it(`${name} → ${code}, exit 2`, async () => {
      let err: unknown
      try {
        checkProbeOptions({...base, ...o})
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(LbctlError)
      expect((err as LbctlError).code).toBe(code)
      expect((err as LbctlError).category).toBe('bad-input')
      // runProbe fails the same way, at once (no connection is attempted: the peer address is never dialled).
      await expect(runProbe({...base, ...o, peerAddress: o.peerAddress ?? '198.18.255.255'}, {note: () => undefined})).rejects.toMatchObject({code})
    })
  }
  it('parses communities and large communities', () => {
    expect(parseCommunity('64512:100')).toBe(64512 * 65536 + 100)
    expect(parseCommunity('no-export')).toBe(0xffffff01)
    expect(parseLargeCommunity('4200000001:1:2')).toEqual([4200000001, 1, 2])
    expect(checkProbeOptions({...base, myAsn: 64513, localPref: 200, announce: ['2001:db8:ffff::/48'], communities: ['1:1']}).routes)
      .toEqual([{prefix: '2001:db8:ffff::/48', communities: [65537], largeCommunities: [], localPref: 200}])
  })
})

describe('bgp probe: the default router ID (one rule with the speaker, router-id.ts)', () => {
  it('an IPv6 session takes the host\'s IPv4 address, as FRR and BIRD do, instead of refusing', async () => {
    expect(checkProbeOptions({...base, peerAddress: '2001:db8::1'}).routerId).toBeUndefined()
    expect(await defaultRouterId({peerAddress: '2001:db8::1'}, () => ['127.0.0.1', '198.18.0.2', '169.254.1.1', '198.18.0.10'])).toBe('198.18.0.10')
    expect(await defaultRouterId({peerAddress: '2001:db8::1', sourceAddress: '198.18.0.2'}, () => ['198.18.0.10'])).toBe('198.18.0.2')
  })
  it('a host without a usable IPv4 address → BAD_ROUTER_ID naming the fix', async () => {
    await expect(defaultRouterId({peerAddress: '2001:db8::1'}, () => ['127.0.0.1'])).rejects.toMatchObject({code: 'BAD_ROUTER_ID', hint: expect.stringContaining('--router-id')})
  })
})

describe('bgp probe: failures in words', () => {
  it('a Bad Peer AS NOTIFICATION names the AS the router refused', () => {
    const e = explainDown({reason: 'notification-received', message: '', notification: {type: 'notification', code: 2, subcode: 2, data: Buffer.from([0xfc, 0x00])}}, base, true)
    expect(e.message).toBe('peer sent NOTIFICATION 2/2 Bad Peer AS: it does not expect AS 64512 from us; check --my-asn against the router\'s "neighbor … remote-as"')
    expect(e.category).toBe('problems')
  })
  it('a NOTIFICATION we sent is named once', () => {
    const error = new BgpProtocolError(2, 2, 'peer is AS 64512, ours: an external peer was expected')
    const e = explainDown({reason: 'protocol-error', message: '', error} as never, base, true)
    expect(e.message).toBe('we sent NOTIFICATION 2/2 Bad Peer AS: peer is AS 64512, ours: an external peer was expected')
  })
  it('a shutdown communication is quoted', () => {
    const data = Buffer.concat([Buffer.from([5]), Buffer.from('maint')])
    expect(explainDown({reason: 'notification-received', message: '', notification: {type: 'notification', code: 6, subcode: 2, data}}, base, true).message)
      .toBe('peer sent NOTIFICATION 6/2 Cease: Administrative Shutdown ("maint")')
  })
  it('no TCP answer and an MD5 suspicion are told apart', async () => {
    const r = runProbe({...base, peerAddress: '127.0.0.1', peerPort: 1, timeout: 3}, {note: () => undefined})
    await expect(r).rejects.toMatchObject({code: 'BGP_NO_ANSWER', category: 'problems'})
  })
})

describe('bgp probe against a peer that refuses a capability (loopback, raw TCP)', () => {
  it('2/7 Unsupported Capability naming extended messages: the probe says so, connects again without it, and is Established', async () => {
    let connections = 0
    const opens: Buffer[] = []
    const sockets: Socket[] = []
    const server = createServer((c) => {
      sockets.push(c)
      const n = ++connections
      c.once('data', (d) => {
        opens.push(d)
        if (n === 1) c.end(frame(3, Buffer.from([2, 7, 6, 0]))) // NOTIFICATION 2/7, data: capability 6, length 0
        else c.write(Buffer.concat([encodeOpen(buildOpen({asn: 64513, routerId: '198.18.0.1', holdTime: 90, families: [4]})), encodeKeepalive()]))
        c.on('data', () => undefined)
      })
      c.on('error', () => undefined)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as {port: number}).port
    const steps: string[] = []
    try {
      const res = await runProbe({...base, peerAddress: '127.0.0.1', peerPort: port, routerId: '198.18.0.2', extendedMessage: true, timeout: 20}, {note: (m: string) => steps.push(m)})
      expect(res).toMatchObject({established: true, extendedMessage: false})
    } finally {
      for (const c of sockets) c.destroy()
      await new Promise((r) => server.close(r))
    }
    expect(connections).toBe(2)
    expect(steps.some((x) => x.includes('the peer does not support extended messages (RFC 8654): connecting again without it'))).toBe(true)
    // The second OPEN leaves capability 6 out: its capability list holds no [6, 0] tuple.
    const capsOf = (open: Buffer) => {
      const codes: number[] = []
      const params = open.subarray(29, 29 + open[28])
      for (let i = 0; i < params.length; i += 2 + params[i + 1]) {
        if (params[i] !== 2) continue
        const caps = params.subarray(i + 2, i + 2 + params[i + 1])
        for (let j = 0; j < caps.length; j += 2 + caps[j + 1]) codes.push(caps[j])
      }
      return codes
    }
    expect(capsOf(opens[0])).toContain(6)
    expect(capsOf(opens[1])).not.toContain(6)
  }, 30_000)
})

