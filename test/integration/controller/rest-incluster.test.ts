// The in-cluster path of both transports (service account token + CA, over HTTPS), in this process: the service
// account directory is a temporary one passed in, so no root is needed. incluster.test.ts runs the real processes
// with the real path.
import {mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Kinds} from '../../../src/lib/api/constants.js'
import {Kube} from '../../../src/lib/kube/client.js'
import {loadKubeConfig} from '../../../src/lib/kube/config.js'
import {loadRestTarget, RestKube} from '../../../src/lib/kube/rest.js'
import {missingTools, requirePrerequisites} from '../../harness/lab/prereq.js'
import {makeCertificates, type TestCertificates} from '../../harness/apiserver/tls.js'
import {type Cluster, startCluster, svcObj, waitFor} from './helpers.js'

const SA = '/var/run/secrets/kubernetes.io/serviceaccount'

describe.runIf(requirePrerequisites('TLS tests', 'openssl', missingTools(['openssl'])))('in-cluster configuration over HTTPS', () => {
  let c: Cluster
  let certs: TestCertificates
  let root: string
  let sa: string
  let env: NodeJS.ProcessEnv
  /** Replace the token as the kubelet does: write a new file, then swap it in (atomic rename). */
  const rotate = (token: string) => {
    writeFileSync(join(sa, '.token.new'), token)
    renameSync(join(sa, '.token.new'), join(sa, 'token'))
  }
  const since = (n: number) => c.server.requests.slice(n).map((r) => `${r.method} ${r.path} ${r.status}`)

  beforeAll(async () => {
    certs = makeCertificates()
    c = await startCluster({tls: certs, tokens: ['t1']})
    root = mkdtempSync(join(tmpdir(), 'lbctl-sa-'))
    sa = join(root, SA)
    mkdirSync(sa, {recursive: true})
    writeFileSync(join(sa, 'ca.crt'), certs.ca)
    writeFileSync(join(sa, 'namespace'), 'metallb-system')
    rotate('t1')
    env = {KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(c.server.url).port, HOME: root}
  })
  afterAll(async () => {
    await c?.close()
    if (root) rmSync(root, {recursive: true, force: true})
  })

  describe('RestKube (the daemons)', () => {
    let kube: RestKube
    beforeAll(() => {
      kube = new RestKube(loadRestTarget({inCluster: true}, env, sa)!, {attempts: 2})
    })

    it('talks HTTPS to KUBERNETES_SERVICE_HOST:PORT, trusting ca.crt, with the token', async () => {
      expect([kube.server, kube.context]).toEqual([c.server.url, 'in-cluster'])
      expect((await kube.create(svcObj('sa-1'))).metadata?.name).toBe('sa-1')
      expect((await kube.list(Kinds.Service, {namespace: 'default'})).items.map((s) => s.metadata?.name)).toContain('sa-1')
    })

    it('uses a rotated token from the next request on, without a 401', async () => {
      c.server.acceptTokens(['t2'])
      rotate('t2')
      const n = c.server.requests.length
      await kube.list(Kinds.Service, {namespace: 'default'})
      expect(since(n)).toEqual(['GET /api/v1/namespaces/default/services 200'])
    })

    it('after a 401, reads the file again and retries once when the token changed', async () => {
      // A rewrite the stat cannot see (same inode, size and mtime): only the 401 tells.
      const file = join(sa, 'token')
      utimesSync(file, 1000, 1000)
      await kube.list(Kinds.Service, {namespace: 'default'})
      c.server.acceptTokens(['t3'])
      writeFileSync(file, 't3')
      utimesSync(file, 1000, 1000)
      const n = c.server.requests.length
      await kube.list(Kinds.Service, {namespace: 'default'})
      expect(since(n)).toEqual(['GET /api/v1/namespaces/default/services 401', 'GET /api/v1/namespaces/default/services 200'])
    })

    it('retries a request refused for the old token even when a concurrent one already read the new token', async () => {
      // Two requests go out with t3a; the token is rotated while both wait in the server; both come back 401. The first
      // re-read finds t3b; the second finds nothing new on disk, yet it was sent with t3a, so it must retry too.
      rotate('t3a')
      c.server.acceptTokens(['t3a'])
      await kube.list(Kinds.Service, {namespace: 'default'})
      c.server.faults.delay(300)
      const n = c.server.requests.length
      try {
        const both = Promise.allSettled([kube.list(Kinds.Service, {namespace: 'default'}), kube.list(Kinds.Service, {namespace: 'default'})])
        await waitFor(() => c.server.requests.length >= n + 2, {what: 'both requests to reach the server'})
        c.server.acceptTokens(['t3b'])
        rotate('t3b')
        const results = await both
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled'])
      } finally {
        c.server.faults.clear()
      }
      expect(since(n).sort()).toEqual([...Array(2).fill('GET /api/v1/namespaces/default/services 401'), ...Array(2).fill('GET /api/v1/namespaces/default/services 200')].sort())
    })

    it('fails with UNAUTHORIZED after one request when the token on disk is the one refused', async () => {
      c.server.acceptTokens(['t4'])
      const n = c.server.requests.length
      await expect(kube.list(Kinds.Service, {namespace: 'default'})).rejects.toMatchObject({code: 'UNAUTHORIZED', message: expect.stringContaining(c.server.url)})
      expect(since(n)).toEqual(['GET /api/v1/namespaces/default/services 401'])
      rotate('t4')
    })

    it('picks up a rotated token for the next watch after a 401', async () => {
      const {resourceVersion} = await kube.list(Kinds.Service, {namespace: 'default'})
      c.server.acceptTokens(['t5'])
      let ended: any
      await kube.watch(Kinds.Service, {namespace: 'default', resourceVersion}, () => undefined, (err) => (ended = err))
      await waitFor(() => ended, {what: 'the refused watch to end'})
      expect(ended.statusCode).toBe(401)
      rotate('t5')
      const seen: string[] = []
      const stop = await kube.watch<any>(Kinds.Service, {namespace: 'default', resourceVersion}, (t, o) => seen.push(`${t} ${o.metadata.name}`), () => undefined)
      c.server.store.put(svcObj('sa-2'))
      await waitFor(() => seen.includes('ADDED sa-2'), {what: 'the event on the new watch'})
      stop()
    })

    it('reports a CA that did not sign the server certificate as a TLS failure naming the server', async () => {
      const other = join(root, 'other-sa')
      mkdirSync(other)
      writeFileSync(join(other, 'ca.crt'), makeCertificates().ca)
      writeFileSync(join(other, 'token'), 't5')
      const wrong = new RestKube(loadRestTarget({inCluster: true}, env, other)!, {attempts: 2})
      const n = c.server.requests.length
      const err = await wrong.list(Kinds.Service).then(() => undefined, (e) => e)
      expect(err).toMatchObject({code: 'TLS_FAILED', category: 'unreachable'})
      expect(err.message).toBe(`cannot verify the API server at ${c.server.url} (context in-cluster): TLS: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`)
      expect(err.hint).toContain('ca.crt')
      expect(since(n)).toEqual([])
    })

    it('says which service account file is missing', () => {
      expect(() => loadRestTarget({inCluster: true}, env, join(root, 'nowhere'))).toThrow(expect.objectContaining({code: 'SERVICE_ACCOUNT_UNREADABLE', message: expect.stringContaining(join(root, 'nowhere', 'token'))}))
    })
  })

  describe('Kube (client-node: the CLI)', () => {
    it('falls back to the service account when no kubeconfig exists, as kubectl does', async () => {
      c.server.acceptTokens(['t5'])
      const config = loadKubeConfig({}, env, root)
      expect([config.server, config.context, config.source]).toEqual([c.server.url, 'in-cluster', 'in-cluster service account'])
      expect(config.kc.getContextObject('in-cluster')?.namespace).toBe('metallb-system')
      const kube = new Kube(config, {attempts: 2})
      expect((await kube.list(Kinds.Service, {namespace: 'default'})).items.map((s) => s.metadata?.name)).toContain('sa-1')
      expect((await kube.apply(svcObj('sa-3'))).metadata?.name).toBe('sa-3')
    })

    it('prefers an existing kubeconfig to the service account', () => {
      const kc = join(root, 'kubeconfig')
      writeFileSync(kc, c.server.kubeconfigYaml({context: 'mine'}))
      const before = process.env.KUBECONFIG
      process.env.KUBECONFIG = kc // client-node's loadFromDefault reads process.env itself
      try {
        expect(loadKubeConfig({}, {...env, KUBECONFIG: kc}, root).context).toBe('mine')
      } finally {
        if (before === undefined) delete process.env.KUBECONFIG
        else process.env.KUBECONFIG = before
      }
    })

    it('reports a wrong CA as a TLS failure naming the server', async () => {
      const other = join(root, 'other')
      mkdirSync(join(other, SA), {recursive: true})
      writeFileSync(join(other, SA, 'ca.crt'), makeCertificates().ca)
      writeFileSync(join(other, SA, 'token'), 't5')
      const kube = new Kube(loadKubeConfig({}, env, other), {attempts: 2})
      const err = await kube.list(Kinds.Service).then(() => undefined, (e) => e)
      expect(err).toMatchObject({code: 'TLS_FAILED', message: `cannot verify the API server at ${c.server.url} (context in-cluster): TLS: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`})
    })
  })
})
