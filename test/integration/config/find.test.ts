// findLegacyConfig: what `lbctl install` calls to notice a legacy ConfigMap or the charm's pool (issue 16 item 4).
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {findLegacyConfig} from '../../../src/lib/config/find.js'
import {Kube} from '../../../src/lib/kube/client.js'
import {type Cluster, startCluster} from '../helpers.js'
import {DOCS_BGP_ADVANCED} from '../../unit/api/legacy/fixtures.js'

const NS = 'metallb-system'

describe('findLegacyConfig', () => {
  let c: Cluster
  let kube: Kube
  beforeAll(async () => {
    c = await startCluster()
    kube = Kube.connect({kubeconfig: c.kubeconfig})
  })
  afterAll(() => c.close())

  it('nothing legacy → undefined; the ConfigMap → counts and the command; the charm\'s pool → --from-juju; a bad ConfigMap → its problem', async () => {
    expect(await findLegacyConfig(kube, NS)).toBeUndefined()
    c.server.store.put({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'config', namespace: NS}, data: {config: DOCS_BGP_ADVANCED}})
    const f = await findLegacyConfig(kube, NS)
    expect(f).toMatchObject({configMap: {namespace: NS, name: 'config', pools: 1, peers: 1}, charmPools: []})
    expect(f!.message).toContain('lbctl config import --from-cluster -n metallb-system')
    c.server.store.put({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'k8s-metallb', namespace: NS}, spec: {addresses: ['203.0.113.0/28']}})
    c.server.store.put({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'config', namespace: NS}, data: {config: 'peers: ['}})
    const g = await findLegacyConfig(kube, NS)
    expect(g!.charmPools).toEqual(['k8s-metallb'])
    expect(g!.configMap!.problem).toMatch(/^data\.config: is not valid YAML/)
    expect(g!.message).toContain('lbctl config import --from-juju')
  })
})
