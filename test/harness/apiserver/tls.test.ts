// HTTPS and required bearer tokens: what the in-cluster path (service account token + CA) talks to.
import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {CoreV1Api, KubeConfig} from '@kubernetes/client-node'
import {parse, stringify} from 'yaml'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {missingTools, requirePrerequisites} from '../lab/prereq.js'
import {startApiServer, type ApiServer} from './index.js'
import {tlsRequest} from './test-helpers.js'
import {makeCertificates, type TestCertificates} from './tls.js'

const KUBECTL = '/usr/bin/kubectl'
/** What kube-apiserver answers to a request it cannot authenticate (anonymous auth off). */
const UNAUTHORIZED = {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401}

describe.runIf(requirePrerequisites('TLS harness tests', 'openssl', missingTools(['openssl'])))('the harness over HTTPS with required tokens', () => {
  let certs: TestCertificates
  let server: ApiServer
  let dir: string

  beforeAll(async () => {
    certs = makeCertificates()
    server = await startApiServer({tls: certs, tokens: ['token-a']})
    dir = await mkdtemp(join(tmpdir(), 'lbctl-tls-test-'))
  })
  afterAll(async () => {
    await server?.stop()
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  const kubectl = (kubeconfig: string, ...args: string[]): Promise<{code: number; stdout: string; stderr: string}> =>
    new Promise((resolve) => {
      execFile(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], {timeout: 20_000, env: {...process.env, HOME: dir}}, (err, stdout, stderr) =>
        resolve({code: err ? ((err as {code?: number}).code ?? 1) : 0, stdout, stderr}))
    })

  it('serves https:// with a certificate for its address, signed by the CA it reports', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(server.ca).toBe(certs.ca)
    const ok = await tlsRequest(`${server.url}/api/v1/namespaces`, {ca: certs.ca, token: 'token-a'})
    expect(ok.status).toBe(200)
    expect(ok.body.items.map((n: any) => n.metadata.name)).toContain('kube-system')
    await expect(tlsRequest(`${server.url}/version`, {token: 'token-a'})).rejects.toMatchObject({code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'})
    const other = makeCertificates()
    await expect(tlsRequest(`${server.url}/version`, {ca: other.ca, token: 'token-a'})).rejects.toMatchObject({code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'})
    // The certificate names only the addresses asked for: a name outside them fails hostname verification.
    await expect(tlsRequest(`${server.url}/version`, {ca: certs.ca, token: 'token-a', servername: 'elsewhere.example'})).rejects.toMatchObject({code: 'ERR_TLS_CERT_ALTNAME_INVALID'})
  })

  it('answers 401 with an Unauthorized Status to no token and to a wrong one, on every path', async () => {
    for (const path of ['/api/v1/namespaces', '/apis', '/version', '/api/v1/namespaces/default/services/x']) {
      for (const token of [undefined, 'wrong', '']) {
        const r = await tlsRequest(`${server.url}${path}`, {ca: certs.ca, token})
        expect({path, token, status: r.status, body: r.body}).toEqual({path, token, status: 401, body: UNAUTHORIZED})
      }
    }
    expect(server.requests.at(-1)).toMatchObject({path: '/api/v1/namespaces/default/services/x', status: 401})
  })

  it('accepts a new token set at once and refuses the old one; the kubeconfig then carries the new one', async () => {
    server.acceptTokens(['token-b', 'token-c'])
    expect((await tlsRequest(`${server.url}/api/v1/namespaces`, {ca: certs.ca, token: 'token-a'})).status).toBe(401)
    expect((await tlsRequest(`${server.url}/api/v1/namespaces`, {ca: certs.ca, token: 'token-b'})).status).toBe(200)
    expect((await tlsRequest(`${server.url}/api/v1/namespaces`, {ca: certs.ca, token: 'token-c'})).status).toBe(200)
    expect(parse(server.kubeconfigYaml()).users[0].user.token).toBe('token-b')
    expect(() => server.acceptTokens([])).toThrow(/at least one/)
  })

  it('writes a kubeconfig with certificate-authority-data and the token, which client-node and kubectl use', async () => {
    const path = join(dir, 'kubeconfig')
    await server.writeKubeconfig(path)
    const kc = parse(await readFile(path, 'utf8'))
    expect(kc.clusters[0].cluster).toEqual({server: server.url, 'certificate-authority-data': Buffer.from(certs.ca).toString('base64')})
    expect(kc.users[0].user).toEqual({token: 'token-b'})

    const k = new KubeConfig()
    k.loadFromFile(path)
    const ns = await k.makeApiClient(CoreV1Api).listNamespace()
    expect(ns.items.map((n) => n.metadata?.name)).toContain('default')

    const got = await kubectl(path, 'get', 'namespaces', '-o', 'name')
    expect(got.stderr).toBe('')
    expect(got.stdout).toContain('namespace/kube-system')
    const manifest = join(dir, 'cm.yaml')
    await writeFile(manifest, stringify({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'over-tls', namespace: 'default'}, data: {k: 'v'}}))
    const created = await kubectl(path, 'apply', '-f', manifest)
    expect(created.stderr + created.stdout.trim()).toBe('configmap/over-tls created')
    expect(server.store.get('v1', 'ConfigMap', 'default', 'over-tls').data).toEqual({k: 'v'})
  })

  it('makes kubectl fail with a wrong token (Unauthorized) and with another CA (unknown authority)', async () => {
    const good = parse(server.kubeconfigYaml())
    const badToken = join(dir, 'bad-token')
    await writeFile(badToken, stringify({...good, users: [{name: good.users[0].name, user: {token: 'nope'}}]}))
    const denied = await kubectl(badToken, 'get', 'namespaces')
    expect(denied.code).not.toBe(0)
    expect(denied.stderr).toContain('Unauthorized')
    const badCa = join(dir, 'bad-ca')
    const other = Buffer.from(makeCertificates().ca).toString('base64')
    await writeFile(badCa, stringify({...good, clusters: [{name: good.clusters[0].name, cluster: {server: server.url, 'certificate-authority-data': other}}]}))
    const untrusted = await kubectl(badCa, 'get', 'namespaces')
    expect(untrusted.code).not.toBe(0)
    expect(untrusted.stderr).toContain('x509: certificate signed by unknown authority')
  })

  it('keeps serving HTTPS (same certificate, same tokens) after a restart', async () => {
    await server.restart()
    expect((await tlsRequest(`${server.url}/api/v1/namespaces`, {ca: certs.ca, token: 'token-b'})).status).toBe(200)
    expect((await tlsRequest(`${server.url}/api/v1/namespaces`, {ca: certs.ca})).status).toBe(401)
  })
})

describe('the harness over plain HTTP', () => {
  it('with required tokens, refuses requests without one too', async () => {
    const server = await startApiServer({tokens: ['t1']})
    try {
      expect(server.url).toMatch(/^http:\/\//)
      const none = await fetch(`${server.url}/api/v1/namespaces`)
      expect([none.status, await none.json()]).toEqual([401, UNAUTHORIZED])
      expect((await fetch(`${server.url}/api/v1/namespaces`, {headers: {authorization: 'Bearer t1'}})).status).toBe(200)
      expect(parse(server.kubeconfigYaml()).clusters[0].cluster['insecure-skip-tls-verify']).toBe(true)
    } finally {
      await server.stop()
    }
  })

  it('refuses an empty token list', async () => {
    await expect(startApiServer({tokens: []})).rejects.toThrow(/at least one/)
  })
})
