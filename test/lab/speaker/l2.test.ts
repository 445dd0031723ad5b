// Issue 13 "Done when" (layer 2), end to end: the real bin/speaker.js on three lab nodes, the real controller, the API
// server harness on a lab address. A client reaches a LoadBalancer service over HTTP, exactly one MAC answers
// (`lbctl l2 probe`), services sharing an address are announced by one node, and ServiceL2Status names the owner.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {missingBuild, missingNative, requireLab} from '../../harness/lab/index.js'
import {until} from '../../harness/lab/l2-lab.js'
import {NODES, type NodeName, type SpeakerLab, startL2Lab} from './speaker-lab.js'

const PREFIX = 'spk'
const VIP = '203.0.113.10'
const SHARED = '203.0.113.20'
const VIP6 = '2001:db8:ffff::10'

describe.runIf(requireLab(['curl', 'kubectl'], [...missingNative(), ...missingBuild()]))('speaker, layer 2, in the lab', () => {
  let l: SpeakerLab
  let probe: (address: string) => Promise<string[]>
  beforeAll(async () => {
    ;({lab: l, probe} = await startL2Lab(PREFIX, VIP))
  }, 120_000)
  afterAll(async () => {
    await l?.destroy()
  })


  it('a LoadBalancer service is reachable from the client over HTTP, and exactly one MAC answers for it', async () => {
    const who = await until(() => l.httpGet(VIP), (v) => v !== undefined, 30_000, `HTTP through ${VIP}`).catch((e) => {
      throw new Error(`${(e as Error).message}\n${l.dump()}`)
    })
    expect(NODES).toContain(who)
    const macs = await probe(VIP)
    expect(macs).toHaveLength(1)
    // The node whose MAC answers is the node that served HTTP (the address is local to every node).
    expect(l.nodeOfMac(macs[0])).toBe(who)
    const owners = await until(() => l.l2Owners('web'), (o) => o.length === 1, 10_000, 'one ServiceL2Status for web').catch((e) => {
      throw new Error(`${(e as Error).message}\n${l.dump()}`)
    })
    expect(owners).toEqual([who])
  })

  it('two services sharing an address are announced by one node', async () => {
    await l.addService('web-a', SHARED, {shareKey: 'k'})
    await l.addService('web-b', SHARED, {shareKey: 'k', port: 8081})
    await until(() => l.httpGet(SHARED), (v) => v !== undefined, 30_000, `HTTP through ${SHARED}`)
    const macs = await probe(SHARED)
    expect(macs).toHaveLength(1)
    const owner = l.nodeOfMac(macs[0]) as NodeName
    const a = await until(() => l.l2Owners('web-a'), (o) => o.length === 1, 10_000, 'ServiceL2Status for web-a')
    const b = await until(() => l.l2Owners('web-b'), (o) => o.length === 1, 10_000, 'ServiceL2Status for web-b')
    expect([a, b]).toEqual([[owner], [owner]])
  })

  it('IPv6: the service is reachable over HTTP and one MAC answers the neighbor solicitation', async () => {
    await l.addService('web6', VIP6)
    const who = await until(() => l.httpGet(VIP6), (v) => v !== undefined, 30_000, `HTTP through ${VIP6}`)
    const macs = await probe(VIP6)
    expect(macs).toHaveLength(1)
    expect(l.nodeOfMac(macs[0])).toBe(who)
  })

  it('externalTrafficPolicy Local: the node with the ready endpoint answers, and the announcement follows the endpoint', async () => {
    const LOCAL = '203.0.113.30'
    await l.addService('local', LOCAL, {local: true, endpoints: ['n2']})
    expect(await until(() => l.httpGet(LOCAL), (v) => v !== undefined, 30_000, `HTTP through ${LOCAL}`)).toBe('n2')
    expect((await probe(LOCAL)).map((m) => l.nodeOfMac(m))).toEqual(['n2'])
    await l.setEndpoints('local', ['n3'])
    await until(() => probe(LOCAL), (m) => m.length === 1 && l.nodeOfMac(m[0]) === 'n3', 10_000, 'n3 to answer for the Local service')
    expect(await l.httpGet(LOCAL)).toBe('n3')
    await l.setEndpoints('local', [])
    await until(() => probe(LOCAL), (m) => m.length === 0, 10_000, 'no answer once the service has no endpoint')
  })

  it('the API server away (stopped) changes nothing on the wire, and status is right when it returns', async () => {
    const owner = await l.httpGet(VIP)
    expect(owner).toBeDefined()
    const api = l.procs[0].child
    api.kill('SIGSTOP')
    try {
      // Several of the speakers' resync and retry periods pass while every API request hangs.
      for (let i = 0; i < 8; i++) {
        await new Promise((r) => setTimeout(r, 500))
        expect(await l.httpGet(VIP)).toBe(owner)
        expect((await probe(VIP)).map((m) => l.nodeOfMac(m))).toEqual([owner])
      }
    } finally {
      api.kill('SIGCONT')
    }
    expect(await until(() => l.l2Owners('web'), (o) => o.length === 1, 20_000, 'ServiceL2Status after the API returns')).toEqual([owner])
  })
})
