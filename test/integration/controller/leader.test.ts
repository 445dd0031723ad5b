// One active replica: two controllers at once → only the lease holder writes; when it dies, the standby takes over.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type Cluster, type Daemon, ingressOf, illegalSharing, poolObj, startCluster, startController, svcObj, waitFor} from './helpers.js'

const lease = (c: Cluster) => c.server.store.get('coordination.k8s.io/v1', 'Lease', 'metallb-system', 'lbctl-controller')?.spec

describe('controller leader election', () => {
  let c: Cluster
  let a: Daemon
  let b: Daemon
  beforeAll(async () => {
    c = await startCluster()
    c.server.store.put(poolObj('p', ['203.0.113.0/26']))
    a = await startController(c.kubeconfig, ['--lease-duration', '2s'])
    await waitFor(() => lease(c)?.holderIdentity === a.identity, {what: 'the first controller to hold the lease'})
    b = await startController(c.kubeconfig, ['--lease-duration', '2s'])
  })
  afterAll(async () => {
    for (const d of [a, b]) if (d && d.proc.exitCode === null) await d.stop()
    await c?.close()
  })

  it('only the lease holder writes', async () => {
    for (let i = 0; i < 30; i++) c.server.store.put(svcObj(`s${i}`))
    await waitFor(() => Array.from({length: 30}, (_, i) => ingressOf(c, `s${i}`)).every((x) => x.length === 1), {what: '30 services assigned'})
    expect(lease(c).holderIdentity).toBe(a.identity)
    expect(await b.metric('lbctl_controller_leader')).toBe(0)
    expect(await b.metric('metallb_k8s_client_updates_total')).toBe(0)
    expect(await a.metric('metallb_k8s_client_updates_total')).toBeGreaterThanOrEqual(30)
    const events = c.server.store.list('v1', 'Event')
    expect(events.length).toBeGreaterThan(0)
    expect(new Set(events.map((e) => e.reportingInstance))).toEqual(new Set([a.identity]))
  })

  it('a standby takes over when the leader dies, and keeps every address', async () => {
    const before = Object.fromEntries(Array.from({length: 30}, (_, i) => [`s${i}`, ingressOf(c, `s${i}`)]))
    const transitions = lease(c).leaseTransitions ?? 0
    await a.kill9()
    // within the lease duration plus a retry period (the deadline); how fast is a benchmark's question, not a test's
    await waitFor(() => lease(c)?.holderIdentity === b.identity, {what: 'the standby to take the lease', timeout: 15_000})
    expect(lease(c).leaseTransitions).toBe(transitions + 1)
    for (let i = 30; i < 40; i++) c.server.store.put(svcObj(`s${i}`))
    await waitFor(() => Array.from({length: 10}, (_, i) => ingressOf(c, `s${30 + i}`)).every((x) => x.length === 1), {what: 'new services served by the new leader'})
    for (const [name, ips] of Object.entries(before)) expect(ingressOf(c, name), name).toEqual(ips)
    expect(illegalSharing(c.server.store.list('v1', 'Service'))).toEqual([])
    expect(await b.metric('lbctl_controller_leader')).toBe(1)
  })

  it('a leader whose lease is taken stops writing at once, and resumes when it gets the lease back', async () => {
    const l = c.server.store.get('coordination.k8s.io/v1', 'Lease', 'metallb-system', 'lbctl-controller')
    const now = new Date().toISOString().replace('Z', '000Z')
    c.server.store.put({...l, spec: {...l.spec, holderIdentity: 'intruder', renewTime: now, leaseDurationSeconds: 3600}})
    await waitFor(async () => (await b.metric('lbctl_controller_leader')) === 0, {what: 'the controller to see it lost the lease', timeout: 5000})
    const writes = await b.metric('metallb_k8s_client_updates_total')
    const deferred = (await b.metric('lbctl_controller_reconcile_deferred_total')) ?? 0
    c.server.store.put(svcObj('while-not-leader'))
    // The controller saw the service and its pass was refused (not leading): the moment a wrong write would have run.
    await waitFor(async () => ((await b.metric('lbctl_controller_reconcile_deferred_total')) ?? 0) > deferred, {what: 'the pass for the new service to be deferred'})
    expect(ingressOf(c, 'while-not-leader')).toEqual([])
    expect(await b.metric('metallb_k8s_client_updates_total')).toBe(writes)
    const cur = c.server.store.get('coordination.k8s.io/v1', 'Lease', 'metallb-system', 'lbctl-controller')
    c.server.store.put({...cur, spec: {...cur.spec, holderIdentity: ''}})
    await waitFor(() => ingressOf(c, 'while-not-leader').length === 1, {what: 'the service to be served once the lease is back'})
    expect(lease(c).holderIdentity).toBe(b.identity)
  })
})
