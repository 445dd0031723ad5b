// A user who may not create CRDs: install refuses before anything is applied, naming the permission it lacks.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runInProcess} from '../helpers.js'
import {tokenKubeconfig} from './rbac-lab.js'
import {type InstallCluster, settle, startInstallCluster} from './setup.js'

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

describe('lbctl install as a user who may not create CRDs', () => {
  let c: InstallCluster
  let kubeconfig: string
  beforeAll(async () => {
    c = await startInstallCluster()
    // A namespace admin plus everything cluster-wide but CRDs: the kind of account that gets this far.
    const rules = [
      {apiGroups: ['', 'apps', 'rbac.authorization.k8s.io', 'coordination.k8s.io', 'metallb.io'], resources: ['*'], verbs: ['*']},
      {apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'watch']},
    ]
    for (const o of [
      {apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'ops', namespace: 'default'}},
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: 'almost-admin'}, rules},
      {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: {name: 'ops-almost-admin'},
        roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'almost-admin'}, subjects: [{kind: 'ServiceAccount', name: 'ops', namespace: 'default'}]},
    ]) c.server.store.put(o)
    await settle(c.server)
    kubeconfig = tokenKubeconfig(c.dir, 'ops', c.server.url, c.server.issueToken('default', 'ops').token)
  })
  afterAll(() => c.close())

  it('refuses with exit 3, naming the CRD permission and who can fix it; the API server saw no write', async () => {
    const from = c.server.requests.length
    const before = c.server.store.resourceVersion
    const r = await runInProcess(['install', '--mode', 'l2', '--pool', '203.0.113.0/28', '--json', '--kubeconfig', kubeconfig])
    expect(r.code, r.stdout + r.stderr).toBe(3)
    expect(r.json.error.code).toBe('FORBIDDEN')
    expect(r.json.error.message).toContain('create customresourcedefinitions.apiextensions.k8s.io (cluster-wide)')
    expect(r.json.error.message).toContain('patch customresourcedefinitions.apiextensions.k8s.io (cluster-wide)')
    expect(r.json.error.message).not.toContain('clusterroles')
    expect(r.json.error.hint).toMatch(/cluster administrator/)
    const sent = c.server.requests.slice(from)
    // It asked (SelfSubjectAccessReviews, answered from the RBAC objects) and wrote nothing.
    expect(sent.some((q) => q.path.endsWith('/selfsubjectaccessreviews') && q.user === 'system:serviceaccount:default:ops')).toBe(true)
    expect(sent.filter((q) => WRITES.has(q.method) && !q.path.endsWith('/selfsubjectaccessreviews'))).toEqual([])
    expect(c.server.store.resourceVersion).toBe(before)
  })

  it('the same user with CRD rights gets past the check (the refusal was about CRDs)', async () => {
    c.server.store.put({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: 'almost-admin'},
      rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]})
    const r = await runInProcess(['install', '--mode', 'l2', '--dry-run', '--json', '--kubeconfig', kubeconfig])
    expect(r.code, r.stdout + r.stderr).toBe(0)
  })
})
