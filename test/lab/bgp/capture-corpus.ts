// Refreshes test/unit/bgp/corpus/: messages captured from real FRR and GoBGP (OPEN with their capabilities, UPDATEs
// with communities, IPv6 next hops, End-of-RIB, KEEPALIVE, NOTIFICATION), which seed the fuzzer.
// Run as root: npx esbuild test/lab/bgp/capture-corpus.ts --bundle --platform=node --format=esm --packages=external --outfile=/tmp/cc.mjs && node /tmp/cc.mjs
import {existsSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Frr, until} from '../../harness/lab/frr.js'
import {GoBgp, gobgpConf} from '../../harness/lab/gobgp.js'
import {Lab} from '../../harness/lab/index.js'
import {engine} from './helpers.js'

// Run from the repository root.
const OUT = new URL('test/unit/bgp/corpus/', `file://${process.cwd()}/`)
const lab = await Lab.create('bgc')
try {
  const r = await lab.addNode('r')
  const s = await lab.addNode('s')
  await lab.link(r, s, {aIp: '198.18.0.21/30', bIp: '198.18.0.22/30', aIp6: '2001:db8:2::1/64', bIp6: '2001:db8:2::2/64', aIfname: 'eth0', bIfname: 'eth0'})
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-corpus-'))
  const messages = new Map<string, string>()
  for (const peer of ['frr', 'gobgp'] as const) {
    const pcap = join(dir, `${peer}.pcap`)
    const cap = s.spawn('tshark', ['-i', 'eth0', '-w', pcap, '-f', 'tcp port 179'])
    await until('capture', async () => existsSync(pcap), 10_000)
    let stop: () => Promise<void>
    if (peer === 'frr') {
      const f = await Frr.start(r, ['router bgp 64513', ' bgp router-id 198.18.0.21', ' no bgp ebgp-requires-policy', ' no bgp network import-check',
        ' neighbor 198.18.0.22 remote-as 64512', ' neighbor 198.18.0.22 timers connect 1', ' address-family ipv4 unicast', '  network 203.0.113.128/25 route-map C',
        ' exit-address-family', ' address-family ipv6 unicast', '  network 2001:db8:ffff:2::/64', '  neighbor 198.18.0.22 activate', ' exit-address-family', '!',
        'route-map C permit 10', ' set community 64513:7 no-export', ' set large-community 64513:1:1', ''].join('\n'))
      stop = () => f.stop()
    } else {
      const g = await GoBgp.start(r, gobgpConf({asn: 64513, routerId: '198.18.0.21', neighbors: [{address: '198.18.0.22', peerAs: 64512}]}))
      await g.cli('global', 'rib', 'add', '203.0.113.192/26', 'community', '64513:9', 'large-community', '64513:2:2', '-a', 'ipv4')
      await g.cli('global', 'rib', 'add', '2001:db8:ffff:3::/64', '-a', 'ipv6')
      stop = () => g.stop()
    }
    const e = await engine(s, {peer: '198.18.0.21', peerAsn: 64513, myAsn: 64512, routerId: '198.18.0.22', holdTime: 9})
    await e.wait('established', (x) => x.ev === 'established')
    await new Promise((res) => setTimeout(res, 3000))
    await stop()
    await new Promise((res) => setTimeout(res, 500))
    e.send({stop: 'corpus'})
    cap.kill('SIGINT')
    await new Promise((res) => cap.once('exit', res))
    const t = await s.exec('tshark', ['-r', pcap, '-Y', 'tcp.len > 0 && ip.src == 198.18.0.21', '-T', 'fields', '-e', 'tcp.payload'], {check: true})
    for (const line of t.stdout.split('\n').filter(Boolean)) {
      const b = Buffer.from(line.replace(/:/g, ''), 'hex')
      for (let off = 0; off + 19 <= b.length; ) {
        const len = b.readUInt16BE(off + 16)
        if (len < 19 || off + len > b.length) break
        const m = b.subarray(off, off + len).toString('hex')
        if (![...messages.values()].includes(m)) messages.set(`${peer}-${b[off + 18]}-${messages.size}`, m)
        off += len
      }
    }
  }
  for (const [name, hex] of messages) writeFileSync(new URL(`${name}.hex`, OUT), hex.replace(/(.{64})/g, '$1\n') + '\n')
  process.stdout.write(`${messages.size} messages written to ${OUT.pathname}\n`)
} finally {
  await lab.destroy()
}
