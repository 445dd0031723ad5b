// Authentication and RBAC: tokens the harness issues, evaluated against the Roles and bindings in its store.
import {execFile} from 'node:child_process'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {missingTools, requirePrerequisites} from '../lab/prereq.js'
import {harness, raw, type Harness} from './test-helpers.js'
import {makeCertificates} from './tls.js'

let h: Harness
const RBAC = '/apis/rbac.authorization.k8s.io/v1'
const SA = 'system:serviceaccount:team:bot'

const as = (token: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  raw(h.server, method, path, body, {Authorization: `Bearer ${token}`, ...headers})
const admin = async (method: string, path: string, body?: unknown) => {
  const r = await raw(h.server, method, path, body)
  expect(r.status, `${method} ${path}: ${r.text}`).toBeLessThan(300)
  return r.body
}
const rule = (verbs: string[], resources: string[], more: Record<string, unknown> = {}) => ({apiGroups: [''], verbs, resources, ...more})
const saSubject = {kind: 'ServiceAccount', name: 'bot', namespace: 'team'}

let token: string
beforeAll(async () => {
  h = await harness()
  for (const ns of ['team', 'other']) await admin('POST', '/api/v1/namespaces', {metadata: {name: ns}})
  await admin('POST', '/api/v1/namespaces/team/serviceaccounts', {metadata: {name: 'bot'}})
  token = h.server.issueToken('team', 'bot').token
  await admin('POST', `${RBAC}/namespaces/team/roles`, {
    metadata: {name: 'reader'},
    rules: [rule(['get', 'list', 'watch'], ['configmaps']), rule(['patch'], ['services/status']), rule(['get'], ['secrets'], {resourceNames: ['memberlist']})],
  })
  await admin('POST', `${RBAC}/namespaces/team/rolebindings`, {metadata: {name: 'bot-reader'}, subjects: [{kind: 'ServiceAccount', name: 'bot'}], roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader'}})
})
afterAll(async () => h.close())

describe('RBAC for service-account tokens', () => {
  it('allows what a Role bound in the namespace allows, and nothing in another namespace', async () => {
    expect((await as(token, 'GET', '/api/v1/namespaces/team/configmaps')).status).toBe(200)
    const other = await as(token, 'GET', '/api/v1/namespaces/other/configmaps')
    expect(other.status).toBe(403)
    expect(other.body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403,
      message: `configmaps is forbidden: User "${SA}" cannot list resource "configmaps" in API group "" in the namespace "other"`,
      details: {kind: 'configmaps'},
    })
    const del = await as(token, 'DELETE', '/api/v1/namespaces/team/configmaps/x')
    expect(del.body.message).toBe(`configmaps "x" is forbidden: User "${SA}" cannot delete resource "configmaps" in API group "" in the namespace "team"`)
    expect(del.body.details).toEqual({name: 'x', kind: 'configmaps'})
  })

  it('tells a subresource from its resource', async () => {
    await admin('POST', '/api/v1/namespaces/team/services', {metadata: {name: 'web'}, spec: {type: 'LoadBalancer', ports: [{port: 80}]}})
    const status = await as(token, 'PATCH', '/api/v1/namespaces/team/services/web/status', {status: {loadBalancer: {ingress: [{ip: '203.0.113.1'}]}}}, {'Content-Type': 'application/merge-patch+json'})
    expect(status.status).toBe(200)
    const main = await as(token, 'PATCH', '/api/v1/namespaces/team/services/web', {metadata: {labels: {a: 'b'}}}, {'Content-Type': 'application/merge-patch+json'})
    expect(main.status).toBe(403)
    expect(main.body.message).toContain('cannot patch resource "services" in API group ""')
    const get = await as(token, 'GET', '/api/v1/namespaces/team/services/web/status')
    expect(get.body.message).toBe(`services "web" is forbidden: User "${SA}" cannot get resource "services/status" in API group "" in the namespace "team"`)
  })

  it('limits a rule with resourceNames to those names (get, and a watch of one name)', async () => {
    await admin('POST', '/api/v1/namespaces/team/secrets', {metadata: {name: 'memberlist'}, stringData: {secretkey: 'k'}})
    expect((await as(token, 'GET', '/api/v1/namespaces/team/secrets/memberlist')).status).toBe(200)
    expect((await as(token, 'GET', '/api/v1/namespaces/team/secrets/other')).status).toBe(403)
    expect((await as(token, 'GET', '/api/v1/namespaces/team/secrets')).status).toBe(403)
  })

  it('grants cluster-scoped access through a ClusterRoleBinding, and a ClusterRole through a RoleBinding only in its namespace', async () => {
    expect((await as(token, 'GET', '/api/v1/nodes')).body.message).toBe(`nodes is forbidden: User "${SA}" cannot list resource "nodes" in API group "" at the cluster scope`)
    await admin('POST', `${RBAC}/clusterroles`, {metadata: {name: 'node-reader'}, rules: [rule(['list'], ['nodes']), {apiGroups: ['*'], verbs: ['*'], resources: ['leases']}]})
    await admin('POST', `${RBAC}/clusterrolebindings`, {metadata: {name: 'bot-nodes'}, subjects: [{kind: 'Group', name: 'system:serviceaccounts:team'}], roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'node-reader'}})
    expect((await as(token, 'GET', '/api/v1/nodes')).status).toBe(200)
    expect((await as(token, 'GET', '/apis/coordination.k8s.io/v1/namespaces/other/leases')).status).toBe(200)
    await admin('POST', `${RBAC}/clusterroles`, {metadata: {name: 'pod-reader'}, rules: [rule(['list'], ['pods'])]})
    await admin('POST', `${RBAC}/namespaces/team/rolebindings`, {metadata: {name: 'bot-pods'}, subjects: [saSubject], roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'pod-reader'}})
    expect((await as(token, 'GET', '/api/v1/namespaces/team/pods')).status).toBe(200)
    expect((await as(token, 'GET', '/api/v1/namespaces/other/pods')).status).toBe(403)
    expect((await as(token, 'GET', '/api/v1/pods')).status).toBe(403)
  })

  it('matches nonResourceURLs exactly or by a trailing *, and lets every authenticated user read discovery', async () => {
    expect((await as(token, 'GET', '/api')).status).toBe(200)
    expect((await as(token, 'GET', '/version')).status).toBe(200)
    expect((await as(token, 'GET', '/metrics')).body.message).toBe(`forbidden: User "${SA}" cannot get path "/metrics"`)
    await admin('POST', `${RBAC}/clusterroles`, {metadata: {name: 'logs'}, rules: [{verbs: ['get'], nonResourceURLs: ['/logs/*', '/metrics']}]})
    await admin('POST', `${RBAC}/clusterrolebindings`, {metadata: {name: 'bot-logs'}, subjects: [saSubject], roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'logs'}})
    expect((await as(token, 'GET', '/metrics')).status).toBe(404)
    expect((await as(token, 'GET', '/logs/kube-apiserver.log')).status).toBe(404)
    expect((await as(token, 'GET', '/metricsx')).status).toBe(403)
  })

  it('leaves the admin token unrestricted, and can be turned off per harness', async () => {
    expect((await raw(h.server, 'GET', '/api/v1/namespaces/other/secrets')).status).toBe(200)
    h.server.enforceRbac(false)
    try {
      expect((await as(token, 'GET', '/api/v1/namespaces/other/secrets')).status).toBe(200)
    } finally {
      h.server.enforceRbac(true)
    }
    expect((await as(token, 'GET', '/api/v1/namespaces/other/secrets')).status).toBe(403)
  })

  it('checks impersonation (kubectl --as) and then evaluates the impersonated user', async () => {
    const imp = await raw(h.server, 'GET', '/api/v1/namespaces/other/configmaps', undefined, {'Impersonate-User': SA})
    expect(imp.status).toBe(403)
    expect(imp.body.message).toContain(`User "${SA}" cannot list resource "configmaps"`)
    const bySa = await as(token, 'GET', '/api/v1/namespaces/team/configmaps', undefined, {'Impersonate-User': 'jane'})
    expect(bySa.body.message).toBe(`users "jane" is forbidden: User "${SA}" cannot impersonate resource "users" in API group "" at the cluster scope`)
  })
})

describe('access reviews and tokens', () => {
  const ssar = (t: string, resourceAttributes: object) =>
    as(t, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {resourceAttributes}})

  it('answers SelfSubjectAccessReview from the same rules', async () => {
    const yes = await ssar(token, {namespace: 'team', verb: 'patch', resource: 'services', subresource: 'status'})
    expect(yes.status).toBe(201)
    expect(yes.body.status).toEqual({allowed: true, reason: 'RBAC: allowed by RoleBinding "bot-reader/team" of Role "reader" to ServiceAccount "bot/team"'})
    expect((await ssar(token, {namespace: 'team', verb: 'patch', resource: 'services'})).body.status).toEqual({allowed: false})
    expect((await ssar(token, {namespace: 'team', verb: 'get', resource: 'secrets', name: 'memberlist'})).body.status.allowed).toBe(true)
    expect((await ssar(token, {namespace: 'team', verb: 'get', resource: 'secrets', name: 'x'})).body.status.allowed).toBe(false)
    const both = await as(token, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {spec: {}})
    expect(both.status).toBe(422)
  })

  it('answers SubjectAccessReview and TokenReview only to those allowed to ask, as the diagnostics endpoint asks', async () => {
    const sar = {spec: {user: SA, groups: ['system:serviceaccounts'], resourceAttributes: {namespace: 'team', verb: 'get', group: 'lbctl.io', resource: 'speakers', subresource: 'diagnostics'}}}
    const refused = await as(token, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', sar)
    expect(refused.body.message).toBe(`subjectaccessreviews.authorization.k8s.io is forbidden: User "${SA}" cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io" at the cluster scope`)
    expect((await admin('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', sar)).status).toEqual({allowed: false})
    await admin('POST', `${RBAC}/namespaces/team/roles`, {metadata: {name: 'diag'}, rules: [{apiGroups: ['lbctl.io'], verbs: ['get'], resources: ['speakers/diagnostics']}]})
    await admin('POST', `${RBAC}/namespaces/team/rolebindings`, {metadata: {name: 'diag'}, subjects: [{kind: 'User', name: SA}], roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'diag'}})
    expect((await admin('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', sar)).status.allowed).toBe(true)
    const noUser = await raw(h.server, 'POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {spec: {resourceAttributes: {verb: 'get', resource: 'pods'}}})
    expect(noUser.status).toBe(422)

    const tr = await admin('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {spec: {token}})
    expect(tr.status).toMatchObject({authenticated: true, user: {username: SA, groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated']}, audiences: ['https://kubernetes.default.svc.cluster.local']})
    expect((await admin('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {spec: {token: 'nonsense'}})).status).toEqual({user: {}, error: 'invalid bearer token'})
    const aud = await admin('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {spec: {token, audiences: ['lbctl-diagnostics']}})
    expect(aud.status.authenticated).toBeUndefined()
    expect((await as(token, 'POST', '/apis/authentication.k8s.io/v1/tokenreviews', {spec: {token}})).status).toBe(403)
  })

  it('issues tokens through TokenRequest, refusing lifetimes under 10 minutes and unknown accounts', async () => {
    const r = await admin('POST', '/api/v1/namespaces/team/serviceaccounts/bot/token', {spec: {expirationSeconds: 600}})
    expect(r.kind).toBe('TokenRequest')
    expect(Date.parse(r.status.expirationTimestamp) - h.server.now()).toBeGreaterThan(590_000)
    expect((await as(r.status.token, 'GET', '/api/v1/namespaces/team/configmaps')).status).toBe(200)
    const short = await raw(h.server, 'POST', '/api/v1/namespaces/team/serviceaccounts/bot/token', {spec: {expirationSeconds: 599}})
    expect(short.status).toBe(422)
    expect(short.body.details.causes).toEqual([{field: 'spec.expirationSeconds', message: 'Invalid value: 599: may not specify a duration less than 10 minutes', reason: 'FieldValueInvalid'}])
    expect((await raw(h.server, 'POST', '/api/v1/namespaces/team/serviceaccounts/nobody/token', {})).status).toBe(404)
  })

  it('stops accepting a token when it expires, and when its ServiceAccount is deleted', async () => {
    const short = h.server.issueToken('team', 'bot', {expirationSeconds: 600}).token
    expect((await as(short, 'GET', '/api/v1/namespaces/team/configmaps')).status).toBe(200)
    h.server.advanceClock(600_000)
    const expired = await as(short, 'GET', '/api/v1/namespaces/team/configmaps')
    expect(expired.status).toBe(401)
    expect((await admin('POST', '/apis/authentication.k8s.io/v1/tokenreviews', {spec: {token: short}})).status.error).toBe('invalid bearer token, service account token has expired')
    expect((await as(token, 'GET', '/api/v1/namespaces/team/configmaps')).status).toBe(200)
    await admin('DELETE', '/api/v1/namespaces/team/serviceaccounts/bot')
    expect((await as(token, 'GET', '/api/v1/namespaces/team/configmaps')).status).toBe(401)
    await admin('POST', '/api/v1/namespaces/team/serviceaccounts', {metadata: {name: 'bot'}})
    expect((await as(token, 'GET', '/api/v1/namespaces/team/configmaps')).status).toBe(401)
  })
})

describe.runIf(requirePrerequisites('RBAC with kubectl', 'openssl', missingTools(['openssl'])))('kubectl with a service-account token (HTTPS)', () => {
  let t: Harness
  beforeAll(async () => {
    t = await harness({tls: makeCertificates({hosts: ['127.0.0.1']}), tokens: ['admin-token']})
  })
  afterAll(async () => t?.close())
  const kubectl = (...args: string[]): Promise<{code: number; stdout: string; stderr: string}> =>
    new Promise((resolve) => {
      execFile('/usr/bin/kubectl', ['--kubeconfig', t.kubeconfigPath, '--cache-dir', join(t.dir, 'cache'), ...args], {timeout: 20_000, env: {...process.env, HOME: t.dir}}, (err, stdout, stderr) =>
        resolve({code: err ? ((err as {code?: number}).code ?? 1) : 0, stdout, stderr}))
    })

  it('creates a token, and answers can-i and whoami for it from RBAC', async () => {
    expect((await kubectl('create', 'serviceaccount', 'bot')).code).toBe(0)
    expect((await kubectl('create', 'role', 'r', '--verb=get,list', '--resource=pods,pods/log')).code).toBe(0)
    expect((await kubectl('create', 'rolebinding', 'r', '--role=r', '--serviceaccount=default:bot')).code).toBe(0)
    const created = await kubectl('create', 'token', 'bot', '--duration=10m')
    expect(created.stderr).toBe('')
    const tok = created.stdout.trim()
    expect((await kubectl('--token', tok, 'auth', 'can-i', 'get', 'pods', '--subresource=log')).stdout.trim()).toBe('yes')
    const no = await kubectl('--token', tok, 'auth', 'can-i', 'delete', 'pods')
    expect([no.code, no.stdout.trim()]).toEqual([1, 'no'])
    expect((await kubectl('--token', tok, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}')).stdout).toBe('system:serviceaccount:default:bot')
    const denied = await kubectl('--token', tok, 'get', 'nodes')
    expect(denied.stderr.trim()).toBe('Error from server (Forbidden): nodes is forbidden: User "system:serviceaccount:default:bot" cannot list resource "nodes" in API group "" at the cluster scope')
  })
})
