// One test per allocation rule (API-COMPAT.md "Allocation order", "Service annotations"), each against the real
// controller process. Rules are isolated by namespace and by pools that only explicit requests can draw from.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type Cluster, type Daemon, eventsFor, ingressOf, poolObj, poolOf, startCluster, startController, svcObj, waitFor, type SvcOpts} from './helpers.js'

const ns = (name: string, labels?: Record<string, string>) => ({apiVersion: 'v1', kind: 'Namespace', metadata: {name, labels}})

describe('controller allocation rules', () => {
  let c: Cluster
  let ctl: Daemon
  const put = (name: string, o: SvcOpts = {}) => c.server.store.put(svcObj(name, o))
  const ips = (name: string, n = 'default') => waitFor(() => (ingressOf(c, name, n).length ? ingressOf(c, name, n) : undefined), {what: `${n}/${name} to get an address`})
  const failure = (name: string, reason: string, n = 'default') =>
    waitFor(() => eventsFor(c, name, n).find((e) => e.reason === 'AllocationFailed' && e.message.startsWith(`${reason}:`)), {what: `${n}/${name} AllocationFailed ${reason}`})

  beforeAll(async () => {
    c = await startCluster()
    for (const n of ['team-a', 'other', 'shop', 'late', 'dual']) c.server.store.put(ns(n))
    c.server.store.put(ns('prod-ns', {env: 'prod'}))
    c.server.store.put(poolObj('general', ['192.0.2.0/24']))
    c.server.store.put(poolObj('manual', ['198.18.0.0/24'], {autoAssign: false}))
    c.server.store.put(poolObj('team', ['198.18.1.0/24'], {serviceAllocation: {namespaces: ['team-a']}}))
    c.server.store.put(poolObj('prod', ['198.18.2.0/24'], {serviceAllocation: {priority: 1, namespaceSelectors: [{matchLabels: {env: 'prod'}}]}}))
    c.server.store.put(poolObj('web-lo', ['198.18.3.0/24'], {serviceAllocation: {priority: 20, serviceSelectors: [{matchLabels: {tier: 'web'}}]}}))
    c.server.store.put(poolObj('web-hi', ['198.18.4.0/24'], {serviceAllocation: {priority: 10, serviceSelectors: [{matchLabels: {tier: 'web'}}]}}))
    c.server.store.put(poolObj('share', ['198.18.5.0/24'], {autoAssign: false}))
    c.server.store.put(poolObj('dual', ['198.18.6.0/24', '2001:db8:ffff::/64'], {autoAssign: false}))
    c.server.store.put(poolObj('buggy', ['198.18.7.255-198.18.8.1'], {autoAssign: false, avoidBuggyIPs: true}))
    ctl = await startController(c.kubeconfig, ['--lease-duration', '2s'])
  })
  afterAll(async () => {
    await ctl?.stop()
    await c?.close()
  })

  it('spec.loadBalancerIP gets exactly that address, also from an autoAssign: false pool', async () => {
    put('lbip', {spec: {loadBalancerIP: '198.18.0.77'}})
    expect(await ips('lbip')).toEqual(['198.18.0.77'])
    await waitFor(() => poolOf(c, 'lbip') === 'manual', {what: 'the pool annotation'})
  })

  it('the metallb.io/loadBalancerIPs annotation gets exactly that address', async () => {
    put('annip', {annotations: {'metallb.io/loadBalancerIPs': '198.18.0.78'}})
    expect(await ips('annip')).toEqual(['198.18.0.78'])
  })

  it('both fields set: no address, and an event that says so', async () => {
    put('both', {spec: {loadBalancerIP: '198.18.0.79'}, annotations: {'metallb.io/loadBalancerIPs': '198.18.0.80'}})
    await failure('both', 'bothIPFieldsSet')
    expect(ingressOf(c, 'both')).toEqual([])
  })

  it('a requested address outside every pool is refused', async () => {
    put('outside', {spec: {loadBalancerIP: '10.255.0.1'}})
    await failure('outside', 'requestedIPNotInAnyPool')
  })

  it('a requested address in use by a service that does not share is refused; the holder keeps it', async () => {
    put('holder', {spec: {loadBalancerIP: '198.18.0.90'}})
    await ips('holder')
    put('taker', {spec: {loadBalancerIP: '198.18.0.90'}})
    const e = await failure('taker', 'requestedIPInUse')
    expect(e.message).toContain('default/holder')
    expect(ingressOf(c, 'holder')).toEqual(['198.18.0.90'])
  })

  it('metallb.io/address-pool takes the named pool; a missing pool is reported in ConfigurationState', async () => {
    put('named', {annotations: {'metallb.io/address-pool': 'manual'}})
    expect((await ips('named'))[0]).toMatch(/^198\.18\.0\./)
    put('nopool', {annotations: {'metallb.io/address-pool': 'ghost'}})
    await failure('nopool', 'poolNotFound')
    const state = await waitFor(() => {
      const s = c.server.store.get('metallb.io/v1beta1', 'ConfigurationState', 'metallb-system', 'controller')?.status
      return s?.result === 'Invalid' ? s : undefined
    }, {what: 'ConfigurationState Invalid'})
    expect(state.errorSummary).toContain('default/nopool')
    expect(state.errorSummary).toContain('ghost')
    await waitFor(async () => (await ctl.metric('metallb_k8s_client_config_stale_bool')) === 1, {what: 'stale metric 1'})
    c.server.store.put(poolObj('ghost', ['198.18.9.0/30'], {autoAssign: false}))
    expect(await ips('nopool')).toEqual(['198.18.9.0'])
    await waitFor(() => c.server.store.get('metallb.io/v1beta1', 'ConfigurationState', 'metallb-system', 'controller')?.status?.result === 'Valid', {what: 'ConfigurationState Valid again'})
    expect(await ctl.metric('metallb_k8s_client_config_stale_bool')).toBe(0)
  })

  it('serviceAllocation.namespaces pins a namespace to a pool; others use autoAssign pools', async () => {
    put('t1', {ns: 'team-a'})
    put('o1', {ns: 'other'})
    expect((await ips('t1', 'team-a'))[0]).toMatch(/^198\.18\.1\./)
    expect((await ips('o1', 'other'))[0]).toMatch(/^192\.0\.2\./)
  })

  it('serviceAllocation.namespaceSelectors follow namespace labels, also when they change', async () => {
    put('p1', {ns: 'prod-ns'})
    expect((await ips('p1', 'prod-ns'))[0]).toMatch(/^198\.18\.2\./)
    put('l1', {ns: 'late', annotations: {'metallb.io/address-pool': 'prod'}})
    await failure('l1', 'poolNotAllowed', 'late')
    c.server.store.put(ns('late', {env: 'prod'}))
    expect((await ips('l1', 'late'))[0]).toMatch(/^198\.18\.2\./)
  })

  it('serviceAllocation.serviceSelectors with priority: the lower non-zero priority wins', async () => {
    put('w1', {labels: {tier: 'web'}})
    expect((await ips('w1'))[0]).toMatch(/^198\.18\.4\./)
  })

  it('avoidBuggyIPs skips .0 and .255', async () => {
    put('b1', {annotations: {'metallb.io/address-pool': 'buggy'}})
    expect(await ips('b1')).toEqual(['198.18.8.1'])
    put('b2', {annotations: {'metallb.io/address-pool': 'buggy'}})
    await failure('b2', 'poolExhausted')
  })

  it('allow-shared-ip: same key and disjoint ports share; a port clash or different pods (Local) are refused', async () => {
    const key = {'metallb.io/allow-shared-ip': 'k1', 'metallb.io/address-pool': 'share'}
    put('sa', {annotations: key, ports: [['TCP', 80]]})
    const [ip] = await ips('sa')
    put('sb', {annotations: key, ports: [['TCP', 443]]})
    expect(await ips('sb')).toEqual([ip])
    put('sc', {annotations: {...key, 'metallb.io/loadBalancerIPs': ip}, ports: [['TCP', 80]]})
    expect((await failure('sc', 'sharingRefused')).message).toMatch(/port TCP\/80/)
    put('sd', {annotations: {...key, 'metallb.io/loadBalancerIPs': ip}, ports: [['UDP', 53]], spec: {externalTrafficPolicy: 'Local', selector: {app: 'other'}}})
    expect((await failure('sd', 'sharingRefused')).message).toMatch(/Local/)
    put('se', {annotations: {'metallb.io/allow-shared-ip': 'k2', 'metallb.io/loadBalancerIPs': ip}, ports: [['TCP', 8080]]})
    expect((await failure('se', 'sharingRefused')).message).toMatch(/differs/)
  })

  it('dual stack: RequireDualStack gets both families, PreferDualStack settles for one, IPv6 alone needs IPv6', async () => {
    const dual = {ipFamilyPolicy: 'RequireDualStack' as const, ipFamilies: ['IPv4', 'IPv6']}
    put('d1', {ns: 'dual', annotations: {'metallb.io/address-pool': 'dual'}, spec: dual})
    const got = await ips('d1', 'dual')
    expect(got).toHaveLength(2)
    expect(got.find((x) => x.includes(':'))).toMatch(/^2001:db8:ffff:/)
    put('d2', {ns: 'dual', annotations: {'metallb.io/address-pool': 'manual'}, spec: {ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv4', 'IPv6']}})
    expect(await ips('d2', 'dual')).toHaveLength(1)
    put('d3', {ns: 'dual', annotations: {'metallb.io/address-pool': 'manual'}, spec: {ipFamilies: ['IPv6']}})
    await failure('d3', 'poolHasNoFamily', 'dual')
  })

  it('deprecated metallb.universe.tf annotations are honoured, with a warning event', async () => {
    put('old', {annotations: {'metallb.universe.tf/address-pool': 'manual'}})
    expect((await ips('old'))[0]).toMatch(/^198\.18\.0\./)
    const e = await waitFor(() => eventsFor(c, 'old').find((x) => x.reason === 'DeprecatedAnnotation'), {what: 'DeprecatedAnnotation event'})
    expect(e.type).toBe('Warning')
  })

  it('a service that stops being type LoadBalancer loses its address and annotation', async () => {
    put('shrink')
    await ips('shrink')
    const s = c.server.store.get('v1', 'Service', 'default', 'shrink')
    c.server.store.put({...s, spec: {...s.spec, type: 'ClusterIP'}})
    await waitFor(() => ingressOf(c, 'shrink').length === 0 && poolOf(c, 'shrink') === undefined, {what: 'status and annotation cleared'})
    await waitFor(() => eventsFor(c, 'shrink').some((e) => e.reason === 'ClearAssignment'), {what: 'ClearAssignment event'})
  })

  it('ignores services with a loadBalancerClass when none is configured', async () => {
    put('classy', {spec: {loadBalancerClass: 'example.com/other'}})
    put('after-classy')
    await ips('after-classy')
    expect(ingressOf(c, 'classy')).toEqual([])
    expect(eventsFor(c, 'classy')).toEqual([])
  })
})
