// eBGP multihop across a routed hop (TTL on the wire checked with tshark), and malformed input from a raw TCP peer:
// each RFC 7606 action is taken, framing errors get their NOTIFICATION, and the engine never crashes.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {encode} from '../../../src/lib/bgp/codec.js'
import {frame} from '../../../src/lib/bgp/header.js'
import {buildOpen} from '../../../src/lib/bgp/open.js'
import {Frr, until} from '../../harness/lab/frr.js'
import {cleanupStale, Lab, type LabNode, missingBuild, missingFrr, requireLab} from '../../harness/lab/index.js'
import {hex} from '../../unit/bgp/hex.js'
import {engine, probe} from './helpers.js'

const PREFIX = 'bge'

// A scripted peer: accept one connection, send the given messages (hex) one by one, 300 ms apart, after our OPEN.
const RAW_PEER = `
const net = require('net'); const msgs = JSON.parse(process.argv[1]).map((h) => Buffer.from(h, 'hex'))
net.createServer((c) => {
  let i = 0; c.on('error', () => {}); c.on('data', () => {}); c.on('close', () => console.log('closed'))
  const next = () => { if (i < msgs.length && !c.destroyed) { c.write(msgs[i++]); setTimeout(next, 300) } }
  setTimeout(next, 200)
}).listen(179, '198.18.0.17', () => console.log('listening'))`

describe.runIf(requireLab(['tshark'], [...missingFrr(), ...missingBuild()]))('BGP engine: multihop and malformed input', () => {
  let lab: Lab
  let s: LabNode
  let m: LabNode
  let r: LabNode
  let x: LabNode
  beforeAll(async () => {
    lab = await Lab.create(PREFIX)
    s = await lab.addNode('s')
    m = await lab.addNode('m')
    r = await lab.addNode('r')
    x = await lab.addNode('x')
    await lab.link(s, m, {aIp: '198.18.0.9/30', bIp: '198.18.0.10/30', aIfname: 'eth0', bIfname: 'eth0'})
    await lab.link(m, r, {aIp: '198.18.0.13/30', bIp: '198.18.0.14/30', aIfname: 'eth1', bIfname: 'eth0'})
    await lab.link(s, x, {aIp: '198.18.0.18/30', bIp: '198.18.0.17/30', aIfname: 'eth1', bIfname: 'eth0'})
    await m.enableForwarding()
    await s.addRoute('198.18.0.12/30', '198.18.0.10')
    await r.addRoute('198.18.0.8/30', '198.18.0.13')
  })
  afterAll(async () => {
    await lab?.destroy()
    cleanupStale(PREFIX)
  })

  it('eBGP multihop over a routed hop: established, route installed, sent with TTL 2, they arrive with TTL 1', async () => {
    const frr = await Frr.start(r, ['router bgp 64513', ' bgp router-id 198.18.0.14', ' no bgp ebgp-requires-policy',
      ' neighbor 198.18.0.9 remote-as 64512', ' neighbor 198.18.0.9 ebgp-multihop 2', ' neighbor 198.18.0.9 timers connect 1', ''].join('\n'))
    const cap = r.spawn('tshark', ['-i', 'eth0', '-l', '-f', 'tcp port 179 and src host 198.18.0.9', '-T', 'fields', '-e', 'ip.ttl'])
    let ttls = ''
    cap.stdout!.on('data', (d: Buffer) => (ttls += d))
    await new Promise((res) => cap.stderr!.once('data', res))
    try {
      const p = probe(s, ['--peer-address', '198.18.0.14', '--peer-asn', '64513', '--my-asn', '64512', '--source-address', '198.18.0.9',
        '--ebgp-multihop', '2', '--announce', '203.0.113.60/32', '--duration', '3', '--json'])
      await until('route via multihop', async () => (await frr.json('show bgp ipv4 unicast 203.0.113.60/32 json')).paths?.length > 0)
      const res = await p.done
      expect(res.code).toBe(0)
      await until('TTLs captured', async () => ttls.trim().split('\n').length >= 3, 5000)
      expect(new Set(ttls.trim().split('\n'))).toEqual(new Set(['1']))
    } finally {
      cap.kill('SIGINT')
      await frr.stop()
    }
  })

  it('malformed UPDATEs from a raw TCP peer: treat-as-withdraw and attribute-discard keep the session; a bad marker gets 1/1; no crash', async () => {
    const open = encode(buildOpen({asn: 64513, routerId: '198.18.0.17', holdTime: 90, families: [4]}))
    const upd = (attrs: string, nlri: string) => {
      const a = hex(attrs)
      const n = hex(nlri)
      return frame(2, Buffer.concat([Buffer.from([0, 0, a.length >> 8, a.length & 0xff]), a, n]))
    }
    const valid = '40 01 01 00  40 02 06 02 01 0000fc01  40 03 04 c6120011'
    const msgs = [
      open, encode({type: 'keepalive'}),
      upd(valid, '20 cb007101'),                                   // 203.0.113.1/32, fine
      upd('40 01 01 05  40 02 06 02 01 0000fc01  40 03 04 c6120011', '20 cb007101'), // ORIGIN 5: treat-as-withdraw
      upd(`${valid}  40 05 04 00000064`, '20 cb007102'),            // LOCAL_PREF from eBGP: attribute-discard
      upd(`${valid}  c0 08 03 000000`, '20 cb007103'),              // COMMUNITIES length 3: treat-as-withdraw
      Buffer.concat([Buffer.alloc(16, 0xfe), Buffer.from([0, 19, 4])]), // bad marker: 1/1
    ].map((b) => b.toString('hex'))
    const peer = x.spawn(process.execPath, ['-e', RAW_PEER, JSON.stringify(msgs)])
    await new Promise((res) => peer.stdout!.once('data', res))
    const e = await engine(s, {peer: '198.18.0.17', peerAsn: 64513, myAsn: 64512, routerId: '198.18.0.18', holdTime: 90, connectRetryTime: 1})
    try {
      await e.wait('established', (v) => v.ev === 'established')
      const down = await e.wait('down after the bad marker', (v) => v.ev === 'down')
      const errs = e.events.filter((v) => v.ev === 'protocol-error').map((v) => `${v.action} ${v.code}/${v.subcode}`)
      expect(errs).toEqual(['treat-as-withdraw 3/6', 'attribute-discard 3/1', 'treat-as-withdraw 3/9', 'session-reset 1/1'])
      expect(e.events.find((v) => v.ev === 'notification-sent')).toMatchObject({code: 1, subcode: 1})
      expect(down.reason).toBe('notification-sent')
      // Still alive, and trying again.
      await e.wait('reconnect attempt', (v) => v.ev === 'state' && v.to === 'Connect' && v.t > down.t, 10_000)
      expect(e.child.exitCode).toBeNull()
    } finally {
      e.send({stop: 'done'})
      peer.kill()
    }
  })
})
