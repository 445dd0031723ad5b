import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runBin, runInProcess} from '../helpers.js'
import {failedIds, healthyLab, type Lab, OWNER_MAC, validateReport} from './fixture.js'

describe('lbctl doctor on a healthy installation', () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await healthyLab()
  })
  afterAll(() => lab.close())

  it('passes every check and exits 0, probing the address from the other nodes', async () => {
    const r = await runInProcess(['doctor', '-A', '--json', '--kubeconfig', lab.c.kubeconfig])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(failedIds(r.json)).toEqual([])
    expect(r.json.ok).toBe(true)
    expect(r.json.implementation).toBe('lbctl')
    const shop = r.json.services.find((s: any) => s.name === 'shop')
    expect(shop.brokenAt).toBeUndefined()
    expect(shop.stages.map((s: any) => [s.stage, s.status])).toEqual([
      ['class', 'pass'], ['allocation', 'pass'], ['advertisement', 'pass'], ['endpoints', 'pass'], ['announcement', 'pass'], ['wire', 'pass'],
    ])
    const [wire, mac] = shop.stages.find((s: any) => s.stage === 'wire').checks
    expect(wire).toMatchObject({id: 'wire.single-mac', status: 'pass', message: `one MAC answers for 203.0.113.1: ${OWNER_MAC} (node-a/eth0, the announcer)`})
    expect(mac).toMatchObject({id: 'wire.announcer-mac', status: 'pass', message: `node-a announces 203.0.113.1 (ServiceL2Status) and its MAC ${OWNER_MAC} answers`})
    // Every speaker is asked once for its node's interfaces and MACs; the owner (node-a) is not asked to probe: it
    // cannot see its own answers. The others are, with the caller's token, on the interface node-a announces on.
    expect(lab.speakers.find((s) => s.node === 'node-a')!.requests).toEqual([{path: '/v1/l2', authorized: true}])
    for (const n of ['node-b', 'node-c']) expect(lab.speakers.find((s) => s.node === n)!.requests).toEqual([{path: '/v1/l2', authorized: true}, {path: '/v1/probe?address=203.0.113.1&interface=eth0', authorized: true}])
  })

  it('--no-probe skips the wire stage and says so', async () => {
    const r = await runInProcess(['doctor', 'web/shop', '--no-probe', '--json', '--kubeconfig', lab.c.kubeconfig])
    expect(r.code, r.stderr).toBe(0)
    const wire = r.json.services[0].stages.find((s: any) => s.stage === 'wire').checks[0]
    expect(wire).toMatchObject({id: 'wire.single-mac', status: 'skip'})
    expect(wire.message).toContain('--no-probe')
  })

  it('prints a tree with ✓ and no colour when not on a terminal', async () => {
    const r = await runInProcess(['doctor', '-A', '--no-probe', '--kubeconfig', lab.c.kubeconfig])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/├─ ✓ kube-proxy mode and strict ARP: IPVS mode with strict ARP/)
    expect(r.stdout).toMatch(/└─ ✓ web\/shop 203\.0\.113\.1/)
    expect(r.stdout).toContain('No problems found')
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/\x1b\[/)
  })

  it('the built binary: exit 1 and a report valid against the schema when a problem is found', async () => {
    const r = await runBin(['doctor', 'web/shop', 'web/gone', '--no-probe', '--json', '--kubeconfig', lab.c.kubeconfig])
    expect(r.code, r.stderr).toBe(1)
    expect(validateReport(r.json)).toEqual({ok: true, errors: null})
    expect(r.json.services.map((s: any) => [s.name, s.brokenAt ?? null])).toEqual([['shop', null], ['gone', 'class']])
  })

  it('a bare NAME is in the kubeconfig context\'s namespace; -n stays the load balancer\'s', async () => {
    const kc = `${lab.c.kubeconfig}-web`
    await lab.c.server.writeKubeconfig(kc, {namespace: 'web'})
    const r = await runInProcess(['doctor', 'shop', '--no-probe', '--json', '--kubeconfig', kc])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.services.map((s: any) => `${s.namespace}/${s.name}`)).toEqual(['web/shop'])
    expect(r.json.cluster.namespace).toBe('metallb-system')
    const none = await runInProcess(['doctor', '--no-probe', '--json', '--kubeconfig', kc])
    expect(none.json.services.map((s: any) => s.name)).toEqual(['shop'])
    const other = await runInProcess(['doctor', 'shop', '-n', 'lb-elsewhere', '--no-probe', '--json', '--kubeconfig', kc])
    expect(other.json.cluster.namespace).toBe('lb-elsewhere')
    expect(other.json.implementation).toBe('unknown')
    expect(failedIds(other.json)).toContain('components.controller')
  })

  it('a service that does not exist is a failed check naming it', async () => {
    const r = await runInProcess(['doctor', 'web/nope', '--no-probe', '--json', '--kubeconfig', lab.c.kubeconfig])
    expect(r.code).toBe(1)
    expect(failedIds(r.json)).toEqual(['service.found'])
  })

  it('refuses a malformed service name before reading anything (exit 2)', async () => {
    const before = lab.c.server.requests.length
    const r = await runInProcess(['doctor', 'a/b/c', '--kubeconfig', lab.c.kubeconfig])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('"a/b/c" is not a service')
    expect(lab.c.server.requests.length).toBe(before)
  })
})
