// Whose MAC answers, and whether an L2Advertisement's interfaces exist: doctor learns each node's interfaces and MACs
// from its speaker's /v1/l2 (the HTTPS endpoints of fixture.ts speak the documented JSON) and matches the probe's
// answers and the advertisements' `interfaces` against them. The real speaker does the same in test/lab/doctor.
import {afterEach, describe, expect, it} from 'vitest'
import {applyFix, doctorJson, failed, failedIds, healthyLab, l2Adv, type Lab, MAC_OF, OWNER_MAC} from './fixture.js'

let lab: Lab | undefined
afterEach(async () => {
  await lab?.close()
  lab = undefined
})

const checksOf = (r: any, stage: string): any[] => r.json.services[0].stages.find((s: any) => s.stage === stage).checks
const byId = (r: any, stage: string, id: string): any => checksOf(r, stage).find((c) => c.id === id)

describe('lbctl doctor: whose MAC answers', () => {
  it('one MAC answers but it is another node\'s → wire.announcer-mac fails, naming the node the MAC belongs to', async () => {
    lab = await healthyLab()
    lab.answers.set('203.0.113.1', [MAC_OF['node-b']])
    const r = await doctorJson(lab, ['web/shop'])
    expect(r.code).toBe(1)
    expect(failedIds(r.json)).toEqual(['wire.announcer-mac'])
    expect(byId(r, 'wire', 'wire.single-mac').status).toBe('pass')
    const [c] = failed(r.json, 'wire.announcer-mac')
    expect(c.message).toBe(`ServiceL2Status names node-a as the announcer of 203.0.113.1, but the MAC that answers is not node-a's: ${MAC_OF['node-b']} (node-b/eth0)`)
    expect(c.evidence).toEqual(expect.arrayContaining([`node-a's MACs: ${OWNER_MAC} (eth0)`, 'node-a reports announcing 203.0.113.1 on eth0']))
    expect(c.fix).toBe('kubectl -n metallb-system get servicel2statuses -L metallb.io/service-namespace,metallb.io/service-name,metallb.io/node')
    const shown = await applyFix(lab, c.fix!)
    expect(shown.code, shown.output).toBe(0)
    expect(shown.output).toMatch(/l2-web-shop\s.*web\s+shop\s+node-a/)
    expect(r.json.services[0].brokenAt).toBe('wire')
  })

  it('a MAC of no node answers alone → wire.announcer-mac fails: another machine has the address', async () => {
    lab = await healthyLab()
    lab.answers.set('203.0.113.1', ['02:00:00:00:00:99'])
    const r = await doctorJson(lab, ['web/shop'])
    expect(failedIds(r.json)).toEqual(['wire.announcer-mac'])
    expect(failed(r.json, 'wire.announcer-mac')[0].message).toContain('02:00:00:00:00:99 (no node of the cluster: another machine on the segment)')
  })

  it('probes on the interface the announcer announces on, where the prober has it; elsewhere on the prober\'s default', async () => {
    lab = await healthyLab()
    lab.ownerInterfaces.splice(0, 1, 'eth1')
    const second = (i: number) => ({name: 'eth1', mac: `02:00:00:00:01:0${i}`, state: 'usable'})
    lab.interfaces.get('node-a')!.push(second(1))
    lab.interfaces.get('node-b')!.push(second(2))
    const r = await doctorJson(lab, ['web/shop'])
    expect(r.code).toBe(0)
    expect(lab.speakers.find((s) => s.node === 'node-b')!.requests.map((x) => x.path)).toEqual(['/v1/l2', '/v1/probe?address=203.0.113.1&interface=eth1'])
    expect(lab.speakers.find((s) => s.node === 'node-c')!.requests.map((x) => x.path)).toEqual(['/v1/l2', '/v1/probe?address=203.0.113.1'])
    expect(byId(r, 'wire', 'wire.single-mac').evidence[0]).toBe(`${OWNER_MAC} (node-a/eth0, the announcer) seen from node-b/eth1, node-c/eth0`)
  })

  it('falls back to the prober\'s default interface when its speaker does not serve the announcer\'s (400 BAD_INTERFACE)', async () => {
    lab = await healthyLab()
    lab.ownerInterfaces.splice(0, 1, 'eth1')
    for (const [n, i] of [['node-a', 1], ['node-b', 2]] as const) lab.interfaces.get(n)!.push({name: 'eth1', mac: `02:00:00:00:01:0${i}`, state: 'usable'})
    lab.refuses.add('node-b/eth1')
    const r = await doctorJson(lab, ['web/shop'])
    expect(r.code).toBe(0)
    expect(lab.speakers.find((s) => s.node === 'node-b')!.requests.map((x) => x.path)).toEqual(['/v1/l2', '/v1/probe?address=203.0.113.1&interface=eth1', '/v1/probe?address=203.0.113.1'])
    expect(byId(r, 'wire', 'wire.single-mac').evidence[0]).toBe(`${OWNER_MAC} (node-a/eth0, the announcer) seen from node-b/eth0, node-c/eth0`)
  })

  it('says the MAC check could not be made when the announcer\'s speaker does not report its interfaces', async () => {
    lab = await healthyLab()
    lab.interfaces.delete('node-a')
    const r = await doctorJson(lab, ['web/shop'])
    expect(r.code).toBe(0)
    const c = byId(r, 'wire', 'wire.announcer-mac')
    expect(c.status).toBe('skip')
    expect(c.message).toBe('could not be made: node-a\'s MACs are not known (the speaker on node-a does not report its interfaces (an older version))')
  })
})

describe('lbctl doctor: the advertisement\'s interfaces', () => {
  it('interfaces that exist on no selected node → advertisement.interfaces fails with the fix, which makes it pass', async () => {
    lab = await healthyLab()
    lab.put(l2Adv('default', {ipAddressPools: ['default'], interfaces: ['eth9']}))
    // A node with a veth per pod: the evidence names the first few.
    lab.interfaces.get('node-a')!.push(...Array.from({length: 12}, (_, i) => ({name: `veth${String(i).padStart(2, '0')}`, mac: `02:00:00:00:02:${String(i).padStart(2, '0')}`, state: 'usable'})))
    const r = await doctorJson(lab, ['web/shop'])
    expect(r.code).toBe(1)
    expect(failedIds(r.json)).toEqual(['advertisement.interfaces'])
    expect(r.json.services[0].brokenAt).toBe('advertisement')
    const [c] = failed(r.json, 'advertisement.interfaces')
    expect(c.message).toBe('L2Advertisement default names interface eth9, which is up and ARP-capable on no node it selects (node-a, node-b, node-c): nobody announces the service')
    expect(c.evidence).toContain('L2Advertisement/default on node-b: has none of eth9; usable interfaces there: eth0')
    expect(c.evidence).toContain('L2Advertisement/default on node-a: has none of eth9; usable interfaces there: eth0, veth00, veth01, veth02, veth03, veth04, veth05, veth06 and 5 more')
    expect(c.fix).toBe(`kubectl -n metallb-system patch l2advertisement default --type=json -p '[{"op":"remove","path":"/spec/interfaces"}]'`)
    const applied = await applyFix(lab, c.fix!)
    expect(applied.code, applied.output).toBe(0)
    const after = await doctorJson(lab, ['web/shop'])
    expect(failedIds(after.json)).toEqual([])
    expect(after.code).toBe(0)
  })

  it('an interface that is there but down everywhere fails too, saying so', async () => {
    lab = await healthyLab()
    for (const n of ['node-a', 'node-b', 'node-c']) lab.interfaces.set(n, [{name: 'eth0', mac: MAC_OF[n], state: 'usable'}, {name: 'eth1', mac: '02:00:00:00:01:01', state: 'down'}])
    lab.put(l2Adv('default', {ipAddressPools: ['default'], interfaces: ['eth1']}))
    const r = await doctorJson(lab, ['web/shop'])
    expect(failedIds(r.json)).toEqual(['advertisement.interfaces'])
    expect(failed(r.json, 'advertisement.interfaces')[0].evidence).toContain('L2Advertisement/default on node-a: has none of eth1 (eth1 is down); usable interfaces there: eth0')
  })

  it('interfaces on some nodes only → a warning naming the nodes that cannot announce; on every node → pass', async () => {
    lab = await healthyLab()
    lab.interfaces.set('node-c', [{name: 'ens3', mac: MAC_OF['node-c'], state: 'usable'}])
    lab.put(l2Adv('default', {ipAddressPools: ['default'], interfaces: ['eth0']}))
    const r = await doctorJson(lab, ['web/shop'])
    expect(r.code).toBe(0)
    expect(byId(r, 'advertisement', 'advertisement.interfaces')).toMatchObject({status: 'warn', message: 'L2Advertisement default: node-c has none of eth0, so only node-a, node-b can announce'})
    lab.interfaces.set('node-c', [{name: 'eth0', mac: MAC_OF['node-c'], state: 'usable'}])
    const ok = await doctorJson(lab, ['web/shop'])
    expect(byId(ok, 'advertisement', 'advertisement.interfaces')).toMatchObject({status: 'pass', message: 'named interfaces are up on the nodes: eth0 on node-a, node-b, node-c'})
  })

  it('without the speakers (--no-probe), says the interface check could not be made', async () => {
    lab = await healthyLab()
    lab.put(l2Adv('default', {ipAddressPools: ['default'], interfaces: ['eth9']}))
    const r = await doctorJson(lab, ['web/shop', '--no-probe'])
    expect(r.code).toBe(0)
    const c = byId(r, 'advertisement', 'advertisement.interfaces')
    expect(c.status).toBe('skip')
    expect(c.message).toBe('could not be made: the interfaces of node-a, node-b, node-c are not known')
    expect(c.evidence[0]).toBe('node-a: the speakers were not asked (--no-probe)')
  })
})
