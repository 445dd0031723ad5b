// Issue 16 item 3: `lbctl config import --from-juju` with a `juju` on PATH that answers like juju 3 (the test double
// prepare's tests use: a script, since no juju controller can run here), against the API harness with CRDs.
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import {type Cluster, runBin, runInProcess, snapshot, startCluster} from '../helpers.js'
import {fakeJuju} from '../prepare/setup.js'

const NS = 'metallb-system'
const KINDS: Array<[string, string]> = [['metallb.io/v1beta1', 'IPAddressPool'], ['metallb.io/v1beta1', 'L2Advertisement'], ['metallb.io/v1beta1', 'BGPAdvertisement']]
const pool = (name: string, addresses: string[]) => ({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name, namespace: NS}, spec: {addresses}})
const l2 = (name: string, pools: string[]) => ({apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: {name, namespace: NS}, spec: {ipAddressPools: pools}})

describe('lbctl config import --from-juju', () => {
  let c: Cluster
  beforeAll(async () => {
    c = await startCluster()
  })
  afterAll(() => c.close())
  afterEach(() => {
    for (const [apiVersion, kind] of KINDS) for (const o of c.server.store.list(apiVersion, kind)) c.server.store.delete(apiVersion, kind, o.metadata.namespace, o.metadata.name)
  })
  const run = async (juju: ReturnType<typeof fakeJuju>, args: string[]) => {
    const saved = process.env.PATH
    process.env.PATH = juju.path
    try {
      return await runInProcess(['config', 'import', '--from-juju', ...args, '--kubeconfig', c.kubeconfig])
    } finally {
      process.env.PATH = saved
    }
  }

  it('adopts the pool and L2Advertisement the charm made (no second pool) and prints the safe removal order', async () => {
    // The seed's example value, as `juju config metallb iprange="192.168.1.240/28, 10.0.0.0/28"` leaves it.
    const juju = fakeJuju(c.dir, {'k8s/metallb': {iprange: '192.168.1.240/28, 10.0.0.0/28'}})
    c.server.store.put(pool('k8s-metallb', ['192.168.1.240/28', '10.0.0.0/28']))
    c.server.store.put(l2('k8s-metallb', ['k8s-metallb']))
    const r = await run(juju, ['--juju-model', 'k8s', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.charm).toMatchObject({app: 'metallb', model: 'k8s', pool: 'k8s-metallb', adopted: true, advertisement: 'k8s-metallb'})
    expect(r.json.objects).toEqual([
      {kind: 'IPAddressPool', name: 'k8s-metallb', action: 'adopted', from: 'juju config metallb iprange'},
      {kind: 'L2Advertisement', name: 'k8s-metallb', action: 'adopted', from: 'the charm\'s L2Advertisement'},
    ])
    const pools = c.server.store.list('metallb.io/v1beta1', 'IPAddressPool')
    expect(pools.map((p) => p.metadata.name)).toEqual(['k8s-metallb'])
    expect(pools[0].spec.addresses).toEqual(['192.168.1.240/28', '10.0.0.0/28'])
    expect(pools[0].metadata.labels).toEqual({'app.kubernetes.io/managed-by': 'lbctl'})
    expect(pools[0].metadata.annotations).toEqual({'lbctl.io/adopted-from': 'juju:k8s/metallb'})
    expect(c.server.store.get('metallb.io/v1beta1', 'L2Advertisement', NS, 'k8s-metallb').metadata.labels).toEqual({'app.kubernetes.io/managed-by': 'lbctl'})
    expect(juju.calls()).toEqual([['config', '-m', 'k8s', 'metallb', 'iprange']])
    const steps: string[] = r.json.charm.removal
    expect(steps[0]).toContain('lbctl config import --from-juju --juju-model k8s -n metallb-system --dry-run -o yaml > lbctl-k8s-metallb.yaml')
    expect(steps[1]).toContain('juju remove-application -m k8s metallb')
    expect(steps[3]).toContain('kubectl apply --server-side --field-manager lbctl -f lbctl-k8s-metallb.yaml')
    expect(steps.findIndex((s) => s.includes('remove-application'))).toBeLessThan(steps.findIndex((s) => s.includes('kubectl apply')))

    // Adopting again changes nothing; the human form prints the removal order.
    const before = snapshot(c.server, KINDS)
    const again = await run(juju, ['--juju-model', 'k8s', '--yes'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toContain('To remove the charm afterwards without losing an address:')
    expect(again.stdout).toMatch(/IPAddressPool\s+k8s-metallb\s+unchanged/)
    expect(snapshot(c.server, KINDS)).toEqual(before)
  })

  it('the older metallb-controller charm (no IPAddressPool yet): the pool and an L2Advertisement are created from iprange', async () => {
    const juju = fakeJuju(c.dir, {'k8s/metallb-controller': {iprange: '203.0.113.88-203.0.113.89'}})
    const r = await run(juju, ['--juju-model', 'k8s', '--yes', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.charm).toMatchObject({app: 'metallb-controller', adopted: false, pool: 'k8s-metallb-controller'})
    expect(juju.calls()).toEqual([['config', '-m', 'k8s', 'metallb', 'iprange'], ['config', '-m', 'k8s', 'metallb-controller', 'iprange']])
    expect(c.server.store.get('metallb.io/v1beta1', 'IPAddressPool', NS, 'k8s-metallb-controller').spec).toEqual({addresses: ['203.0.113.88-203.0.113.89'], autoAssign: true, avoidBuggyIPs: false})
    expect(c.server.store.get('metallb.io/v1beta1', 'L2Advertisement', NS, 'k8s-metallb-controller').spec).toEqual({ipAddressPools: ['k8s-metallb-controller']})
    expect(r.json.charm.removal[1]).toContain('juju remove-application -m k8s metallb-speaker')
  })

  it('refuses (exit 2, nothing applied) a pool that would overlap another, a bad iprange, and a model without the charm', async () => {
    c.server.store.put(pool('other', ['203.0.113.0/24']))
    const before = snapshot(c.server, KINDS)
    const overlap = await run(fakeJuju(c.dir, {'k8s/metallb': {iprange: '203.0.113.88-203.0.113.89'}}), ['--juju-model', 'k8s', '--yes', '--json'])
    expect(overlap.code).toBe(2)
    expect(overlap.json.error.code).toBe('POOL_OVERLAP')
    const bad = await run(fakeJuju(c.dir, {'k8s/metallb': {iprange: '192.168.1.5/24'}}), ['--juju-model', 'k8s', '--yes', '--json'])
    expect(bad.code).toBe(2)
    expect(bad.json.error).toMatchObject({code: 'LEGACY_VALUE', details: {path: 'juju config metallb iprange[0]'}})
    const none = await run(fakeJuju(c.dir, {'k8s/other': {}}), ['--juju-model', 'k8s', '--yes', '--json'])
    expect(none.code).toBe(2)
    expect(none.json.error.code).toBe('CHARM_NOT_FOUND')
    expect(snapshot(c.server, KINDS)).toEqual(before)
  })

  it('without juju on PATH it says so (exit 5)', async () => {
    const r = await runBin(['config', 'import', '--from-juju', '--yes', '--json', '--kubeconfig', c.kubeconfig], {PATH: '/nonexistent'})
    expect(r.code).toBe(5)
    expect(r.json.error.code).toBe('JUJU_MISSING')
  })
})
