// Issue 3, "Done when": a pool and 200 services → distinct addresses from the pool, visible with kubectl get svc;
// deleting services frees their addresses for pending ones; `lbctl pool list/show` agree with the controller.
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runBin} from '../helpers.js'
import {type Cluster, type Daemon, ingressOf, poolObj, startCluster, startController, svcObj, waitFor} from './helpers.js'

const POOL = '203.0.113.0/25' // 128 addresses for 200 services: 72 wait
const inPool = (ip: string) => /^203\.0\.113\.(\d+)$/.test(ip) && Number(ip.split('.')[3]) < 128

describe('controller: 200 services, one pool', () => {
  let c: Cluster
  let ctl: Daemon
  const names = Array.from({length: 200}, (_, i) => `svc-${String(i).padStart(3, '0')}`)
  const assigned = () => names.filter((n) => ingressOf(c, n).length > 0)

  beforeAll(async () => {
    c = await startCluster()
    c.server.store.put(poolObj('web', [POOL]))
    ctl = await startController(c.kubeconfig, ['--lease-duration', '2s'])
    for (const n of names) c.server.store.put(svcObj(n))
  })
  afterAll(async () => {
    await ctl?.stop()
    await c?.close()
  })

  it('gives every address of the pool to a distinct service and leaves the rest pending', async () => {
    await waitFor(() => assigned().length === 128 && names.every((n) => c.server.store.get('v1', 'Service', 'default', n)), {what: '128 services assigned', timeout: 30_000})
    const ips = assigned().map((n) => ingressOf(c, n))
    expect(ips.every((l) => l.length === 1 && inPool(l[0]))).toBe(true)
    expect(new Set(ips.flat()).size).toBe(128)
    const annotated = assigned().filter((n) => c.server.store.get('v1', 'Service', 'default', n).metadata.annotations?.['metallb.io/ip-allocated-from-pool'] === 'web')
    await waitFor(() => assigned().every((n) => c.server.store.get('v1', 'Service', 'default', n).metadata.annotations?.['metallb.io/ip-allocated-from-pool'] === 'web'), {what: 'pool annotations'})
    expect(annotated.length).toBeGreaterThan(0)
    // The oldest services were served first; the rest say why they wait.
    const pending = names.filter((n) => ingressOf(c, n).length === 0)
    expect(pending).toHaveLength(72)
    await waitFor(() => c.server.store.list('v1', 'Event').some((e) => e.involvedObject.name === pending[0] && e.reason === 'AllocationFailed' && /poolExhausted/.test(e.message)), {what: 'an AllocationFailed event'})
  })

  it('shows the addresses in kubectl get svc', async () => {
    // Asynchronously: the harness serving kubectl lives in this process.
    const {stdout: out} = await promisify(execFile)('kubectl', ['get', 'svc', '-n', 'default', '-o', 'json'], {env: {...process.env, KUBECONFIG: c.kubeconfig}, encoding: 'utf8', maxBuffer: 64 << 20})
    const items = JSON.parse(out).items as Array<{metadata: {name: string}; status?: {loadBalancer?: {ingress?: Array<{ip: string}>}}}>
    const shown = items.filter((s) => s.status?.loadBalancer?.ingress?.length).map((s) => s.status!.loadBalancer!.ingress![0].ip)
    expect(new Set(shown).size).toBe(128)
  })

  it('hands freed addresses to pending services, oldest first', async () => {
    const victims = assigned().slice(0, 50)
    const freed = victims.flatMap((n) => ingressOf(c, n))
    const firstPending = names.filter((n) => ingressOf(c, n).length === 0).slice(0, 50)
    for (const v of victims) c.server.store.delete('v1', 'Service', 'default', v)
    await waitFor(() => firstPending.every((n) => ingressOf(c, n).length === 1), {what: 'pending services to get the freed addresses'})
    expect(new Set(firstPending.flatMap((n) => ingressOf(c, n)))).toEqual(new Set(freed))
    const live = names.filter((n) => !victims.includes(n))
    const all = live.flatMap((n) => ingressOf(c, n))
    expect(new Set(all).size).toBe(all.length)
  })

  it('agrees with lbctl pool list/show, pool status and metrics', async () => {
    await waitFor(() => {
      const st = c.server.store.get('metallb.io/v1beta1', 'IPAddressPool', 'metallb-system', 'web').status
      return st?.assignedIPv4 === 128 && st.availableIPv4 === 0
    }, {what: 'IPAddressPool status counters'})
    const list = await runBin(['pool', 'list', '--json', '--kubeconfig', c.kubeconfig])
    expect(list.code, list.stderr).toBe(0)
    expect(list.json.pools[0]).toMatchObject({name: 'web', size: 128, inUse: 128, free: 0})
    const show = await runBin(['pool', 'show', 'web', '--json', '--kubeconfig', c.kubeconfig])
    expect(show.code, show.stderr).toBe(0)
    expect(show.json.services).toHaveLength(128)
    expect(await ctl.metric('metallb_allocator_addresses_in_use_total', 'pool="web"')).toBe(128)
    expect(await ctl.metric('metallb_allocator_addresses_total', 'pool="web"')).toBe(128)
    expect(await ctl.metric('lbctl_controller_services_pending')).toBe(22)
  })

  it('answers /healthz and /readyz, and stops cleanly on SIGTERM', async () => {
    expect((await fetch(`http://127.0.0.1:${ctl.healthPort}/healthz`)).status).toBe(200)
    const ready = await fetch(`http://127.0.0.1:${ctl.healthPort}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.text()).toMatch(/synced=true leader=true/)
    expect(await ctl.stop()).toBe(0)
    expect(ctl.logs.some((l) => l.msg === 'stopped')).toBe(true)
    // The lease is handed back so a standby need not wait for it to expire.
    expect(c.server.store.get('coordination.k8s.io/v1', 'Lease', 'metallb-system', 'lbctl-controller').spec.holderIdentity).toBe('')
  })
})
