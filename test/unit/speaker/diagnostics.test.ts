// The diagnostics endpoint's gatekeeping over real HTTPS (a self-signed certificate made with openssl): every request
// authenticated and authorized, read-only, only pool addresses probed, rate-limited, errors as {error: {code, message}}.
// The authorizer and the probe are the endpoint's inputs here; kubeAuthorizer and probeL2 are tested on their own.
import {request} from 'node:https'
import {afterEach, describe, expect, it} from 'vitest'
import {loadOrMakeCertificate} from '../../../src/speaker/diagnostics/cert.js'
import {startDiagnostics, type DiagnosticsSource} from '../../../src/speaker/diagnostics/server.js'
import type {Authorizer} from '../../../src/speaker/diagnostics/auth.js'
import {poolIndex} from '../../../src/speaker/advertisements.js'
import {pool} from './fixtures.js'

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of closers.splice(0)) await c()
})

const authorize: Authorizer = async (t) => {
  if (!t) return {ok: false, status: 401, message: 'a bearer token is required'}
  return t === 'good' ? {ok: true, user: 'alice'} : {ok: false, status: 403, message: 'bob may not'}
}

async function serve(rate = {burst: 100, everyMs: 1}) {
  const probed: string[] = []
  const pools = poolIndex([pool('p', ['203.0.113.0/24'])])
  const source: DiagnosticsSource = {
    node: 'n1', inPools: (a) => pools.contains(a), interfaces: () => ['eth0'],
    probe: async (address, iface) => {
      probed.push(`${address}@${iface}`)
      return {interface: iface, status: 'announced', answers: [{mac: '02:00:00:00:00:01', ip: address}]}
    },
    bgp: () => ({sessions: [], routes: []}),
    l2: () => ({owned: [{address: '203.0.113.10', interfaces: ['eth0'], services: ['default/web']}], membership: {source: 'gossip', alive: ['n1', 'n2']}, interfaces: [{name: 'eth0', mac: '02:00:00:00:00:01', state: 'usable'}]}),
  }
  const tls = loadOrMakeCertificate({hosts: ['127.0.0.1'], node: 'n1'})
  const d = await startDiagnostics({host: '127.0.0.1', port: 0, tls, authorize, source, rate})
  closers.push(d.close)
  const get = (path: string, token?: string, method = 'GET'): Promise<{status: number; body: any}> => new Promise((resolve, reject) => {
    const req = request({host: '127.0.0.1', port: d.port, path, method, ca: tls.cert, headers: token ? {authorization: `Bearer ${token}`} : {}}, (res) => {
      let text = ''
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve({status: res.statusCode ?? 0, body: JSON.parse(text)}))
    })
    req.on('error', reject)
    req.end()
  })
  return {get, probed}
}

describe('diagnostics endpoint', () => {
  it('answers /v1/l2, /v1/bgp and /v1/probe for an allowed caller, over TLS its certificate verifies', async () => {
    const {get, probed} = await serve()
    expect(await get('/v1/l2', 'good')).toEqual({status: 200, body: {node: 'n1', owned: [{address: '203.0.113.10', interfaces: ['eth0'], services: ['default/web']}], membership: {source: 'gossip', alive: ['n1', 'n2']}, interfaces: [{name: 'eth0', mac: '02:00:00:00:00:01', state: 'usable'}]}})
    expect(await get('/v1/bgp', 'good')).toEqual({status: 200, body: {node: 'n1', sessions: [], routes: []}})
    const p = await get('/v1/probe?address=203.0.113.10&timeoutMs=100', 'good')
    expect(p).toEqual({status: 200, body: {node: 'n1', address: '203.0.113.10', results: [{interface: 'eth0', status: 'announced', answers: [{mac: '02:00:00:00:00:01', ip: '203.0.113.10'}]}]}})
    expect(probed).toEqual(['203.0.113.10@eth0'])
  })

  it('refuses: no token 401, not allowed 403, outside the pools 403, bad input 400, writes 405 — and probes nothing', async () => {
    const {get, probed} = await serve()
    expect(await get('/v1/l2')).toMatchObject({status: 401, body: {error: {code: 'UNAUTHENTICATED'}}})
    expect(await get('/v1/l2', 'bad')).toMatchObject({status: 403, body: {error: {code: 'FORBIDDEN', message: 'bob may not'}}})
    expect(await get('/v1/probe?address=198.18.0.1', 'good')).toMatchObject({status: 403, body: {error: {code: 'NOT_IN_POOLS'}}})
    expect(await get('/v1/probe?address=nope', 'good')).toMatchObject({status: 400, body: {error: {code: 'BAD_ADDRESS'}}})
    expect(await get('/v1/probe?address=203.0.113.9&interface=eth9', 'good')).toMatchObject({status: 400, body: {error: {code: 'BAD_INTERFACE'}}})
    expect(await get('/v1/probe?address=203.0.113.9&timeoutMs=60000', 'good')).toMatchObject({status: 400, body: {error: {code: 'BAD_TIMEOUT'}}})
    expect(await get('/v1/l2', 'good', 'POST')).toMatchObject({status: 405, body: {error: {code: 'METHOD_NOT_ALLOWED'}}})
    expect(await get('/v1/other', 'good')).toMatchObject({status: 404})
    expect(probed).toEqual([])
  })

  it('rate-limits each caller: 429 past the burst', async () => {
    const {get} = await serve({burst: 3, everyMs: 60_000})
    const codes = []
    for (let i = 0; i < 5; i++) codes.push((await get('/v1/l2', 'good')).status)
    expect(codes).toEqual([200, 200, 200, 429, 429])
  })
})

describe('kubeAuthorizer against the API harness (TokenReview + SubjectAccessReview, real RBAC)', () => {
  it('lets in a service account bound to get speakers/diagnostics, refuses others with 403 and bad tokens with 401', async () => {
    const {harness, raw} = await import('../../harness/apiserver/test-helpers.js')
    const {kubeAuthorizer} = await import('../../../src/speaker/diagnostics/auth.js')
    const {loadRestTarget, RestKube} = await import('../../../src/lib/kube/rest.js')
    const h = await harness()
    closers.push(() => h.close())
    const admin = async (path: string, body: unknown): Promise<void> => {
      const r = await raw(h.server, 'POST', path, body)
      expect(r.status, r.text).toBeLessThan(300)
    }
    const RBAC = '/apis/rbac.authorization.k8s.io/v1'
    await admin('/api/v1/namespaces', {metadata: {name: 'metallb-system'}})
    for (const sa of ['doctor', 'nosy']) await admin('/api/v1/namespaces/metallb-system/serviceaccounts', {metadata: {name: sa}})
    await admin(`${RBAC}/namespaces/metallb-system/roles`, {metadata: {name: 'diag'}, rules: [{apiGroups: ['lbctl.io'], resources: ['speakers/diagnostics'], verbs: ['get']}]})
    await admin(`${RBAC}/namespaces/metallb-system/rolebindings`, {metadata: {name: 'diag'}, subjects: [{kind: 'ServiceAccount', name: 'doctor', namespace: 'metallb-system'}],
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'diag'}})
    // The speaker's own credentials (the kubeconfig's admin here) make the reviews.
    const authorize = kubeAuthorizer(new RestKube(loadRestTarget({kubeconfig: h.kubeconfigPath})!), 'metallb-system')
    expect(await authorize(h.server.issueToken('metallb-system', 'doctor').token)).toEqual({ok: true, user: 'system:serviceaccount:metallb-system:doctor'})
    expect(await authorize(h.server.issueToken('metallb-system', 'nosy').token)).toMatchObject({ok: false, status: 403})
    expect(await authorize('not-a-token')).toMatchObject({ok: false, status: 401})
    expect(await authorize(undefined)).toMatchObject({ok: false, status: 401})
  })
})
