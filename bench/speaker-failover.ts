// One failover in the speaker lab, timed the way ../shared/reference-measurements/l2-failover times keepalived: the
// client sends an ARP request for the address every 10 ms (arping -W 0.01) while tcpdump -tt records the replies, and
// curl polls HTTP. From the event (a kill, a link down) to the first ARP reply carrying another node's MAC, and to the
// first HTTP answer from another node. Used for the speaker and for keepalived alike, in the same lab.
import type {NodeName, SpeakerLab} from '../test/lab/speaker/speaker-lab.js'

export interface FailoverTimes {
  arpMs: number
  httpMs: number
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** The node that answers HTTP on `vip` now (polling up to ~20 s), or throws. */
export async function currentOwner(l: SpeakerLab, vip: string): Promise<NodeName> {
  for (let i = 0; i < 100; i++) {
    const o = await l.httpGet(vip, 500)
    if (o) return o as NodeName
    await sleep(200)
  }
  throw new Error(`no node answers HTTP on ${vip}\n${l.dump()}`)
}

/** Time `act` (which makes `owner` stop answering) until another node answers ARP and HTTP for `vip`. */
export async function timeFailover(l: SpeakerLab, vip: string, owner: NodeName, act: () => Promise<void> | void): Promise<FailoverTimes> {
  const ownerMac = l.nodes[owner].mac
  const dump = l.client.spawn('tcpdump', ['-i', 'eth0', '-l', '-n', '-e', '-tt', 'arp'])
  const replies: Array<{t: number; mac: string}> = []
  const re = new RegExp(`^(\\d+\\.\\d+) ([0-9a-f:]{17}) > .*Reply ${vip.replaceAll('.', '\\.')} is-at ([0-9a-f:]{17})`)
  let buf = ''
  dump.stdout?.on('data', (d: Buffer) => {
    buf += d.toString()
    const lines = buf.split('\n')
    buf = lines.pop() ?? ''
    for (const line of lines) {
      const m = re.exec(line)
      if (m) replies.push({t: Number(m[1]) * 1000, mac: m[3]})
    }
  })
  await sleep(700)
  const arping = l.client.spawn('arping', ['-q', '-i', 'eth0', '-W', '0.01', vip])
  await sleep(800)
  const t0 = Date.now()
  await act()
  let httpMs = NaN
  while (Date.now() - t0 < 15_000) {
    const r = await l.httpGet(vip, 200)
    if (r && r !== owner) {
      httpMs = Date.now() - t0
      break
    }
  }
  await sleep(300)
  arping.kill('SIGINT')
  dump.kill('SIGINT')
  await sleep(300)
  const first = replies.find((x) => x.t >= t0 && x.mac !== ownerMac)
  return {arpMs: first ? first.t - t0 : NaN, httpMs}
}
