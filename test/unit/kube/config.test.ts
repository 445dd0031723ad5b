import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {hasKubeconfig, inClusterPossible, kubeconfigPaths, loadKubeConfig} from '../../../src/lib/kube/config.js'

const dir = mkdtempSync(join(tmpdir(), 'lbctl-kc-'))
const kc = join(dir, 'config')
writeFileSync(kc, `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "http://127.0.0.1:1"}
- name: b
  cluster: {server: "http://127.0.0.1:2"}
users:
- name: u
  user: {token: t}
contexts:
- name: ca
  context: {cluster: a, user: u}
- name: cb
  context: {cluster: b, user: u}
current-context: ca
`)

describe('kubeconfig loading', () => {
  it('follows --kubeconfig, then KUBECONFIG, then ~/.kube/config', () => {
    expect(kubeconfigPaths({kubeconfig: '/x'}, {KUBECONFIG: '/y'})).toEqual(['/x'])
    expect(kubeconfigPaths({}, {KUBECONFIG: '/y:/z'})).toEqual(['/y', '/z'])
    expect(kubeconfigPaths({}, {HOME: '/home/me'})).toEqual(['/home/me/.kube/config'])
    expect(hasKubeconfig({}, {KUBECONFIG: kc})).toBe(true)
    expect(hasKubeconfig({}, {HOME: dir})).toBe(false)
  })

  it('uses the current context, or --context', () => {
    expect(loadKubeConfig({kubeconfig: kc}).server).toBe('http://127.0.0.1:1')
    const b = loadKubeConfig({kubeconfig: kc, context: 'cb'})
    expect(b.server).toBe('http://127.0.0.1:2')
    expect(b.context).toBe('cb')
  })

  it('names the contexts that exist when --context is wrong', () => {
    expect(() => loadKubeConfig({kubeconfig: kc, context: 'nope'})).toThrow(/context "nope" is not in/)
    try {
      loadKubeConfig({kubeconfig: kc, context: 'nope'})
    } catch (e) {
      expect((e as {hint: string}).hint).toContain('ca, cb')
      expect((e as {category: string}).category).toBe('bad-input')
    }
  })

  it('a missing file is bad input; no configuration at all is "unreachable"', () => {
    expect(() => loadKubeConfig({kubeconfig: join(dir, 'nope')})).toThrow(/does not exist/)
    expect(() => loadKubeConfig({}, {HOME: dir})).toThrow(/no cluster is configured/)
  })

  describe('in a pod (no kubeconfig; the service account)', () => {
    const root = mkdtempSync(join(tmpdir(), 'lbctl-pod-'))
    const sa = join(root, '/var/run/secrets/kubernetes.io/serviceaccount')
    mkdirSync(sa, {recursive: true})
    writeFileSync(join(sa, 'token'), 'tok')
    writeFileSync(join(sa, 'ca.crt'), 'CA')
    writeFileSync(join(sa, 'namespace'), 'lb')
    const pod = {KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443', HOME: dir}

    it('uses it when no kubeconfig exists, as kubectl does (both variables and the token needed)', () => {
      expect(inClusterPossible(pod, root)).toBe(true)
      expect(inClusterPossible({...pod, KUBERNETES_SERVICE_PORT: undefined}, root)).toBe(false)
      expect(inClusterPossible(pod, join(root, 'nope'))).toBe(false)
      const c = loadKubeConfig({}, pod, root)
      expect([c.server, c.context, c.source]).toEqual(['https://[fd00::1]:6443', 'in-cluster', 'in-cluster service account'])
      expect(c.kc.getCurrentCluster()).toMatchObject({caFile: join(sa, 'ca.crt'), skipTLSVerify: false})
      expect(c.kc.getCurrentUser()?.authProvider).toEqual({name: 'tokenFile', config: {tokenFile: join(sa, 'token')}})
      expect(c.kc.getContextObject('in-cluster')?.namespace).toBe('lb')
    })

    it('prefers --kubeconfig; without a token it is the usual "no cluster is configured"', () => {
      expect(loadKubeConfig({kubeconfig: kc}, pod, root).server).toBe('http://127.0.0.1:1')
      expect(() => loadKubeConfig({}, pod, join(root, 'nope'))).toThrow(/no cluster is configured/)
    })
  })
})
