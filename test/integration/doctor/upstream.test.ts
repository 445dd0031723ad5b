// On a cluster that runs upstream MetalLB (no lbctl components, no lbctl.io kinds), doctor runs every check the
// objects allow and says which it could not make.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runInProcess} from '../helpers.js'
import {doctorJson, failedIds, healthyLab, type Lab, NS} from './fixture.js'

describe('lbctl doctor on upstream MetalLB', () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await healthyLab({upstream: true})
    lab.put({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: {name: 'tor', namespace: NS}, spec: {myASN: 64512, peerASN: 64513, peerAddress: '198.18.0.1'}})
  })
  afterAll(() => lab.close())

  it('passes what it can check, and skips the rest with the reason', async () => {
    const r = await doctorJson(lab, ['-A', '--no-probe'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.implementation).toBe('metallb')
    expect(failedIds(r.json)).toEqual([])
    const byId = (id: string) => r.json.checks.find((c: any) => c.id === id)
    expect(byId('crds.lbctl')).toMatchObject({status: 'skip'})
    expect(byId('crds.lbctl').message).toContain('not an lbctl installation')
    expect(byId('bgp.sessions')).toMatchObject({status: 'skip'})
    expect(byId('bgp.sessions').message).toContain('FRR keeps it')
    expect(byId('speakers.running')).toMatchObject({status: 'pass', message: '3 speakers ready'})
    expect(byId('components.version')).toMatchObject({status: 'pass', message: 'every component runs v0.14.9'})
    expect(r.json.services[0].stages.map((s: any) => s.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'skip'])
  })

  it('without --no-probe, says the speakers have no diagnostics endpoint it could use', async () => {
    const r = await doctorJson(lab, ['web/shop'])
    expect(r.code, r.stderr).toBe(0)
    const wire = r.json.services[0].stages.find((s: any) => s.stage === 'wire').checks[0]
    expect(wire.status).toBe('skip')
    expect(wire.message).toContain('the diagnostics endpoint of no other speaker could be used')
  })

  it('status reads MetalLB too; bgp status says where MetalLB keeps sessions (exit 5)', async () => {
    const st = await runInProcess(['status', '--json', '--kubeconfig', lab.c.kubeconfig])
    expect(st.code, st.stderr).toBe(0)
    expect(st.json).toMatchObject({implementation: 'metallb', ready: true})
    expect(st.json.components.map((c: any) => [c.workload, c.versions])).toEqual([['Deployment/controller', ['v0.14.9']], ['DaemonSet/speaker', ['v0.14.9']]])
    expect(st.json.notes).toContain('BGP sessions are not in the API on upstream MetalLB (FRR keeps them)')
    const bgp = await runInProcess(['bgp', 'status', '--json', '--kubeconfig', lab.c.kubeconfig])
    expect(bgp.code).toBe(5)
    expect(bgp.json.error.code).toBe('SESSION_KIND_MISSING')
    expect(bgp.json.error.hint).toContain('vtysh')
  })
})
