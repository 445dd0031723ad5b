// Issue 11 item 6: a cluster without the load balancer's namespace. Every command says that the namespace does not
// exist and what to run, with the exit code for a missing prerequisite (5), and changes nothing.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Kinds} from '../../../src/lib/api/constants.js'
import {Kube} from '../../../src/lib/kube/client.js'
import {type Cluster, runInProcess, snapshot, startCluster} from '../helpers.js'

const KINDS: Array<[string, string]> = [['metallb.io/v1beta1', 'IPAddressPool'], ['metallb.io/v1beta1', 'L2Advertisement'], ['v1', 'Namespace']]

describe('a namespace that does not exist', () => {
  let c: Cluster
  beforeAll(async () => {
    c = await startCluster()
    c.server.store.delete('v1', 'Namespace', '', 'metallb-system')
  })
  afterAll(() => c?.close())

  it.each([
    [['pool', 'list']],
    [['pool', 'show', 'default']],
    [['pool', 'set', '192.168.1.88-192.168.1.89']],
    [['pool', 'set', '192.168.1.88-192.168.1.89', '--dry-run']],
    [['pool', 'add', 'default', '192.168.1.90']],
    [['pool', 'remove', 'default', '192.168.1.90']],
    [['pool', 'list', '-n', 'lb']],
  ])('lbctl %j: exit 5, names the namespace and what to run, changes nothing', async (args) => {
    const before = snapshot(c.server, KINDS)
    const r = await runInProcess([...args, '--kubeconfig', c.kubeconfig, '--json'])
    const ns = args.includes('-n') ? 'lb' : 'metallb-system'
    expect(r.code, r.stdout + r.stderr).toBe(5)
    expect(r.json.error).toMatchObject({code: 'NAMESPACE_MISSING', exitCode: 5, message: `namespace "${ns}" does not exist`, details: {namespace: ns}})
    expect(r.json.error.hint).toMatch(/lbctl install.*-n\/--namespace/)
    expect(snapshot(c.server, KINDS)).toEqual(before)
  })

  it('a write into a missing namespace says so too (the server\'s 404 names the namespace, not the object)', async () => {
    const kube = Kube.connect({kubeconfig: c.kubeconfig})
    const err = await kube.create({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'p', namespace: 'ghost'}, spec: {addresses: ['192.168.1.88/32']}}).catch((e: unknown) => e)
    expect(err).toMatchObject({code: 'NAMESPACE_MISSING', category: 'missing', message: 'namespace "ghost" does not exist'})
    expect(await kube.get(Kinds.IPAddressPool, 'p', 'ghost')).toBeUndefined()
  })
})
