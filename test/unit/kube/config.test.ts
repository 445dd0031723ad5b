import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {hasKubeconfig, kubeconfigPaths, loadKubeConfig} from '../../../src/lib/kube/config.js'

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
      expect((e as {exitCode: number}).exitCode).toBe(2)
    }
  })

  it('a missing file is bad input; no configuration at all is "unreachable"', () => {
    expect(() => loadKubeConfig({kubeconfig: join(dir, 'nope')})).toThrow(/does not exist/)
    expect(() => loadKubeConfig({}, {HOME: dir})).toThrow(/no cluster is configured/)
  })
})
