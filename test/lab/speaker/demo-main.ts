// `npm run demo`, the speaker part (run as root with iproute2): the speaker lab, a client reaching a LoadBalancer
// service over HTTP, the owner killed (speaker SIGKILLed, link down), the client reaching the new owner, and the gap.
import {cleanupStale} from '../../harness/lab/index.js'
import {type NodeName, SpeakerLab} from './speaker-lab.js'

const VIP = '203.0.113.10'
const say = (s: string): void => void process.stdout.write(`${s}\n`)

cleanupStale('demo')
say('\nThe speaker lab: nodes n1, n2, n3 and a client on one bridge (network namespaces), the API server harness and the')
say('controller in a namespace of their own, bin/speaker.js on every node, an HTTP server per node answering its name.')
const l = await SpeakerLab.create('demo', {gossip: true})
try {
  await l.addPool()
  await l.addService('web', VIP)
  await l.waitAlive(3)
  let owner: string | undefined
  for (let i = 0; i < 300 && !owner; i++) owner = await l.httpGet(VIP, 500)
  if (!owner) throw new Error(`the client never reached ${VIP}\n${l.dump()}`)
  say(`\nclient$ curl http://${VIP}:8080/   → ${owner}   (ServiceL2Status: ${(await l.l2Owners('web')).join(', ')})`)
  say(`\nKilling ${owner}: its speaker gets SIGKILL and its link goes down.`)
  const t0 = Date.now()
  l.speakers.get(owner as NodeName)!.child.kill('SIGKILL')
  await l.nodes[owner as NodeName].setLink('eth0', 'down')
  let next: string | undefined
  while (Date.now() - t0 < 15_000) {
    const r = await l.httpGet(VIP, 200)
    if (r && r !== owner) {
      next = r
      break
    }
  }
  if (!next) throw new Error(`no other node answered within 15 s\n${l.dump()}`)
  say(`client$ curl http://${VIP}:8080/   → ${next}   after ${Date.now() - t0} ms (polling every ≤ 200 ms)`)
  say(`ServiceL2Status now: ${(await l.l2OwnersEventually('web', [next])).join(', ')}`)
} finally {
  await l.destroy()
}
