// Issue 13 "Done when" (layer 2 failover), end to end with gossip membership: kill -9 of the owner's speaker and its
// link down → another node answers ARP and HTTP works again, and afterwards exactly one ServiceL2Status names the new
// owner; SIGTERM hands over to another node.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {missingBuild, missingNative, requireLab} from '../../harness/lab/index.js'
import {until} from '../../harness/lab/l2-lab.js'
import {type NodeName, type SpeakerLab, startL2Lab} from './speaker-lab.js'

const PREFIX = 'spf'
const VIP = '203.0.113.40'

describe.runIf(requireLab(['curl', 'kubectl'], [...missingNative(), ...missingBuild()]))('speaker, layer-2 failover, in the lab', () => {
  let l: SpeakerLab
  let probe: (address: string) => Promise<string[]>
  beforeAll(async () => {
    ;({lab: l, probe} = await startL2Lab(PREFIX, VIP))
  }, 120_000)
  afterAll(async () => {
    await l?.destroy()
  })

  const owner = async (): Promise<NodeName> => (await until(() => l.httpGet(VIP), (v) => v !== undefined, 30_000, `HTTP through ${VIP}`)) as NodeName

  it('kill -9 of the owner’s speaker and link down → another node answers, HTTP works, one ServiceL2Status names it', async () => {
    const first = await owner()
    expect(await l.l2OwnersEventually('web', [first])).toEqual([first])
    // A client that is not our code watches ServiceL2Status: kubectl, as a person would.
    const watch = l.api.spawn('kubectl', ['--kubeconfig', l.kubeconfig, 'get', 'servicel2statuses', '-n', 'metallb-system', '-l', 'metallb.io/service-name=web',
      '--watch', '--output-watch-events', '-o', 'jsonpath={.type} {.object.status.node}{"\\n"}'])
    const seen: string[] = []
    watch.stdout?.on('data', (d: Buffer) => seen.push(...d.toString().split('\n').filter(Boolean)))
    l.speakers.get(first)!.child.kill('SIGKILL')
    await l.nodes[first].setLink('eth0', 'down')
    const next = await until(() => l.httpGet(VIP, 500), (v) => v !== undefined && v !== first, 10_000, 'another node to serve HTTP') as NodeName
    expect((await probe(VIP)).map((m) => l.nodeOfMac(m))).toEqual([next])
    expect(await l.l2OwnersEventually('web', [next])).toEqual([next])
    await until(async () => seen, (x) => (x.includes(`ADDED ${next}`) || x.includes(`MODIFIED ${next}`)) && x.includes(`DELETED ${first}`), 10_000, 'kubectl to see the owner change')
    watch.kill('SIGTERM')
    // Bring the node back for the next test.
    await l.nodes[first].setLink('eth0', 'up')
    await l.startSpeaker(first)
    await l.waitAlive(3)
  })

  it('SIGTERM hands over: another node answers, and one MAC', async () => {
    const cur = await owner()
    l.speakers.get(cur)!.child.kill('SIGTERM')
    const next = await until(() => l.httpGet(VIP, 500), (v) => v !== undefined && v !== cur, 10_000, 'another node to serve HTTP after SIGTERM') as NodeName
    const macs = await probe(VIP)
    if (macs.length !== 1) console.log(l.procs.flatMap((p) => p.log.filter((x) => /ownership changed|membership changed|shutting|handing/.test(x))).join('\n'))
    expect(macs.map((m) => l.nodeOfMac(m))).toEqual([next])
    expect(await l.l2OwnersEventually('web', [next])).toEqual([next])
    await l.startSpeaker(cur)
    await l.waitAlive(3)
  })

  it('a partition (the owner’s link down, its speaker alive) and heal end with exactly one owner', async () => {
    await l.waitAlive(3)
    const cur = await owner()
    await l.nodes[cur].setLink('eth0', 'down')
    const next = await until(() => l.httpGet(VIP, 500), (v) => v !== undefined && v !== cur, 10_000, 'another node to serve HTTP during the partition') as NodeName
    await l.nodes[cur].setLink('eth0', 'up')
    await l.waitAlive(3)
    // Healed: one MAC answers, HTTP works, one ServiceL2Status.
    const macs = await until(() => probe(VIP), (m) => m.length === 1, 10_000, 'exactly one MAC after the heal')
    const after = l.nodeOfMac(macs[0])!
    expect([cur, next]).toContain(after)
    expect(await l.httpGet(VIP)).toBe(after)
    expect(await l.l2OwnersEventually('web', [after])).toEqual([after])
  })
})

