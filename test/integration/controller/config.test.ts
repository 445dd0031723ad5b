// Rules that need a cluster of their own: autoAssign: false as the only pool, loadBalancerClass with two controllers,
// and an invalid configuration (overlapping pools) that must not stop the controller from serving.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {type Cluster, type Daemon, eventsFor, ingressOf, poolObj, startCluster, startController, svcObj, waitFor} from './helpers.js'

const running: Array<Daemon | Cluster> = []
afterEach(async () => {
  for (const x of running.splice(0).reverse()) await ('stop' in x ? x.stop() : x.close())
})
async function setup(args: string[] = []): Promise<{c: Cluster; ctl: Daemon}> {
  const c = await startCluster()
  running.push(c)
  const ctl = await startController(c.kubeconfig, ['--lease-duration', '2s', ...args])
  running.push(ctl)
  return {c, ctl}
}
const state = (c: Cluster, namespace = 'metallb-system') => c.server.store.get('metallb.io/v1beta1', 'ConfigurationState', namespace, 'controller')?.status

describe('controller configuration rules', () => {
  it('an autoAssign: false pool serves only explicit requests', async () => {
    const {c} = await setup()
    c.server.store.put(poolObj('manual', ['203.0.113.0/28'], {autoAssign: false}))
    c.server.store.put(svcObj('plain'))
    c.server.store.put(svcObj('asked', {annotations: {'metallb.io/address-pool': 'manual'}}))
    await waitFor(() => ingressOf(c, 'asked').length === 1, {what: 'the explicit request to be served'})
    await waitFor(() => eventsFor(c, 'plain').some((e) => e.message.startsWith('noPoolMatches:')), {what: 'noPoolMatches for the plain service'})
    expect(ingressOf(c, 'plain')).toEqual([])
  })

  it('with --lb-class, serves only that class; without, only services without a class', async () => {
    const {c, ctl} = await setup()
    c.server.store.put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'lbx'}})
    c.server.store.put(poolObj('default-pool', ['203.0.113.0/28']))
    c.server.store.put({...poolObj('class-pool', ['198.51.100.0/28']), metadata: {name: 'class-pool', namespace: 'lbx'}})
    const classed = await startController(c.kubeconfig, ['--lb-class', 'example.com/lb', '--namespace', 'lbx', '--lease-duration', '2s'])
    running.push(classed)
    c.server.store.put(svcObj('none'))
    c.server.store.put(svcObj('mine', {spec: {loadBalancerClass: 'example.com/lb'}}))
    c.server.store.put(svcObj('theirs', {spec: {loadBalancerClass: 'example.com/other'}}))
    await waitFor(() => ingressOf(c, 'none')[0]?.startsWith('203.0.113.') && ingressOf(c, 'mine')[0]?.startsWith('198.51.100.'), {what: 'each controller to serve its services'})
    expect(ingressOf(c, 'theirs')).toEqual([])
    expect(eventsFor(c, 'theirs')).toEqual([])
    // The class-less controller sees 'mine' as another class's service carrying the pool annotation (the classed
    // controller writes the same one), but the pool it names is not in its namespace: it must not clear it.
    const writes = async (d: Daemon): Promise<number> => (await d.metrics()).split('\n').filter((l) => l.startsWith('lbctl_controller_writes_total{')).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)
    const passes = async (d: Daemon): Promise<number> => (await d.metrics()).split('\n').filter((l) => l.startsWith('lbctl_controller_reconcile_passes_total{')).reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)
    const before = {writes: await writes(ctl), passes: await passes(ctl)}
    const mine = c.server.store.get('v1', 'Service', 'default', 'mine')
    c.server.store.put({...mine, metadata: {...mine.metadata, labels: {touched: 'yes'}}})
    await waitFor(async () => (await passes(ctl)) > before.passes, {what: 'the class-less controller to look at the touched service'})
    expect(await writes(ctl)).toBe(before.writes)
    expect(ingressOf(c, 'mine')[0]).toMatch(/^198\.51\.100\./)
  })

  it('overlapping pools: Invalid state naming both, stale metric, and service goes on with the last valid pools', async () => {
    const {c, ctl} = await setup()
    c.server.store.put(poolObj('a', ['203.0.113.0/29']))
    c.server.store.put(svcObj('s1'))
    await waitFor(() => ingressOf(c, 's1').length === 1, {what: 's1 assigned'})
    c.server.store.put(poolObj('b', ['203.0.113.4/30', '198.51.100.0/24']))
    const st = await waitFor(() => (state(c)?.result === 'Invalid' ? state(c) : undefined), {what: 'ConfigurationState Invalid'})
    expect(st.errorSummary).toMatch(/IPAddressPool a .*overlaps IPAddressPool b/)
    await waitFor(async () => (await ctl.metric('metallb_k8s_client_config_stale_bool')) === 1, {what: 'stale metric 1'})
    // Still serving from the last valid configuration: pool a only, never b's 198.51.100.0/24.
    c.server.store.put(svcObj('s2'))
    await waitFor(() => ingressOf(c, 's2').length === 1, {what: 's2 assigned while stale'})
    expect(ingressOf(c, 's2')[0]).toMatch(/^203\.0\.113\.[0-7]$/)
    expect(ingressOf(c, 's1')).toHaveLength(1)
    c.server.store.delete('metallb.io/v1beta1', 'IPAddressPool', 'metallb-system', 'b')
    await waitFor(() => state(c)?.result === 'Valid', {what: 'ConfigurationState Valid'})
    expect(await ctl.metric('metallb_k8s_client_config_stale_bool')).toBe(0)
  })

  it('falls back to the client-node transport for kubeconfigs the lean one does not read (merged KUBECONFIG)', async () => {
    const c = await startCluster()
    running.push(c)
    writeFileSync(join(c.dir, 'other'), 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n')
    const ctl = await startController('', ['--lease-duration', '2s'], {KUBECONFIG: `${c.kubeconfig}:${join(c.dir, 'other')}`})
    running.push(ctl)
    expect(ctl.logs.find((l) => l.msg === 'starting')?.transport).toBe('client-node')
    c.server.store.put(poolObj('a', ['203.0.113.0/30']))
    c.server.store.put(svcObj('s1'))
    await waitFor(() => ingressOf(c, 's1')[0] === '203.0.113.0', {what: 's1 assigned through client-node'})
  })

  it('a pool removed (lbctl pool remove --force) clears its services, or moves them to another pool', async () => {
    const {c} = await setup()
    c.server.store.put(poolObj('a', ['203.0.113.0/30']))
    c.server.store.put(svcObj('s1'))
    await waitFor(() => ingressOf(c, 's1').length === 1, {what: 's1 assigned'})
    c.server.store.delete('metallb.io/v1beta1', 'IPAddressPool', 'metallb-system', 'a')
    await waitFor(() => ingressOf(c, 's1').length === 0, {what: 's1 cleared'})
    await waitFor(() => eventsFor(c, 's1').some((e) => e.reason === 'ClearAssignment'), {what: 'ClearAssignment event'})
    c.server.store.put(poolObj('z', ['198.51.100.0/30']))
    await waitFor(() => ingressOf(c, 's1')[0] === '198.51.100.0', {what: 's1 assigned from the new pool'})
  })
})
